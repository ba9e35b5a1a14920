"""The due list: who must be tested, seen or reported on, and who has already slipped.

One implementation of the arithmetic (`items_for`), used for one case (`explain`), for keeping
every case's items worked out in the database (`refresh`, see "the kept list" below), and for the
register when the kept list does not apply (`due_list`). Then SQL first narrows the work to the
cases that could have an item due by the horizon: a due date is never earlier than its anchor plus
the shortest interval the rules allow, so a case with a performed test (or a contact) after
`horizon - shortest interval` cannot be due and is left out by an index scan over recent rows.
Tests check that the kept and the narrowed lists equal the list computed for every case.

R15, made exact: the anchor is the last performed test of the specimen (阴性 or 阳性), else the
报到 date; the interval is the cadence of the term year that contains the anchor (years counted
from 报到, moved on by days in 中止); due = anchor + interval in calendar months, the day clipped
to the month's end; days in 中止 between anchor and due push the due date on; nothing is due
after the term end or while 中止.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from typing import NamedTuple

from jindu_cli.domain import flags as flags_mod
from jindu_cli.domain.cases import REPORT_WITHIN_DAYS, Case, load_cases
from jindu_cli.domain.dates import add_months, iso
from jindu_cli.domain.enums import MEASURE, PERFORMED_RESULTS, UNDER_MANAGEMENT
from jindu_cli.domain.ids import mask_id
from jindu_cli.domain.layout import (
    Column, Laid, laid_sql, measure, register_width, sql_csv, sql_json, sql_table, width,
)
from jindu_cli.domain.rules import ITEMS, Interval, Rules, parse_interval
from jindu_cli.storage.migrations import FLAGGED, SUSPENSION_CHANGE

ITEM_ORDER = {item: i for i, item in enumerate(ITEMS)}
FACE_TO_FACE = "('talk', 'home_visit', 'help', 'assessment')"
HOME = "('home_visit', 'help')"
PERFORMED = "(" + ", ".join(f"'{r}'" for r in PERFORMED_RESULTS) + ")"  # as SQL
SPECIMENS = "('urine', 'hair', 'blood', 'saliva')"


@dataclass
class DueItem:
    case: Case
    item: str
    due_on: date
    rule: str
    reason: str
    anchor: str = ""
    interval: str = ""
    term_year: int | None = None
    listed_from: date | None = None  # term_end is listed ahead of its date
    notes: list[str] = field(default_factory=list)
    anchor_on: date | None = None  # the date the clock started from
    late_from: date | None = None  # from this day on the reason is `late_reason` (term_end)
    late_reason: str | None = None

    def days(self, as_of: date) -> int:
        return (self.due_on - as_of).days

    def text(self, as_of: date) -> str:
        return self.late_reason if self.late_from and as_of >= self.late_from else self.reason

    def row(self, as_of: date, seq: int = 0) -> DueRow:
        c = self.case
        due_on = iso(self.due_on)
        return DueRow(work_group(due_on, c.risk_level, iso(as_of)), sort_key(due_on, c.id, self.item, seq), c.id,
                      c.id_number, c.name, c.street, c.worker, self.item, due_on, self.rule, self.text(as_of))


# The clerk's working order: overdue first, then 高 risk first, then soonest; then by case, item
# (its place in ITEMS) and `seq` (see `_numbered`). Rows carry it as a small number and a string,
# so that a district's list sorts in C, without a key function; the SQL says the same of due_items.
def work_group(due_on: str, risk_level: str | None, today: str) -> int:
    return 2 * (due_on >= today) + (risk_level != "high")


def sort_key(due_on: str, case_id: int, item: str, seq: int) -> str:
    return f"{due_on}{case_id:010d}{ITEM_ORDER[item]:02d}{seq:03d}"


WORK_GROUP = "2 * (c.due_on >= ?) + (c.risk_level IS NOT 'high')"


# The columns of the list as shown (temp.due_shown), and how the kept list (due_items) holds an
# item: with what its line shows of the person, and the width of each Chinese text, measured once.
SHOWN = ("grp", "sort_key", "case_id", "id_number", "id_masked", "name", "name_w", "street", "street_w", "worker",
         "worker_w", "item", "due_on", "due_day", "rule", "reason", "reason_w", "head")
KEPT = ("listed_on", "case_id", "item", "seq", "sort_key", "due_on", "due_day", "rule", "reason", "reason_w",
        "late_from", "reason_late", "reason_late_w", "id_number", "id_masked", "name", "name_w", "street",
        "street_w", "worker", "worker_w", "risk_level")
_measure = functools.lru_cache(maxsize=1 << 16)(width)


def _shown_row(d: DueItem, seq: int, as_of: date) -> tuple:
    """An item worked out here, as a row of temp.due_shown: its DueRow with what the layout needs."""
    r = d.row(as_of, seq)
    return (r.group, r.key, r.case_id, r.id_number, mask_id(r.id_number), r.name, _measure(r.name), r.street,
            _measure(r.street), r.worker, _measure(r.worker) if r.worker else 0, r.item, r.due_on,
            d.due_on.toordinal(), r.rule, r.reason, _measure(r.reason), None)


def _kept_row(d: DueItem, seq: int) -> tuple:
    c, due_on = d.case, iso(d.due_on)
    return (iso(d.listed_from or d.due_on), c.id, d.item, seq, sort_key(due_on, c.id, d.item, seq), due_on,
            d.due_on.toordinal(), d.rule, d.reason, _measure(d.reason), iso(d.late_from), d.late_reason,
            _measure(d.late_reason) if d.late_reason else None, c.id_number, mask_id(c.id_number), c.name,
            _measure(c.name), c.street, _measure(c.street), c.worker, _measure(c.worker) if c.worker else 0,
            c.risk_level)


class DueRow(NamedTuple):
    """One line of the due list, as shown: what the list is made of, however it was worked out.
    Rows sort into the clerk's working order by `group` and `key`."""

    group: int
    key: str
    case_id: int
    id_number: str
    name: str
    street: str
    worker: str | None
    item: str
    due_on: str  # ISO date
    rule: str
    reason: str

    def as_dict(self, as_of: date) -> dict:
        return {
            "case_id": self.case_id, "id_number": self.id_number, "name": self.name, "street": self.street,
            "worker": self.worker, "item": self.item, "due_on": self.due_on,
            "days": (date.fromisoformat(self.due_on) - as_of).days, "rule": self.rule, "reason": self.reason,
        }


@dataclass
class Anchors:
    """The recorded facts the clocks start from, for one case."""

    urine: tuple[date, int] | None = None
    hair: tuple[date, int] | None = None
    face_to_face: tuple[date, int, str] | None = None
    home: tuple[date, int, str] | None = None
    assessment: tuple[date, int, str] | None = None
    contact: tuple[date, str] | None = None
    failed_contacts: list[date] = field(default_factory=list)
    last_positive: date | None = None
    flags: list = field(default_factory=list)


# --- the arithmetic ---------------------------------------------------------------------

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


def _due(case: Case, anchor: date, interval: Interval, end: date | None, until: date) -> tuple[date | None, int]:
    """anchor + interval, pushed on by 中止; None past the term end or past `until`."""
    due, pushed = pause(case, anchor, interval.add(anchor))
    if (end is not None and due > end) or due > until:
        return None, pushed
    return due, pushed


