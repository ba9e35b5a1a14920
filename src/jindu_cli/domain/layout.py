"""Text laid out for a terminal: the width of a string, and a plain table laid out by SQLite.

A district's due list is some 40,000 lines. Handing its values to Python one by one, to measure
and pad them there, costs more than everything else `jindu due` does; SQLite lays the same
table out in C from widths stored beside the text (or measured here once for each non-ASCII
value), and Python receives finished UTF-8 lines. The layout is the one `cli.output.plain_columns`
gives (the layout rich gives a simple table), and a test holds the two to the same bytes.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

# the East Asian wide and full-width ranges; compiled when first needed (it costs some
# milliseconds, and `jindu --version` needs no width)
_WIDE_RANGES = ("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
                "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
_wide = functools.cache(lambda: re.compile(_WIDE_RANGES))

GAP = "   "  # between columns


def width(text: str) -> int:
    """Columns a string takes in a terminal: CJK and full-width characters take two."""
    if text.isascii():
        return len(text)
    return len(text) + len(_wide().findall(text))


class Column(NamedTuple):
    """One column of a table laid out by SQLite: its heading, the SQL of its text, and the SQL of
    that text's width, or None to have it measured (ASCII by its length, anything else by
    `width`); `ascii` when the text is ASCII by construction (numbers, ISO dates)."""

    label: str
    text: str
    width: str | None = None
    ascii: bool = False


class Laid(NamedTuple):
    """The leading columns of a table laid out ahead (stored with each row): `sql` gives a row's
    first len(widths) columns, each padded to its width and followed by the gap, or NULL for a row
    not laid out ahead; `widths` are the widths they were padded to. They are used when the table's
    own widths of those columns come out the same."""

    sql: str
    widths: tuple[int, ...]


def sql_table(conn: sqlite3.Connection, source: str, args: Sequence, columns: Sequence[Column], order: str, *,
              caption: str | None = None, widths: Sequence[int] | None = None,
              measures: Sequence[str | None] | None = None, laid: Laid | None = None) -> bytes:
    """The rows of `FROM {source}` (SQL after FROM, with `args`) in `order`, as a plain table in
    UTF-8: columns three spaces apart, a rule under the headings, the last column unpadded, no
    line ending in spaces. Values are text or integers (NULL shows empty); a real number would
    be written as SQLite writes it, not as `cli.output.cell` does. Read inside one transaction if
    the source can change meanwhile.

    `widths` and `measures`, when the caller has them (`measure`), spare a pass over the rows.
    `laid`: see `Laid`."""
    if widths is None or measures is None:
        widths, measures = measure(conn, source, args, columns)
    n = 0  # the leading columns read as laid out ahead (never the last one)
    if laid and len(laid.widths) < len(widths) and tuple(widths[:len(laid.widths)]) == laid.widths:
        n = len(laid.widths)
    values: list[str] = []
    formats = _formats(columns[n:], widths[n:], measures[n:], values)
    line = f"printf('{GAP.join(formats)}', {', '.join(values)})"
    if n:  # (a row not laid out ahead, such as one worked out for the day, is padded here)
        line = f"coalesce({laid.sql}, {laid_sql(columns[:n], widths[:n])}) || {line}"
    head = GAP.join(c.label + " " * (w - width(c.label)) for c, w in zip(columns, widths)).rstrip()
    rule = "─" * (sum(widths) + len(GAP) * (len(widths) - 1))
    lines = [(head + "\n" + rule).encode()]
    # as bytes: decoding 40,000 lines into Python strings only to encode them again costs a tenth
    # of a second
    lines.extend(_each(conn, f"rtrim({line})", source, args, order))
    if caption:
        lines.append(caption.encode())
    return b"\n".join(lines) + b"\n"


def measure(conn: sqlite3.Connection, source: str, args: Sequence,
            columns: Sequence[Column]) -> tuple[list[int], list[str | None]]:
    """Each column's width (its widest value or its heading), and the SQL of each value's width
    in terminal columns where that is not its length (None: ASCII, padded by printf itself)."""
    # a measured column's longest value, and whether any value is not ASCII (more bytes than
    # characters): an ASCII column is padded by printf itself
    found = iter(conn.execute("SELECT " + ", ".join(
        f"max({c.width})" if c.width else f"max(length({c.text}))" if c.ascii else
        f"max(length({c.text})), max(length(CAST({c.text} AS BLOB)) - length({c.text}))"
        for c in columns) + f" FROM {source}", args).fetchone())
    widths, measures = [], []
    for c in columns:
        if c.width or c.ascii:
            widest, measured = next(found), c.width
        else:
            widest, non_ascii, measured = next(found), next(found), None
            if non_ascii:
                register_width(conn)
                measured = f"jindu_width({c.text})"
                widest = conn.execute(f"SELECT max({measured}) FROM {source}", args).fetchone()[0]
        widths.append(max(width(c.label), widest or 0))
        measures.append(measured)
    return widths, measures


def register_width(conn: sqlite3.Connection) -> None:
    """Make `width` known to SQL on `conn` as jindu_width(text), as `measure` uses it."""
    conn.create_function("jindu_width", 1, lambda t: None if t is None else width(str(t)), deterministic=True)


def laid_sql(columns: Sequence[Column], widths: Sequence[int]) -> str:
    """SQL laying out a row's first columns as `Laid` holds them: each padded to its width and
    followed by the gap. Every column must have a stored width or be ASCII."""
    assert all(c.width or c.ascii for c in columns), "a column laid out ahead needs a stored width or ASCII"
    values: list[str] = []
    formats = _formats(columns, widths, [c.width for c in columns], values, last=False)
    return f"printf('{GAP.join(formats)}{GAP}', {', '.join(values)})"


def _formats(columns: Sequence[Column], widths: Sequence[int], measures: Sequence[str | None], values: list[str], *,
             last: bool = True) -> list[str]:
    """printf's format for each column, padded to its width (the last one unpadded when `last`),
    its arguments appended to `values`."""
    formats = []
    for i, (c, w, measured) in enumerate(zip(columns, widths, measures)):
        if last and i == len(columns) - 1:
            formats.append("%s")
            values.append(f"coalesce({c.text}, '')")
        elif measured:  # pad to the width in terminal columns
            formats.append("%s%*s")
            values += [f"coalesce({c.text}, '')", f"{w} - coalesce({measured}, 0)", "''"]
        else:
            formats.append("%-*s")
            values += [str(w), f"coalesce({c.text}, '')"]
    return formats


def sql_json(conn: sqlite3.Connection, source: str, args: Sequence, fields: Sequence[tuple[str, str, bool]],
             order: str) -> bytes:
    """The rows of `FROM {source}` in `order` as a JSON array of objects, in UTF-8, byte for byte
    what `json.dumps(rows, ensure_ascii=False, indent=2)` writes, with a line ending: each field is
    (key, the SQL of its value, True when that value is an integer or NULL, else text or NULL).
    SQLite writes each object, so that a district's list never passes through Python value by
    value (a test holds the two to the same bytes)."""
    import json

    members = ",\n".join(f"    {json.dumps(key).replace('%', '%%')}: %s" for key, _, _ in fields).replace("'", "''")
    values = ", ".join(f"coalesce({sql}, 'null')" if integer else f"json_quote({sql})" for _, sql, integer in fields)
    rows = _each(conn, f"printf('  {{\n{members}\n  }}', {values})", source, args, order)
    if not rows:
        return b"[]\n"
    return b"[\n" + b",\n".join(rows) + b"\n]\n"


def sql_csv(conn: sqlite3.Connection, source: str, args: Sequence, fields: Sequence[tuple[str, str, bool]],
            order: str) -> bytes | None:
    """The rows of `FROM {source}` in `order` as CSV in UTF-8, a header of the keys first: byte for
    byte what Python's `csv.writer(lineterminator="\\n")` writes of them (fields as in `sql_json`;
    NULL as an empty field). None when there is no row (the caller decides what an empty list
    shows). A test holds the two to the same bytes."""
    import csv
    import io

    def written(row: list[str]) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(row)
        return buf.getvalue()

    # the characters that make the csv module quote a field (a lone carriage return, in Python 3.12
    # on)
    special = [c for c in (",", '"', "\n", "\r") if written([c, "x"]).startswith('"')]
    cells = []
    for _, sql, integer in fields:
        if integer:
            cells.append(f"coalesce(CAST({sql} AS TEXT), '')")
            continue
        quoted = " OR ".join(f"instr({sql}, char({ord(c)})) > 0" for c in special)
        cells.append(f"CASE WHEN {sql} IS NULL THEN '' WHEN {quoted} THEN '\"' || replace({sql}, '\"', '\"\"') || '\"'"
                     f" ELSE {sql} END")
    line = " || ',' || ".join(cells)
    rows = _each(conn, line, source, args, order)
    if not rows:
        return None
    return written([key for key, _, _ in fields]).encode() + b"\n".join(rows) + b"\n"


def _each(conn: sqlite3.Connection, expr: str, source: str, args: Sequence, order: str) -> list[bytes]:
    """`expr` for each row of `FROM {source}` in `order`, as UTF-8 bytes: never decoded into
    Python text only to be encoded again."""
    return [r for (r,) in conn.execute(f"SELECT CAST({expr} AS BLOB) FROM {source} ORDER BY {order}", args)]
