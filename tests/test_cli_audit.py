import subprocess

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
    table = ok("audit", "list", cid).stdout
    assert "风险等级：中 → 高" not in table  # codes are shown as stored labels below
    assert "修改" in table and "新增" in table


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
