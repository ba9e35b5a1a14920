"""The one builder of the conditions a listing is narrowed by. A condition is on a named column
expression written here or by the module that owns the table, and what the clerk typed only ever
becomes a parameter, read the way that field is read (a street through the street list, a status
through its enumeration), so a wrong value is refused with the field's own message."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date

from jindu_cli.domain.dates import iso
from jindu_cli.domain.enums import MEASURE, RISK, STATUS
from jindu_cli.errors import InvalidInput

# (conn, what was typed) -> the value compared
Reader = Callable[[sqlite3.Connection, object], object]


def street(conn: sqlite3.Connection, typed) -> str:
    from jindu_cli.domain import reference

    return reference.streets(conn).resolve(typed)


def stripped(conn: sqlite3.Connection, typed) -> str:
    return str(typed).strip()


def enum(choices) -> Reader:
    return lambda conn, typed: choices.parse(typed)


# name -> (column of the case `c`, how the typed value is read)
CASE: dict[str, tuple[str, Reader]] = {
    "street": ("c.street", street),
    "community": ("c.community", stripped),
    "worker": ("c.worker", stripped),
    "status": ("c.status", enum(STATUS)),
    "measure": ("c.measure", enum(MEASURE)),
    "risk": ("c.risk_level", enum(RISK)),
}


class Filter:
    """Conditions joined by AND, with their parameters in order (`?` placeholders)."""

    def __init__(self, conn: sqlite3.Connection | None, fields: dict[str, tuple[str, Reader]] = CASE):
        self.conn = conn
        self.fields = fields
        self.clauses: list[str] = []
        self.params: list = []

    def where(self, sql: str, *params) -> Filter:
        """A condition written in this package (never from typed text), with its parameters."""
        self.clauses.append(sql)
        self.params.extend(params)
        return self

    def by(self, **typed) -> Filter:
        """`column = ?` for each named field given a value (None or "" leaves the field out)."""
        for name, value in typed.items():
            if value:
                column, read = self.fields[name]
                self.where(f"{column} = ?", read(self.conn, value))
        return self

    def dates(self, column: str, date_from: date | None, date_to: date | None) -> Filter:
        """`column` (an ISO date) from `date_from` to `date_to`, both included, either open."""
        if date_from:
            self.where(f"{column} >= ?", iso(date_from))
        if date_to:
            self.where(f"{column} <= ?", iso(date_to))
        if date_from and date_to and date_to < date_from:
            raise InvalidInput("--to", f"{date_to} 早于 --from {date_from}")
        return self

    @property
    def sql(self) -> str:
        """The conditions as one, to follow WHERE or AND (`1 = 1` when there are none)."""
        return " AND ".join(self.clauses) or "1 = 1"
