"""A case's status through its lifecycle (domain.md §5.2, R20): which changes the law allows from
which status, on which date, with which reason. `plan_status_change` checks one; the writing is
cases.update_case's."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from jindu_cli.domain.clocks import clean_milestone_from
from jindu_cli.domain.enums import CLOSED_STATUSES, STATUS, status_label
from jindu_cli.domain.people import Case
from jindu_cli.errors import Conflict, InvalidInput
from jindu_cli.storage.migrations import FLAGGED


@dataclass
class StatusChange:
    status: str
    on: date | None = None
    reason: str | None = None


@dataclass
class _Planned:
    """A change being checked: the case, the target, its date and reason so far, the 报到 date."""

    conn: sqlite3.Connection
    case: Case
    target: str
    on: date | None
    reason: str | None
    reported: date | None
    as_of: date

    def needs_on(self, why: str) -> date:
        if self.on is None:
            raise InvalidInput("生效日期", why)
        return self.on

    def only_from(self, status: str, what: str) -> None:
        if self.case.status != status:
            raise Conflict(f"只有{STATUS.label(status)}的案件可以{what}，当前状态是{STATUS.label(self.case.status)}")


def _to_active(p: _Planned) -> tuple[date, str]:
    if p.case.status == "pending":
        if not p.reported:
            raise InvalidInput("报到日期", "改为在执行需要报到日期：请同时给出 --reported-on")
        return p.on or p.reported, p.reason or "报到"
    return p.needs_on("结束中止、恢复执行需要给出恢复日期（--on）"), p.reason or "恢复执行"


def _to_suspended(p: _Planned) -> tuple[date, str | None]:
    p.only_from("active", "中止")
    return p.needs_on("中止需要给出开始日期（--on），即被拘留或逮捕的日期"), p.reason


def _to_terminated(p: _Planned) -> tuple[date, str | None]:
    if not p.reason:
        raise InvalidInput("原因", "终止需要写明原因（--reason），如 收监执行刑罚、强制隔离戒毒")
    return p.needs_on("终止需要给出日期（--on）"), p.reason


def _to_released(p: _Planned) -> tuple[date, str]:
    p.only_from("active", "期满解除")
    on = p.on or p.as_of
    end = p.case.term_end(on)
    if end is None or on <= end:
        raise Conflict(f"期限到 {end} 才届满，{on} 还不能期满解除")
    return on, p.reason or "期满解除"


def _to_deceased(p: _Planned) -> tuple[date, str | None]:
    return p.needs_on("死亡需要给出日期（--on）"), p.reason


def _to_clean(p: _Planned) -> tuple[date, str]:
    p.only_from("released", "认定戒断三年未复吸")
    on = p.on or p.as_of
    milestone, basis = clean_milestone(p.conn, p.case)
    if on < milestone:
        raise Conflict(f"{basis}，到 {milestone} 才满戒断期限，{on} 还不能认定")
    return on, p.reason or "戒断三年未复吸"


TO: dict[str, Callable[[_Planned], tuple[date, str | None]]] = {
    "active": _to_active, "suspended": _to_suspended, "terminated": _to_terminated, "released": _to_released,
    "deceased": _to_deceased, "clean": _to_clean,
}


def plan_status_change(case: Case, rec: dict, change: StatusChange, as_of: date,
                       conn: sqlite3.Connection) -> tuple[str, date, str | None]:
    """Check a status change against the lifecycle; return (status, effective date, reason)."""
    target = STATUS.parse(change.status)
    current = case.status
    if current in CLOSED_STATUSES and not (current == "released" and target == "clean"):
        raise Conflict(f"案件已{STATUS.label(current)}，状态不能再改")
    if target == current:
        raise Conflict(f"状态已经是{status_label(current, case.measure)}")
    if change.on is not None and change.on > as_of:
        raise InvalidInput("生效日期", f"{change.on} 晚于今天（{as_of}）")
    if target == "pending":
        raise Conflict("不能把状态改回未报到；报到日期填错了请直接改正报到日期")
    reported = rec.get("reported_on")
    planned = _Planned(conn, case, target, change.on, (change.reason or "").strip() or None, reported, as_of)
    on, reason = TO[target](planned)
    if target == "active" and current == "pending":
        return target, on, reason  # (the 报到 itself: no earlier change to follow)
    if reported and on < reported and target not in ("terminated", "deceased"):
        raise InvalidInput("生效日期", f"{on} 早于报到日期 {reported}")
    last = conn.execute("SELECT max(changed_on) FROM status_changes WHERE case_id = ?", [case.id]).fetchone()[0]
    if last and on.isoformat() < last:
        raise InvalidInput("生效日期", f"{on} 早于上一次状态变更（{last}）")
    return target, on, reason


def clean_milestone(conn: sqlite3.Connection, case: Case) -> tuple[date, str]:
    """The day one released person can be recognised as 戒断三年未复吸, and what it counts from."""
    from jindu_cli.domain.rules import load_rules

    row = conn.execute(f"SELECT max(tested_on) FROM drug_tests WHERE case_id = ? AND {FLAGGED} AND result = 'positive'",
                       [case.id]).fetchone()
    last = date.fromisoformat(row[0]) if row[0] else None
    return clean_milestone_from(case, last, load_rules(conn))
