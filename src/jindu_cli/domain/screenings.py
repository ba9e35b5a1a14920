"""Screening (筛查) of groups outside the register: 娱乐场所从业人员, 驾驶员 and the others of
data/screen_groups.toml. A session records how many were tested and how many were positive; the
people screened are not registered. A positive is handed to the police (a referral): that person's
name and 身份证号 only, masked wherever shown, audited. People in the register are tested on their
own cases (jindu test add), never as screening, so nobody is counted twice; when `case add` later
registers a person handed over, the referral is linked to the case."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from jindu_cli.domain import audit, records, reference
from jindu_cli.domain.dates import from_iso, iso
from jindu_cli.domain.enums import SPECIMEN, STATUS
from jindu_cli.domain import filters
from jindu_cli.domain.filters import Filter, enum
from jindu_cli.domain.ids import mask_id, parse_id_number
from jindu_cli.domain.text import clean_name, clean_text
from jindu_cli.errors import Conflict, InvalidInput
from jindu_cli.storage.db import atomic

LABELS = {"screened_on": "筛查日期", "street": "街道", "community": "社区", "place": "地点",
          "screened_group": "筛查对象", "specimen": "检测样本", "tested": "筛查人数", "positives": "阳性人数",
          "organiser": "组织单位", "worker": "专干", "notes": "备注"}
REFERRAL_LABELS = {"id_number": "身份证号", "name": "姓名", "referred_on": "移交日期", "police_unit": "接收单位",
                   "notes": "备注"}
MAX_TESTED = 100_000


@dataclass
class Screening:
    id: int
    screened_on: date
    street: str
    community: str | None
    place: str | None
    screened_group: str
    specimen: str
    tested: int
    positives: int
    organiser: str | None
    worker: str | None
    notes: str | None

    def as_dict(self) -> dict:
        return {"screening_id": self.id, "screened_on": iso(self.screened_on), "street": self.street,
                "community": self.community, "place": self.place, "screened_group": self.screened_group,
                "specimen": SPECIMEN.label(self.specimen), "tested": self.tested, "positives": self.positives,
                "organiser": self.organiser, "worker": self.worker, "notes": self.notes}

    def summary(self, referred: int) -> str:
        """The session in a line, for a worker's ledger: 驾驶员毛发筛查：客运站，120 人，阳性 1 人，移交公安 1 人."""
        where = f"{self.place}，" if self.place else ""
        handed = f"，移交公安 {referred} 人" if referred else ""
        return (f"{self.screened_group}{SPECIMEN.label(self.specimen)}筛查：{where}{self.tested} 人，"
                f"阳性 {self.positives} 人{handed}")


def _from_row(row) -> Screening:
    return Screening(row[0], from_iso(row[1]), *row[2:])


def _group(conn, typed) -> str:
    return reference.pick_list(conn, "screen_groups").resolve(typed, LABELS["screened_group"])


def _rules(conn: sqlite3.Connection):
    def rules(rec: dict, raw: dict, existing: dict | None, as_of: date) -> dict:
        """A date no later than today, a street, a group, a specimen, at least one person tested; no
        more positives than people tested."""
        records.required(rec, LABELS, ("screened_on", "street", "screened_group", "specimen", "tested"))
        records.not_after(rec["screened_on"], as_of, LABELS["screened_on"])
        if rec["tested"] < 1:
            raise InvalidInput(LABELS["tested"], "至少 1 人")
        rec["positives"] = rec.get("positives") or 0
        if rec["positives"] > rec["tested"]:
            raise InvalidInput(LABELS["positives"], f"{rec['positives']} 人多于筛查人数（{rec['tested']} 人）")
        return rec
    return rules


def kind_of(conn: sqlite3.Connection) -> records.RecordKind:
    return records.RecordKind(
        table="screenings", entity="screening", noun="筛查", labels=LABELS, date_field="screened_on",
        from_row=_from_row,
        parsers={
            "screened_on": records.a_date(LABELS["screened_on"]),
            **records.street_fields(LABELS),
            "screened_group": _group,
            "specimen": enum(SPECIMEN),
            "tested": records.count(LABELS["tested"], MAX_TESTED),
            "positives": records.count(LABELS["positives"], MAX_TESTED),
            "organiser": records.text(LABELS["organiser"], 200),
        },
        rules=_rules(conn),
        filters={**records.STREET_FILTERS, "group": ("r.screened_group", _group)},
        natural_key=("screened_on", "street", "screened_group", "place"),
        of_case=False,
    )


def get_screening(conn: sqlite3.Connection, screening_id: int) -> Screening:
    return records.get(conn, kind_of(conn), screening_id)


