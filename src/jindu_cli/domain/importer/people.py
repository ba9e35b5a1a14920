"""The register as a visit or test log needs it: the person each row names, with the bounds of
their measure, read in batches or in one pass over the whole register."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from jindu_cli.domain.people import Case
from jindu_cli.domain.dates import add_months, from_iso
from jindu_cli.domain.enums import CLOSED_STATUSES
from jindu_cli.domain.importer.report import RowProblem
from jindu_cli.domain.importer.values import damaged


@dataclass(slots=True)
class Person:
    """What a visit or test row needs of its person: kept small, a log may name 100,000 people."""

    id: int
    name: str
    worker: str | None
    lo: date | None  # the 报到 date
    hi: date  # the last day a record may carry: term end, today or the closing date
    plain: bool  # no 中止 ever: the bounds alone decide the window guards
    span: tuple[str, str] | None  # (lo, hi) as ISO text when a date inside them needs no other check


class People:
    """The register, read lazily: the people a file refers to, fetched in batches, and only the
    fields a row needs (the whole case is read for the rare row whose date needs the full check)."""

    REMEMBER = 250_000  # how many of those are remembered
    # a batch naming this share of the register reads the whole register in one pass instead:
    # looking people up by number costs some ten index seeks each, and a district's test log
    # names nearly everyone
    WHOLE = 0.1

    def __init__(self, conn: sqlite3.Connection, as_of: date, whole_share: float = WHOLE):
        self.conn = conn
        self.as_of = as_of
        self.whole_share = whole_share  # see WHOLE
        self.by_id_number: dict[str, Person | None] = {}
        self.by_cell: dict[str, Person] = {}  # an ID cell's text -> its person, for the fast path
        self.nobody: set = set()  # ID cells looked up that the fast path cannot use: naming no one, or not text
        self.cases: dict[int, Case] = {}
        self.size: int | None = None  # of the register
        self.whole = False  # everyone in the register is read
        self.bounds: dict[tuple, tuple] = {}  # (报到, term, end set, closed) -> (lo, hi, span)

    def look_up(self, cells: set, parse: Callable) -> None:
        """Fetch the people these ID cells name. A cell is first looked for as it stands (the
        register holds each ID in its one canonical form, so a cell equal to it needs no parsing),
        then as `parse` reads it (15 digits, a lower-case x, spaces, full-width digits...)."""
        cells = cells - self.by_cell.keys() - self.nobody
        self._fetch([c for c in cells if type(c) is str], as_typed=True)
        numbers = {}
        for cell in cells:
            if type(cell) is str and self.by_id_number.get(cell) is not None:
                self.by_cell[cell] = self.by_id_number[cell]
                continue
            try:
                numbers[cell] = parse(cell)
            except RowProblem:
                pass
        self._fetch(numbers.values())
        for cell, number in numbers.items():
            person = self.by_id_number[number]
            if person is not None and type(cell) is str:
                self.by_cell[cell] = person
        if len(self.nobody) < self.REMEMBER:
            self.nobody.update(c for c in cells if c not in self.by_cell)

    def _fetch(self, id_numbers, as_typed: bool = False) -> None:
        """Read these people into by_id_number; an ID found nowhere is remembered as None, unless
        it is a cell `as_typed`, which may be any text (the cells of a bad file are not kept)."""
        missing = [n for n in set(id_numbers) if n not in self.by_id_number]
        if missing and not self.whole and len(missing) >= self.whole_share * self._register_size():
            self._fetch_whole()
        if self.whole:  # everyone is read: a number not among them names no one
            if not as_typed:
                for number in missing:
                    self.by_id_number.setdefault(number, None)
            return
        closed = ", ".join("?" for _ in CLOSED_STATUSES)
        for start in range(0, len(missing), 900):
            chunk = missing[start:start + 900]
            # what load_cases works out from the status changes: ever in 中止, and the closing date
            for row in self.conn.execute(
                    "SELECT id, id_number, name, worker, reported_on, term_months, term_end_override,"
                    " EXISTS (SELECT 1 FROM status_changes s WHERE s.case_id = c.id AND s.status = 'suspended'),"
                    f" CASE WHEN status IN ({closed}) THEN (SELECT changed_on FROM status_changes s"
                    "  WHERE s.case_id = c.id AND s.status = c.status ORDER BY changed_on DESC, s.id DESC LIMIT 1) END"
                    f" FROM cases c WHERE id_number IN ({', '.join('?' for _ in chunk)})", [*CLOSED_STATUSES, *chunk]):
                self.by_id_number[row[1]] = self._person(row)
            if not as_typed:
                for number in chunk:
                    self.by_id_number.setdefault(number, None)

    def _register_size(self) -> int:
        if self.size is None:
            self.size = self.conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        return self.size

    def _fetch_whole(self) -> None:
        """Everyone in the register, in one pass: the same fields as the look-ups by number, with
        the status changes read once for all (a test compares the two ways)."""
        closed = ", ".join("?" for _ in CLOSED_STATUSES)
        for row in self.conn.execute(
                "SELECT c.id, c.id_number, c.name, c.worker, c.reported_on, c.term_months, c.term_end_override,"
                " p.case_id IS NOT NULL, z.closed_on FROM cases c"
                " LEFT JOIN (SELECT DISTINCT case_id FROM status_changes WHERE status = 'suspended') p"
                "  ON p.case_id = c.id"
                " LEFT JOIN (SELECT case_id, status, max(changed_on) AS closed_on FROM status_changes"
                f"  WHERE status IN ({closed}) GROUP BY case_id, status) z ON z.case_id = c.id AND z.status = c.status",
                CLOSED_STATUSES):
            person = self.by_id_number.setdefault(row[1], self._person(row))
            self.by_cell.setdefault(row[1], person)
        self.whole = True

    def _person(self, row: tuple) -> Person:
        """A case row as a Person: the bounds Case.term_end and load_cases give, worked out without
        building the whole case (a test compares them), once for each 报到 date, term, end date set
        by the clerk and closing date. `hi` only counts when `plain`: a case ever in 中止 has each of
        its rows checked against the whole case."""
        case_id, _, name, worker, reported, months, override, suspended, closed = row
        bounds = self.bounds.get(key := (reported, months, override, closed))
        if bounds is None:
            lo, override, closed_on = from_iso(reported), from_iso(override), from_iso(closed)
            end = override or (add_months(lo, months) - timedelta(days=1) if lo else None)
            hi = min(d for d in (end, self.as_of, closed_on) if d is not None)
            bounds = self.bounds[key] = (lo, hi, (lo.isoformat(), hi.isoformat()) if lo is not None else None)
        lo, hi, span = bounds
        plain = not suspended
        return Person(case_id, name, worker, lo, hi, plain, span if plain and not damaged(name) else None)

    def get(self, id_number: str) -> Person | None:
        if id_number not in self.by_id_number:
            self._fetch([id_number])
        return self.by_id_number[id_number]

    def case(self, person: Person) -> Case:
        """The whole case, for the rare row whose date needs the full window check."""
        if person.id not in self.cases:
            from jindu_cli.domain.cases import get_case

            self.cases[person.id] = get_case(self.conn, person.id)
        return self.cases[person.id]
