"""What visits, drug tests and leave records share: free-text cleaning, the window guards, and
the audited insert and update of one record that belongs to a case."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from jindu_cli.domain import audit
from jindu_cli.domain.people import Case
from jindu_cli.domain.dates import iso
from jindu_cli.domain.enums import STATUS
from jindu_cli.errors import InvalidInput
from jindu_cli.storage.db import atomic


def window_problems(case: Case, on: date, as_of: date) -> list[str]:
    """Why a record dated `on` does not fit the case's measure (empty when it fits)."""
    problems: list[str] = []
    if on > as_of:
        problems.append(f"{on} 晚于今天（{as_of}）")
    if case.reported_on is None:
        problems.append(f"{case.name} 还没有报到，措施尚未开始")
    elif on < case.reported_on:
        problems.append(f"{on} 早于报到日期 {case.reported_on}，措施尚未开始")
    else:
        end = case.term_end(as_of)
        if end and on > end:
            problems.append(f"{on} 晚于期满日期 {end}")
    for start, stop in case.suspensions:
        if start <= on and (stop is None or on < stop):
            until = f"至 {stop} 恢复" if stop else "尚未恢复"
            problems.append(f"{on} 在中止期间（{start} 起，{until}）")
    if case.closed_on and on > case.closed_on:
        problems.append(f"案件已于 {case.closed_on} {STATUS.label(case.status)}")
    return problems


def check_window(case: Case, on: date, as_of: date, force: bool, field: str) -> list[str]:
    """Refuse a date outside the measure unless forced; return what was overridden (for audit)."""
    problems = window_problems(case, on, as_of)
    if problems and not force:
        raise InvalidInput(field, "；".join(problems) + "。确实要记录，请加 --force（会记入审计）")
    return problems


def stored(value):
    if isinstance(value, date):
        return iso(value)
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


def _audit_value(value):
    return value if isinstance(value, list) else stored(value)


NATURAL_KEYS = {"visits": ("visited_on", "kind"), "drug_tests": ("tested_on", "specimen", "result")}
NOUNS = {"visits": "走访", "drug_tests": "检测"}


def check_natural_key(conn: sqlite3.Connection, table: str, case_id: int, values: dict,
                      record_id: int | None = None) -> None:
    """One person, one date, one kind (for tests: specimen and result) is one record."""
    from jindu_cli.errors import Conflict

    keys = NATURAL_KEYS.get(table)
    if not keys:
        return
    sql = f"SELECT id FROM {table} WHERE case_id = ? AND " + " AND ".join(f"{k} = ?" for k in keys)
    params = [case_id] + [stored(values[k]) for k in keys]
    if record_id is not None:
        sql += " AND id != ?"
        params.append(record_id)
    found = conn.execute(sql, params).fetchone()
    if found:
        raise Conflict(f"这个人同一天已有相同的{NOUNS[table]}记录（#{found[0]}）；要改正请用 update {found[0]}")


def insert(conn: sqlite3.Connection, table: str, entity: str, case_id: int, values: dict,
           operator: str, overridden: list[str]) -> int:
    """Insert one record of a case and its audit row in one transaction."""
    check_natural_key(conn, table, case_id, values)
    now = audit.utc_now()
    row = dict(values, case_id=case_id, forced=bool(overridden), created_at=now, updated_at=now)
    keys = list(row)
    with atomic(conn):
        # Table and column names come from this package's constants, never from user text.
        cur = conn.execute(f"INSERT INTO {table} ({', '.join(keys)}) VALUES ({', '.join('?' for _ in keys)})",
                           [stored(row[k]) for k in keys])
        record_id = cur.lastrowid
        changes = {k: [None, _audit_value(v)] for k, v in values.items() if v not in (None, [], "")}
        if overridden:
            changes["forced"] = overridden
        audit.record(conn, operator, "add", entity, record_id, case_id, changes)
    return record_id


def update(conn: sqlite3.Connection, table: str, entity: str, record_id: int, case_id: int,
           changes: dict, operator: str, overridden: list[str]) -> None:
    """Apply {column: (old, new)} to one record and audit it, in one transaction."""
    keys = NATURAL_KEYS.get(table, ())
    if any(k in changes for k in keys):
        current = dict(zip(keys, conn.execute(f"SELECT {', '.join(keys)} FROM {table} WHERE id = ?",
                                              [record_id]).fetchone()))
        current.update({k: new for k, (_, new) in changes.items() if k in keys})
        check_natural_key(conn, table, case_id, current, record_id)
    now = audit.utc_now()
    sets = [f"{k} = ?" for k in changes] + ["updated_at = ?"]
    values = [stored(new) for _, new in changes.values()] + [now]
    if overridden:
        sets.append("forced = 1")
    with atomic(conn):
        conn.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE id = ?", values + [record_id])
        audited = {k: [_audit_value(o), _audit_value(n)] for k, (o, n) in changes.items()}
        if overridden:
            audited["forced"] = overridden
        audit.record(conn, operator, "update", entity, record_id, case_id, audited)


def diff(old: dict, new: dict) -> dict:
    return {k: (old.get(k), v) for k, v in new.items() if old.get(k) != v}


def date_range_clause(column: str, date_from: date | None, date_to: date | None) -> tuple[list[str], list]:
    clauses, params = [], []
    if date_from:
        clauses.append(f"{column} >= ?")
        params.append(iso(date_from))
    if date_to:
        clauses.append(f"{column} <= ?")
        params.append(iso(date_to))
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("--to", f"{date_to} 早于 --from {date_from}")
    return clauses, params


def _with_case(conn: sqlite3.Connection, table: str, clauses: list[str], params: list, case_id: int | None,
               street: str | None) -> tuple[str, list]:
    """FROM and WHERE of a record table (aliased `r`) joined to its case (`c`), with their parameters."""
    from jindu_cli.domain import reference

    clauses, params = list(clauses), list(params)
    if case_id is not None:
        clauses.append("r.case_id = ?")
        params.append(case_id)
    if street:
        clauses.append("c.street = ?")
        params.append(reference.streets(conn).resolve(street))
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return f" FROM {table} r JOIN cases c ON c.id = r.case_id{where}", params


def count_by_case(conn: sqlite3.Connection, table: str, clauses: list[str], params: list, *,
                  street: str | None = None) -> list[tuple[int, int]]:
    """(case id, records) of the records `query_with_case` gives for the same choice."""
    sql, params = _with_case(conn, table, clauses, params, None, street)
    return conn.execute(f"SELECT r.case_id, count(*){sql} GROUP BY r.case_id", params).fetchall()


def query_with_case(conn: sqlite3.Connection, table: str, columns: str, date_column: str,
                    clauses: list[str], params: list, *, case_id: int | None = None,
                    street: str | None = None, limit: int | None = None, oldest_first: bool = False):
    """Rows of one record table (aliased `r`) newest first (or oldest first), each with its
    person's name, ID number and street. Yields (record row, {"name", "id_number", "street"})."""
    width = len(columns.split(","))
    source, params = _with_case(conn, table, clauses, params, case_id, street)
    sql = f"SELECT {', '.join('r.' + c.strip() for c in columns.split(','))}, c.name, c.id_number, c.street{source}"
    sql += f" ORDER BY {date_column} ASC, r.id ASC" if oldest_first else f" ORDER BY {date_column} DESC, r.id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    for row in conn.execute(sql, params):
        yield row[:width], {"name": row[width], "id_number": row[width + 1], "street": row[width + 2]}
