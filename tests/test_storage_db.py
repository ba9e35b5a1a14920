import json
import os
import random
import sqlite3
import stat
from pathlib import Path

import pytest

from jindu_cli.errors import DatabaseError
from jindu_cli.storage import db as storage_db, migrations
from jindu_cli.storage.db import open_db, resolve_db_path
from support import ok, rows, run


def test_new_file_is_private_wal_with_all_migrations(tmp_path):
    path = tmp_path / "new" / "j.db"
    conn = open_db(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert applied == migrations.names()
    strict = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'cases'").fetchone()[0]
    assert strict.rstrip().endswith("STRICT")


def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "j.db"
    open_db(path).close()
    conn = open_db(path)
    conn.close()
    conn = open_db(path)
    count = conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    assert count == len(migrations.STEPS)


def test_migrations_reapplied_by_hand_are_idempotent(tmp_path):
    path = tmp_path / "j.db"
    conn = open_db(path)
    conn.execute("PRAGMA user_version = 0")  # force the slow path: every step is checked again
    storage_db.migrate(conn)
    assert conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == len(migrations.STEPS)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations.STEPS)


def test_file_from_a_newer_jindu_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "j.db"
    conn = open_db(path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('jindu', 'm999_future', 'x')")
    conn.execute(f"PRAGMA user_version = {len(migrations.STEPS) + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError) as err:
        open_db(path)
    assert "更新版本" in err.value.message and "m999_future" in err.value.message
    assert path.read_bytes() == before
    res = run("case", "list", "--db", path)
    assert res.exit_code == 1 and "更新版本" in res.stderr and "Traceback" not in res.stderr
    assert path.read_bytes() == before


def test_someone_elses_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE x (a)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError) as err:
        open_db(path)
    assert "不是 jindu 的数据库" in err.value.message
    assert path.read_bytes() == before


def test_a_text_file_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    res = run("case", "list", "--db", path)
    assert res.exit_code == 1 and "不是 SQLite" in res.stderr
    assert path.read_text() == "hello"


def test_path_resolution_order(tmp_path, monkeypatch):
    monkeypatch.setenv("JINDU_DB", str(tmp_path / "env.db"))
    assert resolve_db_path(str(tmp_path / "opt.db")).path == tmp_path / "opt.db"
    assert resolve_db_path(None).path == tmp_path / "env.db"
    monkeypatch.delenv("JINDU_DB")
    loc = resolve_db_path(None)
    assert loc.source == "default" and loc.path == tmp_path / "xdg" / "jindu" / "jindu.db"


def test_db_path_command_prints_the_file_in_use_without_creating_it(tmp_path, monkeypatch):
    res = ok("db", "path")
    assert res.stdout.strip() == os.environ["JINDU_DB"]
    assert "JINDU_DB" in res.stderr
    assert not (tmp_path / "jindu.db").exists()
    res = ok("db", "path", "--db", tmp_path / "x.db")
    assert res.stdout.strip() == str(tmp_path / "x.db")
    monkeypatch.delenv("JINDU_DB")
    assert ok("db", "path").stdout.strip() == str(tmp_path / "xdg" / "jindu" / "jindu.db")
    assert ok("--db", tmp_path / "root.db", "db", "path").stdout.strip() == str(tmp_path / "root.db")


def test_db_status_reports_mode_migrations_and_counts(db):
    ok("demo", "--db", db, "--as-of", "2026-11-28")
    info = ok("db", "status", "-f", "json").json()
    assert info["path"] == str(db)
    assert info["journal_mode"] == "wal"
    assert info["mode"] == "0o600"
    assert [m["name"] for m in info["migrations"]] == migrations.names()
    assert info["tables"]["cases"] == 39
    table = ok("db", "status").stdout
    assert "wal" in table and "m001_cases_and_audit" in table


def test_a_case_s_status_history_is_found_by_its_case(tmp_path):
    # An index leading with the status once made SQLite read every 期满解除 for each person an
    # import looked up; a case's history must be searched by case.
    conn = open_db(tmp_path / "plan.db")
    for sql in ("SELECT 1 FROM status_changes s WHERE s.case_id = ? AND s.status = 'suspended'",
                "SELECT changed_on FROM status_changes s WHERE s.case_id = ? AND s.status = 'released'"
                " ORDER BY changed_on DESC, s.id DESC LIMIT 1"):
        plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", [1]))
        assert "status_changes_case (case_id=?" in plan, plan


def test_a_status_on_a_date_is_read_from_the_index_alone(tmp_path):
    # a report reads every person's status at the end of its period: from the index, in its order
    conn = open_db(tmp_path / "plan.db")
    sql = ("SELECT (SELECT x.status FROM status_changes x WHERE x.case_id = c.id AND x.changed_on <= ?"
           " ORDER BY x.changed_on DESC, x.id DESC LIMIT 1) FROM cases c")
    plan = [row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", ["2026-10-31"])]
    assert any("COVERING INDEX status_changes_case (case_id=? AND changed_on<?)" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def _rows(conn):
    return conn.execute("SELECT count(*) FROM t").fetchone()[0]


def _write(path):
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE IF NOT EXISTS t (x)")
    other.execute("INSERT INTO t VALUES (1)")
    other.close()


def test_a_snapshot_reads_one_moment_while_another_process_writes(tmp_path):
    from jindu_cli.storage import db as storage

    path = tmp_path / "t.db"
    conn = open_db(path)
    _write(path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # as an import holds the write lock
    with storage.snapshot(conn):
        before = _rows(conn)
        writer.execute("INSERT INTO t VALUES (2)")
        writer.execute("COMMIT")
        assert _rows(conn) == before
    assert not conn.in_transaction and _rows(conn) == before + 1
    writer.close()
    conn.close()


# --- the folders jindu makes --------------------------------------------------------------

def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_folder_jindu_makes_is_private_the_data_folder_and_those_above_it_too(tmp_path, monkeypatch):
    old = os.umask(0o022)
    try:
        monkeypatch.delenv("JINDU_DB")
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "share"))
        ok("case", "list", "--as-of", "2026-11-28")
        for folder in (tmp_path / "home", tmp_path / "home" / "share", tmp_path / "home" / "share" / "jindu"):
            assert _mode(folder) == 0o700, folder
        backup = Path(ok("db", "backup", f"{tmp_path / 'usb' / 'jindu'}/").stdout.strip())
        assert _mode(tmp_path / "usb") == _mode(tmp_path / "usb" / "jindu") == 0o700 and backup.exists()
        ok("report", "--period", "2026-10", "--as-of", "2026-11-28", "-o", f"{tmp_path / 'out' / 'reports'}/")
        assert _mode(tmp_path / "out") == _mode(tmp_path / "out" / "reports") == 0o700
    finally:
        os.umask(old)


def test_a_crash_report_makes_the_data_folder_private(tmp_path, monkeypatch):
    """A crash in a command run with --db elsewhere is what first made the data folder, 0755."""
    from jindu_cli.cli.output import _write_crash_report

    old = os.umask(0o022)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "fresh"))
    try:
        try:
            raise RuntimeError("a bug")
        except RuntimeError:
            report = Path(_write_crash_report())
    finally:
        os.umask(old)
    assert report.parent == tmp_path / "fresh" / "jindu" / "crash"
    assert _mode(tmp_path / "fresh") == _mode(tmp_path / "fresh" / "jindu") == _mode(report.parent) == 0o700


