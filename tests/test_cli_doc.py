"""jindu doc: every document read back with python-docx and held to the database; the office's own
templates; a template naming an unknown field; the audit of a document; files private."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from docx_reading import cn, pairs, read, text_of
from support import add_case, make_id, ok, rows, run

AS_OF = ["--as-of", "2026-11-28"]
REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "data" / "templates"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """A document made without --output goes to the current folder: the test's own."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def person(db):
    """A reported 社区戒毒 case with every register field filled (the notes on two lines)."""
    return add_case(
        id=make_id(seq=321), name="王小明", phone="13800005678", household_address="贵州省贵阳市云岩区中华北路 1 号",
        residence_address="贵阳市云岩区盐务街 8 号", community="和平社区", decision_authority="贵阳市公安局云岩分局",
        decision_number="云公（禁）社戒决字〔2024〕12号", decided_on="2024-12-30", received_on="2025-01-02",
        reported_on="2025-01-10", agreement_on="2025-01-10", risk="低", risk_color="蓝", drug=["冰毒", "氯胺酮"],
        worker="李芳", notes="家属配合\n每月电话回访")


def case_row(db, case_id):
    columns = ("name", "id_number", "phone", "household_address", "residence_address", "community", "street",
               "decision_authority", "decision_number", "decided_on", "received_on", "reported_on", "agreement_on",
               "worker", "notes", "drugs", "risk_color")
    [values] = rows(db, f"SELECT {', '.join(columns)} FROM cases WHERE id = ?", [case_id])
    return dict(zip(columns, values))


def shown(db, case_id, *extra):
    """The case as `case show` gives it (term end and status worked out), in full."""
    return ok("case", "show", str(case_id), "-f", "json", "--reveal", *extra, *AS_OF).json()


def make(tmp_path, *args, name="out.docx"):
    target = tmp_path / name
    res = ok("doc", *args, "-o", target, *AS_OF)
    return target, res


def audit_rows(db):
    return [(op, action, json.loads(changes)) for op, action, changes in
            rows(db, "SELECT operator, action, changes FROM audit_log ORDER BY id")]


def test_register_card_holds_every_register_field_in_full(person, db, tmp_path):
    path, _ = make(tmp_path, "register-card", person)
    paragraphs, tables = read(path)
    card = pairs(tables[0])
    entry, full = case_row(db, person), shown(db, person)
    assert card["姓名"] == entry["name"] and card["身份证号"] == entry["id_number"] and card["联系电话"] == entry["phone"]
    assert card["户籍地"] == entry["household_address"] and card["居住地"] == entry["residence_address"]
    assert card["执行地街道"] == entry["street"] and card["社区"] == entry["community"]
    assert card["决定机关"] == entry["decision_authority"] and card["决定书文号"] == entry["decision_number"]
    for label, key in (("决定日期", "decided_on"), ("收到决定书日期", "received_on"), ("报到日期", "reported_on"),
                       ("协议签订日期", "agreement_on")):
        assert card[label] == cn(entry[key]), label
    assert card["期满日期"] == cn(full["term_end"]) and card["报到期限"] == cn(full["report_deadline"])
    assert card["状态"] == full["status"] and card["负责专干"] == entry["worker"]
    assert card["毒品种类"] == "、".join(json.loads(entry["drugs"])) and card["风险颜色"] == entry["risk_color"]
    assert card["备注"] == entry["notes"]  # the line break kept
    assert card["案件编号"] == str(person)
    assert "姓名：" in card["家属联系人"]  # a line to fill in by hand
    assert any(p == "填表单位：云岩区盐务街街道办事处" for p in paragraphs)


def test_an_empty_register_field_says_so_and_nothing_is_left_blank(db, tmp_path):
    case = add_case()  # no phone, addresses, decision
    path, _ = make(tmp_path, "register-card", case)
    card = pairs(read(path)[1][0])
    assert card["联系电话"] == card["户籍地"] == card["决定书文号"] == card["备注"] == "（未登记）"
    text = text_of(path)
    assert "None" not in text and "{{" not in text and "{%" not in text


