"""Visits, drug tests and leave: recording, listing, correcting, and the window guards."""

import csv
import io

import pytest

from support import add_case, make_id, ok, rows, run

AS_OF = ["--as-of", "2026-11-28"]


@pytest.fixture
def case(db):
    # reported 2025-01-10: the term runs to 2028-01-09
    return add_case(worker="李芳")


def test_visit_add_prints_its_id_and_defaults_outcome_and_worker(case, db):
    res = ok("visit", "add", case, "--kind", "入户走访", "--on", "2026-11-20", "--notes", "家属配合", *AS_OF)
    assert res.stdout == "1\n" and "已记录" in res.stderr
    assert rows(db, "SELECT case_id, visited_on, kind, outcome, worker, notes, forced FROM visits") == [
        (case, "2026-11-20", "home_visit", "seen", "李芳", "家属配合", 0)]
    assert rows(db, "SELECT action, entity, entity_id, case_id FROM audit_log WHERE entity = 'visit'") == [
        ("add", "visit", 1, case)]


@pytest.mark.parametrize("kind,outcome,face", [
    ("谈话", "见到本人", True), ("电话联系", "已接通", False), ("入户走访", "未见到本人", False),
    ("home-visit", "拒绝配合", False), ("帮扶", "seen", True),
])
def test_face_to_face_follows_from_kind_and_outcome(case, kind, outcome, face):
    ok("visit", "add", case, "--kind", kind, "--outcome", outcome, "--on", "2026-11-20", *AS_OF)
    assert ok("visit", "list", "-f", "json").json()[0]["face_to_face"] is face


def test_a_phone_call_has_the_outcomes_of_a_call(case):
    ok("visit", "add", case, "--kind", "电话联系", "--on", "2026-11-20", *AS_OF)
    ok("visit", "add", case, "--kind", "电话", "--outcome", "无人接听", "--on", "2026-11-21", *AS_OF)
    listed = ok("visit", "list", "-f", "json").json()
    assert [v["outcome"] for v in listed] == ["未接通", "已接通"]
    res = run("visit", "add", case, "--kind", "电话联系", "--outcome", "见到本人", "--on", "2026-11-22", *AS_OF)
    assert res.exit_code == 1 and "电话联系的结果是 已接通、未接通 或 拒接" in res.stderr
    res = run("visit", "add", case, "--kind", "谈话", "--outcome", "已接通", "--on", "2026-11-22", *AS_OF)
    assert res.exit_code == 1 and "已接通只用于电话联系" in res.stderr
    # a call corrected into a talk takes a meeting's outcome
    ok("visit", "update", listed[1]["visit_id"], "--kind", "谈话", *AS_OF)
    assert ok("visit", "list", "-f", "json").json()[1]["outcome"] == "见到本人"


def test_help_and_assessment_have_their_categories(case):
    ok("visit", "add", case, "--kind", "帮扶", "--sub-kind", "就业", "--on", "2026-11-20", *AS_OF)
    ok("visit", "add", case, "--kind", "评估", "--sub-kind", "半年小结", "--on", "2026-11-21", *AS_OF)
    listed = ok("visit", "list", "-f", "json").json()
    assert [(v["kind"], v["sub_kind"]) for v in listed] == [("评估", "半年小结"), ("帮扶", "就业")]
    res = run("visit", "add", case, "--kind", "谈话", "--sub-kind", "就业", "--on", "2026-11-20", *AS_OF)
    assert res.exit_code == 1 and "类别" in res.stderr
    res = run("visit", "add", case, "--kind", "帮扶", "--sub-kind", "发钱", "--on", "2026-11-20", *AS_OF)
    assert res.exit_code == 1 and "帮扶类别" in res.stderr


def test_visit_list_filters(db):
    a = add_case(worker="李芳")
    b = add_case(id=make_id(seq=555), name="周文", street="头桥", worker="赵敏")
    ok("visit", "add", a, "--kind", "谈话", "--on", "2026-10-01", *AS_OF)
    ok("visit", "add", a, "--kind", "电话联系", "--on", "2026-11-01", "--worker", "王磊", *AS_OF)
    ok("visit", "add", b, "--kind", "谈话", "--on", "2026-11-15", *AS_OF)

    def ids(*args):
        return [v["visit_id"] for v in ok("visit", "list", "-f", "json", *args).json()]

    assert ids() == [3, 2, 1]
    assert ids("--case", a) == [2, 1]
    assert ids("--case", "周文") == [3]
    assert ids("--street", "头桥街道") == [3]
    assert ids("--worker", "王磊") == [2]
    assert ids("--kind", "谈话") == [3, 1]
    assert ids("--from", "2026-11-01") == [3, 2]
    assert ids("--from", "2026-10-01", "--to", "2026-11-01") == [2, 1]
    assert ids("--from", "2026-11", "--to", "2026-11") == [3, 2]  # a month: its first day to its last
    assert ids("--from", "2026年10月", "--to", "2026.10") == [1]
    assert ids("--to", "2026-10") == [1] and ids("--from", "2026") == [3, 2, 1]
    text = ok("visit", "list", "-f", "csv").stdout
    assert [r["visit_id"] for r in csv.DictReader(io.StringIO(text))] == ["3", "2", "1"]
    assert make_id() not in text
    res = run("visit", "list", "--from", "2026-11-02", "--to", "2026-11-01")
    assert res.exit_code == 1 and "--to" in res.stderr
    res = run("visit", "list", "--from", "2026-13")
    assert res.exit_code == 1 and "--from" in res.stderr and "月份不对" in res.stderr


