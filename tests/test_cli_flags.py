"""The consequences derived from the records (R3, R7, R8), pinned at their edges."""

import pytest

from support import add_case, make_id, ok, rows, run

AS_OF = ["--as-of", "2026-11-28"]


@pytest.fixture
def case(db):
    return add_case()  # reported 2025-01-10, term to 2028-01-09


def flags(case_id=None, *args):
    listed = ok("case", "flags", "-f", "json", *args, *AS_OF).json()
    return [f for f in listed if case_id is None or f["case_id"] == case_id]


def refuse(case, day, result="拒检"):
    return ok("test", "add", case, "--specimen", "尿液", "--result", result, "--on", day, *AS_OF)


def test_two_refusals_are_no_flag_three_are(case):
    refuse(case, "2026-01-05")
    refuse(case, "2026-03-05", "逃检")
    assert flags(case) == []
    res = refuse(case, "2026-05-05")
    assert "严重违反协议" in res.stderr and "报告公安" in res.stderr
    [flag] = flags(case)
    assert flag["flag"] == "严重违反协议" and flag["triggered_on"] == "2026-05-05"
    assert [e["on"] for e in flag["evidence"]] == ["2026-01-05", "2026-03-05", "2026-05-05"]
    assert [e["record_id"] for e in flag["evidence"]] == [1, 2, 3]
    assert flag["police_reported_on"] is None


def test_invalid_and_negative_results_do_not_count(case):
    refuse(case, "2026-01-05")
    refuse(case, "2026-02-05")
    refuse(case, "2026-03-05", "无效")
    refuse(case, "2026-04-05", "阴性")
    assert flags(case) == []


def test_correcting_a_refusal_clears_the_flag_it_caused(case, db):
    for day in ("2026-01-05", "2026-03-05", "2026-05-05"):
        refuse(case, day)
    assert len(flags(case)) == 1
    ok("test", "update", "2", "--result", "阴性", *AS_OF)
    assert flags(case) == []
    assert rows(db, "SELECT result FROM drug_tests ORDER BY id") == [("refused",), ("negative",), ("refused",)]


def absent(case, day, days):
    return ok("leave", "add", case, "--unreported", "--from", day, "--days", days, *AS_OF)


def test_thirty_days_away_is_no_flag_thirty_one_is(case):
    absent(case, "2026-02-01", "20")
    absent(case, "2026-06-01", "10")
    assert flags(case) == []
    case2 = add_case(id=make_id(seq=777), name="李四")
    absent(case2, "2026-02-01", "20")
    res = absent(case2, "2026-06-01", "11")
    assert "严重违反协议" in res.stderr
    [flag] = flags(case2)
    assert flag["reason"] == "擅离累计 31 天"
    assert flag["triggered_on"] == "2026-06-11"  # the 31st day away
    assert [e["entity"] for e in flag["evidence"]] == ["leave", "leave"]


def test_three_absences_are_a_flag_whatever_their_length(case):
    absent(case, "2026-02-01", "1")
    absent(case, "2026-03-01", "1")
    assert flags(case) == []
    absent(case, "2026-04-01", "1")
    [flag] = flags(case)
    assert flag["reason"] == "擅离 3 次" and flag["triggered_on"] == "2026-04-01"


def test_reported_leave_is_never_counted(case):
    for month in ("02", "03", "04"):
        leave = ok("leave", "add", case, "--from", f"2026-{month}-01", "--to", f"2026-{month}-20", *AS_OF).stdout
        ok("leave", "close", leave.strip(), "--returned-on", f"2026-{month}-20", *AS_OF)
    assert flags(case) == []


@pytest.mark.parametrize("as_of, raised", [("2026-11-23", False), ("2026-11-24", True), ("2026-11-25", True)])
def test_a_leave_not_closed_asks_for_its_return_then_raises_overdue_return(case, as_of, raised):
    """§9.14: planned back 2026-11-20; 销假 due that day; three days on (a setting), 逾期未归 from the
    fourth day (11-24), answered by the 销假 or by recording the days as 擅离."""
    leave = ok("leave", "add", case, "--from", "2026-11-10", "--to", "2026-11-20", "--destination", "遵义",
               "--as-of", "2026-11-10").stdout.strip()
    items = [d for d in ok("due", "-f", "json", "--as-of", as_of).json() if d["case_id"] == int(case)]
    back = [d for d in items if d["item"] == "leave_return"]
    assert [(d["due_on"], d["rule"]) for d in back] == [("2026-11-20", "R6/§9.14")]
    assert f"jindu leave close {leave} --returned-on" in back[0]["reason"]
    found = [f for f in ok("case", "flags", case, "-f", "json", "--as-of", as_of).json() if f["kind"] == "overdue_return"]
    assert [f["triggered_on"] for f in found] == (["2026-11-24"] if raised else [])
    ok("leave", "close", leave, "--returned-on", "2026-11-22", "--as-of", as_of)
    assert not [f for f in ok("case", "flags", case, "-f", "json", "--as-of", as_of).json()
                if f["kind"] == "overdue_return"]
    assert not [d for d in ok("due", "-f", "json", "--as-of", as_of).json() if d["item"] == "leave_return"]