def add_screening(conn: sqlite3.Connection, raw: dict, as_of: date, operator: str,
                  import_id: int | None = None) -> Screening:
    return records.add(conn, kind_of(conn), None, raw, as_of, operator,
                       also={"import_id": import_id} if import_id else None)


def update_screening(conn: sqlite3.Connection, screening_id: int, raw: dict, as_of: date,
                     operator: str) -> tuple[Screening, dict]:
    """A session corrected; its positives never fewer than those already handed to the police."""
    kind = kind_of(conn)
    if "positives" in raw:
        wanted = kind.parsers["positives"](conn, raw["positives"]) or 0
        handed = len(referrals(conn, screening_id=screening_id))
        if wanted < handed:
            raise InvalidInput(LABELS["positives"], f"{wanted} 人少于已从这次筛查移交公安的 {handed} 人")
    return records.update(conn, kind, screening_id, raw, as_of, operator)


def each_screening(conn: sqlite3.Connection, *, street: str | None = None, date_from: date | None = None,
                   date_to: date | None = None, limit: int | None = None, oldest_first: bool = False,
                   **by) -> Iterator[dict]:
    """Sessions newest first (or oldest), each with the number of its positives handed to the
    police, narrowed by street, dates and `by` (community, worker, group)."""
    handed = dict(conn.execute("SELECT screening_id, count(*) FROM screening_referrals GROUP BY screening_id"))
    for screening, _ in records.each(conn, kind_of(conn), street=street, date_from=date_from, date_to=date_to,
                                     by=by, limit=limit, oldest_first=oldest_first):
        yield dict(screening.as_dict(), referred=handed.get(screening.id, 0))


def list_screenings(conn: sqlite3.Connection, **choice) -> list[dict]:
    return list(each_screening(conn, **choice))


# --- referrals: the positives handed to the police -------------------------------------------

REFERRAL_COLUMNS = ("id", "screening_id", "id_number", "name", "referred_on", "police_unit", "notes", "case_id")


