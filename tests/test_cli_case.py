import csv
import io
import sqlite3
from datetime import date

import pytest

from support import add_case, make_id, ok, rows, run

AS_OF = ["--as-of", "2026-11-28"]


def test_add_prints_only_the_new_id_and_stores_the_record(db):
    number = make_id(date(1988, 4, 2), seq=331)
    res = ok("case", "add", "--id", number, "--name", "张伟", "--street", "盐务街", "--measure", "社区戒毒",
             "--received-on", "2026/1/5", "--reported-on", "2026年1月12日", "--phone", "13812345678",
             "--drug", "冰毒", "--drug", "K粉、笑气", "--worker", "李芳", "--risk", "high", *AS_OF)
    assert res.stdout == "1\n"
    assert "已登记" in res.stderr
    stored = rows(db, "SELECT id_number, name, street, measure, term_months, reported_on, status, drugs,"
                      " risk_level, phone, name_pinyin, name_initials FROM cases")
    assert stored == [(number, "张伟", "盐务街街道", "community_treatment", 36, "2026-01-12", "active",
                       '["甲基苯丙胺", "氯胺酮", "笑气"]', "high", "13812345678", "zhangwei", "zw")]
    audit = rows(db, "SELECT action, entity, case_id, operator FROM audit_log")
    assert audit == [("add", "case", 1, "tester")]


def test_show_derives_sex_birth_and_the_computed_dates(db):
    cid = add_case(id=make_id(date(1991, 7, 9), seq=124), received_on="2024-02-27", reported_on="2024-02-29")
    info = ok("case", "show", cid, "-f", "json", "--as-of", "2026-11-28").json()
    assert info["sex"] == "女" and info["birth_date"] == "1991-07-09"
    assert info["term_start"] == "2024-02-29"
    assert info["term_end"] == "2027-02-27"  # 2024-02-29 + 36 months = 2027-02-28, minus one day
    assert info["report_deadline"] == "2024-03-13"
    assert info["report_overdue"] is False and info["reported_late"] is False
    assert info["days_left"] == (date(2027, 2, 27) - date(2026, 11, 28)).days
    assert info["status"] == "社区戒毒中" and info["measure"] == "社区戒毒"


def test_pending_case_overdue_to_report(db):
    cid = add_case(reported_on=None, received_on="2026-11-01")
    info = ok("case", "show", cid, "-f", "json", "--as-of", "2026-11-16").json()
    assert info["status"] == "未报到" and info["report_deadline"] == "2026-11-16"
    assert info["report_overdue"] is False
    assert ok("case", "show", cid, "-f", "json", "--as-of", "2026-11-17").json()["report_overdue"] is True


def test_rehab_needs_its_ordered_length_of_at_most_36_months(db):
    res = run("case", "add", "--id", make_id(), "--name", "李四", "--street", "头桥", "--measure", "社区康复", *AS_OF)
    assert res.exit_code == 1 and "期限" in res.stderr
    res = run("case", "add", "--id", make_id(), "--name", "李四", "--street", "头桥", "--measure",
              "community-rehab", "--term-months", "48", *AS_OF)
    assert res.exit_code == 1 and "不超过 36" in res.stderr
    cid = add_case(measure="community-rehab", term_months="24", reported_on="2025-03-31", received_on="2025-03-20")
    info = ok("case", "show", cid, "-f", "json", *AS_OF).json()
    assert info["measure"] == "社区康复" and info["term_end"] == "2027-03-30"
    res = run("case", "add", "--id", make_id(seq=125), "--name", "王五", "--street", "头桥", "--measure",
              "社区戒毒", "--term-months", "24", *AS_OF)
    assert res.exit_code == 1 and "36" in res.stderr


@pytest.fixture
def register(db):
    ids = {
        "zhang": add_case(id=make_id(date(1990, 1, 1), 111), name="张伟", street="盐务街", worker="李芳", risk="高",
                          community="和平社区"),
        "zhou": add_case(id=make_id(date(1985, 5, 5), 222), name="周文", street="头桥街道", worker="赵敏",
                         risk="低", measure="社区康复", term_months="36"),
        "wang": add_case(id=make_id(date(1979, 3, 3), 333), name="王小伟", street="盐务街街道", worker="李芳",
                         reported_on=None, received_on="2026-11-20"),
    }
    return ids


