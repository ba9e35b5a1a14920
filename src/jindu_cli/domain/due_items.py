"""The items of the due list, one small pure function each: from one person's register entry and
the facts its clocks start from (`Anchors`), the item's date, the rule, and the reason in words.

`ITEM_FUNCTIONS` holds them by item. Each takes (case, anchors, rules, dates) and returns the
items it makes due by `dates.until`, or none; the words are written only for those. `items_for`
asks the functions that apply to the person's status.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from jindu_cli.domain import clocks
from jindu_cli.domain.people import Case
from jindu_cli.domain.enums import MEASURE
from jindu_cli.domain.rules import ITEMS, Interval, Rules

ITEM_ORDER = {item: i for i, item in enumerate(ITEMS)}


@dataclass(slots=True)
class DueItem:
    case: Case
    item: str
    due_on: date
    rule: str
    reason: str
    anchor: str = ""  # the record the clock started from, in words (due --explain)
    interval: str = ""  # as the rules file writes it: 1m, 15d
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


@dataclass(slots=True)
class Anchors:
    """The recorded facts one person's clocks start from: the latest record of each kind, as
    (date, record number[, kind in words]); the number is 0 where the list has no use for it."""

    urine: tuple[date, int] | None = None
    hair: tuple[date, int] | None = None
    face_to_face: tuple[date, int, str] | None = None
    home: tuple[date, int, str] | None = None
    assessment: tuple[date, int, str] | None = None
    contact: tuple[date, str] | None = None  # the last successful contact, and what it was
    failed_contacts: Sequence[date] = ()  # visits that did not see the person, in date order
    last_positive: date | None = None
    flags: Sequence = ()  # flags.Flag
    leaves_out: Sequence[tuple[int, date, date]] = ()  # 外出报告 not closed: id, left on, planned return
    transfer: object = None  # transfers.Transfer: the latest change of 执行地, its 报到 or agreement to record


class Dates(NamedTuple):
    """What every item of one person is worked out against."""

    as_of: date
    start: date | None  # 报到
    end: date | None  # the term end
    until: date  # items due later than this are not made


# --- the items of a person in execution ----------------------------------------------------

def agreement(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R5: the agreement signed within days of 报到; after a change of 执行地 (§9.11), a new one
    within days of the 报到 at the new street."""
    r = rules["agreement"]
    measure = MEASURE.label(case.measure)[2:]
    moved = a.transfer
    if case.agreement_on is None:
        return DueItem(case, "agreement", d.start + timedelta(days=r["days"]), r.source,
                       f"{d.start} 报到，{r['days']} 日内应签订社区{measure}协议", f"报到日期 {d.start}",
                       f"{r['days']}d", anchor_on=d.start)
    if moved is None or moved.reported_on is None or moved.agreement_on is not None:
        return None
    return DueItem(case, "agreement", moved.reported_on + timedelta(days=r["days"]), r.source,
                   f"{moved.reported_on} 在{moved.to_street}报到，{r['days']} 日内应重新签订社区{measure}协议"
                   f"（jindu case transfer {case.id} --agreement-on 日期）",
                   f"变更执行地 #{moved.id} 新街道报到 {moved.reported_on}", f"{r['days']}d", anchor_on=moved.reported_on)


