"""What visits, drug tests and leave records share: the window guards, and one description of a
kind of record (`RecordKind`) through which any of them is read, checked, added, changed (audited)
and listed with its person. Each kind's module keeps only its fields and its own rules. A kind of
no one person (an activity, a screening session: `of_case` false) is read, checked, added, changed
and listed the same way, without a person and without the measure's window."""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jindu_cli.domain import audit
from jindu_cli.domain.dates import iso, parse_date
from jindu_cli.domain.enums import STATUS
from jindu_cli.domain.filters import CASE, Filter, Reader, street, stripped
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
    return value if isinstance(value, (list, bool)) else stored(value)


def a_date(label: str) -> Reader:
    return lambda conn, typed: parse_date(typed, label)


def text(label: str, limit: int) -> Reader:
    return lambda conn, typed: clean_text(typed, label, limit)


def street_fields(labels: dict) -> dict[str, Reader]:
    """How the fields every record of a street (not of a person) has are read: its street (街道),
    community, place, worker and notes."""
    return {"street": street, "community": text(labels["community"], 50), "place": text(labels["place"], 200),
            "worker": text(labels["worker"], 50), "notes": text(labels["notes"], 2000)}


# the listing options every record of a street has: (its column, how the typed value is read)
STREET_FILTERS: dict[str, tuple[str, Reader]] = {
    "street": ("r.street", street), "community": ("r.community", stripped), "worker": ("r.worker", stripped)}


def required(rec: dict, labels: dict, keys: tuple[str, ...]) -> None:
    for key in keys:
        if rec.get(key) in (None, "", []):
            raise InvalidInput(labels[key], "必须填写")


def not_after(day: date, as_of: date, label: str) -> None:
    if day > as_of:
        raise InvalidInput(label, f"{day} 晚于今天（{as_of}）")


YES = ("是", "有", "已", "y", "yes", "true", "1", "√", "✓")
NO = ("否", "无", "没有", "未", "n", "no", "false", "0", "×", "")


def as_bool(typed, label: str) -> bool:
    """是 or 否 as a clerk or a spreadsheet writes them (an empty cell: 否)."""
    if isinstance(typed, bool):
        return typed
    folded = unicodedata.normalize("NFKC", str(typed if typed is not None else "")).strip().lower()
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise InvalidInput(label, f"“{str(typed).strip()}”应为 是 或 否")


def yes_no(label: str) -> Reader:
    return lambda conn, typed: as_bool(typed, label)


def count(label: str, limit: int = 1_000_000) -> Reader:
    """A number of people, copies or households: a whole number from 0 (an empty cell: none given)."""
    def read(conn, typed) -> int | None:
        if typed is None or str(typed).strip() == "":
            return None
        folded = unicodedata.normalize("NFKC", str(typed)).strip().replace(",", "")
        for unit in ("人次", "人", "份", "户", "条", "次", "场", "个"):
            folded = folded.removesuffix(unit)
        if folded.endswith(".0"):
            folded = folded[:-2]
        if not folded.isascii() or not folded.isdigit() or int(folded) > limit:
            raise InvalidInput(label, f"“{str(typed).strip()}”应为 0 到 {limit} 之间的整数")
        return int(folded)
    return read


@dataclass(frozen=True)
class RecordKind:
    """One kind of record (of a case, or of a street's own work), as the shared code needs to know it."""

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
    of_case: bool = True  # a record of one person's measure (else its own, with a street: `filters["street"]`)

    @property
    def columns(self) -> list[str]:
        return ["id", "case_id", *self.labels, "forced"] if self.of_case else ["id", *self.labels]


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