def test_agreement_names_the_parties_the_term_and_this_persons_cadence(person, db, tmp_path):
    path, _ = make(tmp_path, "agreement", person)
    text = text_of(path)
    entry, full = case_row(db, person), shown(db, person)
    assert read(path)[0][0] == "社区戒毒协议书"
    for value in (entry["name"], entry["id_number"], entry["phone"], entry["household_address"],
                  entry["residence_address"], entry["decision_number"], "云岩区盐务街街道办事处"):
        assert value in text
    assert f"自{cn(entry['reported_on'])}起至{cn(full['term_end'])}止" in text
    # the shipped rules: 社区戒毒 tested monthly in year 1, every 2 months in year 2, every 3 in year 3
    assert "尿液检测第1年每月一次、第2年每2个月一次、第3年每3个月一次" in text
    assert "面对面谈话每月一次" in text and "指定李芳为乙方的负责专干" in text


def test_agreement_follows_a_high_risk_persons_and_a_personal_cadence(person, db, tmp_path):
    ok("case", "update", person, "--risk", "高", *AS_OF)
    text = text_of(make(tmp_path, "agreement", person)[0])
    assert "尿液检测每月一次" in text and "面对面谈话每2周一次" in text
    ok("case", "update", person, "--test-every", "15d", *AS_OF)
    assert "尿液检测每15天一次" in text_of(make(tmp_path, "agreement", person)[0])


def test_agreement_follows_the_offices_rules_and_office_settings(person, db, tmp_path):
    from jindu_cli.domain.reference import packaged_data_dir

    rules = (packaged_data_dir() / "rules.toml").read_text(encoding="utf-8")
    rules = rules.replace('intervals = ["1m", "2m", "3m"]', 'intervals = ["2m"]')
    rules += '\nname = "贵阳市云岩区盐务街街道办事处"\nphone = "0851-86660000"\n'
    (db.parent / "rules.toml").write_text(rules, encoding="utf-8")
    text = text_of(make(tmp_path, "agreement", person)[0])
    assert "尿液检测每2个月一次" in text
    assert "甲方（执行地）：贵阳市云岩区盐务街街道办事处" in text and "联系电话：0851-86660000" in text
    assert "地址：________" in text  # a setting not given: a line to fill in


def test_agreement_needs_a_report_and_changes_nothing_when_refused(db, tmp_path):
    case = add_case(reported_on=None)
    before = rows(db, "SELECT count(*) FROM audit_log")
    res = run("doc", "agreement", case, "-o", tmp_path / "a.docx", *AS_OF)
    assert res.exit_code == 1 and "还没有报到" in res.stderr and "Traceback" not in res.stderr
    assert rows(db, "SELECT count(*) FROM audit_log") == before and not (tmp_path / "a.docx").exists()


def positive(case, day):
    ok("test", "add", case, "--specimen", "尿液", "--result", "阳性", "--substance", "冰毒", "--on", day, *AS_OF)


def test_police_letter_states_the_flag_as_case_flags_shows_it_and_records_nothing(person, db, tmp_path):
    positive(person, "2026-03-04")
    [flag] = ok("case", "flags", "-f", "json", *AS_OF).json()
    path, res = make(tmp_path, "police-letter", person)
    paragraphs, _ = read(path)
    assert paragraphs[0] == f"关于{case_row(db, person)['name']}复吸情况的报告"
    assert paragraphs[1] == "贵阳市公安局云岩分局："  # the decision authority, no [office] police given
    text = "\n".join(paragraphs)
    assert f"{flag['reason']}。该情形产生于{cn(flag['triggered_on'])}" in text
    assert [e["text"] for e in flag["evidence"]] == [p.split("．", 1)[1] for p in paragraphs if "．" in p]
    assert "第三十八条" in text and "2026年11月28日" in paragraphs[-2]
    assert rows(db, "SELECT count(*) FROM police_reports") == [(0,)]
    assert f"jindu case police-report {person}" in res.stderr


def test_police_letter_asks_which_flag_when_there_are_several(person, db, tmp_path):
    positive(person, "2026-03-04")
    positive(person, "2026-05-04")
    res = run("doc", "police-letter", person, "-o", tmp_path / "p.docx", *AS_OF)
    assert res.exit_code == 1 and "2 个尚未报告公安的标记" in res.stderr and "--flag" in res.stderr
    assert not (tmp_path / "p.docx").exists()
    text = text_of(make(tmp_path, "police-letter", person, "--flag", "2")[0])
    assert "该情形产生于2026年5月4日" in text
    res = run("doc", "police-letter", person, "--flag", "复吸", *AS_OF)
    assert res.exit_code == 1 and "请用编号指定" in res.stderr