def _clocked(case: Case, item: str, rule: str, due: date, pushed: int, anchor: date, anchor_text: str,
             interval: Interval, reason: str, year: int | None = None) -> DueItem:
    notes = [f"中止 {pushed} 天，顺延"] if pushed else []
    return DueItem(case, item, due, rule, reason, anchor_text, interval.text, year, notes=notes, anchor_on=anchor)


def items_for(case: Case, a: Anchors, rules: Rules, as_of: date, wanted=ITEMS,
              until: date = date.max) -> list[DueItem]:
    """The items of one case that the rules make due by `until` (every item when not given).
    Dates are worked out first; the words only for the items that will be shown."""
    out: list[DueItem] = []
    status = case.status
    if status in UNDER_MANAGEMENT and "police_report" in wanted:
        r = rules["police_report"]
        for flag in a.flags:
            if flag.police_reported_on is None:
                out.append(DueItem(case, "police_report", flag.triggered_on + timedelta(days=r["days"]), r.source,
                                   f"{flag.label}：{flag.reason}，应立即报告公安",
                                   f"{flag.label}产生于 {flag.triggered_on}",
                                   f"{r['days']}d", None, anchor_on=flag.triggered_on))
    if status == "pending":
        r = rules["report_in"]
        if "report_in" in wanted and case.received_on:
            due = case.received_on + timedelta(days=r["days"])
            out.append(DueItem(case, "report_in", due, r.source,
                               f"{case.received_on} 收到决定书，{r['days']} 日内应到{case.street}报到",
                               f"收到决定书日期 {case.received_on}", f"{r['days']}d", anchor_on=case.received_on))
        return _finish(out, rules, until)
    if status == "released":
        if "three_year_clean" in wanted:
            milestone, basis = clean_milestone_from(case, a.last_positive, rules)
            if milestone:
                r = rules["three_year_clean"]
                out.append(DueItem(case, "three_year_clean", milestone, r.source,
                                   f"{basis}，满 {r['years']} 年未发现复吸：可认定戒断三年未复吸，不再动态管控",
                                   basis, f"{r['years']}y", anchor_on=milestone_base(case, a.last_positive)))
        return _finish(out, rules, until)
    if status != "active" or case.reported_on is None:
        return _finish(out, rules, until)  # nothing is due while 中止, nor on a closed case
    start = case.reported_on
    end = case.term_end(as_of)
    if "agreement" in wanted and case.agreement_on is None:
        r = rules["agreement"]
        measure = MEASURE.label(case.measure)
        out.append(DueItem(case, "agreement", start + timedelta(days=r["days"]), r.source,
                           f"{start} 报到，{r['days']} 日内应签订社区{measure[2:]}协议", f"报到日期 {start}",
                           f"{r['days']}d", anchor_on=start))
    if "urine_test" in wanted:
        urine = _urine(case, a, rules, end, until)
        if urine:
            out.append(urine)
    if "hair_test" in wanted:
        r = rules["hair_test"]
        anchor = a.hair[0] if a.hair else start
        due, pushed = _due(case, anchor, r["interval"], end, until)
        if due:
            text = f"检测 #{a.hair[1]} {a.hair[0]} 毛发" if a.hair else f"报到日期 {start}"
            since = f"上次毛发检测 {a.hair[0]}" if a.hair else f"报到 {start} 后尚未做毛发检测"
            out.append(_clocked(case, "hair_test", r.source, due, pushed, anchor, text, r["interval"],
                                f"{r['interval'].label}毛发检测，{since}"))
    if "talk" in wanted:
        r = rules["talk"]
        interval = r["interval"]
        lead = interval.label
        if case.risk_level == "high" and r["high_risk_interval"] and r["high_risk_interval"].min_days < interval.min_days:
            interval, lead = r["high_risk_interval"], f"高风险{r['high_risk_interval'].label}"
        f2f = a.face_to_face
        anchor = f2f[0] if f2f else start
        due, pushed = _due(case, anchor, interval, end, until)
        if due:
            text = f"走访 #{f2f[1]} {f2f[0]} {f2f[2]}" if f2f else f"报到日期 {start}"
            since = f"上次见面 {f2f[0]}" if f2f else f"报到 {start} 后尚未面对面谈话"
            out.append(_clocked(case, "talk", r.source, due, pushed, anchor, text, interval,
                                f"{lead}面对面谈话，{since}"))
    if "home_visit" in wanted:
        r = rules["home_visit"]
        home = a.home
        anchor = home[0] if home else start
        due, pushed = _due(case, anchor, r["interval"], end, until)
        if due:
            text = f"走访 #{home[1]} {home[0]} {home[2]}" if home else f"报到日期 {start}"
            since = f"上次入户走访或帮扶 {home[0]}" if home else f"报到 {start} 后尚未入户走访"
            out.append(_clocked(case, "home_visit", r.source, due, pushed, anchor, text, r["interval"],
                                f"{r['interval'].label}入户走访或帮扶，{since}"))
    if "assessment" in wanted:
        r = rules["assessment"]
        done = a.assessment
        anchor = done[0] if done else start
        due, pushed = _due(case, anchor, r["interval"], end, until)
        if due:
            months = round((due - shifted_start(case, due)).days / 30.4375)
            kind = "年度评估" if months % 12 in (0, 1, 11) and months >= 11 else "半年小结"
            text = f"走访 #{done[1]} {done[0]} 评估" if done else f"报到日期 {start}"
            since = f"上次评估 {done[0]}" if done else f"报到 {start} 后尚未评估"
            out.append(_clocked(case, "assessment", r.source, due, pushed, anchor, text, r["interval"],
                                f"{r['interval'].label}评估（这次是{kind}），{since}"))
    if "lost_contact" in wanted:
        urine = next((i for i in out if i.item == "urine_test"), None)
        if urine is None and a.failed_contacts:
            urine = _urine(case, a, rules, end, date.max)  # its date decides R22's second clause
        lost = _lost_contact(case, a, rules, end, until, urine)
        if lost:
            out.append(lost)
    if "term_end" in wanted and end:
        r = rules["term_end"]
        notice = timedelta(days=r["notice_days"])
        if end - notice <= until:
            paused = case.suspended_days(as_of)
            notes = [f"中止 {paused} 天，期满顺延"] if paused else []
            if case.term_end_override:
                notes.append("期满日期经人工调整")
            out.append(DueItem(case, "term_end", end, r.source,
                               f"期限 {end} 届满；届满后公安应在 7 日内送达解除通知书，收到后办理期满解除",
                               f"报到日期 {start}", f"{case.term_months}m", None, end - notice, notes,
                               anchor_on=start, late_from=end + timedelta(days=1),
                               late_reason=f"期限已于 {end} 届满，尚未办理期满解除"
                                           f"（jindu case update {case.id} --status 期满解除）"))
    return _finish(out, rules, until)


