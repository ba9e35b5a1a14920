import json
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from support import add_case, make_id, ok, rows, run

AS_OF = ["--as-of", "2026-11-28"]


def _three_changes():
    cid = add_case()
    ok("case", "update", cid, "--phone", "13812345678", *AS_OF)
    ok("case", "update", cid, "--risk", "高", *AS_OF)
    return cid


def test_every_write_is_in_the_trail_with_operator_and_old_new_values(db):
    cid = _three_changes()
    ok("case", "update", cid, "--notes", "x", "--operator", "李芳", *AS_OF)
    trail = ok("audit", "list", "-f", "json").json()
    assert [e["action"] for e in trail] == ["update", "update", "update", "add"]
    assert trail[0]["operator"] == "李芳" and trail[1]["operator"] == "tester"
    assert trail[1]["changes"] == {"risk_level": ["medium", "high"]}
    assert trail[2]["changes"] == {"phone": [None, "138****5678"]}
    revealed = ok("audit", "list", "-f", "json", "--reveal").json()
    assert revealed[-2]["changes"] == {"phone": [None, "13812345678"]}
    ok("case", "update", cid, "--drug", "麻古", *AS_OF)
    ok("test", "add", cid, "--specimen", "尿检", "--result", "拒检", "--on", "2026-11-20", *AS_OF)
    table = ok("audit", "list", cid).stdout
    assert "修改" in table and "新增" in table
    # codes in their Chinese words, and a list added to nothing reads as one
    assert "风险等级：中 → 高" in table and "措施：社区戒毒" in table and "（空） → 社区戒毒" not in table
    assert "毒品种类：（空） → 麻古" in table and "、麻古" not in table
    assert "检测样本：尿液" in table and "检测结果：拒检" in table
    assert "medium" not in table and "urine" not in table


def test_an_import_is_in_the_trail_in_words_in_the_form_s_order(db, tmp_path):
    f = tmp_path / "登记表.csv"
    f.write_text(f"姓名,身份证号,措施,街道,报到日期\n张伟,{make_id()},社区戒毒,盐务街,2026-01-05\n", encoding="utf-8-sig")
    ok("import", "cases", str(f), *AS_OF)
    line = next(l for l in ok("audit", "list").stdout.splitlines() if "导入" in l)
    assert "类型：登记表；行数：1；新增：1；更新：0；未变：0；拒绝：0" in line
    added = next(l for l in ok("audit", "list").stdout.splitlines() if "新增" in l and "案件" in l)
    assert added.index("身份证号：") < added.index("姓名：") < added.index("街道：")


def test_verify_passes_on_an_untouched_trail(db):
    _three_changes()
    res = ok("audit", "verify")
    assert "审计链完整：共 3 条" in res.stdout


def test_row_edited_with_the_sqlite3_shell_is_named(db):
    _three_changes()
    subprocess.run(["sqlite3", str(db), "UPDATE audit_log SET operator = 'someone' WHERE id = 2"], check=True)
    res = run("audit", "verify")
    assert res.exit_code == 1
    assert "第 2 条审计记录的内容被改动过" in res.stdout


def test_row_edited_with_its_hash_recomputed_breaks_the_link(db):
    import sqlite3

    from jindu_cli.domain.audit import _digest

    _three_changes()
    conn = sqlite3.connect(db)
    row = list(conn.execute("SELECT id, at, operator, action, entity, entity_id, case_id, changes, prev_hash"
                            " FROM audit_log WHERE id = 2").fetchone())
    row[2] = "someone"
    conn.execute("UPDATE audit_log SET operator = ?, hash = ? WHERE id = 2", [row[2], _digest(*row)])
    conn.commit()
    conn.close()
    res = run("audit", "verify")
    assert res.exit_code == 1
    assert "第 3 条审计记录与前一条接不上：第 2 条被改动过" in res.stdout


def test_removed_rows_are_found(db):
    _three_changes()
    subprocess.run(["sqlite3", str(db), "DELETE FROM audit_log WHERE id = 2"], check=True)
    res = run("audit", "verify")
    assert res.exit_code == 1 and "第 2 条被删除" in res.stdout


