"""Export the register, visits and tests in the columns the importer reads, so that an export
made with --reveal re-imports without loss. Without --reveal, 身份证号 and phones are masked:
a file for sharing figures, not people.

`opened` is the export: its rows, their count and (with --reveal) the audit of the people shown
in full, all of one moment of the database, on the caller's one connection."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from jindu_cli.domain import records, reference
from jindu_cli.domain.people import load_cases
from jindu_cli.domain.dates import iso
from jindu_cli.domain.drug_tests import each_drug_test
from jindu_cli.domain.enums import MEASURE, RISK, STATUS
from jindu_cli.domain.ids import birth_date, mask_id, mask_phone, sex
from jindu_cli.domain.importer import export_headers, history_texts
from jindu_cli.domain.text import spreadsheet_safe
from jindu_cli.domain.visits import each_visit

FIELDS = {
    "cases": ["id_number", "name", "sex", "birth_date", "phone", "household_address", "residence_address", "street",
              "community", "measure", "term_months", "decision_authority", "decision_number", "decided_on",
              "received_on", "reported_on", "agreement_on", "risk_level", "risk_color", "drugs", "worker", "notes",
              "test_every", "term_end_override", "status", "status_history"],
    "visits": ["id_number", "name", "visited_on", "kind", "sub_kind", "outcome", "worker", "place", "notes", "placed",
               "aid_granted", "aid_amount", "referred_to", "forced"],
    "tests": ["id_number", "name", "tested_on", "specimen", "method", "result", "substances", "sample_number",
              "place", "tester", "notes", "forced"],
    "activities": ["held_on", "kind", "title", "street", "community", "place", "audience", "participants", "materials",
                   "households", "clues", "clues_referred", "partners", "worker", "notes"],
    "screenings": ["screened_on", "street", "community", "place", "screened_group", "specimen", "tested", "positives",
                   "referred", "organiser", "worker", "notes"],
}


def headers(kind: str) -> list[str]:
    titles = export_headers(kind)
    return [titles[f] for f in FIELDS[kind]]


def csv_cell(text: str) -> str:
    """A cell of a CSV file the office opens in Excel or WPS: `safe`, and a number the spreadsheet
    would spoil written as ="…", which it shows as the text it is. Opened as a bare number, an ID
    (520103199003071232) becomes 5.20103E+17 and loses its last digits when the sheet is saved, and a
    landline loses its leading 0. jindu's importer reads ="…" back as the number inside."""
    if text.isascii() and text.isdigit() and (len(text) > 11 or (len(text) > 1 and text[0] == "0")):
        return f'="{text}"'
    return spreadsheet_safe(text)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, (list, tuple)):
        return "、".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _case_filter(conn: sqlite3.Connection, street: str | None, date_from: date | None,
                 date_to: date | None) -> tuple[str, list]:
    clauses, params = [], []
    if street:
        clauses.append("c.street = ?")
        params.append(reference.streets(conn).resolve(street))
    if date_from:
        clauses.append("c.reported_on >= ?")
        params.append(iso(date_from))
    if date_to:
        clauses.append("c.reported_on <= ?")
        params.append(iso(date_to))
    return " AND ".join(clauses), params


CASES_AT_ONCE = 2000  # people read at a time for the register's export (memory stays flat)
REVEAL_ROUNDS = 5  # times the people are audited again when other writers keep adding to them
RECORDS = {"visits": ("visits", "r.visited_on"), "tests": ("drug_tests", "r.tested_on")}


def _street_records(kind: str):
    """The listing of a kind of record that belongs to a street (no one's personal data in it)."""
    from jindu_cli.domain import activities, screenings

    return {"activities": activities.each_activity, "screenings": screenings.each_screening}.get(kind)


def scope(conn: sqlite3.Connection, kind: str, *, street: str | None = None, date_from: date | None = None,
          date_to: date | None = None) -> tuple[int, list[int]]:
    """How many rows `rows` gives for the same choice, and the cases they are of (read in the same
    read transaction, they agree)."""
    if kind == "cases":
        where, params = _case_filter(conn, street, date_from, date_to)
        ids = [i for (i,) in conn.execute("SELECT c.id FROM cases c" + (f" WHERE {where}" if where else ""), params)]
        return len(ids), ids
    listed = _street_records(kind)
    if listed is not None:  # (a few hundred a year: counted by reading them)
        return sum(1 for _ in listed(conn, street=street, date_from=date_from, date_to=date_to)), []
    table, column = RECORDS[kind]
    clauses, params = records.date_range_clause(column, date_from, date_to)
    counted = records.count_by_case(conn, table, clauses, params, street=street)
    return sum(n for _, n in counted), [cid for cid, _ in counted]