def test_police_letter_without_an_open_flag_is_refused(person, db, tmp_path):
    res = run("doc", "police-letter", person, *AS_OF)
    assert res.exit_code == 1 and "没有尚未报告公安的标记" in res.stderr
    positive(person, "2026-03-04")
    ok("case", "police-report", person, "--on", "2026-03-05", *AS_OF)
    res = run("doc", "police-letter", person, *AS_OF)
    assert res.exit_code == 1 and "已报告 2026-03-05" in res.stderr
    path, res = make(tmp_path, "police-letter", person, "--flag", "1")  # a copy, chosen on purpose
    assert "已于 2026-03-05 报告过" in res.stderr and path.exists()


def test_release_request_only_after_the_polices_seven_days(db, tmp_path):
    case = add_case(reported_on="2023-11-20", received_on="2023-11-10")  # term ends 2026-11-19
    res = run("doc", "release-request", case, *AS_OF)  # 2026-11-28 is 9 days on: made
    assert res.exit_code == 0, res
    res = run("doc", "release-request", case, "--as-of", "2026-11-26")
    assert res.exit_code == 1 and "2026-11-26 前" in res.stderr
    path, _ = make(tmp_path, "release-request", case)
    text = text_of(path)
    assert "已于2026年11月19日届满" in text and "7日内（2026年11月26日前）" in text and "已超过2日" in text
    assert "《戒毒条例》第二十三条" in text


def test_person_file_lists_every_record_in_date_order(person, db, tmp_path):
    positive(person, "2026-03-04")
    ok("test", "add", person, "--specimen", "尿液", "--result", "阴性", "--on", "2026-02-01", *AS_OF)
    ok("visit", "add", person, "--kind", "谈话", "--on", "2026-02-03", *AS_OF)
    ok("leave", "add", person, "--unreported", "--from", "2026-06-01", "--days", "4", *AS_OF)
    ok("case", "police-report", person, "--on", "2026-03-05", *AS_OF)
    path, _ = make(tmp_path, "person-file", person)
    paragraphs, tables = read(path)
    card, history, marks, events = tables
    assert pairs(card)["身份证号"] == case_row(db, person)["id_number"]
    assert len(history) - 1 == rows(db, "SELECT count(*) FROM status_changes WHERE case_id = ?", [person])[0][0]
    assert marks[1][0] == "复吸" and marks[1][4] == "已报告 2026年3月5日"
    numbered = {r[3] for r in events[1:] if r[3]}
    for table in ("drug_tests", "visits", "leaves", "police_reports"):
        for (record_id,) in rows(db, f"SELECT id FROM {table} WHERE case_id = ?", [person]):
            assert f"#{record_id}" in numbered, table
    dates = [r[0] for r in events[1:]]
    as_dates = [tuple(int(x) for x in d.replace("年", "-").replace("月", "-").rstrip("日").split("-")) for d in dates]
    assert as_dates == sorted(as_dates) and dates[0] == cn("2024-12-30")
    assert [r[1] for r in events[1:]][:4] == ["决定", "决定", "报到", "协议"]
    assert "检测 2 次，走访 1 次，外出 1 次，报告公安 1 次。" in paragraphs


def test_person_file_of_a_person_without_records_says_none(db, tmp_path):
    case = add_case(reported_on=None, received_on="2026-11-20")
    _, tables = read(make(tmp_path, "person-file", case)[0])
    assert tables[1][1:] == [["无"] * 4] and tables[2][1:] == [["无"] * 5]  # (the 15 days have not passed)


