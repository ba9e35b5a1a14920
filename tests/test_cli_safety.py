"""Keeping the office's data safe: backup, restore, checks, duplicates, faults, hostile input."""

import csv
import io
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import add_case, make_id, ok, rows, run

AS_OF = ["--as-of", "2026-11-28"]


def jindu(*args, env=None, check=False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jindu_cli", *map(str, args)], capture_output=True, text=True,
                          env=env, check=check)


# --- backup and restore -------------------------------------------------------------------

def test_backup_to_a_folder_is_private_checked_named_and_pruned(db, tmp_path):
    add_case()
    folder = tmp_path / "bk"
    first = Path(ok("db", "backup", f"{folder}/").stdout.strip())
    assert first.parent == folder and first.name.startswith("jindu-") and first.suffix == ".db"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    conn = sqlite3.connect(first)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    assert conn.execute("SELECT count(*) FROM cases").fetchone() == (1,)
    conn.close()
    made = [Path(ok("db", "backup", folder, "--keep", "2").stdout.strip()) for _ in range(3)]
    assert set(folder.iterdir()) == {p for m in made[1:] for p in (m, m.with_name(m.name + ".head"))}  # with manifests
    default = Path(ok("db", "backup").stdout.strip())
    assert default.parent == db.parent / "backups"
    assert run("db", "backup", db).exit_code == 1


