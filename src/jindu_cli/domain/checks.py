"""Can the office trust its database? `check` looks at the file (integrity, foreign keys), the audit
chain, and the data (numbers, dates, records outside their term, orphans, statuses that do not
match their history). `duplicates` finds people who are probably recorded twice."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from jindu_cli.domain import audit
from jindu_cli.domain.people import LABELS, load_cases
from jindu_cli.domain.enums import STATUS
from jindu_cli.domain.ids import mask_id, parse_id_number
from jindu_cli.domain.records import window_problems
from jindu_cli.errors import InvalidInput


@dataclass
class Problem:
    check: str
    case_id: int | None
    record: str
    reason: str

    def as_dict(self) -> dict:
        return {"check": self.check, "case_id": self.case_id, "record": self.record, "reason": self.reason}


FILE_CHECK = "文件完整性"


def check(conn: sqlite3.Connection, as_of: date) -> list[Problem]:
    """Every problem found; on a damaged file, only what SQLite's integrity check says (the rest
    would be read from broken pages)."""
    problems = [Problem(FILE_CHECK, None, "", line) for (line,) in conn.execute("PRAGMA integrity_check")
                if line != "ok"]
    if problems:
        return problems
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
        problems.append(Problem("外键", None, f"{table} #{rowid}", f"指向不存在的 {parent} 记录"))
    verdict = audit.verify(conn)
    if not verdict.ok:
        problems.append(Problem("审计链", None, f"审计 #{verdict.bad_id}", verdict.problem))
    cases = load_cases(conn)
    problems += _cases(conn, cases)
    problems += _records(conn, {c.id: c for c in cases}, as_of)
    return problems


def _cases(conn: sqlite3.Connection, cases: list) -> list[Problem]:
    """Each case's 身份证号, the order of its dates, and its status against its status history."""
    problems = []
    last_status = {cid: status for cid, status in conn.execute(
        "SELECT case_id, status FROM status_changes ORDER BY case_id, changed_on, id")}  # the last one wins
    order = [("decided_on", "received_on"), ("received_on", "reported_on"), ("reported_on", "agreement_on")]
    for case in cases:
        try:
            if parse_id_number(case.id_number) != case.id_number:
                problems.append(Problem("身份证号", case.id, mask_id(case.id_number), "不是规范的 18 位写法"))
        except InvalidInput as exc:
            problems.append(Problem("身份证号", case.id, mask_id(case.id_number), exc.reason))
        for earlier, later in order:
            a, b = getattr(case, earlier), getattr(case, later)
            if a and b and b < a:
                problems.append(Problem("日期顺序", case.id, case.name, f"{LABELS[later]} {b} 早于{LABELS[earlier]} {a}"))
        expected = last_status.get(case.id, "pending")
        if expected != case.status:
            problems.append(Problem("状态", case.id, case.name,
                                    f"状态是{STATUS.label(case.status)}，但状态记录的最后一条是{STATUS.label(expected)}"))
    return problems


def _records(conn: sqlite3.Connection, by_id: dict, as_of: date) -> list[Problem]:
    """Records of no case, and records outside their person's measure that were not forced in."""
    problems = []
    for table, entity, column in (("visits", "走访", "visited_on"), ("drug_tests", "检测", "tested_on"),
                                  ("leaves", "外出", "left_on")):
        # table and column names are this module's constants
        for record_id, case_id, day in conn.execute(
                f"SELECT id, case_id, {column} FROM {table} WHERE forced = 0 ORDER BY id"):
            case = by_id.get(case_id)
            if case is None:
                problems.append(Problem("孤立记录", case_id, f"{entity} #{record_id}", "所属的案件不存在"))
                continue
            found = window_problems(case, date.fromisoformat(day), as_of)
            if found:
                problems.append(Problem("措施期外", case_id, f"{entity} #{record_id}", "；".join(found)))
    for table, entity in (("status_changes", "状态记录"), ("police_reports", "报告公安"), ("transfers", "变更执行地")):
        for record_id, case_id in conn.execute(f"SELECT id, case_id FROM {table} WHERE case_id NOT IN (SELECT id FROM cases)"):
            problems.append(Problem("孤立记录", case_id, f"{entity} #{record_id}", "所属的案件不存在"))
    return problems


def duplicates(conn: sqlite3.Connection) -> list[dict]:
    """Groups of cases that are probably one person: the same name and birth date under different
    身份证号, or numbers that become the same old 15-digit number (a wrong century in the upgrade)."""
    groups: list[tuple[str, list[int]]] = []
    seen: set[frozenset] = set()
    queries = [
        ("姓名和出生日期相同，身份证号不同",
         "SELECT group_concat(id) FROM cases GROUP BY name, substr(id_number, 7, 8) HAVING count(*) > 1"),
        ("换算成旧的 15 位号码后相同（出生年份的世纪不同）",
         "SELECT group_concat(id) FROM cases GROUP BY substr(id_number, 1, 6) || substr(id_number, 9, 9)"
         " HAVING count(*) > 1"),
    ]
    for evidence, sql in queries:
        for (ids,) in conn.execute(sql):
            members = sorted(int(i) for i in ids.split(","))
            key = frozenset(members)
            if key in seen:
                continue
            seen.add(key)
            groups.append((evidence, members))
    out = []
    cases = {c.id: c for c in load_cases(conn, "c.id IN (SELECT value FROM json_each(?))",
                                         [f"[{','.join(str(i) for g in groups for i in g[1])}]"])} if groups else {}
    for number, (evidence, members) in enumerate(groups, start=1):
        for cid in members:
            c = cases[cid]
            out.append({"group": number, "case_id": cid, "name": c.name, "id_number": c.id_number,
                        "birth_date": c.birth_date.isoformat(), "street": c.street, "status": STATUS.label(c.status),
                        "evidence": evidence})
    return out