@pytest.mark.parametrize("args,expected", [
    (["--street", "盐务街"], ["zhang", "wang"]),
    (["--street", "520103028"], ["zhou"]),
    (["--status", "未报到"], ["wang"]),
    (["--status", "active"], ["zhang", "zhou"]),
    (["--measure", "社区康复"], ["zhou"]),
    (["--measure", "community-treatment"], ["zhang", "wang"]),
    (["--worker", "李芳"], ["zhang", "wang"]),
    (["--risk", "高"], ["zhang"]),
    (["--risk", "low"], ["zhou"]),
    (["-q", "伟"], ["zhang", "wang"]),
    (["-q", "zhangwei"], ["zhang"]),
    (["-q", "zw"], ["zhang", "zhou"]),
    (["-q", "ZW"], ["zhang", "zhou"]),
    (["-q", "xiaowei"], ["wang"]),
    (["-q", "wxw"], ["wang"]),
    (["-q", make_id(date(1985, 5, 5), 222)[-4:]], ["zhou"]),
    (["--street", "盐务街", "--status", "在执行"], ["zhang"]),
    (["--community", "和平社区"], ["zhang"]),
    (["-q", "100%"], []),
])
def test_list_filters(register, args, expected):
    found = ok("case", "list", "-f", "json", *args, *AS_OF).json()
    assert sorted(r["case_id"] for r in found) == sorted(register[k] for k in expected)


def test_list_sort_and_limit(register):
    by_risk = [r["case_id"] for r in ok("case", "list", "-f", "json", "--sort", "risk", *AS_OF).json()]
    assert by_risk == [register["zhang"], register["wang"], register["zhou"]]
    assert len(ok("case", "list", "-f", "json", "--limit", "2", *AS_OF).json()) == 2
    res = run("case", "list", "--sort", "name; DROP TABLE cases")
    assert res.exit_code == 1 and "排序" in res.stderr


def test_list_formats_and_masking(register, db):
    js = ok("case", "list", "-f", "json", *AS_OF).json()
    full = make_id(date(1990, 1, 1), 111)
    zhang = next(r for r in js if r["case_id"] == register["zhang"])
    assert zhang["id_number"] == full[:6] + "********" + full[-4:]
    text = ok("case", "list", "-f", "csv", *AS_OF).stdout
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [r["case_id"] for r in parsed] == [str(r["case_id"]) for r in js]
    assert full not in text and full[:6] + "********" + full[-4:] in text
    table = ok("case", "list", *AS_OF).stdout
    assert "张伟" in table and "身份证号" in table and "共 3 人" in table and full not in table
    assert rows(db, "SELECT count(*) FROM audit_log WHERE action = 'reveal'") == [(0,)]


def test_reveal_shows_everything_and_is_audited(register, db):
    full = make_id(date(1990, 1, 1), 111)
    js = ok("case", "list", "-f", "json", "--reveal", "--street", "盐务街", *AS_OF).json()
    assert full in [r["id_number"] for r in js]
    ok("case", "show", register["zhou"], "--reveal", "--operator", "王主任", *AS_OF)
    reveals = rows(db, "SELECT operator, changes FROM audit_log WHERE action = 'reveal' ORDER BY id")
    assert reveals[0][0] == "tester" and '"cases": [1, 3]' in reveals[0][1]
    assert reveals[1][0] == "王主任" and '"case show"' in reveals[1][1]
    trail = ok("audit", "list", register["zhou"], "-f", "json").json()
    assert [e["action"] for e in trail] == ["reveal", "add"]


def test_show_finds_by_number_id_last_four_and_pinyin(register):
    full = make_id(date(1985, 5, 5), 222)
    for ref in [str(register["zhou"]), full, f"尾号{full[-4:]}", "周文", "zhouwen"]:
        assert ok("case", "show", ref, "-f", "json", *AS_OF).json()["case_id"] == register["zhou"]
    res = run("case", "show", "伟", *AS_OF)
    assert res.exit_code == 1 and "多个案件" in res.stderr and "张伟" in res.stderr and "王小伟" in res.stderr
    res = run("case", "show", "999", *AS_OF)
    assert res.exit_code == 1 and "没有编号为 999" in res.stderr