def urine_interval(case: Case, rules: Rules, year: int) -> tuple[Interval, str, str]:
    """The urine-test interval of a clock started in term year `year`, its rule's source, and
    what set it: "case" (the case's own cadence), "high_risk" or "term_year"."""
    if case.test_every:
        return parse_interval(case.test_every, "个案尿检间隔"), "个案", "case"
    return variant_interval(rules, rules.urine_variant(case.measure, case.term_months), year, case.risk_level == "high")


def variant_interval(rules: Rules, variant: str, year: int, high_risk: bool) -> tuple[Interval, str, str]:
    """`urine_interval` of a variant of the rules (R9-R11), a term year, and high risk (R13) or not."""
    rule = rules.urine[variant]
    intervals = rule["intervals"]
    interval = intervals[min(year, len(intervals)) - 1]
    high = rules.urine["high_risk"]
    if high_risk and high["interval"] and high["interval"].min_days < interval.min_days:
        return high["interval"], high.source, "high_risk"
    return interval, rule.source, "term_year"


def urine_due(case: Case, anchor: date, rules: Rules, end: date | None, until: date) -> date | None:
    """R15's date of the next urine test from `anchor`, without the words: for counting over
    many people (the report's 按时检测率)."""
    interval = urine_interval(case, rules, term_year(case, anchor))[0]
    return _due(case, anchor, interval, end, until)[0]


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


def _urine(case: Case, a: Anchors, rules: Rules, end: date | None, until: date) -> DueItem | None:
    start = case.reported_on
    anchor = a.urine[0] if a.urine else start
    year = term_year(case, anchor)
    interval, source, why = urine_interval(case, rules, year)
    due, pushed = _due(case, anchor, interval, end, until)
    if due is None:
        return None
    measure = MEASURE.label(case.measure)
    lead = {"case": f"个案规定{interval.label}尿检", "term_year": f"{measure}第{year}年{interval.label}尿检",
            "high_risk": f"高风险{interval.label}尿检（{measure}第{year}年）"}[why]
    text = f"检测 #{a.urine[1]} {a.urine[0]} 尿液" if a.urine else f"报到日期 {start}"
    since = f"上次尿检 {a.urine[0]}" if a.urine else f"报到 {start} 后尚未尿检"
    return _clocked(case, "urine_test", source, due, pushed, anchor, text, interval, f"{lead}，{since}", year)


def _lost_contact(case: Case, a: Anchors, rules: Rules, end: date | None, until: date,
                  urine: DueItem | None) -> DueItem | None:
    r = rules["lost_contact"]
    start = case.reported_on
    anchor, what = a.contact if a.contact and a.contact[0] >= start else (start, "报到")
    due, pushed = pause(case, anchor, anchor + timedelta(days=r["days"]))
    reason = None
    failed = [d for d in a.failed_contacts if d > anchor]
    if urine and r["failed_contacts"] and len(failed) >= r["failed_contacts"]:
        nth = failed[r["failed_contacts"] - 1]
        if urine.due_on < nth < due:
            due = nth
            reason = (f"尿检 {urine.due_on} 已到期，此后 {r['failed_contacts']} 次联系未见到本人"
                      f"（{'、'.join(str(d) for d in failed[:r['failed_contacts']])}）")
    if (end is not None and due > end) or due > until:
        return None
    reason = reason or f"超过 {r['days']} 天没有成功联系就算失联，上次成功联系 {anchor}（{what}）"
    return DueItem(case, "lost_contact", due, r.source, reason, f"{what} {anchor}", f"{r['days']}d", None,
                   notes=[f"中止 {pushed} 天，顺延"] if pushed else [], anchor_on=anchor)


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


def clean_milestone(conn: sqlite3.Connection, case: Case) -> tuple[date, str]:
    from jindu_cli.domain.rules import load_rules

    row = conn.execute(f"SELECT max(tested_on) FROM drug_tests WHERE case_id = ? AND {FLAGGED} AND result = 'positive'",
                       [case.id]).fetchone()
    last = date.fromisoformat(row[0]) if row[0] else None
    milestone, basis = clean_milestone_from(case, last, load_rules(conn))
    return milestone, basis


def _finish(items: list[DueItem], rules: Rules, until: date = date.max) -> list[DueItem]:
    """Holiday shifts (when set), and only the items listed by `until`."""
    if rules.holiday_shift:
        for item in items:
            moved, note = shift_holiday(item.due_on)
            if note:
                item.notes.append(note)
            if moved != item.due_on:
                if item.listed_from:
                    item.listed_from += moved - item.due_on
                item.due_on = moved
    if until == date.max:
        return items
    return [i for i in items if (i.listed_from or i.due_on) <= until]


# --- loading the facts ------------------------------------------------------------------

VISIT_LABELS = {"talk": "谈话", "home_visit": "入户走访", "help": "帮扶", "assessment": "评估", "phone": "电话联系"}
# which facts each item's clock needs
NEEDS = {"urine_test": ("urine",), "hair_test": ("hair",), "talk": ("face_to_face",), "home_visit": ("home",),
         "assessment": ("assessment",), "lost_contact": ("contact", "urine"), "three_year_clean": ("positive",),
         "police_report": ("flags",)}
# the latest record per case of each kind: one index seek per case (see the m003 indexes)
def _newest(table: str, condition: str) -> str:
    day = "tested_on" if table == "drug_tests" else "visited_on"
    return (f"SELECT {day} FROM {table} r WHERE r.case_id = c.id AND {condition}"
            f" ORDER BY {day} DESC LIMIT 1")


# the latest record per case of each kind: a walk back from the newest end of the case's
# natural-key index, which stops at the first record that qualifies
_LATEST = {
    "urine": _newest("drug_tests", f"r.specimen = 'urine' AND r.result IN {PERFORMED}"),
    "hair": _newest("drug_tests", f"r.specimen = 'hair' AND r.result IN {PERFORMED}"),
    "other_test": _newest("drug_tests", f"r.specimen IN ('blood', 'saliva') AND r.result IN {PERFORMED}"),
    "face_to_face": _newest("visits", f"r.outcome = 'seen' AND r.kind IN {FACE_TO_FACE}"),
    "home": _newest("visits", f"r.outcome = 'seen' AND r.kind IN {HOME}"),
    "assessment": _newest("visits", "r.outcome = 'seen' AND r.kind = 'assessment'"),
    "phone": _newest("visits", "r.outcome = 'seen' AND r.kind = 'phone'"),
    "positive": f"SELECT max(tested_on) FROM drug_tests r WHERE r.case_id = c.id AND {FLAGGED} AND r.result = 'positive'",
}


