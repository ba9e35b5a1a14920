"""The date arithmetic the due list is made of, on one person's recorded facts: pure functions.

R15, made exact: a clock's anchor is the last performed test of its specimen (阴性 or 阳性), else
the 报到 date; its interval is the cadence of the term year that contains the anchor (years counted
from 报到, moved on by the days in 中止); due = anchor + interval in calendar months, the day clipped
to the month's end; days in 中止 between the anchor and the due date push the due date on.
"""

from __future__ import annotations

from datetime import date, timedelta

from jindu_cli.domain.people import Case
from jindu_cli.domain.dates import add_months
from jindu_cli.domain.rules import Interval, Rules, parse_interval


def shifted_start(case: Case, anchor: date) -> date:
    """报到 moved on by the days in 中止 before `anchor`: where the term years are counted from."""
    paused = 0
    for start, end in case.suspensions:
        if start < anchor:
            paused += ((min(end, anchor) if end else anchor) - start).days
    return case.reported_on + timedelta(days=paused)


def term_year(case: Case, anchor: date) -> int:
    """1 for the first 12 months from 报到 (plus days in 中止), 2 for the next, and so on."""
    return years_in(shifted_start(case, anchor), anchor)


def years_in(start: date, anchor: date) -> int:
    """The year, counted in 12-month years from `start`, that `anchor` falls in (1, 2, ...)."""
    if anchor < start:
        return 1
    year = 1 + (anchor.year - start.year) - (1 if (anchor.month, anchor.day) < (start.month, start.day) else 0)
    # month-end clipping: 2024-02-29 + 12 months = 2025-02-28 starts year 2
    if add_months(start, 12 * year) <= anchor:
        year += 1
    return max(1, year)


def pause(case: Case, anchor: date, due: date) -> tuple[date, int]:
    """Push `due` on by the days of 中止 that fall between `anchor` and it."""
    pushed = 0
    if not case.suspensions:
        return due, 0
    for start, end in sorted(case.suspensions):
        if end is None or end <= anchor or start >= due:
            continue
        days = (end - max(start, anchor)).days
        due += timedelta(days=days)
        pushed += days
    return due, pushed


def next_due(case: Case, anchor: date, interval: Interval, end: date | None) -> tuple[date | None, int]:
    """anchor + interval, pushed on by 中止, and the days it was pushed; None past the term end."""
    due, pushed = pause(case, anchor, interval.add(anchor))
    return (None if end is not None and due > end else due), pushed


def shift_holiday(d: date) -> tuple[date, str | None]:
    """A date on a statutory holiday moves to the next working day (调休 working days count)."""
    import chinese_calendar

    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        return d, f"节假日数据未覆盖 {d.year} 年，未顺延"
    if not (on_holiday and name):
        return d, None
    moved = d + timedelta(days=1)
    while not chinese_calendar.is_workday(moved):
        moved += timedelta(days=1)
    return moved, f"{d} 是法定节假日，顺延到 {moved}"


def working_days_after(d: date, n: int, holidays: bool) -> tuple[date, str | None]:
    """The n-th working day after `d` (0: `d` itself), and a note when the holiday calendar was
    wanted but does not cover the year. Weekends never count; with `holidays`, neither do statutory
    holidays, and make-up working days (调休) do (chinese-calendar)."""
    import chinese_calendar

    note = None
    day = d
    while n > 0:
        day += timedelta(days=1)
        workday = day.weekday() < 5
        if holidays and note is None:
            try:
                workday = chinese_calendar.is_workday(day)
            except NotImplementedError:
                note = f"节假日数据未覆盖 {day.year} 年，只按周末计算工作日"
        n -= workday
    return day, note


def urine_interval(case: Case, rules: Rules, year: int, early: bool = False) -> tuple[Interval, str, str]:
    """The urine-test interval of a clock started in term year `year` (`early`: within the first
    months of the term that R12's strict preset tests more often), its rule's source, and what set
    it: "case" (the case's own cadence), "high_risk", "start" or "term_year"."""
    if case.test_every:
        return parse_interval(case.test_every, "个案尿检间隔"), "个案", "case"
    return variant_interval(rules, rules.urine_variant(case.measure, case.term_months), year, case.risk_level == "high",
                            early)


def variant_interval(rules: Rules, variant: str, year: int, high_risk: bool,
                     early: bool = False) -> tuple[Interval, str, str]:
    """`urine_interval` of a variant of the rules (R9-R11), a term year, high risk (R13) or not, and
    the strict preset's first months (R12) or not: the shortest interval that applies."""
    rule = rules.urine[variant]
    intervals = rule["intervals"]
    found = (intervals[min(year, len(intervals)) - 1], rule.source, "term_year")
    start = rule["start_interval"]
    if early and start and start.min_days < found[0].min_days:
        found = (start, "R12", "start")
    high = rules.urine["high_risk"]
    if high_risk and high["interval"] and high["interval"].min_days < found[0].min_days:
        return high["interval"], high.source, "high_risk"
    return found


def early_in_term(case: Case, rules: Rules, anchor: date) -> bool:
    """Whether `anchor` falls within the first months of the term that the person's variant tests
    more often (R12's start_months; 中止 days moving them on), when it has such months."""
    rule = rules.urine[rules.urine_variant(case.measure, case.term_months)]
    return bool(rule["start_interval"] and rule["start_months"]) and \
        anchor < add_months(shifted_start(case, anchor), rule["start_months"])


def urine_due(case: Case, anchor: date, rules: Rules, end: date | None) -> date | None:
    """R15's date of the next urine test from `anchor` (None past the term end)."""
    interval = urine_interval(case, rules, term_year(case, anchor), early_in_term(case, rules, anchor))[0]
    return next_due(case, anchor, interval, end)[0]


def milestone_base(case: Case, last_positive: date | None) -> date | None:
    """R21's starting point: the later of the measure's end and the last positive test."""
    end = case.closed_on or (case.term_end(date.max) if case.reported_on else None)
    if end is None:
        return None
    return max(end, last_positive) if last_positive else end


def clean_milestone_from(case: Case, last_positive: date | None, rules: Rules) -> tuple[date | None, str]:
    """The day 戒断三年未复吸 can be recognised, and what it is counted from."""
    base = milestone_base(case, last_positive)
    if base is None:
        return None, ""
    basis = f"{base} 最后一次检测阳性" if last_positive and last_positive == base and base != case.closed_on \
        else f"{base} 期满解除"
    return add_months(base, 12 * rules["three_year_clean"]["years"]), basis
