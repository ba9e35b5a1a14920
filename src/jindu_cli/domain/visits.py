"""Visits: 谈话, 入户走访, 电话联系, 帮扶 (with its kind and what it achieved: a job found, aid
granted and how much, a referral to another service) and 评估 (半年小结, 年度评估)."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
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
          "worker": "走访人", "place": "地点", "notes": "情况记录", "placed": "就业安置", "aid_granted": "获得救助",
          "aid_amount": "救助金额（元）", "referred_to": "转介单位"}
HELP_RESULT = ("placed", "aid_granted", "aid_amount", "referred_to")  # what a 帮扶 achieved
AID_KINDS = ("relief", "medical")  # the 帮扶 categories that grant aid (临时救助, 医疗救助)


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
    placed: bool
    aid_granted: bool
    aid_amount: int | None  # 元
    referred_to: str | None
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
            "worker": self.worker, "place": self.place, "notes": self.notes, "placed": self.placed,
            "aid_granted": self.aid_granted, "aid_amount": self.aid_amount, "referred_to": self.referred_to,
            "help_result": help_result(self), "forced": self.forced,
        }


def help_result(visit: Visit) -> str | None:
    """What a 帮扶 achieved, in words: 已安置就业；获得救助 800 元；转介：区法律援助中心."""
    parts = []
    if visit.placed:
        parts.append("已安置就业")
    if visit.aid_granted:
        parts.append(f"获得救助 {visit.aid_amount} 元" if visit.aid_amount is not None else "获得救助")
    if visit.referred_to:
        parts.append(f"转介：{visit.referred_to}")
    return "；".join(parts) or None


def sub_kind_label(kind: str, sub_kind: str | None) -> str | None:
    if not sub_kind:
        return None
    return (HELP_KIND if kind == "help" else ASSESSMENT_KIND).label(sub_kind)


def _from_row(row) -> Visit:
    return Visit(row[0], row[1], from_iso(row[2]), row[3], row[4], row[5], row[6], row[7], row[8], bool(row[9]),
                 bool(row[10]), row[11], row[12], bool(row[13]))


MAX_AID = 1_000_000  # 100 万元: more is a typing mistake


def parse_yuan(conn, typed) -> int | None:
    """An amount of money in whole 元 (800, 1,200元, ¥800, 800.00); empty: none given. Aid is granted
    in 元, and whole amounts add up to the report's total exactly."""
    if typed is None or str(typed).strip() == "":
        return None
    text = unicodedata.normalize("NFKC", str(typed)).strip().replace(",", "").lstrip("¥").removesuffix("元").strip()
    whole = re.fullmatch(r"(\d+)(?:\.0*)?", text)
    if not whole or int(whole.group(1)) > MAX_AID:
        cents = "按元记，不带角、分（四舍五入到元）；" if re.fullmatch(r"\d+\.\d+", text) else ""
        raise InvalidInput(LABELS["aid_amount"], f"“{str(typed).strip()}”{cents}应为 0 到 {MAX_AID} 元之间的整数，如 800")
    return int(whole.group(1))


def aid_fields(typed: str) -> dict:
    """`visit add --aid`: an amount (granted, so much), 是 (granted, amount not known), 否 (not
    granted), or "" (cleared) as the fields they set."""
    text = str(typed).strip()
    if text == "":
        return {"aid_granted": False, "aid_amount": ""}
    if re.search(r"\d", text):
        return {"aid_granted": True, "aid_amount": text}
    return {"aid_granted": records.as_bool(text, LABELS["aid_granted"]), "aid_amount": ""}


def _rules(rec: dict, raw: dict, existing: dict | None, as_of: date) -> dict:
    """A date and a kind required; the outcome of a meeting or of a call; a category only of the
    kinds that have one."""
    if not rec.get("visited_on"):
        raise InvalidInput(LABELS["visited_on"], "必须填写")
    if not rec.get("kind"):
        raise InvalidInput(LABELS["kind"], f"必须填写；可选：{VISIT_KIND.choices()}")
    _outcome(rec, raw, existing)
    rec["sub_kind"] = _sub_kind(rec, raw, existing)
    check_help_result(rec, raw, existing)
    return rec


def check_help_result(rec: dict, raw: dict, existing: dict | None = None) -> None:
    """A 帮扶's results belong to its category: a job found to 就业, aid (an amount means it was
    granted) to 救助 or 医疗; a referral to any 帮扶. A corrected kind or category that cannot have
    a result takes the old one away unless it is given again."""
    for key in HELP_RESULT:
        rec.setdefault(key, False if key in ("placed", "aid_granted") else None)
    if rec["aid_amount"] is not None:
        if "aid_granted" in raw and not rec["aid_granted"]:
            raise InvalidInput(LABELS["aid_amount"], "写了救助金额，获得救助却是 否")
        rec["aid_granted"] = True
    corrected = existing is not None and ("kind" in raw or "sub_kind" in raw)
    sub = HELP_KIND.label(rec.get("sub_kind")) if rec.get("sub_kind") else "未填类别"
    allowed = {"placed": rec["kind"] == "help" and rec.get("sub_kind") == "employment",
               "aid_granted": rec["kind"] == "help" and rec.get("sub_kind") in AID_KINDS,
               "aid_amount": rec["kind"] == "help" and rec.get("sub_kind") in AID_KINDS,
               "referred_to": rec["kind"] == "help"}
    need = {"placed": "类别为就业的帮扶", "aid_granted": "类别为救助或医疗的帮扶", "aid_amount": "类别为救助或医疗的帮扶",
            "referred_to": "帮扶记录"}
    for key in HELP_RESULT:
        if not rec[key] or allowed[key]:
            continue
        if corrected and key not in raw:
            rec[key] = False if key in ("placed", "aid_granted") else None
            continue
        what = VISIT_KIND.label(rec["kind"]) if rec["kind"] != "help" else f"类别为{sub}的帮扶"
        raise InvalidInput(LABELS[key], f"只用于{need[key]}，这是{what}")


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
        "placed": records.yes_no(LABELS["placed"]),
        "aid_granted": records.yes_no(LABELS["aid_granted"]),
        "aid_amount": parse_yuan,
        "referred_to": records.text(LABELS["referred_to"], 200),
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