def _fill(conn: sqlite3.Connection, ids, table: str = "due_cand") -> None:
    """A temporary table of case ids, for queries to join (`table` is one of this module's names)."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY)")
    conn.execute(f"DELETE FROM temp.{table}")
    conn.executemany(f"INSERT INTO temp.{table} (id) VALUES (?)", [(i,) for i in ids])


def _latest(conn: sqlite3.Connection, kinds: list[str]) -> dict[int, list]:
    """{case id: [latest date of each kind or None]} for the cases in temp.due_cand."""
    columns = ", ".join(f"({_LATEST[k]})" for k in kinds)
    return {row[0]: [date.fromisoformat(v) if v else None for v in row[1:]]
            for row in conn.execute(f"SELECT c.id, {columns} FROM temp.due_cand c")}


def _detail(conn: sqlite3.Connection, case_id: int, kind: str) -> tuple | None:
    """The latest record of a kind with its number and type, for explaining one case."""
    if kind in ("urine", "hair"):
        row = conn.execute(f"SELECT tested_on, id FROM drug_tests WHERE case_id = ? AND specimen = ?"
                           f" AND result IN {PERFORMED} ORDER BY tested_on DESC, id DESC LIMIT 1",
                           [case_id, kind]).fetchone()
        return (date.fromisoformat(row[0]), row[1]) if row else None
    kinds = {"face_to_face": FACE_TO_FACE, "home": HOME, "assessment": "('assessment')"}[kind]
    row = conn.execute(f"SELECT visited_on, id, kind FROM visits WHERE case_id = ? AND outcome = 'seen'"
                       f" AND kind IN {kinds} ORDER BY visited_on DESC, id DESC LIMIT 1", [case_id]).fetchone()
    return (date.fromisoformat(row[0]), row[1], VISIT_LABELS.get(row[2], row[2])) if row else None


def load_anchors(conn: sqlite3.Connection, cases: list[Case], as_of: date,
                 needed: dict[int, set[str]] | set[str], detail: bool = False) -> dict[int, Anchors]:
    """The facts each case's wanted items start from. `needed` is a set of items for every case,
    or {case id: items}; only those facts are read, each with one index seek per case."""
    out = {c.id: Anchors() for c in cases}
    by_case = needed if isinstance(needed, dict) else {c.id: needed for c in cases}
    kinds_of: dict[str, list[int]] = {}
    for case_id, items in by_case.items():
        for kind in {k for item in items for k in NEEDS.get(item, ())}:
            kinds_of.setdefault(kind, []).append(case_id)
    for kind in ("urine", "hair", "face_to_face", "home", "assessment", "positive"):
        if kind not in kinds_of:
            continue
        _fill(conn, kinds_of[kind])
        for case_id, (when,) in _latest(conn, [kind]).items():
            if when is None:
                continue
            a = out[case_id]
            if kind == "positive":
                a.last_positive = when
            elif detail:
                setattr(a, kind, _detail(conn, case_id, kind))
            else:
                setattr(a, kind, (when, 0) if kind in ("urine", "hair") else (when, 0, ""))
    if "contact" in kinds_of:
        _fill(conn, kinds_of["contact"])
        names = ["urine", "hair", "other_test", "face_to_face", "phone"]
        labels = ["尿检", "毛发检测", "检测", "见面", "电话联系"]
        for case_id, values in _latest(conn, names).items():
            best = max(((v, label) for v, label in zip(values, labels) if v), default=None)
            if best:
                out[case_id].contact = best
        for case_id, when in conn.execute(
                "SELECT v.case_id, v.visited_on FROM temp.due_cand c CROSS JOIN visits v ON v.case_id = c.id"
                " WHERE v.outcome IN ('not_seen', 'refused') ORDER BY v.case_id, v.visited_on"):
            out[case_id].failed_contacts.append(date.fromisoformat(when))
    if "flags" in kinds_of:
        ids = kinds_of["flags"]
        facts = flags_mod.load_facts(conn, ids if len(ids) <= 30000 else None, as_of)
        by_id = {c.id: c for c in cases}
        for case_id in ids:
            case = by_id[case_id]
            if case.status in UNDER_MANAGEMENT:
                out[case_id].flags = flags_mod.derive(case, facts.get(case_id, flags_mod.Facts()), as_of)
    return out


# --- the register -----------------------------------------------------------------------

def shortest(rules: Rules, item: str, conn: sqlite3.Connection) -> int:
    """The fewest days an item's interval can span, over every variant and override."""
    if item == "urine_test":
        spans = [i.min_days for v in ("community_treatment", "community_rehab_3y", "community_rehab_other")
                 for i in rules.urine[v]["intervals"]]
        if rules.urine["high_risk"]["interval"]:
            spans.append(rules.urine["high_risk"]["interval"].min_days)
        for (text,) in conn.execute("SELECT DISTINCT test_every FROM cases WHERE test_every IS NOT NULL"):
            spans.append(parse_interval(text, "个案尿检间隔").min_days)
        return min(spans)
    if item == "talk":
        r = rules["talk"]
        return min([r["interval"].min_days] + ([r["high_risk_interval"].min_days] if r["high_risk_interval"] else []))
    if item == "lost_contact":
        return rules["lost_contact"]["days"]
    return rules[item]["interval"].min_days


def alias_case(table: str) -> str:
    return table.split()[1] + ".case_id"