def test_update_changes_fields_and_audits_old_and_new(register, db):
    res = ok("case", "update", register["zhang"], "--phone", "13900001111", "--community", "和平社区",
             "--notes", "家属配合", *AS_OF)
    assert "联系电话：（空） → 139****1111" in res.stderr
    assert rows(db, "SELECT phone, community, notes FROM cases WHERE id = ?", [register["zhang"]]) == [
        ("13900001111", "和平社区", "家属配合")]
    changes = rows(db, "SELECT changes FROM audit_log WHERE action = 'update'")[0][0]
    assert '"phone": [null, "13900001111"]' in changes
    res = ok("case", "update", register["zhang"], "--phone", "", *AS_OF)
    assert rows(db, "SELECT phone FROM cases WHERE id = ?", [register["zhang"]]) == [(None,)]
    res = ok("case", "update", register["zhang"], "--notes", "家属配合", *AS_OF)
    assert "没有变化" in res.stderr


def test_update_name_refreshes_pinyin(register):
    ok("case", "update", register["zhou"], "--name", "周晓文", *AS_OF)
    assert [r["case_id"] for r in ok("case", "list", "-f", "json", "-q", "zxw", *AS_OF).json()] == [register["zhou"]]


def test_reporting_a_pending_case_makes_it_active(register, db):
    ok("case", "update", register["wang"], "--reported-on", "2026-11-25", *AS_OF)
    info = ok("case", "show", register["wang"], "-f", "json", *AS_OF).json()
    assert info["status"] == "社区戒毒中" and info["term_end"] == "2029-11-24"
    assert rows(db, "SELECT previous_status, status, changed_on FROM status_changes WHERE case_id = ?",
                [register["wang"]]) == [("pending", "active", "2026-11-25")]


def test_suspension_moves_the_term_end_back(db):
    cid = add_case(received_on="2025-01-02", reported_on="2025-01-10")
    res = run("case", "update", cid, "--status", "中止", *AS_OF)
    assert res.exit_code == 1 and "--on" in res.stderr
    ok("case", "update", cid, "--status", "中止", "--on", "2026-03-01", "--reason", "拘留", *AS_OF)
    during = ok("case", "show", cid, "-f", "json", "--as-of", "2026-03-11").json()
    assert during["status"] == "中止" and during["suspended_days"] == 10
    assert during["term_end"] == "2028-01-19"  # 2028-01-09 + 10 days
    ok("case", "update", cid, "--status", "在执行", "--on", "2026-03-16", *AS_OF)
    after = ok("case", "show", cid, "-f", "json", *AS_OF).json()
    assert after["status"] == "社区戒毒中" and after["suspended_days"] == 15
    assert after["term_end"] == "2028-01-24"


def test_term_end_override_is_audited_and_cannot_precede_the_start(db):
    cid = add_case()
    ok("case", "update", cid, "--term-end", "2027-06-30", *AS_OF)
    info = ok("case", "show", cid, "-f", "json", *AS_OF).json()
    assert info["term_end"] == "2027-06-30" and info["term_end_overridden"] is True
    assert rows(db, "SELECT count(*) FROM audit_log WHERE changes LIKE '%term_end_override%'") == [(1,)]
    ok("case", "update", cid, "--term-end", "", *AS_OF)
    assert ok("case", "show", cid, "-f", "json", *AS_OF).json()["term_end"] == "2028-01-09"


def test_termination_needs_reason_and_date_and_closes_the_case(db):
    cid = add_case()
    res = run("case", "update", cid, "--status", "终止", "--on", "2026-06-01", *AS_OF)
    assert res.exit_code == 1 and "原因" in res.stderr
    ok("case", "update", cid, "--status", "terminated", "--on", "2026-06-01", "--reason", "强制隔离戒毒", *AS_OF)
    res = run("case", "update", cid, "--status", "在执行", "--on", "2026-07-01", *AS_OF)
    assert res.exit_code == 1 and "不能再改" in res.stderr
    assert rows(db, "SELECT status FROM cases") == [("terminated",)]


