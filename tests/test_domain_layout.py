"""A table laid out by SQLite (domain/layout.py) is, byte for byte, the plain table Python lays out
(cli/output.plain_columns, itself held to rich's layout): whatever mix of Chinese, full-width,
narrow non-ASCII and ASCII text, empty values and numbers, and whichever widths are stored."""

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from jindu_cli.cli.output import cell, plain_columns
from jindu_cli.domain.layout import Column, sql_table, width

TEXT = st.text(alphabet=st.sampled_from(list("az09-:'%[]张伟社区戒毒（），、。０Ａ·é–…")), min_size=0, max_size=10)
TEXT = TEXT.filter(lambda t: t.strip() == t)
VALUE = st.one_of(TEXT, st.none(), st.integers(-5000, 99999))
KIND = st.sampled_from(["measured", "stored", "ascii"])


def rendered(columns, kinds, rows, caption):
    conn = sqlite3.connect(":memory:")
    n = len(columns)
    conn.execute("CREATE TABLE t (k INTEGER, " + ", ".join(f"v{i}, w{i}" for i in range(n)) + ")")
    for k, row in enumerate(rows):
        values = []
        for v in row:
            values += [v, None if v is None else width(cell(v))]
        conn.execute(f"INSERT INTO t VALUES ({', '.join('?' * (2 * n + 1))})", [k, *values])
    spec = [Column(label, f"v{i}", f"w{i}" if kind == "stored" else None, kind == "ascii")
            for i, (label, kind) in enumerate(zip(columns, kinds))]
    return sql_table(conn, "t", [], spec, "k", caption=caption).decode()


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(
    st.lists(TEXT.filter(bool), min_size=n, max_size=n),
    st.lists(KIND, min_size=n, max_size=n),
    st.lists(st.lists(VALUE, min_size=n, max_size=n), min_size=0, max_size=8),
    st.one_of(st.none(), TEXT.filter(bool)))))
def test_sql_table_is_the_plain_table(table):
    columns, kinds, rows, caption = table
    # a column declared ASCII holds ASCII only
    rows = [[v.encode("ascii", "replace").decode() if kind == "ascii" and isinstance(v, str) else v
             for v, kind in zip(row, kinds)] for row in rows]
    body = [[cell(r[i]) for r in rows] for i in range(len(columns))]
    assert rendered(columns, kinds, rows, caption) == plain_columns(columns, body, caption=caption)


def test_non_ascii_in_a_measured_column_is_measured_in_terminal_columns():
    out = rendered(["号", "名"], ["measured", "measured"], [["５２０１", "张"], ["1", "·é"]], None)
    assert out.splitlines()[2:] == ["５２０１   张", "1          ·é"]


ANY_TEXT = st.one_of(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
                    st.text(alphabet=list(',"\n\r\t\\ a张%\'\x01'), max_size=6))  # what must be escaped, often


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(ANY_TEXT, st.none()), st.one_of(st.integers(-10**12, 10**12), st.none()),
                          st.one_of(ANY_TEXT, st.none())), max_size=6))
def test_sql_json_is_what_json_dumps_writes(rows):
    """Quotes, backslashes, control characters, Chinese and characters beyond the BMP; NULLs and
    integers; no rows at all."""
    import json

    from jindu_cli.domain.layout import sql_json

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER, a TEXT, n INTEGER, b TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", [(k, *r) for k, r in enumerate(rows)])
    fields = [("a", "a", False), ("n%", "n", True), ("it's", "b", False)]
    expected = json.dumps([{"a": a, "n%": n, "it's": b} for a, n, b in rows], ensure_ascii=False, indent=2) + "\n"
    assert sql_json(conn, "t", [], fields, "k") == expected.encode()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(ANY_TEXT, st.none()), st.one_of(st.integers(-10**12, 10**12), st.none()),
                          st.one_of(ANY_TEXT, st.none())), max_size=6))
def test_sql_csv_is_what_the_csv_module_writes(rows):
    """Commas, quotes, line feeds, carriage returns, leading spaces, NULLs and integers."""
    import csv
    import io

    from jindu_cli.domain.layout import sql_csv

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER, a TEXT, n INTEGER, b TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", [(k, *r) for k, r in enumerate(rows)])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["a", "n", "b, too"])
    writer.writerows([["" if v is None else str(v) for v in r] for r in rows])
    got = sql_csv(conn, "t", [], [("a", "a", False), ("n", "n", True), ("b, too", "b", False)], "k")
    assert got == (buf.getvalue().encode() if rows else None)
