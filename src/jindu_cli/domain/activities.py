"""禁毒宣传 and 入户调查 (毒情摸排): what a street office did in the month besides its people. An
activity is of a kind from the pick-list (data/activity_kinds.toml), whose category says what it
counts: a 宣传 its audience, participants and materials handed out; an 入户调查 the households
visited and the clues found and handed to the police."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from jindu_cli.domain import records, reference
from jindu_cli.domain.dates import from_iso, iso
from jindu_cli.domain.enums import Enum
from jindu_cli.domain.filters import enum
from jindu_cli.errors import InvalidInput

LABELS = {"held_on": "日期", "category": "类型", "kind": "活动类别", "title": "活动名称", "street": "街道",
          "community": "社区", "place": "地点", "audience": "对象", "participants": "参加人数",
          "materials": "发放资料（份）", "households": "入户户数", "clues": "发现线索", "clues_referred": "移交公安线索",
          "partners": "合作单位", "worker": "专干", "notes": "备注"}
CATEGORY = Enum("类型", {"publicity": "宣传", "survey": "入户调查"}, {"禁毒宣传": "publicity", "毒情摸排": "survey"})
# what only one category counts
ONLY = {"publicity": ("audience", "participants"), "survey": ("households", "clues", "clues_referred")}


@dataclass
class Activity:
    id: int
    held_on: date
    category: str
    kind: str
    title: str | None
    street: str
    community: str | None
    place: str | None
    audience: list[str]
    participants: int | None
    materials: int | None
    households: int | None
    clues: int | None
    clues_referred: int | None
    partners: str | None
    worker: str | None
    notes: str | None

    def as_dict(self) -> dict:
        return {"activity_id": self.id, "held_on": iso(self.held_on), "category": CATEGORY.label(self.category),
                "kind": self.kind, "title": self.title, "street": self.street, "community": self.community,
                "place": self.place, "audience": list(self.audience), "participants": self.participants,
                "materials": self.materials, "households": self.households, "clues": self.clues,
                "clues_referred": self.clues_referred, "partners": self.partners, "worker": self.worker,
                "notes": self.notes}

    def summary(self) -> str:
        """The activity in a line, for a worker's ledger: 进校园：盐务街小学，学生，320 人，资料 400 份."""
        facts = [self.title or "", self.place or "", "、".join(self.audience)]
        numbers = {"participants": "{} 人", "materials": "资料 {} 份", "households": "{} 户", "clues": "线索 {} 条",
                   "clues_referred": "移交公安 {} 条"}
        facts += [shown.format(getattr(self, key)) for key, shown in numbers.items() if getattr(self, key)]
        return f"{self.kind}：" + "，".join(f for f in facts if f)


def _from_row(row) -> Activity:
    import json

    return Activity(row[0], from_iso(row[1]), *row[2:8], json.loads(row[8]), *row[9:])


def _kind(conn, typed) -> str:
    return reference.pick_list(conn, "activity_kinds").resolve(typed, LABELS["kind"])


def _audience(conn, typed) -> list[str]:
    if typed in (None, "", []):
        return []
    return reference.pick_list(conn, "audiences").resolve_many(typed, LABELS["audience"])


def category_of(conn, kind: str) -> str:
    return CATEGORY.parse(reference.pick_list(conn, "activity_kinds").extra[kind]["category"])


def _rules(conn: sqlite3.Connection):
    def rules(rec: dict, raw: dict, existing: dict | None, as_of: date) -> dict:
        """A date no later than today, a street, a kind (or a name that says one); each category's
        own figures only; no more clues handed over than found."""
        records.required(rec, LABELS, ("held_on", "street"))
        records.not_after(rec["held_on"], as_of, LABELS["held_on"])
        if not rec.get("kind") and rec.get("title"):
            rec["kind"] = reference.pick_list(conn, "activity_kinds").within(rec["title"])
        if not rec.get("kind"):
            choices = "、".join(reference.pick_list(conn, "activity_kinds").names)
            raise InvalidInput(LABELS["kind"], f"必须填写（活动名称里也看不出）；可选：{choices}")
        rec["category"] = category_of(conn, rec["kind"])
        rec.setdefault("audience", [])
        for category, keys in ONLY.items():
            for key in keys:
                if rec.get(key) not in (None, []) and rec["category"] != category:
                    cleared = "；改了类别的，请同时把这一项清空（给空字符串）" if existing else ""
                    raise InvalidInput(LABELS[key], f"只有{CATEGORY.label(category)}记这一项，“{rec['kind']}”属于"
                                                    f"{CATEGORY.label(rec['category'])}{cleared}")
        if rec.get("clues_referred") is not None and rec["clues_referred"] > (rec.get("clues") or 0):
            raise InvalidInput(LABELS["clues_referred"], f"{rec['clues_referred']} 条多于发现线索（{rec.get('clues') or 0} 条）")
        return rec
    return rules


def kind_of(conn: sqlite3.Connection) -> records.RecordKind:
    """The activities as records.RecordKind knows them (the rules read the office's pick-lists)."""
    return records.RecordKind(
        table="activities", entity="activity", noun="活动", labels=LABELS, date_field="held_on", from_row=_from_row,
        parsers={
            "held_on": records.a_date(LABELS["held_on"]),
            "kind": _kind,
            "title": records.text(LABELS["title"], 200),
            **records.street_fields(LABELS),
            "audience": _audience,
            **{key: records.count(LABELS[key]) for key in ("participants", "materials", "households", "clues",
                                                           "clues_referred")},
            "partners": records.text(LABELS["partners"], 500),
        },
        rules=_rules(conn),
        filters={**records.STREET_FILTERS, "kind": ("r.kind", _kind), "category": ("r.category", enum(CATEGORY))},
        natural_key=("held_on", "street", "kind", "title", "place"),
        of_case=False,
    )


def add_activity(conn: sqlite3.Connection, raw: dict, as_of: date, operator: str,
                 import_id: int | None = None) -> Activity:
    return records.add(conn, kind_of(conn), None, raw, as_of, operator,
                       also={"import_id": import_id} if import_id else None)


def update_activity(conn: sqlite3.Connection, activity_id: int, raw: dict, as_of: date,
                    operator: str) -> tuple[Activity, dict]:
    return records.update(conn, kind_of(conn), activity_id, raw, as_of, operator)


def each_activity(conn: sqlite3.Connection, *, street: str | None = None, date_from: date | None = None,
                  date_to: date | None = None, limit: int | None = None, oldest_first: bool = False,
                  **by) -> Iterator[dict]:
    """Activities newest first (or oldest), narrowed by street, dates and `by` (community, worker,
    kind, category), one at a time as they are read."""
    for activity, _ in records.each(conn, kind_of(conn), street=street, date_from=date_from, date_to=date_to,
                                    by=by, limit=limit, oldest_first=oldest_first):
        yield activity.as_dict()


def list_activities(conn: sqlite3.Connection, **choice) -> list[dict]:
    return list(each_activity(conn, **choice))
