"""An office's 宣传台账 and 筛查台账 imported (CSV and .xlsx, headers as offices write them): every
good row in, every bad row reported with its line, column and reason, the same file twice found; a
visit log's 帮扶 results; each new kind exported in the columns the import reads, and back."""

import csv
import io
import json
import re
from datetime import datetime

import openpyxl

from support import add_case, make_id, ok, rows, run
from test_cli_month import dump, listed

NOW = ["--as-of", "2026-11-28"]

LEDGER = """盐务街街道禁毒宣传工作台账（2026年）
序号,日期,活动名称,地点,对象,参加人数,发放资料份数,合作单位,备注
1,2026/9/1,开学第一课禁毒教育,盐务街小学,学生、教师,420,500,盐务街派出所,
2,2026年10月12日,关爱青少年主题活动,社区广场,居民,80,100,,
3,2026-10-13,禁毒知识问答,和平社区,居民,60,60,,
4,2026-11-31,广场宣传,广场,居民,100,200,,
5,2026-11-05,广场宣传,广场,游客,100,200,,
6,2026-11-06,进企业宣传,某公司,企业职工,三十,20,,
7,2026-11-07,社区禁毒宣传栏更新,社区,,,,,
填表人：李芳
"""


def imported(*args, code: int = 0) -> dict:
    res = run("import", *args, "-f", "json", *NOW)
    assert res.exit_code == code, res
    [report] = res.json()
    return report


def test_a_publicity_ledger_every_good_row_in_every_bad_row_told(db, tmp_path):
    path = tmp_path / "宣传台账.csv"
    path.write_text(LEDGER, encoding="utf-8")
    ok("activity", "list")
    before = dump(db)
    failed = imported("activities", path, code=1)  # no 街道 column, and no --street: nothing read
    assert failed["status"] == "failed" and "--street" in failed["message"] and dump(db) == before
    report = imported("activities", path, "--street", "盐务街", code=1)
    assert (report["rows"], report["inserted"], report["rejected"]) == (7, 3, 4)
    assert report["above_header"] == 1 and report["note_lines"] == 1
    problems = {e["line"]: (e["column"], e["value"], e["reason"]) for e in report["errors"]}
    assert problems[4][:2] == ("活动名称", "关爱青少年主题活动") and "活动名称里也看不出" in problems[4][2]
    assert problems[6][:2] == ("日期", "2026-11-31") and "不存在" in problems[6][2]
    assert problems[7][:2] == ("对象", "游客") and "audiences.toml" in problems[7][2]
    assert problems[8][:2] == ("参加人数", "三十")
    got = {a["held_on"]: a for a in listed("activity", "list")}
    assert (got["2026-09-01"]["kind"], got["2026-09-01"]["audience"], got["2026-09-01"]["partners"]) == \
        ("开学第一课", ["学生", "教师"], "盐务街派出所")
    assert got["2026-11-07"]["kind"] == "宣传栏" and got["2026-10-13"]["street"] == "盐务街街道"
    assert rows(db, "SELECT count(*) FROM activities WHERE import_id = ?", [report["ledger_id"]]) == [(3,)]
    # the same bytes again: found, nothing done
    again = imported("activities", path, "--street", "盐务街")
    assert again["status"] == "duplicate" and "改正了选择表或设定以后" in again["message"]
    # the office fixes the rows and sends the whole ledger again, one figure corrected: the rows in
    # before are unchanged (the corrected one updated, audited), the fixed ones go in
    fixed = (LEDGER.replace("关爱青少年主题活动", "关爱青少年进社区活动").replace("2026-11-31", "2026-11-21")
             .replace("游客", "居民").replace("三十", "30").replace("420,500", "430,500"))
    path.write_text(fixed, encoding="utf-8")
    report = imported("activities", path, "--street", "盐务街")
    assert (report["inserted"], report["updated"], report["unchanged"], report["rejected"]) == (4, 1, 2, 0)
    assert report["updated_fields"] == {"participants": 1}
    [(changes,)] = rows(db, "SELECT changes FROM audit_log WHERE entity = 'activity' AND action = 'update'")
    assert json.loads(changes) == {"participants": [420, 430]}
    assert len(listed("activity", "list")) == 7


