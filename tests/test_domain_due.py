"""The due-date arithmetic of R15 and the other rules, pinned at its edges."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jindu_cli.domain.people import Case
from jindu_cli.domain.clocks import term_year
from jindu_cli.domain.dates import add_months
from jindu_cli.domain.due import rows_of
from jindu_cli.domain.due_items import Anchors, items_for
from jindu_cli.domain.rules import load_rules
from support import make_id

RULES = load_rules(None)
AS_OF = date(2026, 11, 28)


def make_case(**kw) -> Case:
    values = dict(id=1, id_number=make_id(), name="张伟", phone=None, household_address=None, residence_address=None,
                  street="盐务街街道", community=None, measure="community_treatment", term_months=36,
                  decision_authority=None, decision_number=None, decided_on=None, received_on=date(2024, 1, 5),
                  reported_on=date(2024, 1, 10), agreement_on=date(2024, 1, 10), term_end_override=None,
                  status="active", risk_level="medium", risk_color=None, drugs=[], worker="李芳", notes=None,
                  created_at="", updated_at="")
    values.update(kw)
    return Case(**values)


def item(case, anchors=None, name="urine_test", as_of=AS_OF, rules=RULES):
    found = [d for d in items_for(case, anchors or Anchors(), rules, as_of) if d.item == name]
    return found[0] if found else None


# the last day of year 1, the first of year 2, the last of year 2, the first of year 3
BOUNDARIES = [date(2025, 1, 9), date(2025, 1, 10), date(2026, 1, 9), date(2026, 1, 10)]


@pytest.mark.parametrize("measure,months,anchors,expected", [
    ("community_treatment", 36, BOUNDARIES, [("R9", 1), ("R9", 2), ("R9", 2), ("R9", 3)]),
    ("community_rehab", 36, BOUNDARIES, [("R10", 2), ("R10", 3), ("R10", 3), ("R10", 6)]),
    # a 2-year 社区康复 ends 2026-01-09: every two months in both of its years
    ("community_rehab", 24, [date(2025, 1, 9), date(2025, 1, 10), date(2025, 11, 9)], [("R11", 2)] * 3),
])
def test_cadence_switches_at_each_term_year_boundary(measure, months, anchors, expected):
    case = make_case(measure=measure, term_months=months, reported_on=date(2024, 1, 10))
    for anchor, (rule, step) in zip(anchors, expected, strict=True):
        due = item(case, Anchors(urine=(anchor, 1)), as_of=anchor + timedelta(days=1))
        assert (due.rule, due.due_on) == (rule, add_months(anchor, step)), anchor


def test_term_year_counts_from_report_date():
    case = make_case(reported_on=date(2024, 1, 10))
    assert [term_year(case, d) for d in (date(2024, 1, 10), date(2025, 1, 9), date(2025, 1, 10),
                                         date(2026, 1, 10), date(2027, 1, 9))] == [1, 1, 2, 3, 3]


def test_month_end_clipping():
    case = make_case(reported_on=date(2024, 1, 31), received_on=date(2024, 1, 20))
    assert item(case, as_of=date(2024, 2, 1)).due_on == date(2024, 2, 29)  # 报到 + 1 month
    assert item(case, Anchors(urine=(date(2024, 3, 31), 7)), as_of=date(2024, 4, 1)).due_on == date(2024, 4, 30)
    # 2025-01-31 is the first day of year 2: two months, clipped at neither end
    assert item(case, Anchors(urine=(date(2025, 1, 31), 8)), as_of=date(2025, 2, 1)).due_on == date(2025, 3, 31)
    assert item(case, Anchors(urine=(date(2025, 12, 31), 9)), as_of=date(2026, 1, 1)).due_on == date(2026, 2, 28)


def test_leap_day_report_starts_year_two_on_the_clipped_day():
    case = make_case(reported_on=date(2024, 2, 29))
    assert term_year(case, date(2025, 2, 27)) == 1
    assert term_year(case, date(2025, 2, 28)) == 2


def test_suspension_pauses_the_clock_and_moves_term_years():
    case = make_case(reported_on=date(2025, 1, 10), suspensions=[(date(2025, 10, 10), date(2025, 10, 20))])
    due = item(case, Anchors(urine=(date(2025, 10, 1), 3)), as_of=date(2025, 10, 25))
    assert due.due_on == date(2025, 11, 11) and "中止 10 天" in due.notes[0]
    # 30 days in custody in year 1: year 2 begins 2026-02-09, not 2026-01-10
    held = make_case(reported_on=date(2025, 1, 10), suspensions=[(date(2025, 6, 1), date(2025, 7, 1))])
    assert term_year(held, date(2026, 1, 20)) == 1
    assert term_year(held, date(2026, 2, 9)) == 2
    assert item(held, Anchors(urine=(date(2026, 1, 20), 4)), as_of=date(2026, 1, 25)).due_on == date(2026, 2, 20)


def test_nothing_is_due_while_suspended_except_the_police():
    case = make_case(status="suspended", suspensions=[(date(2026, 11, 1), None)])
    assert items_for(case, Anchors(), RULES, AS_OF) == []


def test_nothing_is_due_after_the_term_end():
    case = make_case(reported_on=date(2023, 12, 1))  # the term ends 2026-11-30
    assert item(case, Anchors(urine=(date(2026, 10, 1), 1))) is None  # year 3: +3 months is past the end
    assert item(case, Anchors(urine=(date(2026, 10, 1), 1)), name="term_end").due_on == date(2026, 11, 30)


def test_case_override_and_high_risk():
    case = make_case(reported_on=date(2024, 1, 10), test_every="15d")
    due = item(case, Anchors(urine=(date(2026, 3, 1), 1)), as_of=date(2026, 3, 5))
    assert (due.rule, due.due_on) == ("个案", date(2026, 3, 16))
    high = make_case(reported_on=date(2024, 1, 10), risk_level="high")
    due = item(high, Anchors(urine=(date(2026, 3, 1), 1)), as_of=date(2026, 3, 5))
    assert (due.rule, due.due_on) == ("R13", date(2026, 4, 1))
    talk = item(high, Anchors(face_to_face=(date(2026, 3, 1), 1, "谈话")), name="talk", as_of=date(2026, 3, 5))
    assert talk.due_on == date(2026, 3, 15)


def test_pending_case_has_only_report_in():
    case = make_case(status="pending", reported_on=None, received_on=date(2026, 11, 20))
    assert [(d.item, d.due_on) for d in items_for(case, Anchors(), RULES, AS_OF)] == [
        ("report_in", date(2026, 12, 5))]


def test_released_case_reaches_three_years_clean():
    case = make_case(status="released", reported_on=date(2020, 1, 10), closed_on=date(2023, 1, 15))
    [due] = items_for(case, Anchors(), RULES, AS_OF)
    assert (due.item, due.due_on) == ("three_year_clean", date(2026, 1, 15))
    [late] = items_for(case, Anchors(last_positive=date(2024, 5, 2)), RULES, AS_OF)
    assert late.due_on == date(2027, 5, 2) and "最后一次检测阳性" in late.reason


def test_lost_contact_second_clause():
    case = make_case(reported_on=date(2026, 1, 10))
    anchors = Anchors(urine=(date(2026, 9, 20), 1), contact=(date(2026, 11, 1), "电话联系"),
                      failed_contacts=[date(2026, 11, 5), date(2026, 11, 9)])
    due = item(case, anchors, name="lost_contact", as_of=date(2026, 11, 12))
    # the urine test was due 2026-10-20, then two visits failed: lost on the second one
    assert due.due_on == date(2026, 11, 9) and "此后 2 次联系未成功（2026-11-05、2026-11-09）" in due.reason
    alone = item(case, Anchors(urine=(date(2026, 11, 2), 1), contact=(date(2026, 11, 2), "检测")),
                 name="lost_contact", as_of=date(2026, 11, 12))
    assert alone.due_on == date(2026, 12, 2)


def test_holiday_shift_honours_make_up_working_days(tmp_path):
    from jindu_cli.domain.reference import packaged_data_dir

    text = (packaged_data_dir() / "rules.toml").read_text(encoding="utf-8")
    path = tmp_path / "rules.toml"
    path.write_text(text.replace("holiday_shift = false", "holiday_shift = true"), encoding="utf-8")
    shifting = load_rules(None, path)
    case = make_case(reported_on=date(2024, 1, 10), test_every="1m")
    national_day = item(case, Anchors(urine=(date(2026, 9, 1), 1)), rules=shifting, as_of=date(2026, 9, 2))
    assert national_day.due_on == date(2026, 10, 8) and "法定节假日" in national_day.notes[0]
    make_up_saturday = item(case, Anchors(urine=(date(2026, 1, 14), 1)), rules=shifting, as_of=date(2026, 1, 20))
    assert make_up_saturday.due_on == date(2026, 2, 14) and not make_up_saturday.notes
    spring = item(case, Anchors(urine=(date(2026, 1, 15), 1)), rules=shifting, as_of=date(2026, 1, 20))
    assert spring.due_on == date(2026, 2, 24)
    assert item(case, Anchors(urine=(date(2026, 9, 1), 1)), as_of=date(2026, 9, 2)).due_on == date(2026, 10, 1)


dates = st.dates(min_value=date(2019, 1, 1), max_value=date(2026, 11, 28))


@st.composite
def histories(draw):
    reported = draw(dates)
    measure = draw(st.sampled_from(["community_treatment", "community_rehab"]))
    months = 36 if measure == "community_treatment" else draw(st.sampled_from([12, 24, 36]))
    suspensions = []
    cursor = reported
    for _ in range(draw(st.integers(0, 2))):
        start = cursor + timedelta(days=draw(st.integers(1, 300)))
        end = start + timedelta(days=draw(st.integers(1, 60)))
        suspensions.append((start, end))
        cursor = end
    case = make_case(reported_on=reported, received_on=reported - timedelta(days=draw(st.integers(0, 20))),
                     measure=measure, term_months=months, risk_level=draw(st.sampled_from(["high", "medium", "low"])),
                     agreement_on=draw(st.sampled_from([None, reported])), suspensions=suspensions,
                     test_every=draw(st.sampled_from([None, "1m", "15d", "2w"])))

    def after():
        return draw(st.one_of(st.none(), st.integers(0, 1500).map(lambda d: reported + timedelta(days=d))))

    anchors = Anchors(
        urine=(u, 1) if (u := after()) else None, hair=(h, 2) if (h := after()) else None,
        face_to_face=(f, 3, "谈话") if (f := after()) else None, home=(m, 4, "入户走访") if (m := after()) else None,
        assessment=(a, 5, "评估") if (a := after()) else None, contact=(c, "谈话") if (c := after()) else None,
        failed_contacts=sorted(d for d in [after(), after()] if d))
    as_of = max([reported] + [x[0] for x in (anchors.urine, anchors.hair, anchors.face_to_face) if x]) \
        + timedelta(days=draw(st.integers(0, 400)))
    return case, anchors, as_of


@settings(max_examples=300, deadline=None)
@given(histories())
def test_no_due_date_precedes_its_anchor_and_days_is_the_difference(history):
    case, anchors, as_of = history
    for due in items_for(case, anchors, RULES, as_of):
        assert due.anchor_on is not None
        assert due.due_on >= due.anchor_on, due
        shown = rows_of([due], as_of)[0].as_dict(as_of)
        assert shown["days"] == (date.fromisoformat(shown["due_on"]) - as_of).days
        end = case.term_end(as_of)
        if due.item not in ("term_end", "police_report", "three_year_clean", "report_in", "agreement",
                            "release_notice"):
            assert due.due_on <= end



@pytest.mark.parametrize("first, counted", [
    (date(2026, 10, 19), False), (date(2026, 10, 20), False), (date(2026, 10, 21), True)])
def test_lost_contact_counts_failed_contacts_after_the_missed_test_only(first, counted):
    """§9.6: a failed contact the day before the missed urine test fell due, or that day, is not
    one of R22's; the day after, it is (the test fell due 2026-10-20)."""
    case = make_case(reported_on=date(2026, 1, 10))
    anchors = Anchors(urine=(date(2026, 9, 20), 1), contact=(date(2026, 10, 15), "见面"),
                      failed_contacts=[first, date(2026, 11, 5)])
    due = item(case, anchors, name="lost_contact", as_of=date(2026, 11, 12))
    if counted:
        assert due.due_on == date(2026, 11, 5) and f"（{first}、2026-11-05）" in due.reason
    else:  # only one failed contact after: 30 days from the last success
        assert due.due_on == date(2026, 11, 14) and "上次成功联系 2026-10-15（见面）" in due.reason
