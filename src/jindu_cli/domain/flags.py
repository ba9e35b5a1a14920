"""Consequences the law attaches to the records, derived each time from the records themselves:

- 复吸: a 阳性 test during the measure (禁毒法38(2)); the street must report it to the police (R8).
- 严重违反协议 (R7, 条例20): 拒检 + 逃检 reaching 3, or 擅离 reaching 3 times or more than 30 days in
  total, within the measure; reported to the police (R8).
- 逾期未报到 (R3): the 15 days to report have passed without a 报到 (视为拒绝); reported to the police.

A flag is answered by a police report (报告公安) dated on or after the day it arose. Nothing here is
stored: correcting a record (a 拒检 that was really 阴性) changes the flags it gives rise to.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta

from jindu_cli.domain import audit
from jindu_cli.domain.people import Case
from jindu_cli.domain.dates import from_iso, iso
from jindu_cli.domain.enums import MISSED_RESULTS, RESULT, SPECIMEN
from jindu_cli.domain.text import clean_text
from jindu_cli.errors import InvalidInput
from jindu_cli.storage.db import atomic, id_table
from jindu_cli.storage.migrations import FLAGGED

MISSED_TESTS_LIMIT = 3  # 逃避或者拒绝接受检测三次以上
ABSENCES_LIMIT = 3  # 擅自离开三次以上
ABSENT_DAYS_LIMIT = 30  # 累计超过三十日

KINDS = {"relapse": "复吸", "serious_violation": "严重违反协议", "report_overdue": "逾期未报到"}


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

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    def as_dict(self) -> dict:
        return {
            "case_id": self.case_id, "flag": self.label, "kind": self.kind,
            "triggered_on": iso(self.triggered_on), "reason": self.reason,
            "evidence": [e.as_dict() for e in self.evidence],
            "police_reported_on": iso(self.police_reported_on),
        }


@dataclass
class Facts:
    """What the flags of one case are derived from: its tests that were not negative, its
    unreported absences, and the dates it was reported to the police."""

    tests: list[tuple[int, date, str, str, list]] = field(default_factory=list)  # id, on, specimen, result, substances
    absences: list[tuple[int, date, int]] = field(default_factory=list)  # id, left_on, days
    police_reports: list[date] = field(default_factory=list)


def derive(case: Case, facts: Facts, as_of: date) -> list[Flag]:
    start = case.term_start
    end = case.term_end(as_of)

    def in_measure(on: date) -> bool:
        return start is not None and start <= on <= as_of and (end is None or on <= end)

    flags: list[Flag] = []
    tests = sorted((t for t in facts.tests if in_measure(t[1])), key=lambda t: (t[1], t[0]))
    for test_id, on, specimen, result, substances in tests:
        if result == "positive":
            found = f"（{'、'.join(substances)}）" if substances else ""
            what = f"{SPECIMEN.label(specimen)}检测阳性{found}"
            flags.append(Flag(case.id, "relapse", on, f"社区{_measure(case)}期间{what}",
                              [Evidence("drug_test", test_id, on, f"{on} {SPECIMEN.label(specimen)}阳性 #{test_id}")]))
    missed = [t for t in tests if t[3] in MISSED_RESULTS]
    absences = sorted((a for a in facts.absences if in_measure(a[1])), key=lambda a: (a[1], a[0]))
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
    if triggers:
        evidence = []
        if len(missed) >= MISSED_TESTS_LIMIT:
            evidence += [Evidence("drug_test", t[0], t[1], f"{t[1]} {RESULT.label(t[3])} #{t[0]}") for t in missed]
        if len(absences) >= ABSENCES_LIMIT or days_exceeded:
            evidence += [Evidence("leave", a[0], a[1], f"{a[1]} 起擅离 {a[2]} 天 #{a[0]}") for a in absences]
        flags.append(Flag(case.id, "serious_violation", min(triggers), "，".join(reasons), evidence))
    if case.report_overdue(as_of):
        deadline = case.report_deadline
        flags.append(Flag(case.id, "report_overdue", deadline + timedelta(days=1),
                          f"报到期限 {deadline} 已过，视为拒绝接受社区{_measure(case)}",
                          [Evidence("case", case.id, case.received_on, f"{case.received_on} 收到决定书")]))
    reports = sorted(facts.police_reports)
    for flag in flags:
        flag.police_reported_on = next((d for d in reports if d >= flag.triggered_on), None)
    return flags


def answered(facts: Facts) -> bool:
    """Whether every flag of a person in execution (逾期未报到 aside) that these facts can raise is
    answered by a police report: none arises later than its last record (an absence's 31st day), so
    a report on or after that answers them all, without working them out."""
    if not facts.police_reports:
        return False
    last = max([t[1] for t in facts.tests] + [a[1] + timedelta(days=ABSENT_DAYS_LIMIT) for a in facts.absences],
               default=date.min)
    return max(facts.police_reports) >= last


def _measure(case: Case) -> str:
    return "戒毒" if case.measure == "community_treatment" else "康复"


def load_facts(conn: sqlite3.Connection, case_ids: list[int] | None, as_of: date) -> dict[int, Facts]:
    """The facts of the given cases (all cases when None), in three queries."""
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
    for cid, lid, left_on, returned_on, days in conn.execute(
        "SELECT case_id, id, left_on, returned_on, days FROM leaves WHERE kind = 'unreported'" + where):
        left = from_iso(left_on)
        length = days or max(1, ((from_iso(returned_on) or as_of) - left).days)
        facts.setdefault(cid, Facts()).absences.append((lid, left, length))
    for cid, on in conn.execute("SELECT case_id, reported_on FROM police_reports WHERE 1 = 1" + where):
        facts.setdefault(cid, Facts()).police_reports.append(from_iso(on))
    return facts


def case_flags(conn: sqlite3.Connection, case: Case, as_of: date) -> list[Flag]:
    return derive(case, load_facts(conn, [case.id], as_of).get(case.id, Facts()), as_of)


def flagged_cases(conn: sqlite3.Connection, cases: list[Case], as_of: date) -> list[tuple[Case, list[Flag]]]:
    """Every case of `cases` that has a flag, with its flags."""
    facts = load_facts(conn, [c.id for c in cases], as_of)
    out = []
    for case in cases:
        flags = derive(case, facts.get(case.id, Facts()), as_of)
        if flags:
            out.append((case, flags))
    return out


def flag_list(conn: sqlite3.Connection, as_of: date, *, street: str | None = None, worker: str | None = None,
              include_closed: bool = False, unreported: bool = False) -> list[tuple[Case, Flag]]:
    """Every flag of the cases in scope (under management unless `include_closed`), by case."""
    from jindu_cli.domain.find import list_cases
    from jindu_cli.domain.enums import CLOSED_STATUSES

    pool = [c for c in list_cases(conn, street=street, worker=worker)
            if include_closed or c.status not in CLOSED_STATUSES]
    return [(case, flag) for case, found in flagged_cases(conn, pool, as_of) for flag in found
            if not (unreported and flag.police_reported_on)]


def add_police_report(conn: sqlite3.Connection, case: Case, on: date, as_of: date, operator: str,
                      matter: str | None = None, reference: str | None = None, notes: str | None = None) -> int:
    """Record that the street reported the case to the police (报告公安) on `on`."""
    if on > as_of:
        raise InvalidInput("报告日期", f"{on} 晚于今天（{as_of}）")
    if case.received_on and on < case.received_on:
        raise InvalidInput("报告日期", f"{on} 早于收到决定书日期 {case.received_on}")
    if not matter:
        pending = [f.label for f in case_flags(conn, case, as_of) if not f.police_reported_on and f.triggered_on <= on]
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
