"""domain.md §9.7-9.10 and §9.13, each at its edges: a late 报到, a hair positive too soon after
报到, a positive after 期满解除, 期满待解除, and the police report due the next working day."""

import pytest

from support import add_case, make_id, ok, rows, run

AS_OF = ["--as-of", "2026-11-28"]


def flags_of(case, *args):
    return [f for f in ok("case", "flags", case, "-f", "json", *args).json()]


def items_of(case, *args):
    return [d for d in ok("due", "-f", "json", *args).json() if d["case_id"] == int(case)]


# --- §9.7 a late 报到 -------------------------------------------------------------------------

@pytest.mark.parametrize("reported, flagged", [("2026-11-19", False), ("2026-11-20", False), ("2026-11-21", True)])
def test_a_late_report_keeps_its_flag_with_its_evidence(db, reported, flagged):
    """Received 2026-11-05: the 15 days end 2026-11-20; a 报到 that day is on time, the next day late."""
    cid = add_case(received_on="2026-11-05", reported_on=reported)
    found = [f for f in flags_of(cid, *AS_OF) if f["kind"] == "report_overdue"]
    if not flagged:
        assert found == []
        return
    [flag] = found
    assert flag["triggered_on"] == "2026-11-21" and flag["police_reported_on"] is None
    assert "2026-11-21 才报到" in flag["reason"]
    assert [e["text"] for e in flag["evidence"]] == ["2026-11-05 收到决定书", "2026-11-21 报到"]
    police = [d for d in items_of(cid, *AS_OF) if d["item"] == "police_report"]
    assert [d["due_on"] for d in police] == ["2026-11-23"]  # 11-21 a Saturday: the next working day


def test_a_good_reason_for_the_late_report_answers_it_and_is_audited(db):
    cid = add_case(received_on="2026-11-05", reported_on="2026-11-25")
    ok("case", "update", cid, "--late-reason", "住院治疗，有医院证明", *AS_OF)
    [flag] = flags_of(cid, *AS_OF)
    assert flag["answer"] == "已记录逾期报到理由：住院治疗，有医院证明"
    assert not [d for d in items_of(cid, *AS_OF) if d["item"] == "police_report"]
    [(changes,)] = rows(db, "SELECT changes FROM audit_log WHERE action = 'update'")
    assert "住院治疗" in changes
    assert [f["case_id"] for f in ok("case", "flags", "--unreported", "-f", "json", *AS_OF).json()] == []


def test_a_police_report_answers_a_late_report_too(db):
    cid = add_case(received_on="2026-11-05", reported_on="2026-11-25")
    ok("case", "police-report", cid, "--on", "2026-11-26", *AS_OF)
    [flag] = flags_of(cid, *AS_OF)
    assert flag["police_reported_on"] == "2026-11-26"


# --- §9.8 hair positives --------------------------------------------------------------------

@pytest.mark.parametrize("sampled, kind", [
    ("2026-07-09", "hair_unconfirmed"), ("2026-07-10", "relapse"), ("2026-07-11", "relapse")])
def test_a_hair_positive_within_six_months_of_reporting_is_to_be_confirmed(db, sampled, kind):
    """报到 2026-01-10: six months on is 2026-07-10; a hair sampled the day before cannot show use
    during the measure."""
    cid = add_case(received_on="2026-01-05", reported_on="2026-01-10")
    ok("test", "add", cid, "--specimen", "毛发", "--result", "阳性", "--on", sampled, *AS_OF)
    [flag] = flags_of(cid, *AS_OF)
    assert flag["kind"] == kind
    items = {d["item"] for d in items_of(cid, "--within", "0", *AS_OF)}
    if kind == "hair_unconfirmed":
        assert "hair_review" in items and "police_report" not in items
    else:
        assert "police_report" in items and "hair_review" not in items