def add(conn: sqlite3.Connection, kind: RecordKind, case: Case | None, raw: dict, as_of: date, operator: str,
        force: bool = False, defaults: dict | None = None, also: dict | None = None):
    """Record what the clerk gave for `case` (a date outside the measure only with `force`, audited);
    a field left empty takes its value from `defaults`. `case` is None for a kind not of a case;
    `also`: columns the clerk does not give (the import a record came from)."""
    rec = validate(conn, kind, raw, as_of)
    for key, value in (defaults or {}).items():
        if rec.get(key) is None:
            rec[key] = value
    on = kind.date_field
    overridden = check_window(case, rec[on], as_of, force, kind.labels[on]) if case is not None else []
    case_id = case.id if case is not None else None
    _check_natural_key(conn, kind, case_id, rec)
    now = audit.utc_now()
    row = dict(rec, **(also or {}), created_at=now, updated_at=now)
    if case is not None:
        row.update(case_id=case_id, forced=bool(overridden))
    keys = list(row)
    with atomic(conn):
        # Table and column names come from this package's constants, never from user text.
        cur = conn.execute(f"INSERT INTO {kind.table} ({', '.join(keys)}) VALUES ({', '.join('?' for _ in keys)})",
                           [stored(row[k]) for k in keys])
        changes = {k: [None, _audit_value(v)] for k, v in rec.items() if v not in (None, [], "") and v is not False}
        if overridden:
            changes["forced"] = overridden
        changes.update((k, v) for k, v in (also or {}).items() if v is not None)
        audit.record(conn, operator, "add", kind.entity, cur.lastrowid, case_id, changes)
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
    case_id = record.case_id if kind.of_case else None
    if on in changes and kind.of_case:
        overridden = check_window(get_case(conn, case_id), rec[on], as_of, force, kind.labels[on])
    if any(k in changes for k in kind.natural_key):
        _check_natural_key(conn, kind, case_id, rec, record.id)
    sets = [f"{k} = ?" for k in changes] + ["updated_at = ?"]
    params = [stored(new) for _, new in changes.values()] + [audit.utc_now()]
    if overridden:
        sets.append("forced = 1")
    with atomic(conn):
        conn.execute(f"UPDATE {kind.table} SET {', '.join(sets)} WHERE id = ?", params + [record.id])
        audited = {k: [_audit_value(o), _audit_value(n)] for k, (o, n) in changes.items()}
        if overridden:
            audited["forced"] = overridden
        audit.record(conn, operator, "update", kind.entity, record.id, case_id, audited)
    return get(conn, kind, record.id), changes


def natural_twin(conn: sqlite3.Connection, kind: RecordKind, case_id: int | None, rec: dict,
                 record_id: int | None = None) -> int | None:
    """The record other than `record_id` that has `rec`'s natural key (of the same case), if any."""
    f = Filter(conn)
    if case_id is not None:
        f.where("case_id = ?", case_id)
    for k in kind.natural_key:
        f.where(f"{k} IS ?", stored(rec.get(k)))  # (IS: an empty place is one value too)
    if record_id is not None:
        f.where("id != ?", record_id)
    found = conn.execute(f"SELECT id FROM {kind.table} WHERE {f.sql}", f.params).fetchone()
    return found[0] if found else None


def _check_natural_key(conn: sqlite3.Connection, kind: RecordKind, case_id: int | None, rec: dict,
                       record_id: int | None = None) -> None:
    if not kind.natural_key:
        return
    found = natural_twin(conn, kind, case_id, rec, record_id)
    if found is not None:
        whose = "这个人同一天" if kind.of_case else "同一天、同一街道"
        raise Conflict(f"{whose}已有相同的{kind.noun}记录（#{found}）；要改正请用 update {found}")


def diff(old: dict, new: dict) -> dict:
    return {k: (old.get(k), v) for k, v in new.items() if old.get(k) != v}


def each(conn: sqlite3.Connection, kind: RecordKind, *, case_id: int | None = None, street: str | None = None,
         date_from: date | None = None, date_to: date | None = None, by: dict | None = None,
         also: tuple[str, ...] = (), limit: int | None = None, oldest_first: bool = False
         ) -> Iterator[tuple[Any, dict]]:
    """The records of a kind (`r`) newest first (or oldest first), each with its person's name, ID
    number and street: (record, {"name", "id_number", "street"}), one at a time as they are read.
    `by` gives the kind's filters what was typed; `also` adds conditions of the kind's own. A kind not
    of a case gives each record with {} (its street is its own)."""
    on = f"r.{kind.date_field}"
    f = Filter(conn, {**CASE, **kind.filters} if kind.of_case else kind.filters)
    f.dates(on, date_from, date_to).by(**(by or {}))
    for condition in also:
        f.where(condition)
    if case_id is not None:
        f.where("r.case_id = ?", case_id)
    f.by(street=street)
    width = len(kind.columns)
    person = ", c.name, c.id_number, c.street" if kind.of_case else ""
    source = _with_case(kind.table, f) if kind.of_case else f" FROM {kind.table} r WHERE {f.sql}"
    sql = (f"SELECT {', '.join('r.' + c for c in kind.columns)}{person}{source}"
           f" ORDER BY {on} {'ASC' if oldest_first else 'DESC'}, r.id {'ASC' if oldest_first else 'DESC'}")
    if limit:
        sql += f" LIMIT {int(limit)}"
    for row in conn.execute(sql, f.params):
        yield kind.from_row(row[:width]), (
            {"name": row[width], "id_number": row[width + 1], "street": row[width + 2]} if kind.of_case else {})


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