# --- a damaged database: refused with the way back, restored -------------------------------

def _flip(data: bytearray) -> None:
    page = 4096
    for start in range(page, len(data), page):  # each b-tree page's type and cell count
        for offset in (0, 3, 4):
            data[start + offset] ^= 0xFF


DAMAGE = {
    "truncated": lambda d: d[: len(d) // 3],
    "flipped bytes": lambda d: _flip(d) or d,
    "broken page": lambda d: d[:4096] + bytearray(random.Random(7).randbytes(4096)) + d[8192:],
    "overwritten header": lambda d: bytearray(100) + d[100:],
    "not SQLite": lambda d: bytearray("这不是数据库\n".encode()),
}


def _damaged_live(db: Path, tmp_path: Path, how) -> tuple[Path, bytes, bytes]:
    """A database with a backup, then later changes still in its WAL (as a kill leaves it), then
    damaged: returns the backup and the damaged file's bytes and its WAL's."""
    from support import add_case

    add_case()
    backup = Path(ok("db", "backup", tmp_path / "b.db").stdout.strip())
    ok("case", "update", "1", "--name", "王五", "--as-of", "2026-11-28")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE cases SET notes = 'in the WAL only'")
    main, wal = db.read_bytes(), Path(f"{db}-wal").read_bytes()
    conn.close()  # (the last connection checkpoints and removes the WAL: put them back as they were)
    damaged = bytes(how(bytearray(main)))
    db.write_bytes(damaged)
    Path(f"{db}-wal").write_bytes(wal)
    return backup, damaged, wal


@pytest.mark.parametrize("kind", DAMAGE)
def test_restore_sets_a_damaged_database_aside_as_it_is_and_puts_the_backup_in_place(db, tmp_path, kind):
    backup, damaged, wal = _damaged_live(db, tmp_path, DAMAGE[kind])
    res = ok("db", "restore", backup)
    said = res.stderr.strip().splitlines()
    assert len(said) == 1 and "不能用" in said[0] and "原样移到一边" in said[0], res.stderr
    aside = next(tmp_path.glob("jindu-damaged-*.db"))
    assert aside.read_bytes() == damaged and Path(f"{aside}-wal").read_bytes() == wal
    assert {_mode(p) for p in tmp_path.glob("jindu-damaged-*")} == {0o600}  # its WAL and .head too
    assert str(aside) in said[0]
    assert rows(db, "SELECT name, notes FROM cases") == [("张伟", None)]  # the backup; no stale WAL replayed
    assert rows(db, "PRAGMA journal_mode") == [("wal",)] and _mode(db) == 0o600
    assert rows(db, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == [("restore",)]
    kept = json.loads(db.with_name("jindu.db.head").read_text(encoding="utf-8"))
    assert [kept["rows"], kept["last_hash"]] == list(rows(db, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")[0])
    assert ok("audit", "verify").exit_code == 0 and "检查通过" in ok("db", "check", "--as-of", "2026-11-28").stdout


@pytest.mark.parametrize("kind", DAMAGE)
def test_check_on_a_damaged_database_says_so_in_one_line_with_the_restore_command(db, tmp_path, kind):
    backup, damaged, _ = _damaged_live(db, tmp_path, DAMAGE[kind])
    (tmp_path / "backups").mkdir()
    newest = tmp_path / "backups" / "jindu-20261127-230000.db"
    newest.write_bytes(backup.read_bytes())
    res = run("db", "check", "--as-of", "2026-11-28")
    assert res.exit_code == 1 and res.stdout == "" and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "损坏" in res.stderr and f"jindu db restore {newest}" in res.stderr


def test_check_names_a_failed_integrity_check_in_one_line(db, tmp_path):
    from support import add_case

    add_case()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA writable_schema = ON")  # an index that no longer matches its table
    conn.execute("UPDATE sqlite_master SET sql = replace(sql, '(case_id)', '(operator)') WHERE name = 'audit_log_case'")
    conn.commit()
    conn.close()
    res = run("db", "check", "--as-of", "2026-11-28")
    assert res.exit_code == 1 and res.stdout == ""
    assert res.stderr.strip() == f"错误：数据库文件 {db} 已损坏（完整性检查没有通过）：请用 jindu db restore 备份文件 从备份恢复"


DAY = ["--as-of", "2026-11-28"]
COMMANDS = [("case", "list", *DAY), ("case", "add", "--id", "520103199001011232", "--name", "张伟", "--street", "盐务街",
                                     "--measure", "社区戒毒", *DAY), ("due", *DAY), ("report", *DAY),
            ("audit", "verify"), ("audit", "list"), ("db", "check", *DAY), ("db", "status"), ("db", "backup")]


@pytest.mark.parametrize("gone", ["emptied", "deleted"])
def test_an_empty_or_missing_file_where_the_head_says_records_stood_is_not_made_a_new_register(db, tmp_path, gone):
    from support import add_case

    add_case()
    ok("db", "backup", tmp_path / "b.db")
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if gone == "emptied":
        db.write_bytes(b"")
    else:
        db.unlink()
    for command in COMMANDS:
        res = run(*command)
        assert res.exit_code == 1 and "Traceback" not in res.stderr, (command, res)
        assert "链头文件记着它有 1 条审计记录" in res.stderr and "jindu db restore" in res.stderr, (command, res)
    assert (db.read_bytes() == b"") if gone == "emptied" else not db.exists()
    assert not Path(f"{db}-wal").exists()
    res = ok("db", "restore", tmp_path / "b.db")
    assert rows(db, "SELECT name FROM cases") == [("张伟",)]


def test_an_empty_file_with_no_head_beside_it_is_a_new_database_as_before(db):
    db.write_bytes(b"")
    ok("case", "list", "--as-of", "2026-11-28")
    assert rows(db, "SELECT count(*) FROM cases") == [(0,)]
