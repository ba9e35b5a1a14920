"""Visits: 谈话, 入户走访, 电话联系, 帮扶 (with its kind) and 评估 (半年小结, 年度评估)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from jindu_cli.domain import records
from jindu_cli.domain.people import Case, get_case
from jindu_cli.domain.dates import from_iso, iso, parse_date
from jindu_cli.domain.enums import ASSESSMENT_KIND, FACE_TO_FACE_KINDS, HELP_KIND, OUTCOME, VISIT_KIND
from jindu_cli.domain.text import clean_text
from jindu_cli.errors import InvalidInput, NotFound

LABELS = {"visited_on": "走访日期", "kind": "走访方式", "sub_kind": "类别", "outcome": "走访结果",
          "worker": "走访人", "place": "地点", "notes": "情况记录"}
_COLUMNS = "id, case_id, visited_on, kind, sub_kind, outcome, worker, place, notes, forced"


@dataclass
class Visit:
    id: int
    case_id: int
    visited_on: date
    kind: str
    sub_kind: str | None
    outcome: str
    worker: str | None
    place: str | None
    notes: str | None
    forced: bool

    @property
    def face_to_face(self) -> bool:
        """Seen in person: any kind but a phone call, with the outcome 见到本人."""
        return self.kind in FACE_TO_FACE_KINDS and self.outcome == "seen"

    def values(self) -> dict:
        return {k: getattr(self, k) for k in LABELS}

    def as_dict(self) -> dict:
        return {
            "visit_id": self.id, "case_id": self.case_id, "visited_on": iso(self.visited_on),
            "kind": VISIT_KIND.label(self.kind), "sub_kind": sub_kind_label(self.kind, self.sub_kind),
            "outcome": OUTCOME.label(self.outcome), "face_to_face": self.face_to_face,
            "worker": self.worker, "place": self.place, "notes": self.notes, "forced": self.forced,
        }


def sub_kind_label(kind: str, sub_kind: str | None) -> str | None:
    if not sub_kind:
        return None
    return (HELP_KIND if kind == "help" else ASSESSMENT_KIND).label(sub_kind)


def _from_row(row) -> Visit:
    return Visit(row[0], row[1], from_iso(row[2]), row[3], row[4], row[5], row[6], row[7], row[8], bool(row[9]))


def get_visit(conn: sqlite3.Connection, visit_id: int) -> Visit:
    row = None
    if abs(visit_id) < 2**63:  # (a number past SQLite's 64-bit integers names no record)
        row = conn.execute(f"SELECT {_COLUMNS} FROM visits WHERE id = ?", [visit_id]).fetchone()
    if row is None:
        raise NotFound(f"没有编号为 {visit_id} 的走访记录")
    return _from_row(row)


def visits_of(conn: sqlite3.Connection, case_id: int) -> list[Visit]:
    return [_from_row(r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM visits WHERE case_id = ? ORDER BY visited_on, id", [case_id])]


def validate(raw: dict, existing: dict | None = None) -> dict:
    rec = dict(existing or {})
    for key, value in raw.items():
        if key == "visited_on":
            rec[key] = parse_date(value, LABELS[key])
        elif key == "kind":
            rec[key] = VISIT_KIND.parse(value)
        elif key == "outcome":
            rec[key] = OUTCOME.parse(value)
        elif key == "sub_kind":
            rec[key] = value
        elif key in ("worker", "place"):
            rec[key] = clean_text(value, LABELS[key], 100)
        elif key == "notes":
            rec[key] = clean_text(value, LABELS[key], 2000)
        else:
            raise InvalidInput(key, "不是走访记录的字段")
    if not rec.get("visited_on"):
        raise InvalidInput(LABELS["visited_on"], "必须填写")
    if not rec.get("kind"):
        raise InvalidInput(LABELS["kind"], f"必须填写；可选：{VISIT_KIND.choices()}")
    rec.setdefault("outcome", "seen")
    sub = rec.get("sub_kind")
    if "kind" in raw and "sub_kind" not in raw and existing and existing.get("kind") != rec["kind"]:
        sub = None  # a corrected kind does not keep the old kind's category
    if sub not in (None, ""):
        if rec["kind"] == "help":
            sub = HELP_KIND.parse(sub)
        elif rec["kind"] == "assessment":
            sub = ASSESSMENT_KIND.parse(sub)
        else:
            raise InvalidInput("类别", f"只有帮扶和评估有类别，{VISIT_KIND.label(rec['kind'])}没有")
    rec["sub_kind"] = sub or None
    return rec


def add_visit(conn: sqlite3.Connection, case: Case, raw: dict, as_of: date, operator: str,
              force: bool = False) -> Visit:
    rec = validate(raw)
    if rec.get("worker") is None:
        rec["worker"] = case.worker
    overridden = records.check_window(case, rec["visited_on"], as_of, force, LABELS["visited_on"])
    visit_id = records.insert(conn, "visits", "visit", case.id, rec, operator, overridden)
    return get_visit(conn, visit_id)


def update_visit(conn: sqlite3.Connection, visit_id: int, raw: dict, as_of: date, operator: str,
                 force: bool = False) -> tuple[Visit, dict]:
    visit = get_visit(conn, visit_id)
    rec = validate(raw, visit.values())
    changes = records.diff(visit.values(), rec)
    if not changes:
        return visit, {}
    overridden: list[str] = []
    if "visited_on" in changes:
        case = get_case(conn, visit.case_id)
        overridden = records.check_window(case, rec["visited_on"], as_of, force, LABELS["visited_on"])
    records.update(conn, "visits", "visit", visit.id, visit.case_id, changes, operator, overridden)
    return get_visit(conn, visit.id), changes


def list_visits(conn: sqlite3.Connection, *, case_id: int | None = None, street: str | None = None,
                worker: str | None = None, kind: str | None = None, date_from: date | None = None,
                date_to: date | None = None, limit: int | None = None) -> list[dict]:
    """Visits with the person's name, number and street, newest first."""
    return list(each_visit(conn, case_id=case_id, street=street, worker=worker, kind=kind, date_from=date_from,
                           date_to=date_to, limit=limit))


def each_visit(conn: sqlite3.Connection, *, case_id: int | None = None, street: str | None = None,
               worker: str | None = None, kind: str | None = None, date_from: date | None = None,
               date_to: date | None = None, limit: int | None = None, oldest_first: bool = False) -> Iterator[dict]:
    """The visits of `list_visits`, one at a time as they are read (newest first, or oldest)."""
    clauses, params = records.date_range_clause("r.visited_on", date_from, date_to)
    if worker:
        clauses.append("r.worker = ?")
        params.append(worker.strip())
    if kind:
        clauses.append("r.kind = ?")
        params.append(VISIT_KIND.parse(kind))
    for row, person in records.query_with_case(conn, "visits", _COLUMNS, "r.visited_on", clauses, params,
                                               case_id=case_id, street=street, limit=limit, oldest_first=oldest_first):
        yield dict(_from_row(row).as_dict(), **person)