def test_backup_is_consistent_while_another_process_writes(db, tmp_path):
    add_case()
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, time
        conn = sqlite3.connect({str(db)!r}, isolation_level=None, timeout=10)
        for n in range(400):
            conn.execute("BEGIN IMMEDIATE")
            for k in range(20):
                conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [f"k{{n}}-{{k}}", "x" * 200])
            conn.execute("COMMIT")
    """)])
    copies = []
    while writer.poll() is None:
        copies.append(Path(ok("db", "backup", tmp_path / f"b{len(copies)}.db").stdout.strip()))
    assert writer.wait() == 0 and copies
    for copy in copies:
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM meta").fetchone()[0] % 20 == 0  # whole transactions only
        conn.close()


def test_restore_checks_first_keeps_the_current_file_aside_and_says_so(db, tmp_path):
    add_case()
    backup = Path(ok("db", "backup", tmp_path / "b.db").stdout.strip())
    add_case(id=make_id(seq=556), name="李四")
    res = ok("db", "restore", backup)
    assert "另存为" in res.stderr and "恢复" in res.stderr
    assert rows(db, "SELECT name FROM cases") == [("张伟",)]
    aside = next(db.parent.glob("jindu-before-restore-*.db"))
    assert rows(aside, "SELECT count(*) FROM cases") == [(2,)]
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert rows(db, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == [("restore",)]
    assert ok("audit", "verify").exit_code == 0
    assert rows(db, "PRAGMA journal_mode") == [("wal",)]


@pytest.mark.parametrize("make,words", [
    (lambda p: p.write_bytes(b"SQLite format 3\x00" + os.urandom(8000)), ""),
    (lambda p: p.write_text("not a database"), "不是 SQLite"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE x (a)"), "不是 jindu"),
    (lambda p: None, "找不到"),
])
def test_restore_refuses_a_bad_backup_and_changes_nothing(db, tmp_path, make, words):
    add_case()
    bad = tmp_path / "bad.db"
    make(bad)
    before = db.read_bytes()
    res = run("db", "restore", bad)
    assert res.exit_code == 1 and words in res.stderr and "Traceback" not in res.stderr
    assert db.read_bytes() == before
    assert not list(db.parent.glob("*before-restore*"))


def test_restore_refuses_a_backup_from_a_newer_jindu(db, tmp_path):
    add_case()
    backup = Path(ok("db", "backup", tmp_path / "b.db").stdout.strip())
    conn = sqlite3.connect(backup)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('jindu', 'm999_x', '')")
    conn.commit()
    conn.close()
    res = run("db", "restore", backup)
    assert res.exit_code == 1 and "更新版本" in res.stderr


# --- check and duplicates ----------------------------------------------------------------

def test_check_passes_a_sound_database(db):
    cid = add_case()
    ok("visit", "add", cid, "--kind", "谈话", "--on", "2026-11-01", *AS_OF)
    assert "检查通过" in ok("db", "check", *AS_OF).stdout


def test_check_finds_each_kind_of_problem_with_its_case(db):
    a = add_case()
    b = add_case(id=make_id(seq=556), name="李四")
    ok("visit", "add", a, "--kind", "谈话", "--on", "2026-11-01", *AS_OF)
    ok("test", "add", b, "--specimen", "尿液", "--result", "阴性", "--on", "2026-11-02", *AS_OF)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE cases SET id_number = '520103199001011230' WHERE id = ?", [a])  # a wrong check character
    conn.execute("UPDATE cases SET agreement_on = '2024-01-01' WHERE id = ?", [b])  # before 报到
    conn.execute("UPDATE visits SET visited_on = '2024-06-01'")  # before 报到
    conn.execute("UPDATE cases SET status = 'released' WHERE id = ?", [b])  # no such status change
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO drug_tests (case_id, tested_on, specimen, method, result, created_at, updated_at)"
                 " VALUES (99, '2026-01-01', 'urine', 'field', 'negative', '', '')")
    conn.execute("UPDATE audit_log SET operator = 'x' WHERE id = 1")
    conn.commit()
    conn.close()
    res = run("db", "check", "-f", "json", *AS_OF)
    assert res.exit_code == 1
    found = {(p["check"], p["case_id"]) for p in res.json()}
    assert {("身份证号", a), ("日期顺序", b), ("措施期外", a), ("状态", b), ("孤立记录", 99), ("审计链", None),
            ("外键", None)} <= found, found
    reasons = " ".join(p["reason"] for p in res.json())
    assert "校验位" in reasons and "早于报到日期" in reasons and "第 1 条审计记录" in reasons


def test_a_forced_test_before_the_report_date_leaves_list_and_check_consistent(db):
    """A test recorded with --force before 报到 (it once broke a kept copy of the due list): the list
    is worked out from the records, the same narrowed as for everyone, and db check passes."""
    from jindu_cli.domain.due import due_list
    from jindu_cli.domain.rules import load_rules
    from jindu_cli.storage.db import open_db

    cid = add_case(received_on="2026-10-01", reported_on="2026-10-10")
    assert run("test", "add", cid, "--specimen", "尿液", "--result", "阴性", "--on", "2026-10-05", *AS_OF).exit_code == 1
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阴性", "--on", "2026-10-05", "--force", *AS_OF)
    listed = ok("due", "-f", "json", "--within", "60", *AS_OF).json()
    assert "检查通过" in ok("db", "check", *AS_OF).stdout
    conn = open_db(db)
    for as_of in (date(2026, 10, 6), date(2026, 11, 28)):
        assert due_list(conn, load_rules(conn), as_of, 60) == due_list(conn, load_rules(conn), as_of, 60,
                                                                      narrow=False)
    urine = next(d for d in listed if d["item"] == "urine_test")
    assert urine["due_on"] == "2026-11-05"  # the clock runs from the last performed test
    assert ok("due", "-f", "json", "--within", "60", *AS_OF).json() == listed


def test_duplicates_are_listed_with_their_evidence_and_never_merged(db):
    a = add_case(id=make_id(date(1990, 1, 1), 111), name="张伟")
    b = add_case(id=make_id(date(1990, 1, 1), 113, "520102"), name="张伟", street="头桥")
    c = add_case(id=make_id(date(1975, 3, 3), 222), name="王五")
    # one old 15-digit number (520103 030303 222) upgraded with the wrong century
    young = add_case(id=make_id(date(2003, 3, 3), 222), name="小王", reported_on=None, received_on="2026-11-01")
    old = add_case(id=make_id(date(1903, 3, 3), 222), name="老王", reported_on=None, received_on="2026-11-01")
    listed = ok("case", "duplicates", "-f", "json").json()
    groups: dict = {}
    for r in listed:
        groups.setdefault(r["group"], []).append(r)
    evidence = {tuple(sorted(r["case_id"] for r in g)): g[0]["evidence"] for g in groups.values()}
    assert evidence == {(a, b): "姓名和出生日期相同，身份证号不同",
                        tuple(sorted((young, old))): "换算成旧的 15 位号码后相同（出生年份的世纪不同）"}
    assert all(c not in k for k in evidence)
    assert all("*" in r["id_number"] for r in listed)
    assert rows(db, "SELECT count(*) FROM cases") == [(5,)]
    assert "没有发现" in run("case", "duplicates", "--db", db.parent / "other.db").stderr


# --- faults --------------------------------------------------------------------------------

def in_private_mount(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run a shell script in its own mount namespace, where it may mount small or read-only
    file systems; skip when this machine does not allow it."""
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {tmp_path}"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.strip()}")
    env = dict(os.environ, PYTHON=sys.executable)
    return subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-euc", script], capture_output=True,
                          text=True, env=env)