def test_a_hair_positive_confirmed_is_a_relapse_dismissed_raises_nothing(db):
    first = add_case(received_on="2026-01-05", reported_on="2026-01-10")
    second = add_case(id=make_id(seq=556), name="李四", received_on="2026-01-05", reported_on="2026-01-10")
    tests = [ok("test", "add", cid, "--specimen", "毛发", "--result", "阳性", "--on", "2026-03-01",
                *AS_OF).stdout.strip() for cid in (first, second)]
    ok("test", "review", tests[0], "--confirm", *AS_OF)
    [flag] = flags_of(first, *AS_OF)
    assert flag["kind"] == "relapse" and "经核实认定" in flag["reason"]
    refused = run("test", "review", tests[1], "--dismiss", *AS_OF)
    assert refused.exit_code == 1 and "排除需要写明理由" in refused.stderr
    ok("test", "review", tests[1], "--dismiss", "--reason", "实验室复检阴性", *AS_OF)
    [flag] = flags_of(second, *AS_OF)
    assert flag["kind"] == "hair_unconfirmed" and "已排除：实验室复检阴性" in flag["answer"]
    assert not [d for d in items_of(second, *AS_OF) if d["item"] in ("hair_review", "police_report")]
    again = run("test", "review", tests[1], "--confirm", *AS_OF)
    assert again.exit_code == 1 and "已经核实过" in again.stderr
    assert len(rows(db, "SELECT * FROM audit_log WHERE action = 'review'")) == 2


@pytest.mark.parametrize("sampled", ["2026-07-10", "2026-10-01"])
def test_a_hair_positive_that_is_a_relapse_cannot_be_dismissed(db, sampled):
    """Only the positive §9.8 puts to the clerk is answered: one sampled 6 months or more after 报到
    is 复吸, and a --dismiss (or a --confirm) is refused, nothing stored, the 报告公安 still owed."""
    cid = add_case(received_on="2026-01-05", reported_on="2026-01-10")
    test = ok("test", "add", cid, "--specimen", "毛发", "--result", "阳性", "--on", sampled, *AS_OF).stdout.strip()
    for answer in (["--dismiss", "--reason", "实验室复检阴性"], ["--confirm"]):
        res = run("test", "review", test, *answer, *AS_OF)
        assert res.exit_code == 1 and "已满 6 个月" in res.stderr and "就是复吸" in res.stderr, res.stderr
    assert rows(db, "SELECT * FROM hair_reviews") == []
    [flag] = flags_of(cid, *AS_OF)
    assert flag["kind"] == "relapse" and "经核实" not in flag["reason"]
    assert "police_report" in {d["item"] for d in items_of(cid, "--within", "0", *AS_OF)}


# --- §9.9 after 期满解除 -------------------------------------------------------------------------

def test_after_release_records_are_normal_and_a_positive_is_a_relapse_for_the_police(db):
    cid = add_case(received_on="2023-06-01", reported_on="2023-06-10")  # term to 2026-06-09
    ok("case", "update", cid, "--status", "期满解除", "--on", "2026-06-15", *AS_OF)
    ok("visit", "add", cid, "--kind", "谈话", "--on", "2026-10-01", *AS_OF)  # no --force needed
    ok("test", "add", cid, "--specimen", "毛发", "--result", "阴性", "--on", "2026-10-01", *AS_OF)
    clean = [d for d in items_of(cid, "--within", "36500", *AS_OF) if d["item"] == "three_year_clean"]
    assert [d["due_on"] for d in clean] == ["2029-06-15"]
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阳性", "--on", "2026-11-02", *AS_OF)
    [flag] = flags_of(cid, *AS_OF)
    assert flag["kind"] == "relapse" and flag["after_release"] and "期满解除后" in flag["reason"]
    items = items_of(cid, "--within", "36500", *AS_OF)
    assert [d["due_on"] for d in items if d["item"] == "police_report"] == ["2026-11-03"]
    # the positive restarts R21's clock
    assert [d["due_on"] for d in items if d["item"] == "three_year_clean"] == ["2029-11-02"]
    # owed to the police, it is in the office's list of flags though the case is closed; once reported,
    # only --all shows it
    for listed in ([], ["--unreported"]):
        assert [f["case_id"] for f in ok("case", "flags", *listed, "-f", "json", *AS_OF).json()] == [cid]
    ok("case", "police-report", cid, "--on", "2026-11-03", *AS_OF)
    assert ok("case", "flags", "-f", "json", *AS_OF).json() == []
    assert [f["case_id"] for f in ok("case", "flags", "--all", "-f", "json", *AS_OF).json()] == [cid]


