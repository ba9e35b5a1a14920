"""What visits, drug tests and leave records share: the window guards, and one description of a
kind of record (`RecordKind`) through which any of them is read, checked, added, changed (audited)
and listed with its person. Each kind's module keeps only its fields and its own rules."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jindu_cli.domain import audit
from jindu_cli.domain.dates import iso, parse_date
from jindu_cli.domain.enums import STATUS
from jindu_cli.domain.filters import CASE, Filter, Reader
from jindu_cli.domain.people import Case, get_case
from jindu_cli.domain.text import clean_text
from jindu_cli.errors import Conflict, InvalidInput, NotFound
from jindu_cli.storage.db import atomic


AFTER_RELEASE = ("released", "clean")  # §9.9: still tested and seen after 期满解除 (动态管控)


def window_problems(case: Case, on: date, as_of: date) -> list[str]:
    """Why a record dated `on` does not fit the case's measure (empty when it fits). After 期满解除
    the person stays under 动态管控 (§9.9): records after the term's end are normal then."""
    problems: list[str] = []
    if on > as_of:
        problems.append(f"{on} 晚于今天（{as_of}）")
    if case.reported_on is None:
        problems.append(f"{case.name} 还没有报到，措施尚未开始")
    elif on < case.reported_on:
        problems.append(f"{on} 早于报到日期 {case.reported_on}，措施尚未开始")
    elif case.status in AFTER_RELEASE:
        return problems
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


def a_date(label: str) -> Reader:
    return lambda conn, typed: parse_date(typed, label)


def text(label: str, limit: int) -> Reader:
    return lambda conn, typed: clean_text(typed, label, limit)


@dataclass(frozen=True)
class RecordKind:
    """One kind of record of a case, as the shared code needs to know it."""

    table: str
    entity: str  # in the audit log
    noun: str  # 没有编号为 N 的{noun}记录
    labels: dict[str, str]  # the fields the clerk gives, in the table's column order
    date_field: str  # what the window checks, and listings sort by
    from_row: Callable[[tuple], Any]  # a row of `columns` -> the kind's record
    parsers: dict[str, Reader]  # field -> how what was typed is checked into the value kept
    rules: Callable[[dict, dict, dict | None, date], dict]  # (parsed, typed, before, as_of) -> checked
    filters: dict[str, tuple[str, Reader]] = field(default_factory=dict)  # listing option -> column of `r`
    natural_key: tuple[str, ...] = ()  # one person, one date, one of these: one record

    @property
    def columns(self) -> list[str]:
        return ["id", "case_id", *self.labels, "forced"]


def _select(kind: RecordKind) -> str:
    return f"SELECT {', '.join(kind.columns)} FROM {kind.table}"


def get(conn: sqlite3.Connection, kind: RecordKind, record_id: int):
    row = None
    if abs(record_id) < 2**63:  # (a number past SQLite's 64-bit integers names no record)
        row = conn.execute(f"{_select(kind)} WHERE id = ?", [record_id]).fetchone()
    if row is None:
        raise NotFound(f"没有编号为 {record_id} 的{kind.noun}记录")
    return kind.from_row(row)


def of_case(conn: sqlite3.Connection, kind: RecordKind, case_id: int) -> list:
    """The records of one case, oldest first."""
    return [kind.from_row(r) for r in conn.execute(
        f"{_select(kind)} WHERE case_id = ? ORDER BY {kind.date_field}, id", [case_id])]


def validate(conn: sqlite3.Connection, kind: RecordKind, raw: dict, as_of: date, existing: dict | None = None) -> dict:
    """The record `raw` makes of `existing` (or of nothing): each field given checked by its parser,
    then the whole by the kind's rules. `raw` holds only the fields given; "" clears one."""
    rec = dict(existing or {})
    for key, value in raw.items():
        read = kind.parsers.get(key)
        if read is None:
            raise InvalidInput(key, f"不是{kind.noun}记录的字段")
        rec[key] = read(conn, value)
    return kind.rules(rec, raw, existing, as_of)


def values(kind: RecordKind, record) -> dict:
    return {k: getattr(record, k) for k in kind.labels}


def add(conn: sqlite3.Connection, kind: RecordKind, case: Case, raw: dict, as_of: date, operator: str,
        force: bool = False, defaults: dict | None = None):
    """Record what the clerk gave for `case` (a date outside the measure only with `force`, audited);
    a field left empty takes its value from `defaults`."""
    rec = validate(conn, kind, raw, as_of)
    for key, value in (defaults or {}).items():
        if rec.get(key) is None:
            rec[key] = value
    on = kind.date_field
    overridden = check_window(case, rec[on], as_of, force, kind.labels[on])
    _check_natural_key(conn, kind, case.id, rec)
    now = audit.utc_now()
    row = dict(rec, case_id=case.id, forced=bool(overridden), created_at=now, updated_at=now)
    keys = list(row)
    with atomic(conn):
        # Table and column names come from this package's constants, never from user text.
        cur = conn.execute(f"INSERT INTO {kind.table} ({', '.join(keys)}) VALUES ({', '.join('?' for _ in keys)})",
                           [stored(row[k]) for k in keys])
        changes = {k: [None, _audit_value(v)] for k, v in rec.items() if v not in (None, [], "")}
        if overridden:
            changes["forced"] = overridden
        audit.record(conn, operator, "add", kind.entity, cur.lastrowid, case.id, changes)
    return get(conn, kind, cur.lastrowid)