def rows(conn: sqlite3.Connection, kind: str, *, street: str | None = None, date_from: date | None = None,
         date_to: date | None = None, reveal: bool = False,
         at_once: int = CASES_AT_ONCE) -> Iterator[tuple[int, list[str]]]:
    """(case id, cells) in the export's column order, one at a time as they are read (the visits
    and tests oldest first; the register `at_once` people at a time)."""
    mask_number = (lambda v: v) if reveal else mask_id
    mask_tel = (lambda v: v) if reveal else mask_phone
    if kind == "cases":
        where, params = _case_filter(conn, street, date_from, date_to)
        last = 0
        while True:  # a chunk of people at a time, by case number, each chunk's histories in one query
            chunk = load_cases(conn, " AND ".join(filter(None, [where, "c.id > ?"])), params + [last],
                               limit=CASES_AT_ONCE)
            if not chunk:
                return
            histories = history_texts(conn, [case.id for case in chunk])
            for case in chunk:
                values = {
                    "id_number": mask_number(case.id_number), "name": case.name, "sex": sex(case.id_number),
                    "birth_date": birth_date(case.id_number), "phone": mask_tel(case.phone),
                    "measure": MEASURE.label(case.measure), "risk_level": RISK.label(case.risk_level),
                    "status": STATUS.label(case.status), "status_history": histories.get(case.id, ""),
                }
                for name in FIELDS["cases"]:
                    values.setdefault(name, getattr(case, name, None))
                yield case.id, [_cell(values[f]) for f in FIELDS["cases"]]
            last = chunk[-1].id
    listed = _street_records(kind)
    if listed is not None:
        for record in listed(conn, street=street, date_from=date_from, date_to=date_to, oldest_first=True):
            yield None, [_cell(record.get(f)) for f in FIELDS[kind]]
        return
    each = each_visit if kind == "visits" else each_drug_test
    for record in each(conn, street=street, date_from=date_from, date_to=date_to, oldest_first=True):
        record["id_number"] = mask_number(record["id_number"])
        yield record["case_id"], [_cell(record.get(f)) for f in FIELDS[kind]]


@dataclass
class Export:
    """One export, read in one snapshot: `count` rows, of the cases `people`; `rows` (each a list
    of cells in the columns of `headers(kind)`) are read once, inside `opened`'s block."""
    kind: str
    count: int
    people: list[int]
    rows: Iterator[list[str]]


def reveal(conn: sqlite3.Connection, kind: str, operator: str, *, street: str | None = None,
           date_from: date | None = None, date_to: date | None = None,
           audited: frozenset[int] | set[int] = frozenset()) -> set[int]:
    """Record, and commit, that `operator` is shown in full the people the export holds now, but
    those in `audited` (recorded already for this export). Returns all the people audited for it."""
    from jindu_cli.domain.cases import record_reveal
    from jindu_cli.storage.db import atomic

    with atomic(conn):  # (a write transaction: the people as they are while nobody else writes)
        _, people = scope(conn, kind, street=street, date_from=date_from, date_to=date_to)
        new = set(people) - set(audited)
        if new:
            record_reveal(conn, operator, f"export {kind}", sorted(new))
    return set(audited) | new


@contextlib.contextmanager
def opened(conn: sqlite3.Connection, kind: str, *, street: str | None = None, date_from: date | None = None,
           date_to: date | None = None, reveal_as: str | None = None,
           audited: frozenset[int] | set[int] = frozenset()) -> Iterator[Export]:
    """The export of `kind`, its rows to be read inside the block. The rows and their count are
    of one moment of the database (one read transaction), however long the writing takes and
    whatever other processes write meanwhile. With `reveal_as` (the operator), the rows are in
    full, and the people they show have been audited as shown to that operator, committed, before
    the block begins: no file holds anyone in full whose showing is not on record.

    One connection does both. The audit is written and committed first (`reveal`), then the read
    transaction begins, and its people are checked against the ones audited: another process may
    have added someone in between (a case, or a visit of someone not exported before). Then that
    difference is audited too, and the rows read again from a new moment, until every person read
    is on record (REVEAL_ROUNDS times at most, then DatabaseError: nothing is exported). Holding
    one write transaction over the export instead would keep every other writer waiting for as
    long as the file takes, and would commit the audit only after the file was written.
    Someone removed in between stays audited though not shown: the record errs on the safe side.
    `audited`: people already recorded for this export by `reveal`."""
    from jindu_cli.errors import DatabaseError
    from jindu_cli.storage.db import snapshot

    audited = set(audited)
    chosen = {"street": street, "date_from": date_from, "date_to": date_to}
    if reveal_as is not None and not audited:
        audited = reveal(conn, kind, reveal_as, **chosen)
    for _ in range(REVEAL_ROUNDS):
        with snapshot(conn):
            count, people = scope(conn, kind, **chosen)
            if reveal_as is None or audited.issuperset(people):
                yield Export(kind, count, people,
                             (cells for _, cells in rows(conn, kind, reveal=reveal_as is not None, **chosen)))
                return
        audited = reveal(conn, kind, reveal_as, audited=audited, **chosen)
    raise DatabaseError("数据库正忙：另一个程序一直在添加要导出的记录，没有导出。请稍后再试")