def test_removed_last_row_is_found(db):
    _three_changes()
    subprocess.run(["sqlite3", str(db), "DELETE FROM audit_log WHERE id = 3"], check=True)
    res = run("audit", "verify")
    assert res.exit_code == 1 and "最后的审计记录" in res.stdout


def test_trail_for_one_case_includes_reveals_of_lists(db):
    a = add_case()
    b = add_case(id=make_id(seq=555), name="李四")
    ok("case", "list", "--reveal", *AS_OF)
    assert [e["action"] for e in ok("audit", "list", b, "-f", "json").json()] == ["reveal", "add"]
    assert [e["action"] for e in ok("audit", "list", a, "-f", "json").json()] == ["reveal", "add"]
    assert rows(db, "SELECT count(*) FROM audit_log") == [(3,)]


# --- the chain's head, kept beside the database ----------------------------------------------

def _head(db) -> dict:
    return json.loads(db.with_name(db.name + ".head").read_text(encoding="utf-8"))


def _last(db) -> tuple:
    return rows(db, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")[0]


def test_every_write_leaves_the_head_beside_the_database_and_verify_prints_it(db):
    _three_changes()
    kept = _head(db)
    assert (kept["rows"], kept["last_hash"]) == _last(db) == (3, _last(db)[1])
    assert stat.S_IMODE(db.with_name("jindu.db.head").stat().st_mode) == 0o600
    ok("case", "list", "--reveal", *AS_OF)  # a reveal is a row too
    assert _head(db)["rows"] == 4
    out = ok("audit", "verify").stdout.splitlines()
    assert out[0].startswith("审计链完整：共 4 条记录")
    assert out[1].startswith(f"链头文件 {db}.head：第 4 条，哈希 {_last(db)[1]}")
    assert not [p for p in db.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("cut", [
    "DELETE FROM audit_log WHERE id > 2; UPDATE sqlite_sequence SET seq = 2 WHERE name = 'audit_log'",
    "DELETE FROM audit_log WHERE id > 3; UPDATE sqlite_sequence SET seq = 3 WHERE name = 'audit_log'",  # the reveals
    "DELETE FROM audit_log; DELETE FROM sqlite_sequence WHERE name = 'audit_log'",
])
def test_a_trail_cut_short_or_emptied_with_its_sequence_lowered_is_found(db, cut):
    _three_changes()
    ok("case", "list", "--reveal", *AS_OF)
    ok("case", "show", "1", "--reveal", *AS_OF)
    subprocess.run(["sqlite3", str(db), cut], check=True)
    left = rows(db, "SELECT count(*) FROM audit_log")[0][0]
    res = run("audit", "verify")
    assert res.exit_code == 1
    if left:
        assert f"链头文件记着审计链到第 5 条，数据库里只到第 {left} 条" in res.stdout
    else:
        assert "链头文件记着审计链有 5 条记录，数据库里却一条也没有" in res.stdout
    check = run("db", "check", "-f", "json", *AS_OF)
    assert check.exit_code == 1 and [p["check"] for p in check.json()] == ["审计链"]
    # the next write does not cover it up: a head the database contradicts stays as it was
    ok("case", "update", "1", "--notes", "after", *AS_OF)
    assert _head(db)["rows"] == 5
    assert run("audit", "verify").exit_code == 1


def test_a_database_replaced_by_a_new_one_is_found(db, tmp_path):
    from jindu_cli.storage.db import open_db

    _three_changes()
    open_db(tmp_path / "fresh.db").close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    (tmp_path / "fresh.db").rename(db)
    res = run("audit", "verify")
    assert res.exit_code == 1 and "数据库里却一条也没有" in res.stdout and "换成了新的" in res.stdout


def test_a_trail_rewritten_from_a_row_on_with_fresh_hashes_is_found(db):
    from jindu_cli.domain.audit import _digest

    _three_changes()
    conn = sqlite3.connect(db)
    prev = conn.execute("SELECT hash FROM audit_log WHERE id = 1").fetchone()[0]
    for row in conn.execute("SELECT id, at, operator, action, entity, entity_id, case_id, changes"
                            " FROM audit_log WHERE id >= 2 ORDER BY id").fetchall():
        row = list(row)
        row[2] = "someone"
        digest = _digest(*row, prev)
        conn.execute("UPDATE audit_log SET operator = ?, prev_hash = ?, hash = ? WHERE id = ?",
                     [row[2], prev, digest, row[0]])
        prev = digest
    conn.commit()
    conn.close()
    res = run("audit", "verify")
    assert res.exit_code == 1 and "第 3 条审计记录不是链头文件记下的那一条" in res.stdout


def test_a_head_behind_the_trail_is_no_alarm_and_the_next_write_catches_up(db):
    """As after a kill between a commit and the head's write."""
    _three_changes()
    earlier = db.with_name("jindu.db.head").read_bytes()
    ok("case", "update", "1", "--notes", "x", *AS_OF)
    db.with_name("jindu.db.head").write_bytes(earlier)
    res = ok("audit", "verify")
    assert "共 4 条记录" in res.stdout and "第 3 条" in res.stdout and "之后的 1 条由审计链本身担保" in res.stdout
    assert ok("db", "check", *AS_OF).exit_code == 0
    ok("case", "update", "1", "--notes", "y", *AS_OF)
    assert (_head(db)["rows"], _head(db)["last_hash"]) == _last(db) and _last(db)[0] == 5


def test_a_head_file_jindu_did_not_write_is_reported(db):
    _three_changes()
    db.with_name("jindu.db.head").write_text("{}")
    res = run("audit", "verify")
    assert res.exit_code == 1 and "不是 jindu 写的链头" in res.stdout


def test_a_backup_carries_its_head_and_a_restore_writes_the_head_of_what_it_restored(db, tmp_path):
    _three_changes()
    backup = Path(ok("db", "backup", tmp_path / "b.db").stdout.strip())
    manifest = json.loads((tmp_path / "b.db.head").read_text(encoding="utf-8"))
    assert (manifest["rows"], manifest["last_hash"]) == _last(backup) == _last(db)
    assert stat.S_IMODE((tmp_path / "b.db.head").stat().st_mode) == 0o600
    for n in range(3):
        ok("case", "update", "1", "--notes", str(n), *AS_OF)
    assert _head(db)["rows"] == 6
    ok("db", "restore", backup)
    assert _last(db)[0] == 4  # the backup's three rows and the restore's
    assert (_head(db)["rows"], _head(db)["last_hash"]) == _last(db)
    ok("audit", "verify")


def test_a_backup_that_falls_short_of_its_manifest_is_not_restored(db, tmp_path):
    _three_changes()
    backup = Path(ok("db", "backup", tmp_path / "b.db").stdout.strip())
    subprocess.run(["sqlite3", str(backup), "DELETE FROM audit_log WHERE id = 3;"
                    " UPDATE sqlite_sequence SET seq = 2 WHERE name = 'audit_log'"], check=True)
    ok("case", "update", "1", "--notes", "x", *AS_OF)
    res = run("db", "restore", backup)
    assert res.exit_code == 1 and "b.db.head 不符" in res.stderr
    assert _last(db)[0] == 4


def test_the_reports_people_read_end_with_the_head_and_the_machine_forms_keep_their_shape(db, tmp_path):
    from openpyxl import load_workbook

    _three_changes()
    rows_, digest = _last(db)
    line = f"审计链：到第 {rows_} 条记录，最新哈希 {digest}"
    period = ["--period", "2026-10", *AS_OF]
    assert ok("report", *period).stdout.rstrip("\n").splitlines()[-1].startswith(line)
    for fmt in ("md", "html"):
        ok("report", *period, "-o", tmp_path / f"r.{fmt}")
        assert line in (tmp_path / f"r.{fmt}").read_text(encoding="utf-8")
    ok("report", *period, "-o", tmp_path / "r.xlsx")
    legend = load_workbook(tmp_path / "r.xlsx")["口径说明"]
    assert [c.value for c in legend[legend.max_row]][0] == "审计链"
    assert legend.cell(legend.max_row, 3).value.startswith(line)
    assert "审计链" not in ok("report", *period, "-f", "csv").stdout
    assert set(ok("report", *period, "-f", "json").json()) == {"period", "as_of", "by", "street", "groups", "total",
                                                                "definitions"}