def test_the_office_s_flags_of_closed_cases_are_those_the_due_list_asks_the_police_for(db):
    """Without --all, a closed case's flag is listed when it is a positive after the measure not yet
    reported (期满解除, and 戒断三年未复吸 too), as the due list asks for it; a relapse during the
    measure of a person since released is not (the due list no longer asks for it either)."""
    during = add_case(id=make_id(seq=701), received_on="2023-06-01", reported_on="2023-06-10")
    ok("test", "add", during, "--specimen", "尿液", "--result", "阳性", "--on", "2026-06-01", *AS_OF)
    ok("case", "update", during, "--status", "期满解除", "--on", "2026-06-15", *AS_OF)
    clean = add_case(id=make_id(seq=702), received_on="2021-12-20", reported_on="2022-01-01", measure="社区康复",
                     term_months="12")
    ok("case", "update", clean, "--status", "期满解除", "--on", "2023-01-05", *AS_OF)
    ok("case", "update", clean, "--status", "戒断三年未复吸", "--on", "2026-01-10", *AS_OF)
    ok("test", "add", clean, "--specimen", "尿液", "--result", "阳性", "--on", "2026-11-01", *AS_OF)
    owed = {d["case_id"] for d in ok("due", "--within", "0", "-f", "json", *AS_OF).json() if d["item"] == "police_report"}
    assert owed == {int(clean)}
    assert {f["case_id"] for f in ok("case", "flags", "-f", "json", *AS_OF).json()} == owed
    assert {f["case_id"] for f in ok("case", "flags", "--all", "-f", "json", *AS_OF).json()} == {int(during), int(clean)}


# --- §9.10 期满待解除 ------------------------------------------------------------------------------

@pytest.mark.parametrize("as_of, status", [("2026-06-09", "社区戒毒中"), ("2026-06-10", "期满待解除")])
def test_past_the_term_without_release_is_awaiting_release(db, as_of, status):
    cid = add_case(received_on="2023-06-01", reported_on="2023-06-10")  # term to 2026-06-09
    [shown] = ok("case", "list", "-f", "json", "--as-of", as_of).json()
    assert shown["status"] == status
    awaiting = ok("case", "list", "--status", "期满待解除", "-f", "json", "--as-of", as_of).json()
    active = ok("case", "list", "--status", "在执行", "-f", "json", "--as-of", as_of).json()
    assert (len(awaiting), len(active)) == ((1, 0) if status == "期满待解除" else (0, 1))
    items = {d["item"] for d in items_of(cid, "--within", "36500", "--as-of", as_of)}
    if status == "期满待解除":
        assert items == {"release_notice"}
    else:
        assert "talk" in items and "release_notice" not in items


@pytest.mark.parametrize("as_of, days", [("2026-06-16", 0), ("2026-06-17", -1)])
def test_the_release_notice_is_asked_for_once_the_polices_seven_days_have_passed(db, as_of, days):
    cid = add_case(received_on="2023-06-01", reported_on="2023-06-10")  # term to 2026-06-09
    [item] = [d for d in items_of(cid, "--within", "0", "--as-of", as_of) if d["item"] == "release_notice"]
    assert (item["due_on"], item["days"]) == ("2026-06-16", days)
    assert f"jindu case update {cid} --status 期满解除" in item["reason"]
    assert not items_of(cid, "--within", "0", "--as-of", "2026-06-15")


# --- §9.13 the police report on the next working day -----------------------------------------

@pytest.mark.parametrize("positive, due", [
    ("2026-11-26", "2026-11-27"),  # Thursday: Friday
    ("2026-11-27", "2026-11-30"),  # Friday: Monday
    ("2026-11-28", "2026-11-30"),  # Saturday: Monday
])
def test_the_police_report_falls_due_the_next_working_day(db, positive, due):
    cid = add_case()
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阳性", "--on", positive, *AS_OF)
    assert [d["due_on"] for d in items_of(cid, *AS_OF) if d["item"] == "police_report"] == [due]