def refer(conn: sqlite3.Connection, screening_id: int, raw: dict, as_of: date, operator: str) -> dict:
    """Hand one positive of a session to the police: audited, never more than the session's
    positives, never someone already in the register (whose tests are their own case's)."""
    session = get_screening(conn, screening_id)
    given = _checked(conn, session, raw, as_of)
    handed = conn.execute("SELECT count(*) FROM screening_referrals WHERE screening_id = ?",
                          [screening_id]).fetchone()[0]
    if handed >= session.positives:
        raise InvalidInput("阳性人数", f"筛查 #{screening_id} 记录的阳性是 {session.positives} 人，已移交 {handed} 人；"
                                        f"阳性人数不对的，先改正：jindu screen update {screening_id} --positives 人数")
    case_id = given.pop("case_id")
    with atomic(conn):
        cur = conn.execute(
            "INSERT INTO screening_referrals (screening_id, id_number, name, referred_on, police_unit, notes, case_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [screening_id, *given.values(), case_id, audit.utc_now()])
        audit.record(conn, operator, "add", "screen_referral", cur.lastrowid, case_id,
                     {"screening_id": screening_id, **{k: [None, v] for k, v in given.items() if v}})
    return referrals(conn, referral_id=cur.lastrowid)[0]


def update_referral(conn: sqlite3.Connection, referral_id: int, raw: dict, as_of: date, operator: str
                    ) -> tuple[dict, dict]:
    """A referral corrected (a name or number mistyped, the date, the police unit): checked as when it
    was made, audited with the old and new values. (the referral, {field: [old, new]})."""
    from jindu_cli.errors import NotFound

    found = referrals(conn, referral_id=referral_id)
    if not found:
        raise NotFound(f"没有移交记录 #{referral_id}（jindu screen referrals 列出移交记录及其编号）")
    old = found[0]
    merged = {key: old[key] for key in REFERRAL_LABELS}
    merged["referred_on"] = from_iso(merged["referred_on"])
    merged.update({key: value for key, value in raw.items() if value is not None})
    given = _checked(conn, get_screening(conn, old["screening_id"]), merged, as_of, referral_id)
    case_id = given.pop("case_id")
    changes = {key: [old[key], value] for key, value in given.items() if old[key] != value}
    if changes:
        with atomic(conn):
            conn.execute(f"UPDATE screening_referrals SET {', '.join(f'{k} = ?' for k in changes)}, case_id = ?"
                         " WHERE id = ?", [*(new for _, new in changes.values()), case_id, referral_id])
            audit.record(conn, operator, "update", "screen_referral", referral_id, case_id, changes)
    return referrals(conn, referral_id=referral_id)[0], changes


def _checked(conn: sqlite3.Connection, session: Screening, raw: dict, as_of: date,
             referral_id: int | None = None) -> dict:
    """A referral's values as stored (id_number, name, referred_on, police_unit, notes, then case_id),
    checked: a valid 身份证号 not of someone in the register, a name, a date from the session's to
    today, the person not handed over twice from one session."""
    id_number = parse_id_number(raw.get("id_number") or "")
    name = clean_name(raw.get("name"), REFERRAL_LABELS["name"])
    if not name:
        raise InvalidInput(REFERRAL_LABELS["name"], "必须填写")
    on = raw.get("referred_on") or session.screened_on
    records.not_after(on, as_of, REFERRAL_LABELS["referred_on"])
    if on < session.screened_on:
        raise InvalidInput(REFERRAL_LABELS["referred_on"], f"{on} 早于筛查日期 {session.screened_on}")
    registered = conn.execute("SELECT id, name, status FROM cases WHERE id_number = ?", [id_number]).fetchone()
    if registered and registered[2] != "terminated":
        raise InvalidInput(REFERRAL_LABELS["id_number"],
                           f"{mask_id(id_number)} 是登记表中的 {registered[1]}（案件 {registered[0]}，"
                           f"{STATUS.label(registered[2])}）：登记在册的人员的检测记在他本人名下"
                           f"（jindu test add {registered[0]} --specimen … --result 阳性），不作为筛查移交；"
                           f"筛查 #{session.id} 的人数和阳性数也不应算上他")
    twice = conn.execute("SELECT id FROM screening_referrals WHERE screening_id = ? AND id_number = ? AND id IS NOT ?",
                         [session.id, id_number, referral_id]).fetchone()
    if twice:
        raise Conflict(f"{mask_id(id_number)} 已从筛查 #{session.id} 移交公安（移交记录 #{twice[0]}）")
    return {"id_number": id_number, "name": name, "referred_on": iso(on),
            "police_unit": clean_text(raw.get("police_unit"), REFERRAL_LABELS["police_unit"], 200),
            "notes": clean_text(raw.get("notes"), REFERRAL_LABELS["notes"], 2000),
            "case_id": registered[0] if registered else None}


def referrals(conn: sqlite3.Connection, *, referral_id: int | None = None, screening_id: int | None = None,
              id_number: str | None = None, street: str | None = None, date_from: date | None = None,
              date_to: date | None = None, limit: int | None = None) -> list[dict]:
    """Referrals newest first, each with its session's date, street and group."""
    f = Filter(conn, {"street": ("s.street", filters.street)}).dates("x.referred_on", date_from, date_to)
    f.by(street=street)
    for column, value in (("x.id", referral_id), ("x.screening_id", screening_id), ("x.id_number", id_number)):
        if isinstance(value, int) and abs(value) >= 2**63:
            return []  # (a number past SQLite's 64-bit integers names no record)
        if value is not None:
            f.where(f"{column} = ?", value)
    sql = (f"SELECT {', '.join('x.' + c for c in REFERRAL_COLUMNS)}, s.screened_on, s.street, s.screened_group"
           f" FROM screening_referrals x JOIN screenings s ON s.id = x.screening_id WHERE {f.sql}"
           " ORDER BY x.referred_on DESC, x.id DESC" + (f" LIMIT {int(limit)}" if limit else ""))
    keys = ["referral_id", *REFERRAL_COLUMNS[1:], "screened_on", "street", "screened_group"]
    return [dict(zip(keys, row)) for row in conn.execute(sql, f.params)]


def record_reveal(conn: sqlite3.Connection, operator: str, command: str, referral_ids: list[int]) -> None:
    """Showing referred people's data in full is recorded, as a case's is (cases.record_reveal)."""
    ids = sorted(set(referral_ids))
    with atomic(conn):
        audit.record(conn, operator, "reveal", "screen_referral", ids[0] if len(ids) == 1 else None, None,
                     {"command": command, "referrals": ids})


def link_new_case(conn: sqlite3.Connection, case, operator: str) -> list[dict]:
    """A person just registered who was handed to the police from a screening: each such referral
    linked to the case (audited). The referrals linked."""
    found = [r for r in referrals(conn, id_number=case.id_number) if r["case_id"] is None]
    if not found:
        return []
    with atomic(conn):
        for r in found:
            conn.execute("UPDATE screening_referrals SET case_id = ? WHERE id = ?", [case.id, r["referral_id"]])
            audit.record(conn, operator, "link", "screen_referral", r["referral_id"], case.id,
                         {"case_id": [None, case.id], "screening_id": r["screening_id"]})
            r["case_id"] = case.id
    return found