def test_positive_the_day_before_reporting_is_refused_and_not_counted(case):
    res = run("test", "add", case, "--specimen", "尿液", "--result", "阳性", "--on", "2025-01-09", *AS_OF)
    assert res.exit_code == 1 and "早于报到日期" in res.stderr
    ok("test", "add", case, "--specimen", "尿液", "--result", "阳性", "--on", "2025-01-09", "--force", *AS_OF)
    assert flags(case) == []


def test_positive_on_the_last_day_of_the_term_counts(db):
    cid = add_case(received_on="2023-06-01", reported_on="2023-06-10")  # last day 2026-06-09
    res = run("test", "add", cid, "--specimen", "尿液", "--result", "阳性", "--on", "2026-06-10", *AS_OF)
    assert res.exit_code == 1 and "晚于期满日期 2026-06-09" in res.stderr
    res = ok("test", "add", cid, "--specimen", "尿液", "--result", "阳性", "--substance", "冰毒",
             "--on", "2026-06-09", *AS_OF)
    assert "复吸" in res.stderr
    [flag] = flags(cid)
    assert flag["flag"] == "复吸" and flag["triggered_on"] == "2026-06-09"
    assert "甲基苯丙胺" in flag["reason"]


def test_each_positive_is_its_own_relapse_and_a_police_report_answers_earlier_ones(case, db):
    ok("test", "add", case, "--specimen", "尿液", "--result", "阳性", "--on", "2026-03-01", *AS_OF)
    assert [f["flag"] for f in flags(case)] == ["复吸"]
    res = ok("case", "police-report", case, "--on", "2026-03-02", "--reference", "云公禁〔2026〕8号", *AS_OF)
    assert res.stdout.strip() == "1"
    assert rows(db, "SELECT matter, reference FROM police_reports") == [("复吸", "云公禁〔2026〕8号")]
    assert flags(case)[0]["police_reported_on"] == "2026-03-02"
    assert flags(case, "--unreported") == []
    ok("test", "add", case, "--specimen", "毛发", "--result", "阳性", "--on", "2026-09-01", *AS_OF)
    assert [(f["triggered_on"], f["police_reported_on"]) for f in flags(case)] == [
        ("2026-03-01", "2026-03-02"), ("2026-09-01", None)]
    assert [f["triggered_on"] for f in flags(case, "--unreported")] == ["2026-09-01"]
    assert run("case", "police-report", case, "--on", "2026-12-01", *AS_OF).exit_code == 1


def test_overdue_report_is_a_flag(db):
    cid = add_case(reported_on=None, received_on="2026-11-01")
    assert [f["flag"] for f in ok("case", "flags", "-f", "json", "--as-of", "2026-11-16").json()] == []
    [flag] = ok("case", "flags", "-f", "json", "--as-of", "2026-11-17").json()
    assert flag["flag"] == "逾期未报到" and flag["triggered_on"] == "2026-11-17" and flag["case_id"] == cid


def test_closed_cases_are_left_out_unless_asked(case):
    ok("test", "add", case, "--specimen", "尿液", "--result", "阳性", "--on", "2026-03-01", *AS_OF)
    ok("case", "update", case, "--status", "终止", "--on", "2026-04-01", "--reason", "强制隔离戒毒", *AS_OF)
    assert flags(case) == []
    assert [f["flag"] for f in flags(case, "--all")] == ["复吸"]


def test_show_has_flags_and_a_timeline_newest_first(case):
    ok("visit", "add", case, "--kind", "谈话", "--on", "2026-11-20", *AS_OF)
    ok("test", "add", case, "--specimen", "尿液", "--result", "阳性", "--on", "2026-11-21", *AS_OF)
    ok("leave", "add", case, "--from", "2026-11-22", "--destination", "遵义", *AS_OF)
    ok("case", "police-report", case, "--on", "2026-11-23", *AS_OF)
    shown = ok("case", "show", case, "-f", "json", *AS_OF).json()
    assert [f["flag"] for f in shown["flags"]] == ["复吸"]
    assert [(e["on"], e["type"]) for e in shown["timeline"]] == [
        ("2026-11-23", "报告公安"), ("2026-11-22", "外出"), ("2026-11-21", "检测"), ("2026-11-20", "走访"),
        ("2025-01-10", "状态")]
    table = ok("case", "show", case, *AS_OF).stdout
    assert "标记" in table and "已报告 2026-11-23" in table and "经过（最新的在前）" in table


def test_flags_table_and_street_filter(db):
    a = add_case()
    b = add_case(id=make_id(seq=778), name="周文", street="头桥")
    for cid in (a, b):
        ok("test", "add", cid, "--specimen", "尿液", "--result", "阳性", "--on", "2026-11-01", *AS_OF)
    assert [f["case_id"] for f in ok("case", "flags", "-f", "json", "--street", "头桥", *AS_OF).json()] == [b]
    table = ok("case", "flags", *AS_OF).stdout
    assert "待报告（已过 27 天）" in table and "共 2 个标记" in table