def test_visit_update_corrects_and_audits(case, db):
    ok("visit", "add", case, "--kind", "谈话", "--on", "2026-11-20", *AS_OF)
    res = ok("visit", "update", "1", "--kind", "入户走访", "--outcome", "未见到本人", *AS_OF)
    assert "入户走访" in res.stderr
    assert rows(db, "SELECT kind, outcome FROM visits") == [("home_visit", "not_seen")]
    changes = rows(db, "SELECT changes FROM audit_log WHERE entity = 'visit' AND action = 'update'")[0][0]
    assert '"kind": ["talk", "home_visit"]' in changes
    assert run("visit", "update", "9", "--kind", "谈话").exit_code == 1


def test_drug_test_add_list_update(case, db):
    res = ok("test", "add", case, "--specimen", "尿检", "--result", "阴性", "--on", "2026-11-01",
             "--tester", "王磊", "--sample-number", "YW-001", *AS_OF)
    assert res.stdout == "1\n"
    ok("test", "add", case, "--specimen", "毛发", "--method", "实验室检测", "--result", "negative",
       "--on", "2026-11-02", *AS_OF)
    listed = ok("test", "list", "-f", "json").json()
    assert [(t["specimen"], t["method"], t["result"]) for t in listed] == [
        ("毛发", "实验室检测", "阴性"), ("尿液", "现场检测", "阴性")]
    assert [t["test_id"] for t in ok("test", "list", "-f", "json", "--specimen", "urine").json()] == [1]
    assert [t["test_id"] for t in ok("test", "list", "-f", "json", "--tester", "王磊").json()] == [1]
    assert [t["test_id"] for t in ok("test", "list", "-f", "json", "--to", "2026-11-01").json()] == [1]
    res = run("test", "add", case, "--specimen", "尿液", "--result", "阴性", "--substance", "冰毒",
              "--on", "2026-11-03", *AS_OF)
    assert res.exit_code == 1 and "只有阳性" in res.stderr
    res = run("test", "add", case, "--specimen", "指甲", "--result", "阴性", "--on", "2026-11-03", *AS_OF)
    assert res.exit_code == 1 and "检测样本" in res.stderr
    ok("test", "update", "1", "--result", "阳性", "--substance", "K粉", *AS_OF)
    assert rows(db, "SELECT result, substances FROM drug_tests WHERE id = 1") == [("positive", '["氯胺酮"]')]
    ok("test", "update", "1", "--result", "阴性", *AS_OF)
    assert rows(db, "SELECT result, substances FROM drug_tests WHERE id = 1") == [("negative", "[]")]


def test_leave_report_close_and_absence(case, db):
    res = ok("leave", "add", case, "--from", "2026-11-01", "--to", "2026-11-10", "--destination", "遵义",
             "--reason", "探亲", "--approved-by", "王主任", *AS_OF)
    assert res.stdout == "1\n"
    assert [l["leave_id"] for l in ok("leave", "list", "--open", "-f", "json", *AS_OF).json()] == [1]
    res = ok("leave", "close", "1", "--returned-on", "2026-11-12", *AS_OF)
    assert "晚 2 天" in res.stderr
    assert ok("leave", "list", "--open", "-f", "json", *AS_OF).json() == []
    assert run("leave", "close", "1", *AS_OF).exit_code == 1
    ok("leave", "add", case, "--unreported", "--from", "2026-10-01", "--days", "5", *AS_OF)
    listed = ok("leave", "list", "-f", "json", "--kind", "擅离", *AS_OF).json()
    assert [(l["kind"], l["days"]) for l in listed] == [("擅离", 5)]
    ongoing = ok("leave", "add", case, "--unreported", "--from", "2026-11-18", *AS_OF).stdout.strip()
    shown = {l["leave_id"]: l for l in ok("leave", "list", "-f", "json", *AS_OF).json()}
    assert shown[int(ongoing)]["days"] == 10 and shown[int(ongoing)]["open"] is True
    res = run("leave", "add", case, "--from", "2026-11-01", "--days", "3", *AS_OF)
    assert res.exit_code == 1 and "只有擅离" in res.stderr


