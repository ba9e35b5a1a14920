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


def sql_table(conn: sqlite3.Connection, source: str, args: Sequence, columns: Sequence[Column], order: str, *,
              caption: str | None = None) -> bytes:
    """The rows of `FROM {source}` (SQL after FROM, with `args`) in `order`, as a plain table in
    UTF-8: columns three spaces apart, a rule under the headings, the last column unpadded, no
    line ending in spaces. Values are text or integers (NULL shows empty); a real number would
    be written as SQLite writes it, not as `cli.output.cell` does. Read inside one transaction if
    the source can change meanwhile."""
    # a measured column's longest value, and whether any value is not ASCII (more bytes than
    # characters): an ASCII column is padded by printf itself
    found = iter(conn.execute("SELECT " + ", ".join(
        f"max({c.width})" if c.width else f"max(length({c.text}))" if c.ascii else
        f"max(length({c.text})), max(length(CAST({c.text} AS BLOB)) - length({c.text}))"
        for c in columns) + f" FROM {source}", args).fetchone())
    widths, measures = [], []
    for c in columns:
        if c.width or c.ascii:
            widest, measure = next(found), c.width
        else:
            widest, non_ascii, measure = next(found), next(found), None
            if non_ascii:
                conn.create_function("jindu_width", 1, lambda t: None if t is None else width(str(t)),
                                     deterministic=True)
                measure = f"jindu_width({c.text})"
                widest = conn.execute(f"SELECT max({measure}) FROM {source}", args).fetchone()[0]
        widths.append(max(width(c.label), widest or 0))
        measures.append(measure)
    formats, values = [], []
    for c, w, measure in zip(columns[:-1], widths, measures):
        if measure:  # pad to the width in terminal columns
            formats.append("%s%*s")
            values += [f"coalesce({c.text}, '')", f"{w} - coalesce({measure}, 0)", "''"]
        else:
            formats.append("%-*s")
            values += [str(w), f"coalesce({c.text}, '')"]
    formats.append("%s")
    values.append(f"coalesce({columns[-1].text}, '')")
    line = f"printf('{GAP.join(formats)}', {', '.join(values)})"
    head = GAP.join(c.label + " " * (w - width(c.label)) for c, w in zip(columns, widths)).rstrip()
    rule = "─" * (sum(widths) + len(GAP) * (len(widths) - 1))
    lines = [(head + "\n" + rule).encode()]
    # as bytes: decoding 40,000 lines into Python strings only to encode them again costs a tenth
    # of a second
    lines.extend(_each(conn, f"rtrim({line})", source, args, order))
    if caption:
        lines.append(caption.encode())
    return b"\n".join(lines) + b"\n"


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