def update(conn: sqlite3.Connection, kind: RecordKind, record_id: int, raw: dict, as_of: date, operator: str,
           force: bool = False) -> tuple[Any, dict]:
    """Change the fields `raw` gives of one record, audited. Returns the record as it now is and
    {field: (old, new)} (empty, and nothing written, when nothing changes)."""
    record = get(conn, kind, record_id)
    before = values(kind, record)
    rec = validate(conn, kind, raw, as_of, before)
    changes = diff(before, rec)
    if not changes:
        return record, {}
    on = kind.date_field
    overridden: list[str] = []
    if on in changes:
        overridden = check_window(get_case(conn, record.case_id), rec[on], as_of, force, kind.labels[on])
    if any(k in changes for k in kind.natural_key):
        _check_natural_key(conn, kind, record.case_id, rec, record.id)
    sets = [f"{k} = ?" for k in changes] + ["updated_at = ?"]
    params = [stored(new) for _, new in changes.values()] + [audit.utc_now()]
    if overridden:
        sets.append("forced = 1")
    with atomic(conn):
        conn.execute(f"UPDATE {kind.table} SET {', '.join(sets)} WHERE id = ?", params + [record.id])
        audited = {k: [_audit_value(o), _audit_value(n)] for k, (o, n) in changes.items()}
        if overridden:
            audited["forced"] = overridden
        audit.record(conn, operator, "update", kind.entity, record.id, record.case_id, audited)
    return get(conn, kind, record.id), changes


def _check_natural_key(conn: sqlite3.Connection, kind: RecordKind, case_id: int, rec: dict,
                       record_id: int | None = None) -> None:
    if not kind.natural_key:
        return
    f = Filter(conn).where("case_id = ?", case_id)
    for k in kind.natural_key:
        f.where(f"{k} = ?", stored(rec[k]))
    if record_id is not None:
        f.where("id != ?", record_id)
    found = conn.execute(f"SELECT id FROM {kind.table} WHERE {f.sql}", f.params).fetchone()
    if found:
        raise Conflict(f"这个人同一天已有相同的{kind.noun}记录（#{found[0]}）；要改正请用 update {found[0]}")


def diff(old: dict, new: dict) -> dict:
    return {k: (old.get(k), v) for k, v in new.items() if old.get(k) != v}


def each(conn: sqlite3.Connection, kind: RecordKind, *, case_id: int | None = None, street: str | None = None,
         date_from: date | None = None, date_to: date | None = None, by: dict | None = None,
         also: tuple[str, ...] = (), limit: int | None = None, oldest_first: bool = False
         ) -> Iterator[tuple[Any, dict]]:
    """The records of a kind (`r`) newest first (or oldest first), each with its person's name, ID
    number and street: (record, {"name", "id_number", "street"}), one at a time as they are read.
    `by` gives the kind's filters what was typed; `also` adds conditions of the kind's own."""
    on = f"r.{kind.date_field}"
    f = Filter(conn, {**CASE, **kind.filters}).dates(on, date_from, date_to).by(**(by or {}))
    for condition in also:
        f.where(condition)
    if case_id is not None:
        f.where("r.case_id = ?", case_id)
    f.by(street=street)
    width = len(kind.columns)
    sql = (f"SELECT {', '.join('r.' + c for c in kind.columns)}, c.name, c.id_number, c.street"
           f"{_with_case(kind.table, f)} ORDER BY {on} {'ASC' if oldest_first else 'DESC'},"
           f" r.id {'ASC' if oldest_first else 'DESC'}")
    if limit:
        sql += f" LIMIT {int(limit)}"
    for row in conn.execute(sql, f.params):
        yield kind.from_row(row[:width]), {"name": row[width], "id_number": row[width + 1], "street": row[width + 2]}


def _with_case(table: str, f: Filter) -> str:
    """FROM and WHERE of a record table (aliased `r`) joined to its case (`c`)."""
    return f" FROM {table} r JOIN cases c ON c.id = r.case_id WHERE {f.sql}"


def date_range_clause(column: str, date_from: date | None, date_to: date | None) -> tuple[list[str], list]:
    """(conditions, parameters) of `column` between two dates (the exporter's)."""
    f = Filter(None).dates(column, date_from, date_to)
    return f.clauses, f.params


def count_by_case(conn: sqlite3.Connection, table: str, clauses: list[str], params: list, *,
                  street: str | None = None) -> list[tuple[int, int]]:
    """(case id, records) of the records `each` gives for the same choice (the exporter's)."""
    f = Filter(conn)
    if clauses:
        f.where(" AND ".join(clauses), *params)
    f.by(street=street)
    return conn.execute(f"SELECT r.case_id, count(*){_with_case(table, f)} GROUP BY r.case_id", f.params).fetchall()
