"""Visits: 谈话, 入户走访, 电话联系, 帮扶 (with its kind) and 评估 (半年小结, 年度评估)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from jindu_cli.domain import records
from jindu_cli.domain.dates import from_iso, iso
from jindu_cli.domain.enums import (
    ASSESSMENT_KIND, CALL_OUTCOMES, FACE_TO_FACE_KINDS, HELP_KIND, OUTCOME, VISIT_KIND,
)
from jindu_cli.domain.filters import enum, stripped
from jindu_cli.domain.people import Case
from jindu_cli.errors import InvalidInput

LABELS = {"visited_on": "走访日期", "kind": "走访方式", "sub_kind": "类别", "outcome": "走访结果",
          "worker": "走访人", "place": "地点", "notes": "情况记录"}


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


def _rules(rec: dict, raw: dict, existing: dict | None, as_of: date) -> dict:
    """A date and a kind required; the outcome of a meeting or of a call; a category only of the
    kinds that have one."""
    if not rec.get("visited_on"):
        raise InvalidInput(LABELS["visited_on"], "必须填写")
    if not rec.get("kind"):
        raise InvalidInput(LABELS["kind"], f"必须填写；可选：{VISIT_KIND.choices()}")
    _outcome(rec, raw, existing)
    rec["sub_kind"] = _sub_kind(rec, raw, existing)
    return rec


def _outcome(rec: dict, raw: dict, existing: dict | None) -> None:
    """A meeting's outcome is 见到本人 (the default), 未见到本人 or 拒绝配合; a phone call's 已接通 (the
    default), 未接通 or 拒接. A corrected kind takes its own default unless an outcome is given."""
    call = rec["kind"] == "phone"
    if rec.get("outcome") is None or ("kind" in raw and "outcome" not in raw and existing
                                      and (existing.get("kind") == "phone") != call):
        rec["outcome"] = "reached" if call else "seen"
    if call and rec["outcome"] not in CALL_OUTCOMES:
        raise InvalidInput(LABELS["outcome"], f"电话联系的结果是 已接通、未接通 或 拒接，不是{OUTCOME.label(rec['outcome'])}"
                                              "（见到本人 只用于当面的走访）")
    if not call and rec["outcome"] in ("reached", "unreached"):
        raise InvalidInput(LABELS["outcome"], f"{OUTCOME.label(rec['outcome'])}只用于电话联系；当面的走访写 见到本人、"
                                              "未见到本人 或 拒绝配合")


def fitted_outcome(kind: str, outcome: str) -> str:
    """An imported outcome, fit for its kind: a street's log often writes a call answered as 见到本人
    and one not answered as 未见到本人 (§9.6: a call is a contact attempt, with the outcomes of a call)."""
    if kind == "phone":
        return {"seen": "reached", "not_seen": "unreached"}.get(outcome, outcome)
    _outcome({"kind": kind, "outcome": outcome}, {}, None)
    return outcome


def _sub_kind(rec: dict, raw: dict, existing: dict | None) -> str | None:
    """帮扶 and 评估 have a category of their own kind; the other kinds none."""
    sub = rec.get("sub_kind")
    if "kind" in raw and "sub_kind" not in raw and existing and existing.get("kind") != rec["kind"]:
        sub = None  # a corrected kind does not keep the old kind's category
    if sub in (None, ""):
        return None
    if rec["kind"] == "help":
        return HELP_KIND.parse(sub)
    if rec["kind"] == "assessment":
        return ASSESSMENT_KIND.parse(sub)
    raise InvalidInput("类别", f"只有帮扶和评估有类别，{VISIT_KIND.label(rec['kind'])}没有")


KIND = records.RecordKind(
    table="visits", entity="visit", noun="走访", labels=LABELS, date_field="visited_on", from_row=_from_row,
    parsers={
        "visited_on": records.a_date(LABELS["visited_on"]),
        "kind": enum(VISIT_KIND),
        "outcome": enum(OUTCOME),
        "sub_kind": lambda conn, typed: typed,  # read once the kind is known (`_sub_kind`)
        "worker": records.text(LABELS["worker"], 100),
        "place": records.text(LABELS["place"], 100),
        "notes": records.text(LABELS["notes"], 2000),
    },
    rules=_rules,
    filters={"worker": ("r.worker", stripped), "kind": ("r.kind", enum(VISIT_KIND))},
    natural_key=("visited_on", "kind"),
)


def get_visit(conn: sqlite3.Connection, visit_id: int) -> Visit:
    return records.get(conn, KIND, visit_id)


def visits_of(conn: sqlite3.Connection, case_id: int) -> list[Visit]:
    return records.of_case(conn, KIND, case_id)


def add_visit(conn: sqlite3.Connection, case: Case, raw: dict, as_of: date, operator: str,
              force: bool = False) -> Visit:
    """A visit of `case`; its 走访人, when not given, is the case's worker."""
    return records.add(conn, KIND, case, raw, as_of, operator, force, defaults={"worker": case.worker})


def update_visit(conn: sqlite3.Connection, visit_id: int, raw: dict, as_of: date, operator: str,
                 force: bool = False) -> tuple[Visit, dict]:
    return records.update(conn, KIND, visit_id, raw, as_of, operator, force)


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
    for visit, person in records.each(conn, KIND, case_id=case_id, street=street, date_from=date_from,
                                      date_to=date_to, by={"worker": worker, "kind": kind}, limit=limit,
                                      oldest_first=oldest_first):
        yield dict(visit.as_dict(), **person)