def candidates(conn: sqlite3.Connection, rules: Rules, as_of: date, horizon: date, scope: str,
               params: list, items: tuple[str, ...]) -> dict[int, set[str]]:
    """Case ids that could have each item due by `horizon`; `scope` limits the cases (constant SQL)."""
    found: dict[int, set[str]] = {}

    def add(item: str, sql: str, args: list) -> None:
        for (case_id,) in conn.execute(sql, args):
            found.setdefault(case_id, set()).add(item)

    active = f"SELECT id FROM cases c WHERE c.status = 'active' AND {scope}"
    # Records recent enough to rule a case out. For the whole register they are found by one scan
    # of the date index; for one street or worker, by a seek per case (`c` is the outer case).
    recent = {
        "urine_test": [("drug_tests t", f"t.specimen = 'urine' AND t.result IN {PERFORMED}", "t.tested_on")],
        "hair_test": [("drug_tests t", f"t.specimen = 'hair' AND t.result IN {PERFORMED}", "t.tested_on")],
        "talk": [("visits v", f"v.outcome = 'seen' AND v.kind IN {FACE_TO_FACE}", "v.visited_on")],
        "home_visit": [("visits v", f"v.outcome = 'seen' AND v.kind IN {HOME}", "v.visited_on")],
        "assessment": [("visits v", "v.outcome = 'seen' AND v.kind = 'assessment'", "v.visited_on")],
        "lost_contact": [("drug_tests t", f"t.specimen IN {SPECIMENS} AND t.result IN {PERFORMED}", "t.tested_on"),
                         ("visits v", f"v.outcome = 'seen' AND v.kind IN {FACE_TO_FACE[:-1]}, 'phone')", "v.visited_on")],
    }
    scoped = bool(params)
    for item, sources in recent.items():
        if item not in items:
            continue
        threshold = iso(horizon - timedelta(days=shortest(rules, item, conn)))
        if scoped:
            exists = " ".join(f"AND NOT EXISTS (SELECT 1 FROM {table} WHERE {alias_case(table)} = c.id AND {cond}"
                              f" AND {col} > ?)" for table, cond, col in sources)
            add(item, f"{active} AND c.reported_on <= ? {exists}", params + [threshold] * (1 + len(sources)))
        else:
            union = " UNION ".join(f"SELECT {alias_case(table)} FROM {table} WHERE {cond} AND {col} > ?"
                                   for table, cond, col in sources)
            add(item, f"{active} AND c.reported_on <= ? EXCEPT SELECT * FROM ({union})",
                params + [threshold] * (1 + len(sources)))
        if item == "lost_contact" and rules["lost_contact"]["failed_contacts"]:
            # R22's second clause can fall due before the 30 days: failed contacts after a recent one
            add(item, f"{active} AND EXISTS (SELECT 1 FROM visits v WHERE v.case_id = c.id"
                      " AND v.outcome IN ('not_seen', 'refused') AND v.visited_on > ?)", params + [threshold])
    if "agreement" in items:
        add("agreement", f"{active} AND c.agreement_on IS NULL AND c.reported_on <= ?",
            params + [iso(horizon - timedelta(days=rules['agreement']['days']))])
    if "report_in" in items:
        add("report_in", f"SELECT id FROM cases c WHERE c.status = 'pending' AND {scope} AND c.received_on <= ?",
            params + [iso(horizon - timedelta(days=rules['report_in']['days']))])
    if "term_end" in items:
        # SQLite's '+N months' overshoots a clipped month end by up to 3 days: keep a margin
        edge = iso(horizon + timedelta(days=rules["term_end"]["notice_days"] + 4))
        add("term_end", f"{active} AND (date(c.reported_on, '+' || c.term_months || ' months', '-1 day') <= ?"
                        " OR c.term_end_override IS NOT NULL)", params + [edge])
    if "three_year_clean" in items:
        years = rules["three_year_clean"]["years"]
        add("three_year_clean",
            f"SELECT id FROM cases c WHERE c.status = 'released' AND {scope} AND EXISTS (SELECT 1 FROM status_changes s"
            " WHERE s.case_id = c.id AND s.status = 'released' AND s.changed_on <= ?)",
            params + [iso(add_months(horizon, -12 * years))])
    if "police_report" in items:
        # A flag is answered by a police report dated on or after the day it arose. The latest day
        # a case's flags can have arisen: its last positive test; its last missed test once there
        # are enough of them; the 31st day of its last unreported absence once there are enough
        # of them or of their days; the day after its 报到 deadline. A case whose last police
        # report is not earlier than that has nothing to report.
        tests = f"FROM drug_tests t WHERE t.case_id = c.id AND {FLAGGED}"
        days = f"CASE WHEN l.days > 0 THEN l.days ELSE {flags_mod.ABSENT_DAYS_LIMIT + 1} END"
        arose = (
            f"max(coalesce((SELECT max(t.tested_on) {tests} AND t.result = 'positive'), ''),"
            f" coalesce((SELECT CASE WHEN count(*) >= {flags_mod.MISSED_TESTS_LIMIT} THEN max(t.tested_on) END"
            f" {tests} AND t.result != 'positive'), ''),"
            f" coalesce((SELECT CASE WHEN count(*) >= {flags_mod.ABSENCES_LIMIT} OR total({days})"
            f" > {flags_mod.ABSENT_DAYS_LIMIT} THEN date(max(l.left_on), '+{flags_mod.ABSENT_DAYS_LIMIT} days') END"
            " FROM leaves l WHERE l.case_id = c.id AND l.kind = 'unreported'), ''),"
            f" CASE WHEN c.status = 'pending' AND c.received_on < ?"
            f" THEN date(c.received_on, '+{REPORT_WITHIN_DAYS + 1} days') ELSE '' END)")
        add("police_report",
            f"SELECT id FROM (SELECT c.id, {arose} AS arose,"
            " (SELECT max(p.reported_on) FROM police_reports p WHERE p.case_id = c.id) AS reported"
            f" FROM cases c WHERE c.status IN ('pending', 'active', 'suspended') AND {scope})"
            " WHERE arose > coalesce(reported, '')",
            [iso(as_of - timedelta(days=REPORT_WITHIN_DAYS))] + params)
    return found


def _scope(conn: sqlite3.Connection, street: str | None, worker: str | None) -> tuple[str, list]:
    from jindu_cli.domain import reference

    clauses, params = ["1 = 1"], []
    if street:
        clauses.append("c.street = ?")
        params.append(reference.streets(conn).resolve(street))
    if worker:
        clauses.append("c.worker = ?")
        params.append(worker.strip())
    return " AND ".join(clauses), params


def select(conn: sqlite3.Connection, rules: Rules, as_of: date, within: int = 7, street: str | None = None,
           worker: str | None = None, item: str | None = None, *, narrow: bool = True, kept: bool = True,
           rebuild: bool = True, shape: Shape | None = None) -> Shown:
    """Every item due by as_of + within (overdue included), held on the connection to be read as
    rows in the clerk's working order (overdue first, then 高 risk first, then soonest), counted,
    or laid out as a table (`shape`: the table it will likely be laid out as, if known).

    The items are read from the kept list (`due_items`, brought up to date first; `rebuild`
    allows working it out afresh for these rules) when it applies, else worked out here.
    `kept=False` always works them out; `narrow=False` works out every case, without SQL narrowing:
    the reference the other two are tested against.

    Read from the kept list, the items are counted by street, and measured for `shape`, on a
    second connection in a second thread (storage.db.twin_snapshots), while this one copies them
    and works out the day's items: the two cores of an office PC share the work."""
    if within < 0:
        from jindu_cli.errors import InvalidInput

        raise InvalidInput("--within", "天数不能为负")
    items = (item,) if item else ITEMS
    horizon = as_of + timedelta(days=within)
    scope, params = _scope(conn, street, worker)
    use_kept = narrow and kept and kept_list_applies(conn, as_of) and refresh(conn, rules, as_of, rebuild)
    conn.execute("DROP TABLE IF EXISTS temp.due_shown")  # (quicker than emptying it row by row)
    conn.execute(f"CREATE TEMP TABLE due_shown ({', '.join(SHOWN)})")
    shown = Shown(conn, as_of)
    # one consistent view, even while another process writes
    with _reading(conn, use_kept) as twin:
        if use_kept and _fingerprint_matches(conn, rules):
            _from_kept(shown, rules, horizon, scope, params, items, twin, shape)
            # read with the lines laid out ahead that were just copied
            shown.laid, shown.whole = _layout(conn), not (street or worker or item)
        else:
            wanted = candidates(conn, rules, as_of, horizon, scope, params, items) if narrow else None
            _add_shown(conn, _collect(conn, rules, as_of, horizon, scope, params, items, wanted), as_of)
    return shown


@contextlib.contextmanager
def _reading(conn: sqlite3.Connection, twin: bool):
    """A read transaction on `conn`; with `twin`, also one on a second connection (yielded, or None
    when there is none) that sees the same moment."""
    from jindu_cli.storage.db import snapshot, twin_snapshots

    if not twin:
        with snapshot(conn):
            yield None
        return
    with twin_snapshots(conn) as (_, second):
        yield second


def due_list(conn: sqlite3.Connection, rules: Rules, as_of: date, within: int = 7, street: str | None = None,
             worker: str | None = None, item: str | None = None, *, narrow: bool = True,
             kept: bool = True, rebuild: bool = True) -> list[DueRow]:
    """`select`'s list as rows, in the clerk's working order."""
    return select(conn, rules, as_of, within, street, worker, item, narrow=narrow, kept=kept,
                  rebuild=rebuild).rows()