def transfer_report(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R4 (§9.11): after a change of 执行地, 报到 at the new street within days."""
    moved = a.transfer
    if moved is None or moved.reported_on is not None:
        return None
    r = rules["transfer_report"]
    return DueItem(case, "transfer_report", moved.moved_on + timedelta(days=r["days"]), r.source,
                   f"{moved.moved_on} 执行地由{moved.from_street}变更为{moved.to_street}，{r['days']} 日内应到"
                   f"{moved.to_street}报到（jindu case transfer {case.id} --reported-on 日期）",
                   f"变更执行地 #{moved.id} {moved.moved_on}", f"{r['days']}d", anchor_on=moved.moved_on)


def urine_test(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R9-R13, R15: the next urine test."""
    anchor = a.urine[0] if a.urine else d.start
    year = clocks.term_year(case, anchor)
    early = clocks.early_in_term(case, rules, anchor)
    interval, source, why = clocks.urine_interval(case, rules, year, early)
    due, pushed = clocks.next_due(case, anchor, interval, d.end)
    if due is None or due > d.until:
        return None
    lead = _urine_lead(case, rules, interval, year, why)
    text = f"检测 #{a.urine[1]} {a.urine[0]} 尿液" if a.urine else f"报到日期 {d.start}"
    since = f"上次尿检 {a.urine[0]}" if a.urine else f"报到 {d.start} 后尚未尿检"
    return _clocked(case, "urine_test", source, due, pushed, anchor, text, interval, f"{lead}，{since}", year)


def _urine_lead(case: Case, rules: Rules, interval: Interval, year: int, why: str) -> str:
    """What set a urine test's interval, in words (clocks.urine_interval's `why`)."""
    if why == "case":
        return f"个案规定{interval.label}尿检"
    measure = MEASURE.label(case.measure)
    if why == "term_year":
        return f"{measure}第{year}年{interval.label}尿检"
    if why == "high_risk":
        return f"高风险{interval.label}尿检（{measure}第{year}年）"
    months = rules.urine[rules.urine_variant(case.measure, case.term_months)]["start_months"]
    return f"{measure}头{months}个月{interval.label}尿检（严格方案）"


def hair_test(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R14: the next hair test."""
    r = rules["hair_test"]
    anchor = a.hair[0] if a.hair else d.start
    due, pushed = clocks.next_due(case, anchor, r["interval"], d.end)
    if due is None or due > d.until:
        return None
    text = f"检测 #{a.hair[1]} {a.hair[0]} 毛发" if a.hair else f"报到日期 {d.start}"
    since = f"上次毛发检测 {a.hair[0]}" if a.hair else f"报到 {d.start} 后尚未做毛发检测"
    return _clocked(case, "hair_test", r.source, due, pushed, anchor, text, r["interval"],
                    f"{r['interval'].label}毛发检测，{since}")


def talk(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R16: the next face-to-face talk (any visit that saw the person counts)."""
    r = rules["talk"]
    interval, lead = r["interval"], r["interval"].label
    high = r["high_risk_interval"]
    if case.risk_level == "high" and high and high.min_days < interval.min_days:
        interval, lead = high, f"高风险{high.label}"
    seen = a.face_to_face
    anchor = seen[0] if seen else d.start
    due, pushed = clocks.next_due(case, anchor, interval, d.end)
    if due is None or due > d.until:
        return None
    text = f"走访 #{seen[1]} {seen[0]} {seen[2]}" if seen else f"报到日期 {d.start}"
    since = f"上次见面 {seen[0]}" if seen else f"报到 {d.start} 后尚未面对面谈话"
    return _clocked(case, "talk", r.source, due, pushed, anchor, text, interval, f"{lead}面对面谈话，{since}")


def home_visit(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R17: the next home visit or 帮扶."""
    r = rules["home_visit"]
    home = a.home
    anchor = home[0] if home else d.start
    due, pushed = clocks.next_due(case, anchor, r["interval"], d.end)
    if due is None or due > d.until:
        return None
    text = f"走访 #{home[1]} {home[0]} {home[2]}" if home else f"报到日期 {d.start}"
    since = f"上次入户走访或帮扶 {home[0]}" if home else f"报到 {d.start} 后尚未入户走访"
    return _clocked(case, "home_visit", r.source, due, pushed, anchor, text, r["interval"],
                    f"{r['interval'].label}入户走访或帮扶，{since}")


def assessment(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R18: the half-yearly 小结 or the yearly 评估."""
    r = rules["assessment"]
    done = a.assessment
    anchor = done[0] if done else d.start
    due, pushed = clocks.next_due(case, anchor, r["interval"], d.end)
    if due is None or due > d.until:
        return None
    months = round((due - clocks.shifted_start(case, due)).days / 30.4375)
    kind = "年度评估" if months % 12 in (0, 1, 11) and months >= 11 else "半年小结"
    text = f"走访 #{done[1]} {done[0]} 评估" if done else f"报到日期 {d.start}"
    since = f"上次评估 {done[0]}" if done else f"报到 {d.start} 后尚未评估"
    return _clocked(case, "assessment", r.source, due, pushed, anchor, text, r["interval"],
                    f"{r['interval'].label}评估（这次是{kind}），{since}")


def lost_contact(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R22: no successful contact for the days the rule gives, or a missed urine test followed
    by failed contacts."""
    r = rules["lost_contact"]
    anchor, what = a.contact if a.contact and a.contact[0] >= d.start else (d.start, "报到")
    due, pushed = clocks.pause(case, anchor, anchor + timedelta(days=r["days"]))
    reason = None
    wanted = r["failed_contacts"]
    if wanted and len([f for f in a.failed_contacts if f > anchor]) >= wanted:
        missed = urine_test(case, a, rules, d._replace(until=date.max))  # its date decides the second clause
        # §9.6: the failed contacts made after the missed test fell due (and after the last success)
        failed = [f for f in a.failed_contacts if missed and f > max(anchor, missed.due_on)]
        if len(failed) >= wanted and failed[wanted - 1] < due:
            due = failed[wanted - 1]
            reason = (f"尿检 {missed.due_on} 已到期，此后 {wanted} 次联系未成功"
                      f"（{'、'.join(str(f) for f in failed[:wanted])}）")
    if (d.end is not None and due > d.end) or due > d.until:
        return None
    reason = reason or f"超过 {r['days']} 天没有成功联系就算失联，上次成功联系 {anchor}（{what}）"
    return DueItem(case, "lost_contact", due, r.source, reason, f"{what} {anchor}", f"{r['days']}d", None,
                   notes=[f"中止 {pushed} 天，顺延"] if pushed else [], anchor_on=anchor)


def term_end(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R19: the term's end, listed from the notice days before it."""
    r = rules["term_end"]
    end = d.end
    if end is None or end - timedelta(days=r["notice_days"]) > d.until:
        return None
    paused = case.suspended_days(d.as_of)
    notes = [f"中止 {paused} 天，期满顺延"] if paused else []
    if case.term_end_override:
        notes.append("期满日期经人工调整")
    return DueItem(case, "term_end", end, r.source,
                   f"期限 {end} 届满；届满后公安应在 7 日内送达解除通知书，收到后办理期满解除",
                   f"报到日期 {d.start}", f"{case.term_months}m", None, end - timedelta(days=r["notice_days"]), notes,
                   anchor_on=d.start)


def release_notice(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R19, §9.10: a person past the term's end without 期满解除 (期满待解除): the 解除通知书 to ask the
    police for once their days to send it have passed."""
    if d.end is None or d.as_of <= d.end:
        return None
    r = rules["release_notice"]
    due = d.end + timedelta(days=r["days"])
    if due > d.until:
        return None
    return DueItem(case, "release_notice", due, r.source,
                   f"期限已于 {d.end} 届满，公安应在 {r['days']} 日内送达解除通知书：请催要，收到后办理期满解除"
                   f"（jindu case update {case.id} --status 期满解除）", f"期满日期 {d.end}", f"{r['days']}d",
                   anchor_on=d.end)


def hair_review(case: Case, a: Anchors, rules: Rules, d: Dates) -> list[DueItem]:
    """§9.8: each hair positive that cannot show use during the measure, to be confirmed as 复吸 or
    dismissed, due the day it was sampled."""
    r = rules["hair_review"]
    out = []
    for flag in a.flags:
        if flag.kind == "hair_unconfirmed" and flag.open and flag.triggered_on <= d.until:
            test = flag.evidence[0].record_id
            out.append(DueItem(case, "hair_review", flag.triggered_on, r.source,
                               f"{flag.reason}：认定复吸（jindu test review {test} --confirm）或排除"
                               f"（jindu test review {test} --dismiss --reason 理由）",
                               flag.evidence[0].text, "0d", anchor_on=flag.triggered_on))
    return out


def leave_return(case: Case, a: Anchors, rules: Rules, d: Dates) -> list[DueItem]:
    """R6, §9.14: each 外出报告 not closed, due to be closed (销假) on its planned return."""
    r = rules["leave_return"]
    return [DueItem(case, "leave_return", back, r.source,
                    f"{left} 外出报告，预计 {back} 返回：请销假（jindu leave close {leave_id} --returned-on 返回日期）",
                    f"外出 #{leave_id} {left}", "0d", anchor_on=left)
            for leave_id, left, back in a.leaves_out if back <= d.until]


def _clocked(case: Case, item: str, rule: str, due: date, pushed: int, anchor: date, anchor_text: str,
             interval: Interval, reason: str, year: int | None = None) -> DueItem:
    notes = [f"中止 {pushed} 天，顺延"] if pushed else []
    return DueItem(case, item, due, rule, reason, anchor_text, interval.text, year, notes=notes, anchor_on=anchor)


# --- the items of other statuses --------------------------------------------------------------

def report_in(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R3: 报到 within days of receiving the decision."""
    if not case.received_on:
        return None
    r = rules["report_in"]
    return DueItem(case, "report_in", case.received_on + timedelta(days=r["days"]), r.source,
                   f"{case.received_on} 收到决定书，{r['days']} 日内应到{case.street}报到",
                   f"收到决定书日期 {case.received_on}", f"{r['days']}d", anchor_on=case.received_on)


def three_year_clean(case: Case, a: Anchors, rules: Rules, d: Dates) -> DueItem | None:
    """R21: three years after the measure's end (or the last positive test) without a relapse."""
    milestone, basis = clocks.clean_milestone_from(case, a.last_positive, rules)
    if not milestone:
        return None
    r = rules["three_year_clean"]
    return DueItem(case, "three_year_clean", milestone, r.source,
                   f"{basis}，满 {r['years']} 年未发现复吸：可认定戒断三年未复吸，不再动态管控",
                   basis, f"{r['years']}y", anchor_on=clocks.milestone_base(case, a.last_positive))


def police_report(case: Case, a: Anchors, rules: Rules, d: Dates) -> list[DueItem]:
    """R8 (§9.13): each flag the police must be told of and have not been, due the working day after
    it arose (`days` working days; 0: that day)."""
    r = rules["police_report"]
    out = []
    closed = case.status in ("released", "clean")
    for flag in a.flags:
        if not flag.for_police or not flag.open or (closed and not flag.after_release):
            continue  # (after the measure, only a positive then (§9.9) is still for the police)
        due, note = clocks.working_days_after(flag.triggered_on, r["days"], rules.holiday_shift)
        out.append(DueItem(case, "police_report", due, r.source, f"{flag.label}：{flag.reason}",
                           f"{flag.label}产生于 {flag.triggered_on}", f"{r['days']}wd" if r["days"] else "0d",
                           None, notes=[note] if note else [], anchor_on=flag.triggered_on))
    return out


ItemFunction = Callable[[Case, Anchors, Rules, Dates], "DueItem | list[DueItem] | None"]
ITEM_FUNCTIONS: dict[str, ItemFunction] = {
    "report_in": report_in, "agreement": agreement, "urine_test": urine_test, "hair_test": hair_test,
    "talk": talk, "home_visit": home_visit, "assessment": assessment, "term_end": term_end,
    "three_year_clean": three_year_clean, "lost_contact": lost_contact, "police_report": police_report,
    "hair_review": hair_review, "leave_return": leave_return, "release_notice": release_notice,
    "transfer_report": transfer_report,
}
# the items each status can have; an active case without a 报到 date has only police reports
BY_STATUS = {
    "pending": ("police_report", "report_in"),
    "active": ("police_report", "agreement", "urine_test", "hair_test", "talk", "home_visit", "assessment",
               "lost_contact", "term_end", "hair_review", "leave_return", "release_notice", "transfer_report"),
    "suspended": ("police_report",),
    "released": ("police_report", "three_year_clean"),  # (§9.9: a positive after 期满解除)
    "clean": ("police_report",),
}
# past the term's end without 期满解除 (期满待解除, §9.10): no longer 在管, only the 解除通知书 to ask for
AWAITING_RELEASE = ("release_notice",)


def items_for(case: Case, a: Anchors, rules: Rules, as_of: date, wanted=ITEMS,
              until: date = date.max) -> list[DueItem]:
    """The items of one person that the rules make due by `until` (every item when not given)."""
    names = BY_STATUS.get(case.status, ())
    if case.status == "active" and case.reported_on is None:
        names = ("police_report",)
    dates = Dates(as_of, case.reported_on, case.term_end(as_of) if case.reported_on else None, until)
    if case.status == "active" and dates.end is not None and as_of > dates.end:
        names = AWAITING_RELEASE
    out: list[DueItem] = []
    for name in names:
        if name in wanted:
            made = ITEM_FUNCTIONS[name](case, a, rules, dates)
            if type(made) is list:
                out.extend(made)
            elif made is not None:
                out.append(made)
    return finish(out, rules, until)


def finish(items: list[DueItem], rules: Rules, until: date = date.max) -> list[DueItem]:
    """Holiday shifts (when set), and only the items listed by `until`."""
    if rules.holiday_shift:
        for item in items:
            moved, note = clocks.shift_holiday(item.due_on)
            if note:
                item.notes.append(note)
            if moved != item.due_on:
                if item.listed_from:
                    item.listed_from += moved - item.due_on
                item.due_on = moved
    if until == date.max:
        return items
    return [i for i in items if (i.listed_from or i.due_on) <= until]
