"""The report's urine clocks (report_clocks): in Python over ISO text, and in SQL, each held to
R15's date worked out over a whole case (clocks.urine_due)."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jindu_cli.domain import clocks, report_clocks
from jindu_cli.domain.clocks import term_year
from jindu_cli.domain.dates import add_months
from jindu_cli.domain.rules import load_rules
from test_domain_due import AS_OF, RULES, make_case


def urine_due(case, anchor, rules, end, limit):
    """R15's date, or None past the term end or `limit`."""
    due = clocks.urine_due(case, anchor, rules, end)
    return due if due and due <= limit else None


@settings(max_examples=400, deadline=None)
@given(reported=st.dates(min_value=date(2016, 1, 1), max_value=date(2026, 11, 1)),
       after=st.integers(-40, 2500), measure=st.sampled_from(["community_treatment", "community_rehab"]),
       months=st.sampled_from([24, 36]), risk=st.sampled_from(["high", "medium", "low", None]),
       every=st.sampled_from([None, "1m", "15d", "2w", "3m"]), override=st.integers(0, 2000),
       until=st.integers(0, 4000))
def test_the_reports_urine_clocks_give_the_case_by_case_date(reported, after, measure, months, risk, every,
                                                            override, until):
    """UrineClocks works on ISO text with remembered anniversaries and sums: the same date as
    urine_due over a whole case, term years, month ends, 29 February and the term end included."""
    case = make_case(reported_on=reported, measure=measure, term_months=months, risk_level=risk, test_every=every,
                     term_end_override=reported + timedelta(days=override) if override % 3 == 0 else None)
    anchor = reported + timedelta(days=after)
    end, limit = case.term_end(AS_OF), reported + timedelta(days=until)
    expected = urine_due(case, anchor, RULES, end, limit)
    clocks = report_clocks.UrineClocks(RULES)
    for _ in range(2):  # the second time from what it remembered
        got = clocks.due(measure, months, risk, every, reported.isoformat(), anchor.isoformat(), end.isoformat(),
                         limit.isoformat())
        assert got == (expected.isoformat() if expected else None)


@pytest.mark.parametrize("reported,anchor,year", [
    (date(2024, 2, 29), date(2025, 2, 27), 1), (date(2024, 2, 29), date(2025, 2, 28), 2),
    (date(2024, 2, 29), date(2028, 2, 29), 5), (date(2024, 2, 29), date(2028, 2, 28), 4),
    (date(2024, 1, 10), date(2024, 1, 9), 1),
    (date(2024, 1, 10), date(2027, 1, 10), 4), (date(2024, 1, 10), date(2031, 6, 1), 8),
])
def test_urine_clocks_count_term_years_as_term_year_does(reported, anchor, year):
    case = make_case(reported_on=reported, measure="community_treatment", term_months=36, risk_level="low")
    assert term_year(case, anchor) == year
    expected = urine_due(case, anchor, RULES, None, date.max)
    got = report_clocks.UrineClocks(RULES).due("community_treatment", 36, "low", None, reported.isoformat(),
                                         anchor.isoformat(), None, date.max.isoformat())
    assert got == expected.isoformat()


@pytest.fixture(scope="module")
def other_rules(tmp_path_factory):
    """Rules with cadences in days and weeks, and four term years."""
    from jindu_cli.domain.reference import packaged_data_dir

    text = (packaged_data_dir() / "rules.toml").read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("rules") / "rules.toml"
    path.write_text(text.replace('intervals = ["1m", "2m", "3m"]', 'intervals = ["15d", "1m", "2w", "3m"]'),
                    encoding="utf-8")
    rules = load_rules(None, path)
    assert rules.urine["community_treatment"]["intervals"][0].days == 15
    return rules


@settings(max_examples=400, deadline=None)
@given(reported=st.dates(min_value=date(2016, 1, 1), max_value=date(2026, 11, 1)),
       after=st.integers(-40, 2500), measure=st.sampled_from(["community_treatment", "community_rehab"]),
       months=st.sampled_from([12, 24, 36, 60]), risk=st.sampled_from(["high", "medium", "low", None]),
       override=st.integers(0, 2000), until=st.integers(0, 4000), shipped=st.booleans())
def test_the_urine_clock_in_sql_gives_the_case_by_case_date(other_rules, reported, after, measure, months, risk,
                                                          override, until, shipped):
    """UrineClocks' SQL and sql_term_end, run by SQLite: the date urine_due gives over a whole case
    never in 中止, and its term end; term years, month ends, 29 February, cadences in days."""
    import sqlite3

    rules = RULES if shipped else other_rules
    own_end = reported + timedelta(days=override) if override % 3 == 0 else None
    case = make_case(reported_on=reported, measure=measure, term_months=months, risk_level=risk,
                     term_end_override=own_end)
    anchor = reported + timedelta(days=after)
    end, limit = case.term_end(AS_OF), reported + timedelta(days=until)
    expected = urine_due(case, anchor, rules, end, limit)
    clocks = report_clocks.UrineClocks(rules)
    sql = clocks.sql_due("anchor", clocks.sql_interval("measure", "months", "risk", clocks.sql_marks("reported"),
                                                       "anchor"))
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE p (measure, months, risk, reported, anchor, own_end)")
    conn.execute("INSERT INTO p VALUES (?, ?, ?, ?, ?, ?)",
                 [measure, months, risk, reported.isoformat(), anchor.isoformat(), own_end and own_end.isoformat()])
    due_on, term_end = conn.execute(
        f"SELECT {sql}, {report_clocks.sql_term_end('reported', 'months', 'own_end')} FROM p").fetchone()
    assert term_end == end.isoformat()
    shown = due_on if due_on <= term_end and due_on <= limit.isoformat() else None
    assert shown == (expected.isoformat() if expected else None)


@pytest.mark.parametrize("months", range(1, 61))
@pytest.mark.parametrize("measure", ["community_treatment", "community_rehab"])
def test_the_urine_variant_in_sql_is_the_rules_one(measure, months):
    import sqlite3

    sql = RULES.urine_variant_sql("?", "?")
    got = sqlite3.connect(":memory:").execute(f"SELECT {sql}", [measure, months]).fetchone()[0]
    assert got == RULES.urine_variant(measure, months)


@pytest.mark.parametrize("day,months,expected", [
    ("2024-01-31", 1, "2024-02-29"), ("2023-01-31", 1, "2023-02-28"), ("2024-02-29", 12, "2025-02-28"),
    ("2024-03-31", 1, "2024-04-30"), ("2024-12-31", 2, "2025-02-28"), ("2024-05-15", 3, "2024-08-15"),
    ("2024-01-01", 36, "2027-01-01"),
])
def test_months_added_in_sql_are_clipped_to_the_months_end(day, months, expected):
    import sqlite3

    conn = sqlite3.connect(":memory:")
    for added in (months, ":months"):  # a number, and SQL of one
        got = conn.execute(f"SELECT {report_clocks.sql_add_months(':day', added)}", {"day": day, "months": months}).fetchone()
        assert got[0] == expected == add_months(date.fromisoformat(day), months).isoformat()
