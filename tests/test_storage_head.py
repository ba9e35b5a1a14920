"""The audit chain's head file never raises a false alarm: not after a writer is killed at any
moment (between its commit and the head's write among them), nor with four writers at once, while
`audit verify` runs all the time beside them."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap

from jindu_cli.domain import audit
from jindu_cli.storage import head
from jindu_cli.storage.db import open_db

# A writer that appends audit rows, one small transaction each, as fast as it can: the head file is
# rewritten after every commit, so a kill lands in that window as often as anywhere.
WRITER = textwrap.dedent("""
    import sys
    from jindu_cli.domain import audit
    from jindu_cli.storage.db import atomic, open_db

    conn = open_db(sys.argv[1])
    name, count = sys.argv[2], int(sys.argv[3])
    for n in range(count):
        with atomic(conn):
            audit.record(conn, name, "reveal", "case", None, None, {"command": "test", "n": n})
        if n == 0:
            print("ready", flush=True)
    conn.close()
""")
SRC = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "src")


def writer(db, name: str, count: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", WRITER, str(db), name, str(count)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kept(db) -> dict:
    return json.loads(head.path_for(db).read_text(encoding="utf-8"))


def assert_sound(conn, db) -> audit.Verdict:
    verdict = audit.verify(conn)
    assert verdict.ok, verdict.problem
    if verdict.kept is not None:  # (none before the first write)
        assert verdict.kept.rows <= verdict.rows and head.agrees(conn, verdict.kept)
    return verdict


def test_a_writer_killed_at_any_moment_leaves_no_false_alarm(tmp_path):
    db = tmp_path / "jindu.db"
    conn = open_db(db)
    rng = random.Random(19)
    for round_ in range(6):
        proc = writer(db, f"w{round_}", 100_000)
        assert proc.stdout.readline() == "ready\n", proc.stderr.read()
        try:
            proc.wait(timeout=rng.uniform(0.0, 0.25))  # a random moment of its writing
        except subprocess.TimeoutExpired:
            pass
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
        proc.stdout.close()
        proc.stderr.close()
        verdict = assert_sound(conn, db)
        assert verdict.kept is not None
    # the next write catches a head left behind up
    from jindu_cli.storage.db import atomic

    with atomic(conn):
        audit.record(conn, "after", "reveal", "case", None, None, {"command": "test"})
    verdict = assert_sound(conn, db)
    assert kept(db)["rows"] == verdict.rows and kept(db)["last_hash"] == verdict.head
    # the temporary head file has one name, reused: a kill leaves one at most
    assert {p.name for p in tmp_path.glob(".*.tmp")} <= {".jindu.db.head.tmp"}
    conn.close()


def test_four_writers_at_once_while_verify_runs_beside_them(tmp_path):
    db = tmp_path / "jindu.db"
    conn = open_db(db)
    each = 60
    procs = [writer(db, f"w{n}", each) for n in range(4)]
    checks = 0
    while any(p.poll() is None for p in procs) or not checks:
        assert_sound(conn, db)
        checks += 1
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, err
    verdict = assert_sound(conn, db)
    assert verdict.rows == 4 * each and verdict.kept is not None
    by_writer = dict(conn.execute("SELECT operator, count(*) FROM audit_log GROUP BY operator"))
    assert by_writer == {f"w{n}": each for n in range(4)}
    assert kept(db)["rows"] <= 4 * each and checks > 1
    conn.close()