def test_holidays_count_with_the_holiday_setting_and_an_uncovered_year_says_so(db, tmp_path):
    from jindu_cli.domain.reference import packaged_data_dir

    shifting = tmp_path / "office" / "rules.toml"  # (not beside the database, where it would be in force)
    shifting.parent.mkdir()
    text = (packaged_data_dir() / "rules.toml").read_text(encoding="utf-8")
    shifting.write_text(text.replace("holiday_shift = false", "holiday_shift = true"), encoding="utf-8")
    cid = add_case()
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阳性", "--on", "2026-09-30", *AS_OF)
    police = [d for d in ok("due", "-f", "json", "--rules", shifting, *AS_OF).json() if d["item"] == "police_report"]
    assert [d["due_on"] for d in police] == ["2026-10-08"]  # after the National Day holiday, 10-01 to 10-07
    plain = [d for d in ok("due", "-f", "json", *AS_OF).json() if d["item"] == "police_report"]
    assert [d["due_on"] for d in plain] == ["2026-10-01"]
    late = add_case(id=make_id(seq=556), name="李四", received_on="2099-12-01", reported_on="2099-12-05",
                    as_of="2100-01-05")
    ok("test", "add", late, "--specimen", "尿液", "--result", "阳性", "--on", "2099-12-31", "--as-of", "2100-01-05")
    explained = ok("due", "--explain", late, "-f", "json", "--rules", shifting, "--as-of", "2100-01-05").json()
    [police] = [e for e in explained if e["item"] == "police_report"]
    assert police["due_on"] == "2100-01-01" and any("只按周末计算工作日" in n for n in police["notes"])


# --- R12 the strict preset and unannounced tests -------------------------------------------------

@pytest.fixture
def strict(tmp_path):
    path = tmp_path / "office" / "rules.toml"  # (not beside the database, where it would be in force)
    path.parent.mkdir()
    path.write_text(ok("rules", "template", "--profile", "strict").stdout, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("tested, due", [
    ("2026-04-09", "2026-04-24"),  # the day before six months from 报到 (2025-10-10): every 15 days
    ("2026-04-10", "2026-05-10"),  # six months on: monthly, as R9's first year
    ("2026-04-11", "2026-05-11"),
])
def test_the_strict_preset_tests_every_fifteen_days_in_the_first_six_months(db, strict, tested, due):
    cid = add_case(received_on="2025-10-01", reported_on="2025-10-10")
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阴性", "--on", tested, "--as-of", tested)
    [urine] = [d for d in ok("due", "--explain", cid, "-f", "json", "--rules", strict, "--as-of", tested).json()
               if d["item"] == "urine_test"]
    assert urine["due_on"] == due and urine["rule"] == ("R12" if due == "2026-04-24" else "R9")
    [standard] = [d for d in ok("due", "--explain", cid, "-f", "json", "--as-of", tested).json()
                  if d["item"] == "urine_test"]
    assert standard["rule"] == "R9"  # the shipped rules: monthly throughout the first year


@pytest.mark.parametrize("drawn, tested, unannounced", [
    ("2026-11-20", "2026-11-20", True), ("2026-11-20", "2026-11-23", True), ("2026-11-20", "2026-11-24", False)])
def test_a_test_within_three_days_of_the_draw_is_unannounced(db, drawn, tested, unannounced):
    cid = add_case()
    ok("draw", "--count", "1", "--as-of", drawn)
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阴性", "--on", tested, *AS_OF)
    assert rows(db, "SELECT unannounced FROM drug_tests") == [(int(unannounced),)]


def test_unannounced_is_said_or_unsaid_and_counted_against_the_goal(db, strict):
    cid = add_case(received_on="2026-03-01", reported_on="2026-03-05")
    ok("draw", "--count", "1", "--as-of", "2026-10-01")
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阴性", "--on", "2026-10-02", "--announced", *AS_OF)
    ok("test", "add", cid, "--specimen", "尿液", "--result", "阴性", "--on", "2026-10-20", "--unannounced", *AS_OF)
    ok("test", "add", cid, "--specimen", "尿液", "--result", "拒检", "--on", "2026-10-25", "--unannounced", *AS_OF)
    assert rows(db, "SELECT tested_on, unannounced FROM drug_tests ORDER BY tested_on") == \
        [("2026-10-02", 0), ("2026-10-20", 1), ("2026-10-25", 1)]
    [urine] = [d for d in ok("due", "--explain", cid, "-f", "json", "--rules", strict, *AS_OF).json()
               if d["item"] == "urine_test"]
    assert any(n.startswith("突击检测 1/3 次") for n in urine["notes"])  # a refusal is not a test performed
    total = ok("report", "--period", "2026-10", "-f", "json", *AS_OF).json()["total"]
    assert (total["unannounced_tests"], total["tests"]) == (1, 2)
    [test_id] = [r[0] for r in rows(db, "SELECT id FROM drug_tests WHERE tested_on = '2026-10-20'")]
    ok("test", "update", test_id, "--announced", *AS_OF)
    assert ok("report", "--period", "2026-10", "-f", "json", *AS_OF).json()["total"]["unannounced_tests"] == 0
