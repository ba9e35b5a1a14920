"""Leave and absence (R6): a written report of leaving the county (外出报告), closed on return,
or an absence found without a report (擅离) with its days, which counts toward R7."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from jindu_cli.domain import records
from jindu_cli.domain.people import Case, get_case
from jindu_cli.domain.dates import from_iso, iso, parse_date
from jindu_cli.domain.enums import LEAVE_KIND
from jindu_cli.domain.text import clean_text
from jindu_cli.errors import Conflict, InvalidInput, NotFound

LABELS = {"kind": "外出类别", "left_on": "离开日期", "return_due": "预计返回日期", "returned_on": "返回日期",
          "days": "天数", "destination": "去向", "reason": "事由", "approved_by": "批准人", "notes": "备注"}
_COLUMNS = ("id, case_id, kind, left_on, return_due, returned_on, days, destination, reason, approved_by,"
            " notes, forced")


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

    def values(self) -> dict:
        return {k: getattr(self, k) for k in LABELS}

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


def get_leave(conn: sqlite3.Connection, leave_id: int) -> Leave:
    row = None
    if abs(leave_id) < 2**63:  # (a number past SQLite's 64-bit integers names no record)
        row = conn.execute(f"SELECT {_COLUMNS} FROM leaves WHERE id = ?", [leave_id]).fetchone()
    if row is None:
        raise NotFound(f"没有编号为 {leave_id} 的外出记录")
    return _from_row(row)


def leaves_of(conn: sqlite3.Connection, case_id: int) -> list[Leave]:
    return [_from_row(r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM leaves WHERE case_id = ? ORDER BY left_on, id", [case_id])]


def validate(raw: dict, as_of: date, existing: dict | None = None) -> dict:
    rec = dict(existing or {})
    for key, value in raw.items():
        if key == "kind":
            rec[key] = LEAVE_KIND.parse(value)
        elif key in ("left_on", "return_due", "returned_on"):
            rec[key] = parse_date(value, LABELS[key])
        elif key == "days":
            rec[key] = _parse_days(value)
        elif key in ("destination", "reason", "approved_by"):
            rec[key] = clean_text(value, LABELS[key], 200)
        elif key == "notes":
            rec[key] = clean_text(value, LABELS[key], 2000)
        else:
            raise InvalidInput(key, "不是外出记录的字段")
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


MAX_DAYS = 36500  # 100 years: more is a typing mistake (and a number past 64 bits more than SQLite holds)


def _parse_days(value) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip().removesuffix("天")
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise InvalidInput(LABELS["days"], f"“{value}”应为 1 到 {MAX_DAYS} 之间的整数")
    return int(text)


def add_leave(conn: sqlite3.Connection, case: Case, raw: dict, as_of: date, operator: str,
              force: bool = False) -> Leave:
    rec = validate(raw, as_of)
    overridden = records.check_window(case, rec["left_on"], as_of, force, LABELS["left_on"])
    leave_id = records.insert(conn, "leaves", "leave", case.id, rec, operator, overridden)
    return get_leave(conn, leave_id)


def update_leave(conn: sqlite3.Connection, leave_id: int, raw: dict, as_of: date, operator: str,
                 force: bool = False) -> tuple[Leave, dict]:
    leave = get_leave(conn, leave_id)
    rec = validate(raw, as_of, leave.values())
    changes = records.diff(leave.values(), rec)
    if not changes:
        return leave, {}
    overridden: list[str] = []
    if "left_on" in changes:
        case = get_case(conn, leave.case_id)
        overridden = records.check_window(case, rec["left_on"], as_of, force, LABELS["left_on"])
    records.update(conn, "leaves", "leave", leave.id, leave.case_id, changes, operator, overridden)
    return get_leave(conn, leave.id), changes


def close_leave(conn: sqlite3.Connection, leave_id: int, returned_on: date, as_of: date,
                operator: str) -> tuple[Leave, dict]:
    """销假: record the return of a reported leave (or of an open absence)."""
    leave = get_leave(conn, leave_id)
    if leave.returned_on or leave.days:
        raise Conflict(f"外出记录 {leave_id} 已经结束（{leave.returned_on or str(leave.days) + ' 天'}）")
    return update_leave(conn, leave_id, {"returned_on": returned_on}, as_of, operator)


def list_leaves(conn: sqlite3.Connection, *, case_id: int | None = None, street: str | None = None,
                kind: str | None = None, open_only: bool = False, date_from: date | None = None,
                date_to: date | None = None, as_of: date, limit: int | None = None) -> list[dict]:
    clauses, params = records.date_range_clause("r.left_on", date_from, date_to)
    if kind:
        clauses.append("r.kind = ?")
        params.append(LEAVE_KIND.parse(kind))
    if open_only:
        clauses.append("r.returned_on IS NULL AND r.days IS NULL")
    out = []
    for row, person in records.query_with_case(conn, "leaves", _COLUMNS, "r.left_on", clauses, params,
                                               case_id=case_id, street=street, limit=limit):
        out.append(dict(_from_row(row).as_dict(as_of), **person))
    return out
