"""Consequences the law attaches to the records, derived each time from the records themselves:

- 复吸: a 阳性 test during the measure (禁毒法38(2)), or after 期满解除 while the person is still under
  动态管控 (禁毒法38(4), domain.md §9.9); the street must report it to the police (R8).
- 毛发阳性待核实 (§9.8): a hair positive sampled sooner after 报到 than hair shows (6 months, a
  setting) cannot show use during the measure: the clerk confirms it (复吸) or dismisses it.
- 严重违反协议 (R7, 条例20): 拒检 + 逃检 reaching 3, or 擅离 reaching 3 times or more than 30 days in
  total, within the measure; reported to the police (R8).
- 逾期未报到 (R3, §9.7): the 15 days to report passed without a 报到 (视为拒绝), or the 报到 came late
  with no good reason recorded; reported to the police.
- 逾期未归 (R6, §9.14): a 外出报告's return date passed by the grace days without 销假; answered by
  the 销假 or by recording the absence as 擅离.

A flag the police must be told of is answered by a police report dated on or after the day it arose.
Nothing here is stored: correcting a record (a 拒检 that was really 阴性) changes the flags it gives
rise to.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from jindu_cli.domain import audit
from jindu_cli.domain.dates import add_months, from_iso, iso
from jindu_cli.domain.enums import MISSED_RESULTS, RESULT, SPECIMEN
from jindu_cli.domain.people import Case
from jindu_cli.domain.text import clean_text
from jindu_cli.errors import InvalidInput
from jindu_cli.storage.db import atomic, id_table
from jindu_cli.storage.migrations import FLAGGED

MISSED_TESTS_LIMIT = 3  # 逃避或者拒绝接受检测三次以上
ABSENCES_LIMIT = 3  # 擅自离开三次以上
ABSENT_DAYS_LIMIT = 30  # 累计超过三十日

KINDS = {"relapse": "复吸", "hair_unconfirmed": "毛发阳性待核实", "serious_violation": "严重违反协议",
         "report_overdue": "逾期未报到", "overdue_return": "逾期未归"}
FOR_POLICE = ("relapse", "serious_violation", "report_overdue")  # R8: the street reports these


class Windows(NamedTuple):
    """The settings flags are derived with (rules file): §9.8's months, §9.14's grace days."""

    hair_months: int = 6
    grace_days: int = 3


def windows_of(rules) -> Windows:
    return Windows(rules["hair_review"]["window_months"], rules["leave_return"]["grace_days"])


@dataclass
class Evidence:
    entity: str  # "drug_test", "leave" or "case"
    record_id: int
    on: date
    text: str

    def as_dict(self) -> dict:
        return {"entity": self.entity, "record_id": self.record_id, "on": iso(self.on), "text": self.text}


@dataclass
class Flag:
    case_id: int
    kind: str
    triggered_on: date
    reason: str
    evidence: list[Evidence] = field(default_factory=list)
    police_reported_on: date | None = None
    answer: str | None = None  # what answered it other than a police report
    after_release: bool = False  # a 复吸 after 期满解除 (§9.9)

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    @property
    def for_police(self) -> bool:
        return self.kind in FOR_POLICE

    @property
    def open(self) -> bool:
        """Not answered yet, by a police report or otherwise."""
        return self.police_reported_on is None and self.answer is None

    def as_dict(self) -> dict:
        return {
            "case_id": self.case_id, "flag": self.label, "kind": self.kind,
            "triggered_on": iso(self.triggered_on), "reason": self.reason,
            "evidence": [e.as_dict() for e in self.evidence],
            "police_reported_on": iso(self.police_reported_on), "answer": self.answer,
            "after_release": self.after_release,
        }


@dataclass
class Facts:
    """What the flags of one case are derived from: its tests that were not negative, its
    unreported absences, its 外出报告 not closed, the answers to its hair positives, and the dates it
    was reported to the police."""

    tests: list[tuple[int, date, str, str, list]] = field(default_factory=list)  # id, on, specimen, result, substances
    absences: list[tuple[int, date, int]] = field(default_factory=list)  # id, left_on, days
    police_reports: list[date] = field(default_factory=list)
    leaves_out: list[tuple[int, date, date]] = field(default_factory=list)  # id, left_on, return_due
    hair_reviews: dict[int, tuple[str, str | None, date]] = field(default_factory=dict)  # test id -> answer


def derive(case: Case, facts: Facts, as_of: date, windows: Windows = Windows()) -> list[Flag]:
    """Every flag of one case by `as_of`, each with whether and when the police were told."""
    start = case.term_start
    end = case.term_end(as_of)

    def in_measure(on: date) -> bool:
        return start is not None and start <= on <= as_of and (end is None or on <= end)

    tests = sorted((t for t in facts.tests if in_measure(t[1])), key=lambda t: (t[1], t[0]))
    flags = _positives(case, tests, facts, windows)
    flags += _after_release(case, facts, end, as_of)
    absences = sorted((a for a in facts.absences if in_measure(a[1])), key=lambda a: (a[1], a[0]))
    flags += _serious(case, tests, absences)
    flags += _report_overdue(case, as_of)
    flags += _overdue_returns(case, facts, as_of, windows)
    reports = sorted(facts.police_reports)
    for flag in flags:
        if flag.for_police:
            flag.police_reported_on = next((d for d in reports if d >= flag.triggered_on), None)
    return flags


def _positives(case: Case, tests: list, facts: Facts, windows: Windows) -> list[Flag]:
    """复吸 for each positive during the measure; a hair positive sampled within the hair window
    of 报到 is 毛发阳性待核实 until confirmed (复吸) or dismissed (§9.8)."""
    flags = []
    soon = add_months(case.term_start, windows.hair_months) if case.term_start else None
    for test_id, on, specimen, result, substances in tests:
        if result != "positive":
            continue
        found = f"（{'、'.join(substances)}）" if substances else ""
        what = f"{SPECIMEN.label(specimen)}检测阳性{found}"
        evidence = [Evidence("drug_test", test_id, on, f"{on} {SPECIMEN.label(specimen)}阳性 #{test_id}")]
        review = facts.hair_reviews.get(test_id)
        if specimen == "hair" and soon and on < soon and (review is None or review[0] != "confirmed"):
            why = (f"报到 {case.term_start} 后不满 {windows.hair_months} 个月采样的毛发{what[2:]}，"
                   f"不能证明措施期间吸毒，需核实")
            answer = f"{review[2]} 已排除：{review[1]}" if review else None
            flags.append(Flag(case.id, "hair_unconfirmed", on, why, evidence, answer=answer))
            continue
        confirmed = "（经核实认定）" if review and review[0] == "confirmed" else ""
        flags.append(Flag(case.id, "relapse", on, f"社区{_measure(case)}期间{what}{confirmed}", evidence))
    return flags


def _after_release(case: Case, facts: Facts, end: date | None, as_of: date) -> list[Flag]:
    """§9.9: a positive after 期满解除, while the person is still under 动态管控 (not yet 戒断三年)."""
    if case.status not in ("released", "clean") or end is None:
        return []
    flags = []
    for test_id, on, specimen, result, substances in sorted(facts.tests, key=lambda t: (t[1], t[0])):
        if result == "positive" and end < on <= as_of:
            found = f"（{'、'.join(substances)}）" if substances else ""
            flags.append(Flag(case.id, "relapse", on, f"期满解除后{SPECIMEN.label(specimen)}检测阳性{found}",
                              [Evidence("drug_test", test_id, on, f"{on} {SPECIMEN.label(specimen)}阳性 #{test_id}")],
                              after_release=True))
    return flags


def _serious(case: Case, tests: list, absences: list) -> list[Flag]:
    """严重违反协议 (R7) when the missed tests or the absences reach their limits."""
    missed = [t for t in tests if t[3] in MISSED_RESULTS]
    triggers: list[date] = []
    reasons: list[str] = []
    if len(missed) >= MISSED_TESTS_LIMIT:
        triggers.append(missed[MISSED_TESTS_LIMIT - 1][1])
        reasons.append(f"拒检·逃检 {len(missed)} 次")
    if len(absences) >= ABSENCES_LIMIT:
        triggers.append(absences[ABSENCES_LIMIT - 1][1])
        reasons.append(f"擅离 {len(absences)} 次")
    total = 0
    days_exceeded = False
    for _, left_on, days in absences:
        if total + days > ABSENT_DAYS_LIMIT:
            # the 31st day away is the day the limit is passed
            triggers.append(left_on + timedelta(days=ABSENT_DAYS_LIMIT - total))
            reasons.append(f"擅离累计 {sum(a[2] for a in absences)} 天")
            days_exceeded = True
            break
        total += days
    if not triggers:
        return []
    evidence = []
    if len(missed) >= MISSED_TESTS_LIMIT:
        evidence += [Evidence("drug_test", t[0], t[1], f"{t[1]} {RESULT.label(t[3])} #{t[0]}") for t in missed]
    if len(absences) >= ABSENCES_LIMIT or days_exceeded:
        evidence += [Evidence("leave", a[0], a[1], f"{a[1]} 起擅离 {a[2]} 天 #{a[0]}") for a in absences]
    return [Flag(case.id, "serious_violation", min(triggers), "，".join(reasons), evidence)]


def _report_overdue(case: Case, as_of: date) -> list[Flag]:
    """逾期未报到 (R3): still not reported after the deadline, or reported late (§9.7): the flag stays,
    with its evidence, until a police report or a good reason the clerk records answers it."""
    deadline = case.report_deadline
    if deadline is None or as_of <= deadline:
        return []
    evidence = [Evidence("case", case.id, case.received_on, f"{case.received_on} 收到决定书")]
    if case.status == "pending":
        why = f"报到期限 {deadline} 已过，视为拒绝接受社区{_measure(case)}"
    elif case.reported_on and case.reported_on > deadline:
        why = f"报到期限 {deadline} 已过，{case.reported_on} 才报到，视为拒绝接受社区{_measure(case)}"
        evidence.append(Evidence("case", case.id, case.reported_on, f"{case.reported_on} 报到"))
    else:
        return []
    answer = f"已记录逾期报到理由：{case.late_reason}" if case.late_reason else None
    return [Flag(case.id, "report_overdue", deadline + timedelta(days=1), why, evidence, answer=answer)]


def _overdue_returns(case: Case, facts: Facts, as_of: date, windows: Windows) -> list[Flag]:
    """逾期未归 (§9.14): a 外出报告 not closed the grace days after its planned return."""
    flags = []
    for leave_id, left_on, return_due in facts.leaves_out:
        arises = return_due + timedelta(days=windows.grace_days + 1)
        if arises <= as_of:
            flags.append(Flag(case.id, "overdue_return", arises,
                              f"{left_on} 外出，应于 {return_due} 返回，逾期 {windows.grace_days} 天仍未销假",
                              [Evidence("leave", leave_id, left_on, f"{left_on} 外出报告 #{leave_id}")]))
    return flags


def answered(facts: Facts) -> bool:
    """Whether every flag of a person in execution (逾期未报到 aside) that these facts can raise is
    answered: none arises later than its last record (an absence's 31st day), so a police report on
    or after that answers them all, without working them out. Hair positives and open 外出报告 have
    answers of their own: such a person is worked out."""
    if not facts.police_reports or facts.leaves_out or any(t[2] == "hair" for t in facts.tests):
        return False
    last = max([t[1] for t in facts.tests] + [a[1] + timedelta(days=ABSENT_DAYS_LIMIT) for a in facts.absences],
               default=date.min)
    return max(facts.police_reports) >= last


def _measure(case: Case) -> str:
    return "戒毒" if case.measure == "community_treatment" else "康复"


def load_facts(conn: sqlite3.Connection, case_ids: list[int] | None, as_of: date) -> dict[int, Facts]:
    """The facts of the given cases (all cases when None), a query for each kind."""
    where = ""
    if case_ids is not None:
        if not case_ids:
            return {}
        where = f" AND case_id IN ({id_table(conn, case_ids, 'flag_ids')})"
    facts: dict[int, Facts] = {}
    found: dict[str, list] = {}  # the lists of substances, decoded once each (few differ)
    for cid, tid, on, specimen, result, substances in conn.execute(
        f"SELECT case_id, id, tested_on, specimen, result, substances FROM drug_tests WHERE {FLAGGED}" + where):
        listed = found.get(substances)
        if listed is None:
            listed = found[substances] = json.loads(substances)
        facts.setdefault(cid, Facts()).tests.append((tid, from_iso(on), specimen, result, listed))
    for cid, lid, kind, left_on, return_due, returned_on, days in conn.execute(
            "SELECT case_id, id, kind, left_on, return_due, returned_on, days FROM leaves"
            " WHERE (kind = 'unreported' OR (returned_on IS NULL AND return_due IS NOT NULL))" + where):
        left = from_iso(left_on)
        if kind == "reported":
            facts.setdefault(cid, Facts()).leaves_out.append((lid, left, from_iso(return_due)))
            continue
        length = days or max(1, ((from_iso(returned_on) or as_of) - left).days)
        facts.setdefault(cid, Facts()).absences.append((lid, left, length))
    for cid, on in conn.execute("SELECT case_id, reported_on FROM police_reports WHERE 1 = 1" + where):
        facts.setdefault(cid, Facts()).police_reports.append(from_iso(on))
    for cid, tid, answer, reason, on in conn.execute(
            "SELECT case_id, test_id, answer, reason, answered_on FROM hair_reviews WHERE 1 = 1" + where):
        facts.setdefault(cid, Facts()).hair_reviews[tid] = (answer, reason, from_iso(on))
    return facts


def case_flags(conn: sqlite3.Connection, case: Case, as_of: date) -> list[Flag]:
    from jindu_cli.domain.rules import load_rules

    return derive(case, load_facts(conn, [case.id], as_of).get(case.id, Facts()), as_of,
                  windows_of(load_rules(conn)))


def flagged_cases(conn: sqlite3.Connection, cases: list[Case], as_of: date) -> list[tuple[Case, list[Flag]]]:
    """Every case of `cases` that has a flag, with its flags."""
    from jindu_cli.domain.rules import load_rules

    windows = windows_of(load_rules(conn))
    facts = load_facts(conn, [c.id for c in cases], as_of)
    out = []
    for case in cases:
        flags = derive(case, facts.get(case.id, Facts()), as_of, windows)
        if flags:
            out.append((case, flags))
    return out


def flag_list(conn: sqlite3.Connection, as_of: date, *, street: str | None = None, worker: str | None = None,
              include_closed: bool = False, unreported: bool = False,
              case_id: int | None = None) -> list[tuple[Case, Flag]]:
    """Every flag of the cases in scope, by case; of a closed case (终止, 死亡, 期满解除, 戒断三年未复吸)
    only with `include_closed`, except a positive after the measure not reported yet: it is owed to
    the police as any other (§9.9), and the due list asks for it. `unreported`: only the flags not
    answered yet."""
    from jindu_cli.domain.enums import CLOSED_STATUSES
    from jindu_cli.domain.find import list_cases
    from jindu_cli.domain.people import get_case

    pool = [get_case(conn, case_id)] if case_id is not None else list_cases(conn, street=street, worker=worker)
    if not include_closed:  # (a positive after the measure is of those released alone)
        pool = [c for c in pool if c.status not in CLOSED_STATUSES or c.status in ("released", "clean")]
    return [(case, flag) for case, found in flagged_cases(conn, pool, as_of) for flag in found
            if (flag.open or not unreported)
            and (include_closed or case.status not in CLOSED_STATUSES or flag.open and flag.after_release)]


def add_police_report(conn: sqlite3.Connection, case: Case, on: date, as_of: date, operator: str,
                      matter: str | None = None, reference: str | None = None, notes: str | None = None) -> int:
    """Record that the street reported the case to the police (报告公安) on `on`."""
    if on > as_of:
        raise InvalidInput("报告日期", f"{on} 晚于今天（{as_of}）")
    if case.received_on and on < case.received_on:
        raise InvalidInput("报告日期", f"{on} 早于收到决定书日期 {case.received_on}")
    if not matter:
        pending = [f.label for f in case_flags(conn, case, as_of)
                   if f.for_police and f.open and f.triggered_on <= on]
        matter = "、".join(dict.fromkeys(pending)) or None
    values = {"reported_on": iso(on), "matter": clean_text(matter, "报告事项", 200),
              "reference": clean_text(reference, "回执或文号", 100), "notes": clean_text(notes, "备注", 2000)}
    now = audit.utc_now()
    with atomic(conn):
        cur = conn.execute(
            "INSERT INTO police_reports (case_id, reported_on, matter, reference, notes, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)", [case.id, values["reported_on"], values["matter"], values["reference"],
                                           values["notes"], now])
        audit.record(conn, operator, "add", "police_report", cur.lastrowid, case.id,
                     {k: [None, v] for k, v in values.items() if v})
    return cur.lastrowid