def test_disk_full_during_an_import_leaves_the_database_as_it_was(db, tmp_path):
    add_case()
    ok("test", "add", "1", "--specimen", "尿液", "--result", "阴性", "--on", "2026-11-01", *AS_OF)
    seed = tmp_path / "seed.db"
    shutil.copy(db, seed)
    log = tmp_path / "log.csv"
    with open(log, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["身份证号", "检测日期", "检测方式", "检测结果", "备注"])
        for n in range(1, 600):
            writer.writerow([make_id(), (date(2025, 1, 10) + timedelta(days=n)).isoformat(), "尿检", "阴性", "x" * 900])
    small = tmp_path / "small"
    small.mkdir()
    size = seed.stat().st_size + 96 * 1024
    out = in_private_mount(f"""
        mount -t tmpfs -o size={size} tmpfs {small}
        cp {seed} {small}/j.db
        set +e
        JINDU_DB={small}/j.db "$PYTHON" -m jindu_cli import tests {log} --as-of 2026-11-28 > {tmp_path}/out.txt 2> {tmp_path}/err.txt
        echo $? > {tmp_path}/code.txt
        set -e
        "$PYTHON" -c "import sqlite3; c = sqlite3.connect('{small}/j.db'); print(c.execute('PRAGMA integrity_check').fetchone()[0], c.execute('SELECT count(*) FROM drug_tests').fetchone()[0], c.execute('SELECT count(*) FROM import_files').fetchone()[0])" > {tmp_path}/after.txt
    """, small)
    assert out.returncode == 0, out.stderr
    err = (tmp_path / "err.txt").read_text()
    assert (tmp_path / "code.txt").read_text().strip() == "1", err
    assert "磁盘已满" in err and "Traceback" not in err
    assert (tmp_path / "after.txt").read_text().split() == ["ok", "1", "0"]


def test_read_only_database_is_a_clear_error_and_unchanged(db, tmp_path):
    cid = add_case()
    ro = tmp_path / "ro"
    ro.mkdir()
    out = in_private_mount(f"""
        mount -t tmpfs -o size=4m tmpfs {ro}
        cp {db} {ro}/j.db
        sha256sum {ro}/j.db > {tmp_path}/before.txt
        mount -o remount,ro {ro}
        set +e
        JINDU_DB={ro}/j.db "$PYTHON" -m jindu_cli case update {cid} --notes 改 --as-of 2026-11-28 2> {tmp_path}/err.txt
        echo $? > {tmp_path}/code.txt
        set -e
        sha256sum {ro}/j.db > {tmp_path}/after.txt
    """, ro)
    assert out.returncode == 0, out.stderr
    err = (tmp_path / "err.txt").read_text()
    assert (tmp_path / "code.txt").read_text().strip() == "1" and "Traceback" not in err
    assert "只读" in err or "无法打开" in err, err
    assert (tmp_path / "before.txt").read_text().split()[0] == (tmp_path / "after.txt").read_text().split()[0]


