"""Changes of 执行地 (R4, 条例22, domain.md §9.11): a transfer is an event (the day, the street left,
the street moved to, the reason). The person reports at the new street within 15 days and signs a
new agreement within 7 days of that 报到; the term runs on. A report counts a person in the street
where they were at the period's end (`STREETS_AT`); the timeline keeps both streets.

`case update --street` is not a transfer: it corrects a mistyped street (audited, no new 报到).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from jindu_cli.domain import audit, reference
from jindu_cli.domain.audit import utc_now
from jindu_cli.domain.dates import from_iso, iso
from jindu_cli.domain.enums import STATUS
from jindu_cli.domain.text import clean_text
from jindu_cli.domain.people import Case
from jindu_cli.errors import Conflict, InvalidInput
from jindu_cli.storage.db import atomic

LABELS = {"moved_on": "变更日期", "from_street": "原街道", "to_street": "新街道", "street": "执行地街道",
          "reason": "变更原因", "community": "社区", "worker": "负责专干", "reported_on": "新街道报到日期",
          "agreement_on": "新街道协议签订日期", "source": "来源"}
MOVABLE = ("active", "suspended")  # a measure in execution has a 执行地 to change

# SQL of a table (case_id, street): the street of each person who has moved, on the day {at} (the
# street moved to by the last transfer on or before it; before the first, the street it left)
STREETS_AT = ("SELECT x.case_id, coalesce((SELECT y.to_street FROM transfers y WHERE y.case_id = x.case_id"
              " AND y.moved_on <= {at} ORDER BY y.moved_on DESC, y.id DESC LIMIT 1), (SELECT y.from_street"
              " FROM transfers y WHERE y.case_id = x.case_id AND y.moved_on > {at} ORDER BY y.moved_on, y.id LIMIT 1))"
              " AS street FROM transfers x GROUP BY x.case_id")

@dataclass(slots=True)
class Transfer:
    id: int
    case_id: int
    moved_on: date
    from_street: str
    to_street: str
    reason: str | None
    reported_on: date | None  # 报到 at the new street
    agreement_on: date | None  # the new agreement

    def as_dict(self) -> dict:
        return {"transfer_id": self.id, "case_id": self.case_id, "moved_on": iso(self.moved_on),
                "from_street": self.from_street, "to_street": self.to_street, "reason": self.reason,
                "reported_on": iso(self.reported_on), "agreement_on": iso(self.agreement_on)}


_COLUMNS = "id, case_id, moved_on, from_street, to_street, reason, reported_on, agreement_on"


def _from_row(row) -> Transfer:
    return Transfer(row[0], row[1], from_iso(row[2]), row[3], row[4], row[5], from_iso(row[6]), from_iso(row[7]))


def transfers_of(conn: sqlite3.Connection, case_id: int) -> list[Transfer]:
    return [_from_row(r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM transfers WHERE case_id = ? ORDER BY moved_on, id", [case_id])]


def unfinished(conn: sqlite3.Connection, case_ids: list[int] | None = None) -> dict[int, Transfer]:
    """{case id: its latest transfer} where the new street's 报到 or agreement is still to record."""
    where = "" if case_ids is None else f" AND t.case_id IN ({', '.join(str(int(i)) for i in case_ids)})"
    rows = conn.execute(
        f"SELECT {', '.join('t.' + c for c in _COLUMNS.split(', '))} FROM transfers t"
        " WHERE (t.reported_on IS NULL OR t.agreement_on IS NULL) AND NOT EXISTS (SELECT 1 FROM transfers l"
        "  WHERE l.case_id = t.case_id AND (l.moved_on > t.moved_on OR (l.moved_on = t.moved_on AND l.id > t.id)))"
        f"{where}")
    return {r[1]: _from_row(r) for r in rows}


def _check_dates(case: Case, moved_on: date, reported_on: date | None, agreement_on: date | None,
                 as_of: date, last: Transfer | None) -> None:
    if moved_on > as_of:
        raise InvalidInput("--on", f"{moved_on} 晚于今天（{as_of}）")
    if case.reported_on and moved_on < case.reported_on:
        raise InvalidInput("--on", f"{moved_on} 早于报到日期 {case.reported_on}")
    if last and moved_on < last.moved_on:
        raise InvalidInput("--on", f"{moved_on} 早于上一次变更执行地（{last.moved_on}，{last.from_street} → {last.to_street}）")
    end = case.term_end(as_of)
    if end and moved_on > end:  # (期满待解除: nothing is left to execute at a new street)
        raise InvalidInput("--on", f"{moved_on} 在期满日期 {end} 之后：措施已期满，不再变更执行地；"
                                   f"请办理期满解除（jindu case update {case.id} --status 期满解除）")
    _check_rereport(moved_on, reported_on, agreement_on, as_of)


