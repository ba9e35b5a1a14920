from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from jindu_cli.domain.dates import add_months, parse_bound, parse_date
from jindu_cli.errors import InvalidInput


@pytest.mark.parametrize("text", [
    "2024-03-05", "2024-3-5", "2024/3/5", "2024/03/05", "2024.3.5", "2024年3月5日", "2024年03月05日",
    "20240305", "2024年3月5号", "2024-03-05 00:00:00", "2024/3/5 0:00", " 2024-03-05 ", "２０２４－０３－０５",
])
def test_year_first_forms(text):
    assert parse_date(text, "报到日期") == date(2024, 3, 5)


@pytest.mark.parametrize("text,words", [
    ("03/04/2024", "歧义"),
    ("3-4-24", "歧义"),
    ("2024-02-30", "不存在"),
    ("20241301", "不存在"),
    ("1850-01-01", "年份"),
    ("明天", "无法识别"),
    ("2024-3", "无法识别"),
])
def test_bad_or_ambiguous_dates_name_the_field(text, words):
    with pytest.raises(InvalidInput) as err:
        parse_date(text, "报到日期")
    assert err.value.field == "报到日期"
    assert words in err.value.reason


def test_empty_is_none():
    assert parse_date("", "x") is None
    assert parse_date("   ", "x") is None


@pytest.mark.parametrize("start,months,end", [
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 3, 31), 1, date(2024, 4, 30)),
    (date(2024, 12, 15), 1, date(2025, 1, 15)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 5, 31), -3, date(2024, 2, 29)),
])
def test_month_end_clipping(start, months, end):
    assert add_months(start, months) == end


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31)), st.integers(-120, 120))
def test_add_months_matches_relativedelta(start, months):
    assert add_months(start, months) == start + relativedelta(months=months)


@pytest.mark.parametrize("text, first, last", [
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2024/2", date(2024, 2, 1), date(2024, 2, 29)),
    ("２０２６年１２月", date(2026, 12, 1), date(2026, 12, 31)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-03-05", date(2026, 3, 5), date(2026, 3, 5)),  # a date is itself at either end
])
def test_a_month_or_year_bounds_a_span_from_its_first_day_to_its_last(text, first, last):
    assert parse_bound(text, "--from", last=False) == first
    assert parse_bound(text, "--to", last=True) == last


@pytest.mark.parametrize("text, words", [("2026-13", "月份不对"), ("1800", "年份"), ("2026-1-", "无法识别")])
def test_a_bad_month_or_year_names_the_option(text, words):
    with pytest.raises(InvalidInput) as exc:
        parse_bound(text, "--to", last=True)
    assert exc.value.field == "--to" and words in str(exc.value)