def test_worker_ledger_lists_the_month_person_by_person_with_totals(db, tmp_path):
    a = add_case(name="甲一", worker="李芳", reported_on="2026-09-01", received_on="2026-08-25", id=make_id(seq=11))
    b = add_case(name="乙二", worker="李芳", reported_on="2026-09-02", received_on="2026-08-25", id=make_id(seq=12))
    add_case(name="丙三", worker="王磊", id=make_id(seq=13))
    ok("visit", "add", a, "--kind", "谈话", "--on", "2026-11-03", *AS_OF)
    ok("visit", "add", a, "--kind", "谈话", "--on", "2026-10-03", *AS_OF)  # another month
    ok("visit", "add", b, "--kind", "电话", "--on", "2026-11-05", *AS_OF)
    positive(b, "2026-11-10")
    path, res = make(tmp_path, "worker-ledger", "--worker", "李芳", "--period", "2026-11", name="l.docx")
    paragraphs, (entries, work, totals) = read(path)
    assert "专干：李芳　　街道：盐务街街道　　月份：2026年11月　　负责 2 人" in paragraphs
    names = [r[0] for r in entries[1:] if r[0]]
    assert names == ["甲一", "乙二"]
    kinds = [(r[2], r[3]) for r in entries[1:] if r[3] in ("走访", "检测", "标记")]
    assert kinds == [("2026年11月3日", "走访"), ("2026年11月5日", "走访"), ("2026年11月10日", "检测"),
                     ("2026年11月10日", "标记")]
    assert any(r[3] == "月末逾期" for r in entries[1:])
    counted = dict(r for r in totals[1:])
    assert counted["人数"] == "2" and counted["谈话"] == "1" and counted["电话联系"] == "1"
    assert counted["检测"] == "1" and counted["其中阳性"] == "1" and counted["标记"] == "1"
    assert work[1:] == [["无"] * 4] and counted["宣传活动（场）"] == "0"  # (no 宣传 or screening this month)
    assert "台账" in res.stderr
    [(_, action, changes)] = audit_rows(db)[-1:]
    assert action == "reveal" and changes["cases"] == [a, b] and changes["command"] == "doc worker-ledger"


def test_worker_ledger_refuses_an_unknown_worker_and_a_bad_period(db):
    add_case(worker="李芳")
    res = run("doc", "worker-ledger", "--worker", "李方", "--period", "2026-11", *AS_OF)
    assert res.exit_code == 1 and "李芳" in res.stderr
    res = run("doc", "worker-ledger", "--worker", "李芳", "--period", "2026", *AS_OF)
    assert res.exit_code == 1 and "不是一个月份" in res.stderr
    res = run("doc", "worker-ledger", "--worker", "李芳", "--period", "2027-01", *AS_OF)
    assert res.exit_code == 1 and "还没有开始" in res.stderr
    assert run("doc", "worker-ledger", "--period", "2026-11", *AS_OF).exit_code == 2


def test_agreements_of_a_street_for_those_without_one_one_file_each(db, tmp_path, monkeypatch):
    signed = add_case(name="已签", agreement_on="2025-01-10", id=make_id(seq=21))
    unsigned = add_case(name="未签", id=make_id(seq=22))
    add_case(name="未报到", reported_on=None, id=make_id(seq=23))
    add_case(name="别处", street="头桥", id=make_id(seq=24))
    monkeypatch.chdir(tmp_path)
    res = ok("doc", "agreement", "--street", "盐务街", "--missing", *AS_OF)
    folder = tmp_path / "协议书_盐务街街道_2026-11-28"
    assert [p.name for p in folder.iterdir()] == [f"协议书_未签_{unsigned}.docx"]
    assert "1 人还没有报到（未报到）" in res.stderr and "1 人已签订协议" in res.stderr
    assert stat.S_IMODE(os.stat(folder / f"协议书_未签_{unsigned}.docx").st_mode) == 0o600
    [(_, _, changes)] = audit_rows(db)[-1:]
    assert changes["cases"] == [unsigned] and changes["where"] == "协议书_盐务街街道_2026-11-28"
    files = ok("doc", "person-file", "--street", "盐务街", "-o", tmp_path / "档案", *AS_OF)
    assert "3 份一人一档" in files.stderr and len(list((tmp_path / "档案").iterdir())) == 3
    [(_, _, changes)] = audit_rows(db)[-1:]
    assert sorted(changes["cases"]) == sorted([signed, unsigned, signed + 2]) and len(changes["files"]) == 3