def _check_rereport(moved_on: date, reported_on: date | None, agreement_on: date | None, as_of: date) -> None:
    if reported_on and not moved_on <= reported_on <= as_of:
        raise InvalidInput("--reported-on", f"{reported_on} 应在变更日期 {moved_on} 和今天（{as_of}）之间")
    if agreement_on and not reported_on:
        raise InvalidInput("--agreement-on", "先记录在新街道报到的日期（--reported-on）")
    if agreement_on and not reported_on <= agreement_on <= as_of:
        raise InvalidInput("--agreement-on", f"{agreement_on} 应在新街道报到日期 {reported_on} 和今天（{as_of}）之间")


def move(conn: sqlite3.Connection, case: Case, to: str, moved_on: date, as_of: date, operator: str, *,
         reason: str | None = None, community: str | None = None, worker: str | None = None,
         reported_on: date | None = None, agreement_on: date | None = None, source: str | None = None) -> Transfer:
    """Record that `case` moved to street `to` on `moved_on`: the transfer, the case's street (its
    community and worker, which belonged to the street left, replaced by those given or cleared),
    and one audit row, in one transaction."""
    if case.status not in MOVABLE:
        hint = "执行地写错了请用 jindu case update --street 改正" if case.status == "pending" else "措施已不在执行"
        raise Conflict(f"案件 {case.id}（{case.name}）{STATUS.label(case.status)}，不能变更执行地：{hint}")
    street = reference.streets(conn).resolve(to, "--to")
    reason = clean_text(reason, LABELS["reason"], 500)
    if street == case.street:
        raise InvalidInput("--to", f"{case.name} 的执行地已经是 {street}")
    history = transfers_of(conn, case.id)
    _check_dates(case, moved_on, reported_on, agreement_on, as_of, history[-1] if history else None)
    now = utc_now()
    with atomic(conn):
        cur = conn.execute(
            "INSERT INTO transfers (case_id, moved_on, from_street, to_street, reason, reported_on, agreement_on,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [case.id, iso(moved_on), case.street, street, reason, iso(reported_on), iso(agreement_on), now, now])
        conn.execute("UPDATE cases SET street = ?, community = ?, worker = ?, updated_at = ? WHERE id = ?",
                     [street, community, worker, now, case.id])
        changes = {"street": [case.street, street], "moved_on": moved_on, "reason": reason,
                   "community": [case.community, community], "worker": [case.worker, worker]}
        changes.update({k: v for k, v in (("reported_on", reported_on), ("agreement_on", agreement_on),
                                          ("source", source)) if v})
        audit.record(conn, operator, "transfer", "transfer", cur.lastrowid, case.id, changes)
    return _from_row(conn.execute(f"SELECT {_COLUMNS} FROM transfers WHERE id = ?", [cur.lastrowid]).fetchone())


def record_rereport(conn: sqlite3.Connection, case: Case, reported_on: date | None, agreement_on: date | None,
                    as_of: date, operator: str) -> Transfer:
    """The 报到 at the new street, and the new agreement, on the latest transfer (audited)."""
    history = transfers_of(conn, case.id)
    if not history:
        raise Conflict(f"案件 {case.id}（{case.name}）没有变更过执行地；变更请加 --to 街道 --on 日期")
    last = history[-1]
    reported_on = reported_on or last.reported_on
    _check_rereport(last.moved_on, reported_on, agreement_on or last.agreement_on, as_of)
    changes = {k: [old, new] for k, old, new in (("reported_on", last.reported_on, reported_on),
                                                 ("agreement_on", last.agreement_on, agreement_on))
               if new is not None and new != old}
    if not changes:
        raise InvalidInput("--reported-on", "给出新街道的报到日期（--reported-on）或协议签订日期（--agreement-on）")
    with atomic(conn):
        conn.execute("UPDATE transfers SET reported_on = ?, agreement_on = coalesce(?, agreement_on), updated_at = ?"
                     " WHERE id = ?", [iso(reported_on), iso(agreement_on), utc_now(), last.id])
        audit.record(conn, operator, "update", "transfer", last.id, case.id, changes)
    return transfers_of(conn, case.id)[-1]