GUARDS = [
    ("2026-11-29", {}, "晚于今天"),
    ("2025-01-09", {}, "早于报到日期"),
    ("2028-01-10", {"as_of": "2028-02-01"}, "晚于期满日期"),
]


@pytest.mark.parametrize("noun,extra", [
    ("visit", ["--kind", "谈话"]),
    ("test", ["--specimen", "尿液", "--result", "阴性"]),
    ("leave", []),
])
@pytest.mark.parametrize("day,setup,words", GUARDS)
def test_window_guards_refuse_then_force_records_and_audits(case, db, noun, extra, day, setup, words):
    as_of = ["--as-of", setup.get("as_of", "2026-11-28")]
    date_opt = "--from" if noun == "leave" else "--on"
    table = {"visit": "visits", "test": "drug_tests", "leave": "leaves"}[noun]
    before = db.read_bytes()
    res = run(noun, "add", case, date_opt, day, *extra, *as_of)
    assert res.exit_code == 1 and words in res.stderr and "--force" in res.stderr
    assert db.read_bytes() == before
    ok(noun, "add", case, date_opt, day, *extra, "--force", *as_of)
    assert rows(db, f"SELECT forced FROM {table}") == [(1,)]
    audited = rows(db, "SELECT changes FROM audit_log WHERE action = 'add' AND entity != 'case'")[0][0]
    assert '"forced"' in audited and words in audited


def test_guard_inside_a_suspension_and_on_a_closed_case(case, db):
    ok("case", "update", case, "--status", "中止", "--on", "2026-03-01", "--reason", "拘留", *AS_OF)
    ok("case", "update", case, "--status", "在执行", "--on", "2026-03-20", *AS_OF)
    res = run("visit", "add", case, "--kind", "谈话", "--on", "2026-03-10", *AS_OF)
    assert res.exit_code == 1 and "中止期间" in res.stderr
    ok("visit", "add", case, "--kind", "谈话", "--on", "2026-03-20", *AS_OF)  # the day of release is fine
    ok("case", "update", case, "--status", "终止", "--on", "2026-10-01", "--reason", "强制隔离戒毒", *AS_OF)
    res = run("test", "add", case, "--specimen", "尿液", "--result", "阴性", "--on", "2026-10-05", *AS_OF)
    assert res.exit_code == 1 and "已于 2026-10-01 终止" in res.stderr
    ok("test", "add", case, "--specimen", "尿液", "--result", "阴性", "--on", "2026-09-30", *AS_OF)
    ok("test", "add", case, "--specimen", "尿液", "--result", "阴性", "--on", "2026-10-05", "--force", *AS_OF)


def test_pending_case_has_no_window_yet(db):
    cid = add_case(reported_on=None, received_on="2026-11-20")
    res = run("visit", "add", cid, "--kind", "谈话", "--on", "2026-11-21", *AS_OF)
    assert res.exit_code == 1 and "还没有报到" in res.stderr


def test_correcting_a_date_into_a_bad_window_is_guarded_too(case, db):
    ok("test", "add", case, "--specimen", "尿液", "--result", "阴性", "--on", "2026-11-01", *AS_OF)
    res = run("test", "update", "1", "--on", "2024-12-01", *AS_OF)
    assert res.exit_code == 1 and "早于报到日期" in res.stderr
    assert rows(db, "SELECT tested_on FROM drug_tests") == [("2026-11-01",)]


@pytest.mark.parametrize("noun, add", [
    ("visit", ["--kind", "谈话", "--on", "2026-11-20"]),
    ("test", ["--specimen", "尿液", "--result", "阴性", "--on", "2026-11-20"]),
    ("leave", ["--from", "2026-11-20", "--to", "2026-11-25", "--destination", "遵义"]),
])
def test_a_listing_takes_the_person_as_add_does(db, noun, add):
    mine = add_case()
    other = add_case(id=make_id(seq=556), name="李四")
    for cid in (mine, other):
        ok(noun, "add", cid, *add, *AS_OF)
    by_argument = ok(noun, "list", mine, "-f", "json").json()
    assert [r["case_id"] for r in by_argument] == [mine]
    assert ok(noun, "list", "--case", str(mine), "-f", "json").json() == by_argument
    assert ok(noun, "list", "张伟", "--case", str(mine), "-f", "json").json() == by_argument
    refused = run(noun, "list", str(mine), "--case", str(other))
    assert refused.exit_code == 1 and "两个人" in refused.stderr
