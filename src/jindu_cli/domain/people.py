"""The register's people: the Case record, with what follows from its dates, and reading it.

Term start and end, the 报到 deadline and days left are computed from the recorded facts
each time they are read (R1-R3, with the 中止 shift of domain.md §9.3), never stored.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta

from jindu_cli.domain.dates import add_months, from_iso, iso
from jindu_cli.domain.enums import CLOSED_STATUSES, MEASURE, RISK, status_label
from jindu_cli.domain.ids import birth_date, sex
from jindu_cli.errors import NotFound
from jindu_cli.storage.db import id_table

AWAITING_RELEASE = "期满待解除"
TREATMENT_MONTHS = 36  # 禁毒法33, 条例14: 社区戒毒 lasts three years
MAX_REHAB_MONTHS = 36  # 禁毒法48: 社区康复 不超过三年
REPORT_WITHIN_DAYS = 15  # 条例14, 38: 报到 within 15 days of receiving the decision

# The editable columns, in the order `case show` lists them, with their Chinese labels.
LABELS = {
    "id_number": "身份证号",
    "name": "姓名",
    "phone": "联系电话",
    "household_address": "户籍地",
    "residence_address": "居住地",
    "street": "街道",
    "community": "社区",
    "measure": "措施",
    "term_months": "期限（月）",
    "decision_authority": "决定机关",
    "decision_number": "决定书文号",
    "decided_on": "决定日期",
    "received_on": "收到决定书日期",
    "reported_on": "报到日期",
    "agreement_on": "协议签订日期",
    "status": "状态",
    "risk_level": "风险等级",
    "risk_color": "风险颜色",
    "drugs": "毒品种类",
    "worker": "负责专干",
    "notes": "备注",
    "term_end_override": "期满日期（人工调整）",
    "test_every": "个案尿检间隔",
    "late_reason": "逾期报到理由",
}


@dataclass(slots=True)
class Case:
    id: int
    id_number: str
    name: str
    phone: str | None
    household_address: str | None
    residence_address: str | None
    street: str
    community: str | None
    measure: str
    term_months: int
    decision_authority: str | None
    decision_number: str | None
    decided_on: date | None
    received_on: date | None
    reported_on: date | None
    agreement_on: date | None
    term_end_override: date | None
    status: str
    risk_level: str
    risk_color: str | None
    drugs: list[str]
    worker: str | None
    notes: str | None
    created_at: str
    updated_at: str
    test_every: str | None = None
    late_reason: str | None = None  # §9.7: the good reason for a 报到 after its deadline
    suspensions: list[tuple[date, date | None]] = field(default_factory=list)
    closed_on: date | None = None  # the date of the 终止, 期满解除 or 死亡

    # --- computed at read time -------------------------------------------------------
    @property
    def sex(self) -> str:
        return sex(self.id_number)

    @property
    def birth_date(self) -> date:
        return birth_date(self.id_number)

    @property
    def term_start(self) -> date | None:
        return self.reported_on

    def suspended_days(self, as_of: date) -> int:
        """Days spent in 中止 up to `as_of`; an open 中止 counts until `as_of`."""
        total = 0
        for start, end in self.suspensions:
            stop = end if end is not None else as_of
            if stop > start:
                total += (min(stop, as_of) - start).days if start <= as_of else 0
        return total

    def term_end(self, as_of: date) -> date | None:
        """R1/R2: 报到 + term - 1 day, moved back by the days in 中止 (or the clerk's date)."""
        if self.term_end_override:
            return self.term_end_override
        if not self.reported_on:
            return None
        end = add_months(self.reported_on, self.term_months) - timedelta(days=1)
        return end + timedelta(days=self.suspended_days(as_of))

    @property
    def report_deadline(self) -> date | None:
        """R3: 收到决定书 + 15 days."""
        return self.received_on + timedelta(days=REPORT_WITHIN_DAYS) if self.received_on else None

    def report_overdue(self, as_of: date) -> bool:
        deadline = self.report_deadline
        return self.status == "pending" and deadline is not None and as_of > deadline

    @property
    def reported_late(self) -> bool:
        deadline = self.report_deadline
        return bool(deadline and self.reported_on and self.reported_on > deadline)

    def awaiting_release(self, as_of: date) -> bool:
        """§9.10: in execution past the term's end, 期满解除 not yet recorded (期满待解除): no longer 在管."""
        end = self.term_end(as_of) if self.status == "active" else None
        return end is not None and as_of > end

    def shown_status(self, as_of: date) -> str:
        """The status as every listing shows it: 社区戒毒中 or 社区康复中 for 在执行, 期满待解除 past the end."""
        return AWAITING_RELEASE if self.awaiting_release(as_of) else status_label(self.status, self.measure)

    def days_left(self, as_of: date) -> int | None:
        end = self.term_end(as_of)
        if end is None or self.status not in ("active", "suspended"):
            return None
        return (end - as_of).days

    def as_dict(self, as_of: date) -> dict:
        """Every field and computed value, Chinese labels for enumerations (the output form)."""
        return {
            "case_id": self.id,
            "id_number": self.id_number,
            "name": self.name,
            "sex": self.sex,
            "birth_date": iso(self.birth_date),
            "phone": self.phone,
            "household_address": self.household_address,
            "residence_address": self.residence_address,
            "street": self.street,
            "community": self.community,
            "measure": MEASURE.label(self.measure),
            "term_months": self.term_months,
            "decision_authority": self.decision_authority,
            "decision_number": self.decision_number,
            "decided_on": iso(self.decided_on),
            "received_on": iso(self.received_on),
            "reported_on": iso(self.reported_on),
            "agreement_on": iso(self.agreement_on),
            "status": self.shown_status(as_of),
            "risk_level": RISK.label(self.risk_level),
            "risk_color": self.risk_color,
            "drugs": list(self.drugs),
            "worker": self.worker,
            "notes": self.notes,
            "term_start": iso(self.term_start),
            "term_end": iso(self.term_end(as_of)),
            "term_end_overridden": self.term_end_override is not None,
            "suspended_days": self.suspended_days(as_of),
            "report_deadline": iso(self.report_deadline),
            "report_overdue": self.report_overdue(as_of),
            "reported_late": self.reported_late,
            "late_reason": self.late_reason,
            "days_left": self.days_left(as_of),
            "test_every": self.test_every,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


_COLUMNS = (
    "id, id_number, name, phone, household_address, residence_address, street, community,"
    " measure, term_months, decision_authority, decision_number, decided_on, received_on,"
    " reported_on, agreement_on, term_end_override, status, risk_level, risk_color, drugs,"
    " worker, notes, created_at, updated_at, test_every, late_reason"
)


def _from_row(row, drug_lists: dict) -> Case:
    (cid, idn, name, phone, hh, res, street, community, measure, months, auth, number,
     decided, received, reported, agreement, override, status, risk, color, drugs, worker,
     notes, created, updated, test_every, late_reason) = row
    parsed = drug_lists.get(drugs)
    if parsed is None:
        parsed = drug_lists[drugs] = json.loads(drugs)  # shared between cases: never mutated
    return Case(
        cid, idn, name, phone, hh, res, street, community, measure, months, auth, number,
        from_iso(decided), from_iso(received), from_iso(reported), from_iso(agreement),
        from_iso(override), status, risk, color, parsed, worker, notes, created, updated,
        test_every, late_reason,
    )


def suspension_periods(changes: list[tuple[str | None, str, str]]) -> list[tuple[date, date | None]]:
    """[(previous_status, status, changed_on)] in order -> [(start, end or None)] of each 中止."""
    periods: list[tuple[date, date | None]] = []
    start: date | None = None
    for previous, status, changed_on in changes:
        if status == "suspended" and start is None:
            start = date.fromisoformat(changed_on)
        elif previous == "suspended" and start is not None:
            periods.append((start, date.fromisoformat(changed_on)))
            start = None
    if start is not None:
        periods.append((start, None))
    return periods


def attach_history(conn: sqlite3.Connection, cases: list[Case]) -> None:
    """Fill in each case's 中止 periods and closing date from its status changes."""
    if not cases:
        return
    by_id = {c.id: c for c in cases}
    # of many cases, only the changes of those that ever left 在执行 (the others have no 中止 and are not
    # closed); that list is a pass over every change, 30 ms on the 100,000-case district: not for a few cases
    left = (" AND case_id IN (SELECT case_id FROM status_changes WHERE status != 'active')"
            if len(by_id) > 10_000 else "")
    grouped: dict[int, list] = {}
    for case_id, previous, status, changed_on in conn.execute(
            "SELECT case_id, previous_status, status, changed_on FROM status_changes"
            f" WHERE case_id IN ({id_table(conn, by_id, 'history_ids')}){left}"
            " ORDER BY case_id, changed_on, id"):
        grouped.setdefault(case_id, []).append((previous, status, changed_on))
    for case_id, changes in grouped.items():
        case = by_id[case_id]
        if all(status == "active" for _, status, _ in changes):
            continue
        case.suspensions = suspension_periods(changes)
        if case.status in CLOSED_STATUSES:
            closing = [on for _, status, on in changes if status == case.status]
            case.closed_on = date.fromisoformat(closing[-1]) if closing else None


# the fields the due list's clocks and lines read (`load_cases(..., clocks_only=True)`)
CLOCK_FIELDS = ("id", "id_number", "name", "street", "measure", "term_months", "received_on", "reported_on",
                "agreement_on", "term_end_override", "status", "risk_level", "worker", "test_every", "late_reason")


def clock_case(row) -> Case:
    """A Case of the values of CLOCK_FIELDS in their order (more may follow), the other fields empty, as
    `load_cases(..., clocks_only=True)` reads it, without its history (`attach_history`)."""
    (cid, idn, name, street, measure, months, received, reported, agreement, override, status, risk, worker,
     test_every, late_reason) = row[:len(CLOCK_FIELDS)]
    return Case(cid, idn, name, None, None, None, street, None, measure, months, None, None, None, from_iso(received),
                from_iso(reported), from_iso(agreement), from_iso(override), status, risk, None, _NO_DRUGS, worker,
                None, None, None, test_every, late_reason)


_NO_DRUGS: list[str] = []  # (never changed)


def load_cases(conn: sqlite3.Connection, where: str = "", params: list | tuple | dict = (),
               order: str = "c.id", limit: int | None = None, *, clocks_only: bool = False) -> list[Case]:
    """Cases matching a WHERE clause built by this module from constants (never user text). With
    `clocks_only`, only the fields in CLOCK_FIELDS are read, the others left empty: a district's
    due list holds 100,000 people, and their addresses and notes would double its memory."""
    read = [c.strip() for c in _COLUMNS.split(",")]
    sql = f"SELECT {', '.join(f'c.{col}' if col in CLOCK_FIELDS or not clocks_only else 'NULL' for col in read)}"
    sql += " FROM cases c"
    if where:
        sql += " WHERE " + where
    sql += " ORDER BY " + order
    if limit:
        sql += f" LIMIT {int(limit)}"
    drug_lists: dict = {None: []}
    cases = [_from_row(r, drug_lists) for r in conn.execute(sql, params if isinstance(params, dict) else list(params))]
    attach_history(conn, cases)
    return cases


def get_case(conn: sqlite3.Connection, case_id: int) -> Case:
    found = load_cases(conn, "c.id = ?", [case_id])
    if not found:
        raise NotFound(f"没有编号为 {case_id} 的案件")
    return found[0]