def test_a_screening_ledger_from_a_workbook(db, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "11月"
    sheet.append(["日期", "街道", "筛查对象", "检测样本", "筛查人数", "阳性人数", "地点", "组织单位"])
    sheet.append([datetime(2026, 11, 3), "头桥", "司机", "毛发", 80, 1, "公交站", "派出所"])
    sheet.append([46330, "头桥", "娱乐场所", "尿检", 30.0, 0, "KTV", None])  # (an Excel day number: 2026-11-04)
    sheet.append(["2026-11-04", "头桥", "外卖员", "尿检", 30, 0, None, None])
    sheet.append(["2026-11-04", "头桥", "驾驶员", "尿检", 3, 5, None, None])
    book.save(tmp_path / "筛查.xlsx")
    report = imported("screenings", tmp_path / "筛查.xlsx", code=1)
    assert (report["rows"], report["inserted"], report["rejected"]) == (4, 2, 2)
    problems = {e["line"]: (e["column"], e["reason"]) for e in report["errors"]}
    assert problems[4][0] == "筛查对象" and "screen_groups.toml" in problems[4][1]
    assert problems[5] == ("阳性人数", "5 人多于筛查人数（3 人）")
    got = listed("screen", "list")
    assert [(s["screened_on"], s["screened_group"], s["specimen"], s["tested"]) for s in got] == [
        ("2026-11-04", "娱乐场所从业人员", "尿液", 30), ("2026-11-03", "驾驶员", "毛发", 80)]
    assert imported("screenings", tmp_path / "筛查.xlsx")["status"] == "duplicate"
    assert run("import", "cases", tmp_path / "筛查.xlsx", "--street", "头桥", *NOW).exit_code == 1


def test_each_new_kind_exports_in_the_columns_its_import_reads(db, tmp_path):
    ok("activity", "add", "--kind", "进校园", "--on", "2026-11-12", "--street", "盐务街", "--place", "小学",
       "--audience", "学生、教师", "--participants", "320", "--materials", "400", "--worker", "李芳", *NOW)
    ok("activity", "add", "--kind", "入户调查", "--on", "2026-11-20", "--street", "头桥", "--households", "45",
       "--clues", "2", "--clues-referred", "1", *NOW)
    ok("screen", "add", "--group", "驾驶员", "--on", "2026-11-06", "--street", "盐务街", "--specimen", "毛发",
       "--tested", "120", "--positives", "1", *NOW)
    ok("screen", "refer", "1", "--id", make_id(seq=801), "--name", "某", *NOW)
    text = ok("export", "activities").stdout.lstrip("\ufeff")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["日期", "活动类别", "活动名称", "街道", "社区", "地点", "对象", "参加人数", "发放资料份数", "入户户数",
                        "发现线索", "移交公安线索", "合作单位", "专干", "备注"]
    assert table[1] == ["2026-11-12", "进校园", "", "盐务街街道", "", "小学", "学生、教师", "320", "400", "", "", "", "",
                        "李芳", ""]
    assert [r[0] for r in table[1:]] == ["2026-11-12", "2026-11-20"]  # oldest first
    assert [r[0] for r in csv.reader(io.StringIO(ok("export", "activities", "--street", "头桥").stdout))][1:] == \
        ["2026-11-20"]
    screened = list(csv.reader(io.StringIO(ok("export", "screenings").stdout.lstrip("\ufeff"))))
    assert screened[0][:9] == ["筛查日期", "街道", "社区", "地点", "筛查对象", "检测样本", "筛查人数", "阳性人数", "已移交公安人数"]
    assert screened[1][:9] == ["2026-11-06", "盐务街街道", "", "", "驾驶员", "毛发", "120", "1", "1"]
    for kind, table in (("activities", "activities"), ("screenings", "screenings")):
        ok("export", kind, "-o", tmp_path / f"{kind}.xlsx")
        before = rows(db, f"SELECT * FROM {table}")
        report = imported(kind, tmp_path / f"{kind}.xlsx")
        assert (report["inserted"], report["updated"], report["unchanged"], report["rejected"]) == (0, 0, len(before), 0)
        assert rows(db, f"SELECT * FROM {table}") == before


def test_a_screening_ledger_s_referred_count_is_checked_and_what_is_not_registered_is_said(db, tmp_path):
    """已移交公安人数 is not thrown away unseen: more than the positives is refused; more than the people
    registered with screen refer is said (the report counts those); jindu's own export comes back quiet."""
    path = tmp_path / "筛查台账.csv"
    path.write_text("筛查日期,街道,筛查对象,检测样本,筛查人数,阳性人数,已移交公安人数\n"
                    "2026-11-05,盐务街,驾驶员,尿液,30,2,2\n2026-11-06,盐务街,驾驶员,毛发,30,1,3\n"
                    "2026-11-07,盐务街,驾驶员,尿液,30,1,两\n", encoding="utf-8")
    res = run("import", "screenings", path, *NOW)
    assert res.exit_code == 1
    assert re.search(r"3\s+已移交公安人数\s+3\s+3 人多于阳性人数（1 人）", res.stdout), res.stdout
    assert re.search(r"4\s+已移交公安人数\s+两\s+“两”应为 0 到", res.stdout), res.stdout
    assert "“已移交公安人数”比登记的移交人员多 2 人" in res.stderr and "jindu screen refer" in res.stderr
    [session] = ok("screen", "list", "-f", "json").json()
    for seq in (901, 902):
        ok("screen", "refer", str(session["screening_id"]), "--id", make_id(seq=seq), "--name", "某", *NOW)
    ok("export", "screenings", "-o", tmp_path / "导出.csv")
    report = imported("screenings", tmp_path / "导出.csv")
    assert (report["unchanged"], report["referrals_untold"]) == (1, 0)
    # a ledger without 阳性人数 leaves the session's as it is: its count of referrals is not refused for it
    (tmp_path / "移交.csv").write_text("筛查日期,街道,筛查对象,检测样本,筛查人数,已移交公安人数\n"
                                      "2026-11-05,盐务街,驾驶员,尿液,30,2\n", encoding="utf-8")
    report = imported("screenings", tmp_path / "移交.csv")
    assert (report["unchanged"], report["rejected"], report["referrals_untold"]) == (1, 0, 0)


def test_a_ledger_has_no_one_to_reveal_and_says_so(db, tmp_path):
    """--reveal is for the exports that hold people: on a ledger it is refused, not silently taken
    (nor audited as a reveal), and its help does not offer it."""
    ok("activity", "add", "--kind", "进校园", "--on", "2026-11-12", "--street", "盐务街", *NOW)
    for kind in ("activities", "screenings"):
        res = run("export", kind, "--reveal", "-o", tmp_path / f"{kind}.csv")
        assert res.exit_code == 1 and "--reveal：台账里没有身份证号和电话" in res.stderr
        assert not (tmp_path / f"{kind}.csv").exists()
        assert "--reveal" not in ok("export", kind, "-h").stdout
    assert "--reveal" in ok("export", "cases", "-h").stdout
    assert rows(db, "SELECT * FROM audit_log WHERE action = 'reveal'") == []


def test_a_visit_logs_help_results_import_and_export_and_back(db, tmp_path):
    number = make_id(seq=811)
    add_case(id=number)
    log = tmp_path / "帮扶.csv"
    log.write_text("身份证号,走访日期,走访方式,类别,就业安置,获得救助,救助金额(元),转介单位\n"
                   f"{number},2026-11-05,帮扶,就业,是,,,区人社局\n"
                   f"{number},2026-11-06,帮扶,救助,,,\"1,200元\",\n"
                   f"{number},2026-11-07,帮扶,救助,,否,300,\n"
                   f"{number},2026-11-08,谈话,,是,,,\n"
                   f"{number},2026-11-09,谈话,,,,,\n", encoding="utf-8")
    report = imported("visits", log, code=1)
    assert (report["inserted"], report["rejected"]) == (3, 2)
    problems = {e["line"]: (e["column"], e["reason"]) for e in report["errors"]}
    assert problems[4] == ("救助金额(元)", "写了救助金额，获得救助却是 否")
    assert problems[5][0] == "就业安置" and "只用于类别为就业的帮扶" in problems[5][1]
    got = {v["visited_on"]: v for v in listed("visit", "list")}
    assert (got["2026-11-05"]["placed"], got["2026-11-05"]["referred_to"]) == (True, "区人社局")
    assert (got["2026-11-06"]["aid_granted"], got["2026-11-06"]["aid_amount"]) == (True, 1200)
    assert not got["2026-11-09"]["placed"] and got["2026-11-09"]["aid_amount"] is None
    ok("export", "visits", "--reveal", "-o", tmp_path / "out.csv")
    header = next(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8-sig"))))
    assert header[9:13] == ["就业安置", "获得救助", "救助金额(元)", "转介单位"]
    before = rows(db, "SELECT * FROM visits")
    back = imported("visits", tmp_path / "out.csv")
    assert (back["inserted"], back["unchanged"], back["rejected"]) == (0, 3, 0)
    assert rows(db, "SELECT * FROM visits") == before


def test_a_register_imported_links_the_referrals_of_the_people_it_registers(db, tmp_path):
    ok("screen", "add", "--group", "驾驶员", "--street", "盐务街", "--specimen", "毛发", "--tested", "10",
       "--positives", "1", "--on", "2026-11-06", *NOW)
    number = make_id(seq=821)
    ok("screen", "refer", "1", "--id", number, "--name", "赵六", *NOW)
    register = tmp_path / "登记表.csv"
    register.write_text(f"身份证号,姓名,街道,措施,收到决定书日期\n{number},赵六,盐务街,社区戒毒,2026-11-20\n"
                        f"{make_id(seq=822)},钱七,盐务街,社区戒毒,2026-11-20\n", encoding="utf-8")
    res = run("import", "cases", register, *NOW)
    assert res.exit_code == 0, res
    assert "1 人次曾在筛查中阳性并移交公安" in res.stderr
    [(case,)] = rows(db, "SELECT id FROM cases WHERE id_number = ?", [number])
    assert rows(db, "SELECT case_id FROM screening_referrals") == [(case,)]
