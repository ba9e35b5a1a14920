"""The one rendering path: the plain table has the layout rich gives the same table, whatever mix
of Chinese, full-width and ASCII text it holds; json is json.dumps's; csv neutralises formulas."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from rich import box
from rich.console import Console
from rich.table import Table

from jindu_cli.cli import output
from jindu_cli.cli.output import plain_table, table_columns
from jindu_cli.cli.table import plain_columns

TEXT = st.text(alphabet=st.sampled_from(list("az09-:[]/张伟社区戒毒尿检（），、。０Ａ")), min_size=1, max_size=12)
TEXT = TEXT.filter(lambda t: t.strip() == t)


def rich_layout(columns, rows) -> str:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for label in columns:
        table.add_column(label, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console = Console(width=400, color_system=None, highlight=False, soft_wrap=False, markup=False, emoji=False)
    with console.capture() as captured:
        console.print(table)
    return "\n".join(line.rstrip() for line in captured.get().splitlines()) + "\n"


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(
    st.lists(TEXT, min_size=n, max_size=n),
    st.lists(st.lists(TEXT, min_size=n, max_size=n), min_size=1, max_size=8))))
def test_plain_table_is_the_layout_rich_gives(table):
    columns, rows = table
    assert plain_table(columns, rows) == rich_layout(columns, rows)
    by_column = [list(c) for c in zip(*rows)]
    assert "".join(plain_columns(columns, by_column)) == plain_table(columns, rows)


def test_table_columns_are_masked_and_made_text():
    rows = [{"id_number": "520103199001011236", "phone": "13812345678", "n": 3},
            {"id_number": None, "phone": "", "n": None}]
    assert table_columns(rows, ["id_number", "phone", "n"], False) == [
        ["520103********1236", ""], ["138****5678", ""], ["3", ""]]
    assert table_columns(rows, ["id_number", "n"], True) == [["520103199001011236", ""], ["3", ""]]


def test_records_print_as_typed_never_as_markup(capsys):
    """Text that looks like rich markup or an emoji code is data."""
    rows = [{"name": "[/b]张[bold]伟", "note": ":ok: 见面:a:"}]
    output.emit(rows, [("name", "姓名"), ("note", "备注")], "table")
    output.emit_record(rows[0], [("name", "姓名"), ("note", "备注")], "table")
    out = capsys.readouterr().out
    assert out.count("[/b]张[bold]伟") == 2 and out.count(":ok: 见面:a:") == 2


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=8),
                   st.floats(allow_nan=False, allow_infinity=False))
NESTED = st.recursive(VALUES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                         max_size=3), max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=6), st.one_of(VALUES, NESTED), max_size=5), max_size=5))
def test_json_is_what_json_dumps_writes(rows):
    assert "".join(output.json_text(iter(rows))) == json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def test_csv_neutralises_text_a_spreadsheet_would_run_and_leaves_numbers(capsys):
    rows = [{"name": "=HYPERLINK(\"http://x\")", "note": "@SUM(1+1)", "plus": "+1", "minus": "-1", "days": -3,
             "list": ["=1", "b"], "none": None, "yes": True}]
    output.emit(rows, [], "csv")
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "\"'=HYPERLINK(\"\"http://x\"\")\",'@SUM(1+1),'+1,'-1,-3,'=1、b,,true"
