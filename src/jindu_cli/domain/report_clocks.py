"""R15's urine-test clock for the report's 按时检测率, over many people at once: `UrineClocks.due`
gives `clocks.urine_due`'s date without building a Case for each person, and its `sql_*` methods
give the same date as SQL, so that SQLite works out the clocks of everyone never in 中止 (a property
test holds each to `clocks.urine_due`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from types import SimpleNamespace

from jindu_cli.domain.clocks import urine_interval, variant_interval
from jindu_cli.domain.dates import add_months
from jindu_cli.domain.rules import Interval, Rules


class UrineClocks:
    """R15's urine dates for many people never in 中止 (the report's 按时检测率), without building
    a Case for each: `urine_due` for them, on ISO dates as SQLite gives them. Each interval is
    looked up once per cadence, measure, term, risk and term year; each person's term years are
    found among the anniversaries of their 报到 date, worked out once per date; and anchor +
    interval once per anchor date and interval. A test holds the report's counts to the case-by-case
    ones, and a property test holds `due` to `urine_due`."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self.intervals: dict[tuple, Interval] = {}
        self.anniversaries: dict[str, list[str]] = {}
        self.sums: dict[tuple, str] = {}
        # no cadence changes after the last term year the rules name: years past it are that year
        self.years = max((len(r["intervals"]) for r in rules.urine.values() if "intervals" in r.values), default=1)

    def due(self, measure: str, term_months: int, risk_level: str | None, test_every: str | None,
            reported_on: str, anchor: str, end: str | None, until: str) -> str | None:
        """The date (ISO) of the next urine test from `anchor` for someone who reported on
        `reported_on`, or None when it falls after the term `end` or after `until`."""
        marks = self.anniversaries.get(reported_on)
        if marks is None:
            start = date.fromisoformat(reported_on)
            marks = self.anniversaries[reported_on] = [add_months(start, 12 * n).isoformat()
                                                       for n in range(1, self.years)]
        year = 1  # years_in: one more for each anniversary reached
        for mark in marks:
            if mark > anchor:
                break
            year += 1
        key = (test_every, measure, term_months, risk_level == "high", year)
        interval = self.intervals.get(key)
        if interval is None:
            person = SimpleNamespace(test_every=test_every, measure=measure, term_months=term_months,
                                     risk_level=risk_level)
            interval = self.intervals[key] = urine_interval(person, self.rules, year)[0]
        due = self.sums.get(added := (interval.months, interval.days, anchor))
        if due is None:
            due = self.sums[added] = interval.add(date.fromisoformat(anchor)).isoformat()
        return None if (end is not None and due > end) or due > until else due

    # R15 in SQL, in three steps, each of which a district's people share many values of: for
    # counting the clocks inside SQLite (the report). Only for people never in 中止 and without a
    # cadence of their own (test_every NULL); a property test holds the three to `urine_due`.

    def sql_marks(self, reported_on: str) -> list[str]:
        """SQL of the anniversaries of a 报到 date (SQL of an ISO date) that begin term years 2, 3, ..."""
        return [sql_add_months(reported_on, 12 * n) for n in range(1, self.years)]

    def sql_interval(self, measure: str, term_months: str, risk_level: str, marks: Sequence[str], anchor: str) -> str:
        """SQL of the interval that follows an anchor (an ISO date), as one number: months when
        positive, else minus the days; `marks` are SQL of the anniversaries (`sql_marks`)."""
        year = " + ".join(["1"] + [f"({mark} <= {anchor})" for mark in marks])
        variants = ("community_treatment", "community_rehab_3y", "community_rehab_other")
        branches = []
        for code, variant in enumerate(variants):
            for y in range(1, self.years + 1):
                for high in (0, 1):
                    interval = variant_interval(self.rules, variant, y, bool(high))[0]
                    branches.append(f"WHEN {code * 100 + y * 2 + high} THEN {interval.months or -interval.days}")
        variant = (f"CASE {self.rules.urine_variant_sql(measure, term_months)} "
                   + " ".join(f"WHEN '{v}' THEN {code}" for code, v in enumerate(variants)) + " END")
        # one number for the variant, term year and risk, worked out once, names the interval
        return f"CASE ({variant}) * 100 + ({year}) * 2 + ({risk_level} IS 'high') {' '.join(branches)} END"

    @staticmethod
    def sql_due(anchor: str, interval: str) -> str:
        """SQL of the anchor plus an interval of `sql_interval` (both SQL; each read more than once)."""
        return (f"CASE WHEN {interval} > 0 THEN {sql_add_months(anchor, interval)}"
                f" ELSE date({anchor}, '+' || -({interval}) || ' days') END")


def sql_add_months(d: str, months: int | str) -> str:
    """`add_months` in SQL, of an ISO date `d` (SQL) and `months` (a number, or SQL of one): the
    day clipped to the month's end, where SQLite's own '+1 months' would carry 31 January over into
    March."""
    later = (f"'+{months} months'", f"'+{months + 1} months'") if isinstance(months, int) else (
        f"'+' || ({months}) || ' months'", f"'+' || (({months}) + 1) || ' months'")
    return (f"min(date({d}, 'start of month', {later[0]}, '+' || (substr({d}, 9, 2) - 1) || ' days'),"
            f" date({d}, 'start of month', {later[1]}, '-1 day'))")


def sql_term_end(reported_on: str, term_months: str, override: str) -> str:
    """`Case.term_end` in SQL, for someone never in 中止: the clerk's date, else 报到 + term - 1 day."""
    return f"coalesce({override}, date({sql_add_months(reported_on, term_months)}, '-1 day'))"