def _add_shown(conn: sqlite3.Connection, items: Iterable[DueItem], as_of: date) -> None:
    conn.executemany(f"INSERT INTO temp.due_shown VALUES ({', '.join('?' * len(SHOWN))})",
                     [_shown_row(d, seq, as_of) for d, seq in _numbered(items)])


class Shape(NamedTuple):
    """A table a due list is to be laid out as: the arguments of `Shown.table`."""

    columns: Sequence[tuple[str, str]]
    labels: dict[str, str]
    when: tuple[str, str, str]
    reveal: bool


class Shown:
    """A due list held in the temporary table due_shown of its connection, until the next list is
    selected there. A district's list is some 40,000 items: SQLite counts it and lays it out as a
    table without handing each value to Python."""

    def __init__(self, conn: sqlite3.Connection, as_of: date, laid: dict | None = None, whole: bool = False):
        self.conn, self.as_of = conn, as_of
        # the layout the kept lines' first columns were laid out ahead with (`_layout`), if the
        # list came from the kept list; whether it is the whole list (no street, worker or item)
        self.laid, self.whole = laid, whole
        # when `select` counted the list by street, and measured it for a Shape, beside the copying
        # (see `_from_kept`): {street: [overdue, today, soon]}; (Shape, widths, measures)
        self.counted: dict[str, list[int]] | None = None
        self.measured: tuple[Shape, list[int], list[str | None]] | None = None

    def rows(self) -> list[DueRow]:
        # tuple.__new__ makes each row without the Python-level checks of DueRow._make
        return list(map(functools.partial(tuple.__new__, DueRow), self.conn.execute(
            "SELECT grp, sort_key, case_id, id_number, name, street, worker, item, due_on, rule, reason"
            " FROM temp.due_shown ORDER BY grp, sort_key")))

    def case_ids(self) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT case_id FROM temp.due_shown ORDER BY case_id")]

    def counts(self) -> dict:
        """Overdue, due today and due later in the window: in all and by street."""
        counted = self.counted
        if counted is None:
            counted = _by_street(self.conn, "temp.due_shown s", [], self.as_of)
        total = {"overdue": 0, "today": 0, "soon": 0}
        by_street: dict[str, dict] = {}
        for street in sorted(counted):  # (a street is never NULL; code points order as SQLite's bytes do)
            by_street[street] = dict(zip(total, counted[street]))
            for key, n in zip(total, counted[street]):
                total[key] += n
        return {"total": total, "by_street": by_street}

    def columns(self, shape: Shape) -> list[Column]:
        """The table's columns for `shape` (see `table`), over due_shown as `s`."""
        days = f"(s.due_day - {self.as_of.toordinal()})"
        late, today, left = shape.when

        def words(text: str, number: str) -> tuple[str, str]:
            return (f"replace({_literal(text)}, '{{}}', {number})",
                    f"{width(text.replace('{}', ''))} + {text.count('{}')} * length({number})")

        (late_text, late_w), (left_text, left_w) = words(late, f"-{days}"), words(left, days)
        known = {
            **_ahead_columns(shape.labels), "id_number": ("s.id_number" if shape.reveal else "s.id_masked", None, True),
            "item": ("s.item", None, True), "days": (days, None, True),
            "when": (f"CASE WHEN {days} < 0 THEN {late_text} WHEN {days} = 0 THEN {_literal(today)}"
                     f" ELSE {left_text} END",
                     f"CASE WHEN {days} < 0 THEN {late_w} WHEN {days} = 0 THEN {width(today)} ELSE {left_w} END"),
            "rule": ("s.rule", None), "reason": ("s.reason", "s.reason_w"),
        }
        return [Column(label, *known[key]) for key, label in shape.columns]

    def table(self, columns: Sequence[tuple[str, str]], labels: dict[str, str], when: tuple[str, str, str],
              reveal: bool, caption: str | None = None) -> bytes:
        """The list as a plain table in UTF-8 (domain/layout.py), columns [(key, heading)] in the
        working order: the keys of `DueRow.as_dict`, `item_label` (the item in `labels`) and `when`
        (the days from the as-of date in words: `when` holds the words for overdue, today and
        later, with `{}` for the number of days). The ID number is masked unless `reveal`.

        The leading columns that depend neither on the day nor on `reveal` are read as the kept
        list laid them out ahead, when their widths come out as they were laid out with (the
        lines of a district's list cost a third as much). When the whole list's widths differ
        from those, or no lines were laid out for these columns and labels, the kept list's lines
        are laid out again, for the next time."""
        shape = Shape(columns, labels, when, reveal)
        spec = self.columns(shape)
        ahead = 0 if reveal or self.laid is None and not self.whole else _ahead(columns)
        if self.measured and self.measured[0] == shape:
            widths, measures = list(self.measured[1]), list(self.measured[2])
        else:
            widths, measures = measure(self.conn, "temp.due_shown s", [], spec)
        layout = {"columns": [list(c) for c in columns[:ahead]], "labels": labels}
        laid = None
        if ahead and self.laid and all(self.laid[k] == v for k, v in layout.items()):
            laid = Laid("s.head", tuple(self.laid["widths"]))
        if ahead and self.whole:
            # widths only grow, so that lists of other days or windows never lay the lines out by turns
            wider = [max(a, b) for a, b in zip(widths, laid.widths)] if laid else widths[:ahead]
            if laid is None or tuple(wider) != laid.widths:
                _lay_out(self.conn, dict(layout, widths=wider))
        return sql_table(self.conn, "temp.due_shown s", [], spec, "s.grp, s.sort_key", caption=caption,
                         widths=widths, measures=measures, laid=laid)

    def json(self, reveal: bool) -> bytes:
        """The list in JSON, in UTF-8, in the working order: the objects of `DueRow.as_dict`, as
        `cli.output.emit` writes them (the ID number masked unless `reveal`)."""
        return sql_json(self.conn, "temp.due_shown s", [], self._fields(reveal), "s.grp, s.sort_key")

    def csv(self, reveal: bool) -> bytes | None:
        """The list in CSV, as `json` (None when it is empty)."""
        return sql_csv(self.conn, "temp.due_shown s", [], self._fields(reveal), "s.grp, s.sort_key")

    def _fields(self, reveal: bool) -> list[tuple[str, str, bool]]:
        """The fields of `DueRow.as_dict`: (key, SQL, whether an integer)."""
        days = f"s.due_day - {self.as_of.toordinal()}"
        return [("case_id", "s.case_id", True), ("id_number", "s.id_number" if reveal else "s.id_masked", False),
                ("name", "s.name", False), ("street", "s.street", False), ("worker", "s.worker", False),
                ("item", "s.item", False), ("due_on", "s.due_on", False), ("days", days, True),
                ("rule", "s.rule", False), ("reason", "s.reason", False)]


# The leading columns of the due table that the kept list can lay out ahead (`Shown.table`):
# what depends neither on the day asked about nor on --reveal. `head` holds them.
AHEAD = ("case_id", "name", "id_number", "street", "worker", "item_label", "due_on")