def test_release_only_after_the_term_has_ended(db):
    cid = add_case(received_on="2023-06-01", reported_on="2023-06-10")  # ends 2026-06-09
    res = run("case", "update", cid, "--status", "期满解除", "--on", "2026-06-09", *AS_OF)
    assert res.exit_code == 1 and "2026-06-09" in res.stderr
    ok("case", "update", cid, "--status", "期满解除", "--on", "2026-06-10", *AS_OF)
    assert ok("case", "show", cid, "-f", "json", *AS_OF).json()["status"] == "期满解除"


def test_there_is_no_way_to_delete_a_case(db):
    add_case()
    res = run("case", "delete", "1")
    assert res.exit_code == 2
    assert rows(db, "SELECT count(*) FROM cases") == [(1,)]


def _bytes(db):
    return db.read_bytes(), sorted(p.name for p in db.parent.iterdir())


BAD_INPUTS = [
    (["case", "add", "--id", make_id()[:-1] + "0" if make_id()[-1] != "0" else make_id()[:-1] + "1",
      "--name", "甲", "--street", "头桥", "--measure", "社区戒毒"], "身份证号"),
    (["case", "add", "--id", make_id(seq=7), "--name", "甲", "--street", "火星街道", "--measure", "社区戒毒"], "街道"),
    (["case", "add", "--id", make_id(seq=7), "--name", "甲", "--street", "头桥", "--measure", "社区戒毒",
      "--reported-on", "2026-02-30"], "报到日期"),
    (["case", "add", "--id", make_id(seq=7), "--name", "甲", "--street", "头桥", "--measure", "社区戒毒",
      "--reported-on", "03/04/2026"], "报到日期"),
    (["case", "add", "--id", make_id(seq=7), "--name", "甲", "--street", "头桥", "--measure", "强制戒毒"], "措施"),
    (["case", "add", "--id", make_id(), "--name", "甲", "--street", "头桥", "--measure", "社区戒毒"], "已经登记"),
    (["case", "add", "--id", make_id(seq=7), "--name", "甲", "--street", "头桥", "--measure", "社区戒毒",
      "--sex", "女"], "性别"),
    (["case", "add", "--id", make_id(seq=7), "--name", "甲", "--street", "头桥", "--measure", "社区戒毒",
      "--received-on", "2026-03-05", "--reported-on", "2026-03-01"], "报到日期"),
    (["case", "update", "1", "--term-end", "2024-12-31"], "期满日期"),
    (["case", "update", "1", "--status", "转学"], "状态"),
    (["case", "update", "1", "--reported-on", "2027-01-01"], "晚于今天"),
    (["case", "update", "1", "--risk", "极高"], "风险等级"),
]


@pytest.mark.parametrize("args,field", BAD_INPUTS)
def test_bad_input_is_one_clear_line_and_writes_nothing(db, args, field):
    add_case()
    before = _bytes(db)
    res = run(*args, *AS_OF)
    assert res.exit_code == 1, res
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and field in lines[0]
    assert "Traceback" not in res.stderr
    assert _bytes(db) == before


def test_usage_errors_exit_2(db):
    assert run("case", "list", "-f", "xml").exit_code == 2
    assert run("case", "list", "--limit", "many").exit_code == 2


def test_database_busy_is_a_clear_message(db, monkeypatch):
    add_case()
    monkeypatch.setenv("JINDU_BUSY_TIMEOUT_MS", "50")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        res = run("case", "update", "1", "--notes", "x", *AS_OF)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert res.exit_code == 1 and "数据库正忙" in res.stderr and "稍后再试" in res.stderr
    assert rows(db, "SELECT notes FROM cases") == [(None,)]


def test_add_names_every_missing_option_at_once(db):
    res = run("case", "add", "--name", "张伟")
    assert res.exit_code == 2
    assert "缺少必填的选项 --id、--street、--measure" in res.stderr and "jindu case add -h" in res.stderr
    assert not db.exists()  # refused before the database was opened
