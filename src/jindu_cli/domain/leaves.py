"""Leave and absence (R6): a written report of leaving the county (外出报告), closed on return,
or an absence found without a report (擅离) with its days, which counts toward R7."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

from jindu_cli.domain import records
from jindu_cli.domain.dates import from_iso, iso
from jindu_cli.domain.enums import LEAVE_KIND
from jindu_cli.domain.filters import enum
from jindu_cli.domain.people import Case
from jindu_cli.errors import Conflict, InvalidInput

LABELS = {"kind": "外出类别", "left_on": "离开日期", "return_due": "预计返回日期", "returned_on": "返回日期",
          "days": "天数", "destination": "去向", "reason": "事由", "approved_by": "批准人", "notes": "备注"}


@dataclass
class Leave:
    id: int
    case_id: int
    kind: str
    left_on: date
    return_due: date | None
    returned_on: date | None
    days: int | None
    destination: str | None
    reason: str | None
    approved_by: str | None
    notes: str | None
    forced: bool

    def absent_days(self, as_of: date) -> int:
        """The days an absence lasted: as recorded, else from the dates (still away: to as_of)."""
        if self.days:
            return self.days
        end = self.returned_on or as_of
        return max(1, (end - self.left_on).days)

    def as_dict(self, as_of: date) -> dict:
        return {
            "leave_id": self.id, "case_id": self.case_id, "kind": LEAVE_KIND.label(self.kind),
            "left_on": iso(self.left_on), "return_due": iso(self.return_due),
            "returned_on": iso(self.returned_on), "days": self.absent_days(as_of),
            "open": self.returned_on is None and not self.days,
            "destination": self.destination, "reason": self.reason, "approved_by": self.approved_by,
            "notes": self.notes, "forced": self.forced,
        }


def _from_row(row) -> Leave:
    return Leave(row[0], row[1], row[2], from_iso(row[3]), from_iso(row[4]), from_iso(row[5]), row[6],
                 row[7], row[8], row[9], row[10], bool(row[11]))


MAX_DAYS = 36500  # 100 years: more is a typing mistake (and a number past 64 bits more than SQLite holds)


def _parse_days(conn, value) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip().removesuffix("天")
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise InvalidInput(LABELS["days"], f"“{value}”应为 1 到 {MAX_DAYS} 之间的整数")
    return int(text)


def _rules(rec: dict, raw: dict, existing: dict | None, as_of: date) -> dict:
    """A 外出报告 unless told; left on a date; back no earlier than that nor later than today; days
    only of a 擅离."""
    rec.setdefault("kind", "reported")
    if not rec.get("left_on"):
        raise InvalidInput(LABELS["left_on"], "必须填写")
    for key in ("return_due", "returned_on"):
        if rec.get(key) and rec[key] < rec["left_on"]:
            raise InvalidInput(LABELS[key], f"{rec[key]} 早于离开日期 {rec['left_on']}")
    if rec.get("returned_on") and rec["returned_on"] > as_of:
        raise InvalidInput(LABELS["returned_on"], f"{rec['returned_on']} 晚于今天（{as_of}）")
    if rec["kind"] == "reported" and rec.get("days"):
        raise InvalidInput(LABELS["days"], "只有擅离记录天数；外出报告请写预计返回日期和返回日期")
    return rec


KIND = records.RecordKind(
    table="leaves", entity="leave", noun="外出", labels=LABELS, date_field="left_on", from_row=_from_row,
    parsers={
        "kind": enum(LEAVE_KIND),
        **{key: records.a_date(LABELS[key]) for key in ("left_on", "return_due", "returned_on")},
        "days": _parse_days,
        **{key: records.text(LABELS[key], 200) for key in ("destination", "reason", "approved_by")},
        "notes": records.text(LABELS["notes"], 2000),
    },
    rules=_rules,
    filters={"kind": ("r.kind", enum(LEAVE_KIND))},
)
OPEN = "r.returned_on IS NULL AND r.days IS NULL"  # a leave not yet returned from


def get_leave(conn: sqlite3.Connection, leave_id: int) -> Leave:
    return records.get(conn, KIND, leave_id)


def leaves_of(conn: sqlite3.Connection, case_id: int) -> list[Leave]:
    return records.of_case(conn, KIND, case_id)


def add_leave(conn: sqlite3.Connection, case: Case, raw: dict, as_of: date, operator: str,
              force: bool = False) -> Leave:
    return records.add(conn, KIND, case, raw, as_of, operator, force)


def update_leave(conn: sqlite3.Connection, leave_id: int, raw: dict, as_of: date, operator: str,
                 force: bool = False) -> tuple[Leave, dict]:
    return records.update(conn, KIND, leave_id, raw, as_of, operator, force)


def close_leave(conn: sqlite3.Connection, leave_id: int, returned_on: date, as_of: date, operator: str,
                unreported: bool = False) -> tuple[Leave, dict]:
    """销假: record the return of a reported leave (or of an open absence). `unreported` (§9.14): the
    days past the planned return were an absence without report (擅离), recorded as one, in the
    same transaction."""
    from jindu_cli.domain.people import get_case
    from jindu_cli.storage.db import atomic

    leave = get_leave(conn, leave_id)
    if leave.returned_on or leave.days:
        raise Conflict(f"外出记录 {leave_id} 已经结束（{leave.returned_on or str(leave.days) + ' 天'}）")
    if unreported and (leave.kind != "reported" or not leave.return_due or returned_on <= leave.return_due):
        raise InvalidInput("--unreported", f"只有返回晚于预计返回日期（{leave.return_due or '未填'}）的外出报告，"
                                           "才能把逾期的天数记为擅离")
    with atomic(conn):
        closed = update_leave(conn, leave_id, {"returned_on": returned_on}, as_of, operator)
        if unreported:
            add_leave(conn, get_case(conn, leave.case_id),
                      {"kind": "unreported", "left_on": leave.return_due + timedelta(days=1),
                       "returned_on": returned_on, "destination": leave.destination,
                       "notes": f"外出报告 #{leave_id} 逾期未归"}, as_of, operator)
    return closed


def list_leaves(conn: sqlite3.Connection, *, case_id: int | None = None, street: str | None = None,
                kind: str | None = None, open_only: bool = False, date_from: date | None = None,
                date_to: date | None = None, as_of: date, limit: int | None = None) -> list[dict]:
    """Leave records with the person's name, number and street, newest first."""
    return [dict(leave.as_dict(as_of), **person) for leave, person in records.each(
        conn, KIND, case_id=case_id, street=street, date_from=date_from, date_to=date_to, by={"kind": kind},
        also=(OPEN,) if open_only else (), limit=limit)]