def _ahead_columns(labels: dict[str, str]) -> dict[str, tuple]:
    """The columns of AHEAD as `Column`s' text, width and ASCII, of a row of due_items or
    due_shown as `s` (the ID number masked; an ID number is ASCII, digits and X)."""
    return {
        "case_id": ("s.case_id", None, True), "id_number": ("s.id_masked", None, True),
        "name": ("s.name", "s.name_w"), "street": ("s.street", "s.street_w"), "worker": ("s.worker", "s.worker_w"),
        "item_label": (_case("s.item", {k: _literal(v) for k, v in labels.items()}),
                       _case("s.item", {k: width(v) for k, v in labels.items()})),
        "due_on": ("s.due_on", None, True),
    }


def _ahead(columns: Sequence[tuple[str, str]]) -> int:
    """How many of the leading columns can be laid out ahead."""
    n = 0
    while n < len(columns) - 1 and columns[n][0] in AHEAD:
        n += 1
    return n


def _layout(conn: sqlite3.Connection) -> dict | None:
    """What the kept list's lines were laid out ahead with: {"columns": [[key, heading]],
    "labels": {item: label}, "widths": [int]}, or None."""
    import json

    (text,) = conn.execute("SELECT head_layout FROM due_state").fetchone()
    return json.loads(text) if text else None


def _head_sql(layout: dict) -> str:
    """SQL of a due_items row's `head` by `layout`. (A value wider than its column makes a list
    that shows it wider than the layout: its heads are then not read.)"""
    known = _ahead_columns(layout["labels"])
    return laid_sql([Column(label, *known[key]) for key, label in layout["columns"]], layout["widths"])


def misshapen_heads(conn: sqlite3.Connection) -> list[int]:
    """The cases whose kept lines laid out ahead are not what the layout gives (a program wrote
    to the file in a way jindu could not see; `db check`)."""
    layout = _layout(conn)
    if layout is None:
        return []
    return [r[0] for r in conn.execute(f"SELECT DISTINCT case_id FROM due_items AS s WHERE head IS NOT NULL"
                                       f" AND head IS NOT {_head_sql(layout)} ORDER BY case_id")]


def _lay_out(conn: sqlite3.Connection, layout: dict) -> None:
    """Lay out every kept line's leading columns by `layout`, for the next lists (skipped while
    another process writes, or on a database this process may not write)."""
    import json

    from jindu_cli.storage.db import atomic, waiting_at_most

    try:
        with waiting_at_most(conn, KEEP_WAIT_MS), atomic(conn):
            conn.execute(f"UPDATE due_items AS s SET head = {_head_sql(layout)}")
            conn.execute("UPDATE due_state SET head_layout = ?", [json.dumps(layout, ensure_ascii=False)])
    except sqlite3.OperationalError:
        pass