def test_a_document_is_audited_as_a_reveal_naming_the_document_and_the_people(person, db, tmp_path):
    path, _ = make(tmp_path, "agreement", person)
    ok("doc", "agreement", person, "-o", path, "--operator", "王五", *AS_OF)
    [(operator, action, changes)] = audit_rows(db)[-1:]
    assert operator == "王五" and action == "reveal"
    assert changes == {"command": "doc agreement", "document": "协议书", "where": str(path),
                       "files": ["协议书_王小明_2026-11-28.docx"], "cases": [person]}
    listed = ok("audit", "list", person, "-f", "json").json()
    assert any(r["action"] == "reveal" and r["changes"]["command"] == "doc agreement" for r in listed)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_default_file_name_is_document_name_and_date(person, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ok("doc", "register-card", person, *AS_OF)
    assert (tmp_path / "登记表_王小明_2026-11-28.docx").exists()
    assert run("doc", "register-card", person, "-o", tmp_path / "x.txt", *AS_OF).exit_code == 1


def write_template(path: Path, source: Path, *paragraphs: str) -> None:
    import docx

    document = docx.Document(str(source))
    for text in paragraphs:
        document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))


def test_an_offices_own_template_beside_the_database_is_used(person, db, tmp_path):
    own = db.parent / "templates" / "agreement.docx"
    write_template(own, SHIPPED / "agreement.docx", "本街道版本：{{ name }}，{{ office_name }}")
    text = text_of(make(tmp_path, "agreement", person)[0])
    assert "本街道版本：王小明，云岩区盐务街街道办事处" in text
    listed = {r["name"]: r["template"] for r in ok("doc", "list", "-f", "json").json()}
    assert listed["agreement"] == str(own) and listed["register-card"] == "内置"


@pytest.mark.parametrize("added, named", [
    ("{{ nickname }}", "nickname"),
    ("{% for e in events %}{{ e.colour }}{% endfor %}", "events[].colour"),
    ("{{ name | nosuchfilter }}", "写法有误"),
])
def test_a_template_naming_an_unknown_field_is_refused_naming_it(person, db, tmp_path, added, named):
    own = db.parent / "templates" / "person-file.docx"
    write_template(own, SHIPPED / "person-file.docx", added)
    before = rows(db, "SELECT count(*) FROM audit_log")
    res = run("doc", "person-file", person, "-o", tmp_path / "f.docx", *AS_OF)
    assert res.exit_code == 1 and named in res.stderr and str(own) in res.stderr, res
    assert not (tmp_path / "f.docx").exists() and rows(db, "SELECT count(*) FROM audit_log") == before


def test_a_template_that_is_not_a_word_file_is_refused(person, db):
    own = db.parent / "templates" / "register-card.docx"
    own.parent.mkdir()
    own.write_text("not a document", encoding="utf-8")
    res = run("doc", "register-card", person, *AS_OF)
    assert res.exit_code == 1 and "不是 Word 文档" in res.stderr


def test_template_gives_the_shipped_file_and_fields_list_every_field_it_uses(tmp_path):
    res = ok("doc", "template", "agreement")
    assert res.stdout_bytes == (SHIPPED / "agreement.docx").read_bytes()
    ok("doc", "template", "police-letter", "-o", tmp_path / "p.docx")
    assert (tmp_path / "p.docx").read_bytes() == (SHIPPED / "police-letter.docx").read_bytes()
    fields = ok("doc", "fields", "police-letter", "-f", "json").json()
    names = {f["field"] for f in fields}
    assert {"name", "id_number", "flag", "evidence", "evidence[].text", "office_name"} <= names
    assert all(f["meaning"] for f in fields)
    assert run("doc", "fields", "nosuchdoc").exit_code == 1


def test_shipped_templates_are_what_the_script_makes(tmp_path):
    subprocess.run([sys.executable, str(REPO / "tools" / "make_templates.py"), str(tmp_path)], check=True,
                   capture_output=True)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in SHIPPED.iterdir())
    for name in made:
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), name


def test_a_person_or_a_street_not_both_nor_neither(person):
    assert run("doc", "agreement", *AS_OF).exit_code == 1
    assert run("doc", "agreement", person, "--street", "盐务街", *AS_OF).exit_code == 1
    res = run("doc", "police-letter", "--street", "盐务街", *AS_OF)
    assert res.exit_code == 2
    res = run("doc", "register-card", "--street", "盐务街", "--missing", *AS_OF)
    assert res.exit_code == 2