def test_two_writers_at_once_both_succeed_or_one_is_told_to_retry(db, tmp_path):
    people = [(make_id(date(1970, 1, 1) + timedelta(days=n), seq=n), f"人{n}") for n in range(40)]
    lines = ["身份证号,姓名,街道,措施,报到日期"] + [f"{n},{name},盐务街,社区戒毒,2024-12-01" for n, name in people]
    (tmp_path / "cases.csv").write_text("\n".join(lines), encoding="utf-8")
    ok("import", "cases", tmp_path / "cases.csv", *AS_OF)
    log = tmp_path / "log.csv"
    with open(log, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["身份证号", "检测日期", "检测方式", "检测结果"])
        for n in range(80_000):
            number, _ = people[n % 40]
            writer.writerow([number, (date(2025, 1, 1) + timedelta(days=n // 40 % 690)).isoformat(), "尿检", "阴性"])
    env = dict(os.environ, JINDU_BUSY_TIMEOUT_MS="200")
    importer = subprocess.Popen([sys.executable, "-m", "jindu_cli", "import", "tests", str(log), *AS_OF],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    added, busy, day = 0, 0, date(2026, 1, 1)
    while importer.poll() is None or added + busy < 3:
        res = jindu("visit", "add", people[0][0], "--kind", "谈话", "--on", day, *AS_OF, env=env)
        day += timedelta(days=1)
        if res.returncode == 0:
            added += 1
        else:
            assert res.returncode == 1 and "数据库正忙" in res.stderr and "稍后再试" in res.stderr, res.stderr
            busy += 1
    _, importer_err = importer.communicate()
    assert importer.returncode in (0, 1)
    if importer.returncode == 1:
        assert "数据库正忙" in importer_err
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*) FROM visits").fetchone() == (added,)
    conn.close()
    assert ok("audit", "verify").exit_code == 0


# --- hostile input -------------------------------------------------------------------------

HOSTILE = ["'", "\"", "';--", "x'; DROP TABLE cases; --", "%", "_", "100%", "李_芳", "a%b", ") OR 1=1 --", "\\"]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_sql_is_built_from_user_text(db, text):
    a = add_case(worker="李_芳", community="和平%社区")
    b = add_case(id=make_id(seq=556), name="李四", worker="李某芳", community="和平甲社区")
    ok("visit", "add", a, "--kind", "谈话", "--on", "2026-11-01", "--worker", "李_芳", *AS_OF)
    ok("test", "add", b, "--specimen", "尿液", "--result", "阴性", "--on", "2026-11-01", "--tester", "李某芳", *AS_OF)
    calls = [
        ["case", "list", "-f", "json", "--worker", text], ["case", "list", "-f", "json", "--community", text],
        ["case", "list", "-f", "json", "-q", text], ["case", "list", "-f", "json", "--search", f"%{text}%"],
        ["visit", "list", "-f", "json", "--worker", text], ["test", "list", "-f", "json", "--tester", text],
        ["leave", "list", "-f", "json", *AS_OF], ["due", "-f", "json", "--worker", text, *AS_OF],
        ["case", "flags", "-f", "json", "--worker", text, *AS_OF], ["audit", "list", "-f", "json"],
    ]
    for args in calls:
        res = run(*args)
        assert res.exit_code in (0, 1), (args, res)
        if res.exit_code == 0 and res.stdout.strip():
            for row in res.json():
                # a match is a literal match: % and _ are characters, never wildcards
                for key in ("worker", "tester", "community"):
                    if key in row and f"--{key}" in args:
                        assert row[key] == text, (args, row)
    for option in ("--street", "--status", "--measure", "--risk", "--sort"):
        res = run("case", "list", option, text)
        assert res.exit_code == 1 and "Traceback" not in res.stderr
    assert rows(db, "SELECT count(*) FROM cases") == [(2,)]
    assert [r["case_id"] for r in ok("case", "list", "-f", "json", "--worker", "李_芳").json()] == [a]
    assert [r["case_id"] for r in ok("case", "list", "-f", "json", "--community", "和平%社区").json()] == [a]
    assert ok("case", "list", "-f", "json", "-q", "%").json() == []


# --- the importer under fuzzing ------------------------------------------------------------

HEADERS = ["身份证号", "证件号码", "姓名", "检测日期", "日期", "检测方式", "检测样本", "检测结果", "结果", "检测人", "备注",
           "不认识的列", ""]
VALUE = st.one_of(
    st.sampled_from(["", " ", "尿检", "毛发", "阴性", "阳性", "拒检", "－", "2026-01-05", "2026/1/6", "20260107",
                     "03/04/2026", "2026-02-30", "5.20103E+17", "张伟", "=1+1", "'@x", "\x00", "\ufffd"]),
    st.text(max_size=30),
    st.text(min_size=2000, max_size=70_000, alphabet="ab中\n,\""),
)


@st.composite
def files(draw):
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8))
    body = []
    for _ in range(draw(st.integers(0, 12))):
        row = [draw(VALUE) for _ in range(draw(st.integers(0, len(header) + 2)))]
        if draw(st.booleans()) and "身份证号" in header:
            row += [""] * max(0, len(header) - len(row))
            row[header.index("身份证号")] = draw(st.sampled_from([make_id(), make_id(seq=556), make_id()[:-1] + "0"]))
        body.append(row)
    buf = io.StringIO()
    csv.writer(buf, delimiter=draw(st.sampled_from([",", "\t", ";"]))).writerows([header] + body)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    data = buf.getvalue().encode(encoding, errors="replace")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=200)) + data[cut:]
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=files())
def test_importer_never_crashes_never_keeps_a_rejected_row_never_loses_an_accepted_one(db, tmp_path, data):
    if not db.exists():  # the register, once for all the examples of this test
        add_case(reported_on="2025-01-10")
        add_case(id=make_id(seq=556), name="李四", reported_on="2025-01-10")
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    before = rows(db, "SELECT count(*) FROM drug_tests")[0][0]
    res = run("import", "tests", path, "-f", "json", *AS_OF)
    assert res.exit_code in (0, 1) and "Traceback" not in res.stderr and res.exception is None or \
        isinstance(res.exception, SystemExit), res
    [report] = res.json()
    after = rows(db, "SELECT count(*) FROM drug_tests")[0][0]
    assert after - before == report["inserted"]
    assert report["rows"] == report["inserted"] + report["unchanged"] + report["rejected"] or report["status"] in (
        "failed", "duplicate")
    if report["status"] in ("failed", "duplicate"):
        assert after == before
    # a damaged row is reported, never stored
    assert rows(db, "SELECT count(*) FROM drug_tests WHERE instr(coalesce(tester, '') || coalesce(notes, ''),"
                    " char(0)) OR instr(coalesce(tester, '') || coalesce(notes, ''), char(65533))") == [(0,)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