def _literal(text: str) -> str:
    """Text as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _case(expr: str, values: dict[str, object]) -> str:
    """SQL giving values[expr] for each key (an SQL value each), NULL for any other."""
    return f"CASE {expr} " + " ".join(f"WHEN {_literal(k)} THEN {v}" for k, v in values.items()) + " END"


def _collect(conn, rules, as_of, until, scope, params, items, wanted: dict[int, set[str]] | None) -> list[DueItem]:
    """Work out the items of the cases in `wanted` ({case id: items}) that are in scope, or of every
    case in scope."""
    if wanted is not None:
        _fill(conn, wanted, "due_ids")
        pool = load_cases(conn, f"c.id IN (SELECT id FROM temp.due_ids) AND {scope}", params)
        # (a case changed by another process may be wanted, and out of scope)
        wanted = {c.id: wanted[c.id] for c in pool}
    else:
        pool = load_cases(conn, scope, params)
        wanted = {c.id: set(items) for c in pool}
    anchors = load_anchors(conn, pool, as_of, wanted)
    out: list[DueItem] = []
    for case in pool:
        out.extend(items_for(case, anchors[case.id], rules, as_of, wanted.get(case.id, ()), until))
    return out


# --- the kept list -------------------------------------------------------------------------
#
# An item's date follows from the records, so the kept list holds every case's items and
# `jindu due` over a district reads one range of an index instead of working out 100,000 cases.
# What the day asked about changes is worked out each time: the police_report items of cases
# whose flags move with the day (报到 still pending, an absence still open, a 中止 still running);
# and the whole list for a day before the last 中止 began or ended, or before the last test or
# absence (a flag counts only records up to that day).

# the cases whose flags depend on the day asked about (SQL, the case as `c`)
# (an IN list, not EXISTS: SQLite then reads the two sets by index instead of testing every case)
DAY_BOUND = ("(c.status IN ('pending', 'suspended') OR c.id IN (SELECT l.case_id FROM leaves l"
             " WHERE l.kind = 'unreported' AND l.returned_on IS NULL AND NOT (l.days > 0)))")
# the code the kept items are worked out by: a new version of any of these works the list out afresh
_CODE = ("due.py", "cases.py", "dates.py", "enums.py", "rules.py", "flags.py", "ids.py", "layout.py")


KEEP_WAIT_MS = 250  # how long bringing the kept list up to date waits for another writer

_FINGERPRINTS: dict[int, tuple[Rules, str]] = {}


def fingerprint(rules: Rules) -> str:
    """What the kept list was worked out with: these rules, by this code."""
    known = _FINGERPRINTS.get(id(rules))
    if known and known[0] is rules:
        return known[1]
    import hashlib
    from pathlib import Path

    digest = hashlib.sha256(repr((rules.rules, rules.urine, rules.holiday_shift)).encode())
    here = Path(__file__).resolve().parent
    for name in _CODE:
        digest.update((here / name).read_bytes())
    if rules.holiday_shift:
        from importlib.metadata import version

        digest.update(version("chinesecalendar").encode())
    _FINGERPRINTS[id(rules)] = (rules, digest.hexdigest())
    return digest.hexdigest()


def kept_list_applies(conn: sqlite3.Connection, as_of: date) -> bool:
    """The kept items hold for any day on or after the last 中止 began or ended (before it the
    term end, and so what is due, was different) and the last test and absence."""
    latest = conn.execute(
        f"SELECT max(coalesce((SELECT max(changed_on) FROM status_changes WHERE {SUSPENSION_CHANGE}), ''),"
        " coalesce((SELECT max(tested_on) FROM drug_tests), ''),"
        " coalesce((SELECT max(left_on) FROM leaves), ''))").fetchone()[0]
    return iso(as_of) >= latest


def _stamp(conn: sqlite3.Connection, rules: Rules) -> str:
    """The fingerprint with the schema version: a new migration step works the list out afresh."""
    return f"{fingerprint(rules)}/{conn.execute('PRAGMA user_version').fetchone()[0]}"


def _fingerprint_matches(conn: sqlite3.Connection, rules: Rules) -> bool:
    return conn.execute("SELECT fingerprint FROM due_state").fetchone()[0] == _stamp(conn, rules)


def _changed(conn: sqlite3.Connection) -> set[int]:
    """Cases whose records changed since their items were kept."""
    tests_seen, visits_seen = conn.execute("SELECT tests_seen, visits_seen FROM due_state").fetchone()
    found = {r[0] for r in conn.execute("SELECT case_id FROM due_dirty")}
    found.update(r[0] for r in conn.execute("SELECT case_id FROM drug_tests WHERE id > ?", [tests_seen]))
    found.update(r[0] for r in conn.execute("SELECT case_id FROM visits WHERE id > ?", [visits_seen]))
    return found


def refresh(conn: sqlite3.Connection, rules: Rules, as_of: date, rebuild: bool = True) -> bool:
    """Bring the kept list up to date; False when it cannot be used (other rules than it was
    worked out for and no `rebuild`, or a database this process may not write)."""
    from jindu_cli.storage.db import atomic, waiting_at_most

    current = _fingerprint_matches(conn, rules)
    if current and not _changed(conn):
        return True
    if not current and not rebuild:
        return False
    try:
        # while another process writes (an import), the list is worked out without keeping it
        # rather than after waiting the whole busy timeout for the lock
        with waiting_at_most(conn, KEEP_WAIT_MS), atomic(conn):
            full = not _fingerprint_matches(conn, rules)
            ids = [r[0] for r in conn.execute("SELECT id FROM cases")] if full else sorted(_changed(conn))
            layout = None if full else _layout(conn)
            if full:
                conn.execute("DELETE FROM due_items")
                conn.execute("UPDATE due_state SET head_layout = NULL")
            _progress(len(ids))
            for start in range(0, len(ids), 20000):  # in slices, to bound the memory
                chunk = ids[start:start + 20000]
                _fill(conn, chunk, "due_ids")
                if not full:
                    conn.execute("DELETE FROM due_items WHERE case_id IN (SELECT id FROM temp.due_ids)")
                day_bound = {r[0] for r in conn.execute(
                    f"SELECT id FROM cases c WHERE id IN (SELECT id FROM temp.due_ids) AND {DAY_BOUND}")}
                items = [d for d in _collect(conn, rules, as_of, date.max, "1 = 1", [], ITEMS,
                                             {i: set(ITEMS) for i in chunk})
                         if not (d.item == "police_report" and d.case.id in day_bound)]
                conn.executemany(f"INSERT INTO due_items ({', '.join(KEPT)}) VALUES ({', '.join('?' * len(KEPT))})",
                                 [_kept_row(d, seq) for d, seq in _numbered(items)])
                if layout:  # laid out as the others are
                    conn.execute(f"UPDATE due_items AS s SET head = {_head_sql(layout)}"
                                 " WHERE case_id IN (SELECT id FROM temp.due_ids)")
            conn.execute("DELETE FROM due_dirty")
            conn.execute("UPDATE due_state SET fingerprint = ?,"
                         " tests_seen = coalesce((SELECT max(id) FROM drug_tests), 0),"
                         " visits_seen = coalesce((SELECT max(id) FROM visits), 0)", [_stamp(conn, rules)])
    except sqlite3.OperationalError:
        # read-only, or another process is writing: the list is worked out without keeping it
        return current
    return True


def _numbered(items: list[DueItem]):
    """Each item with its number among the items of its case and kind due on its day (two
    flags arising on one day give two police_report items)."""
    seen: dict[tuple[int, str, date], int] = {}
    for d in items:
        key = (d.case.id, d.item, d.due_on)
        seen[key] = seen.get(key, -1) + 1
        yield d, seen[key]


def _progress(cases: int) -> None:
    import sys

    if cases > 5000 and sys.stderr.isatty():
        print(f"正在更新到期清单（{cases} 个案件）…", file=sys.stderr, flush=True)


def _from_kept(shown: Shown, rules, horizon, scope, params, items, twin: sqlite3.Connection | None = None,
               shape: Shape | None = None) -> None:
    """Into temp.due_shown: the kept items by `horizon`; the police_report items that depend on the
    day, and any case changed since the list was brought up to date (by another process), worked
    out here. With a `twin` (reading the same moment), the kept items are counted by street and
    measured for `shape` on it, in a second thread, meanwhile."""
    from jindu_cli.storage.db import Beside

    conn, as_of = shown.conn, shown.as_of
    changed = _changed(conn)
    # due_items carries the person's street and worker, so the scope applies to it as `c`
    late = "c.late_from <= ?"
    sql = (f"SELECT {WORK_GROUP} AS grp, c.sort_key, c.case_id, c.id_number, c.id_masked, c.name,"
           " c.name_w, c.street, c.street_w, c.worker, c.worker_w, c.item, c.due_on, c.due_day, c.rule,"
           f" CASE WHEN {late} THEN c.reason_late ELSE c.reason END AS reason,"
           f" CASE WHEN {late} THEN c.reason_late_w ELSE c.reason_w END AS reason_w, c.head"
           f" FROM due_items c WHERE c.listed_on <= ? AND c.case_id NOT IN ({', '.join(map(str, sorted(changed)))})"
           f" AND {scope}")
    today = iso(as_of)
    args = [today, today, today, iso(horizon)] + params
    if len(items) == 1:
        sql += " AND c.item = ?"
        args.append(items[0])

    def summed(c: sqlite3.Connection, source: str, args: list) -> tuple:
        return _by_street(c, source, args, as_of), measure(c, source, args, shown.columns(shape)) if shape else None

    side = Beside(twin, lambda c: summed(c, f"({sql}) s", args), "jindu-due-twin") if twin else None
    try:
        wanted = {cid: set(items) for cid in changed}
        if "police_report" in items:
            for cid in candidates(conn, rules, as_of, horizon, f"{scope} AND {DAY_BOUND}", params, ("police_report",)):
                wanted.setdefault(cid, set()).add("police_report")
        _add_shown(conn, _collect(conn, rules, as_of, horizon, scope, params, items, wanted), as_of)
        here = summed(conn, "temp.due_shown s", []) if side else None  # the items worked out here, apart
        conn.execute(f"INSERT INTO temp.due_shown {sql}", args)
    except BaseException:
        if side is not None:
            side.wait()  # before the twin is closed under it
        raise
    if side is None:
        return
    beside = side.result()
    counted = beside[0]
    for street, numbers in here[0].items():
        counted[street] = [a + b for a, b in zip(counted.get(street, (0, 0, 0)), numbers)]
    shown.counted = counted
    if shape:
        (wide, sized), (wide_here, sized_here) = beside[1], here[1]
        register_width(conn)  # the twin may have found text to measure
        shown.measured = (shape, [max(a, b) for a, b in zip(wide, wide_here)],
                          [a or b for a, b in zip(sized, sized_here)])


def _by_street(conn: sqlite3.Connection, source: str, args: Sequence, as_of: date) -> dict[str, list[int]]:
    """The items of `FROM {source}` (a due_shown row as `s`) by street: [overdue, today, soon]."""
    today = as_of.toordinal()
    return {street: counted for street, *counted in conn.execute(
        f"SELECT s.street, sum(s.due_day < {today}), sum(s.due_day = {today}), sum(s.due_day > {today})"
        f" FROM {source} GROUP BY s.street", args)}


def explain(conn: sqlite3.Connection, case: Case, rules: Rules, as_of: date) -> list[DueItem]:
    """Every item of one case, whatever its date, with how its date was worked out."""
    anchors = load_anchors(conn, [case], as_of, set(ITEMS), detail=True)[case.id]
    return sorted(items_for(case, anchors, rules, as_of), key=lambda d: (d.due_on, ITEM_ORDER[d.item]))
