"""The .xlsx jindu writes (through XlsxWriter), read back by openpyxl (what jindu's importer reads
with) and by LibreOffice (installed on the development machine; skipped where it is not)."""

import io
import shutil
import subprocess
import zipfile
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from support import add_case, ok

from jindu_cli.cli.workbook import EXPORT_CREATED, MAX_CELL_CHARS, write_listing

HEADERS = ["身份证号", "电话", "备注"]


def listing(tmp_path, rows, headers=HEADERS, **options) -> bytes:
    out = io.BytesIO()
    write_listing(out, "登记表", headers, rows, scratch=tmp_path, **options)
    return out.getvalue()


def test_a_listing_keeps_every_cell_text_and_is_set_up_for_print(tmp_path):
    data = listing(tmp_path, [["520103199003071232", "08515551234", "=1+1"], ["52010319900307123X", "", "@SUM(A1)"]])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["登记表"]
    sheet = book["登记表"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        HEADERS, ["520103199003071232", "08515551234", "=1+1"], ["52010319900307123X", None, "@SUM(A1)"]]
    assert {sheet[ref].data_type for ref in ("A2", "B2", "C2", "C3")} == {"s"}  # never a number or a formula
    assert {sheet[ref].number_format for ref in ("A1", "A2", "C3")} == {"@"}  # (what is typed in stays text)
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.column_dimensions["A"].width >= 18
    assert sheet.freeze_panes == "A2"
    assert sheet.print_title_rows == "$1:$1"
    assert (sheet.page_setup.orientation, str(sheet.page_setup.paperSize)) == ("landscape", sheet.PAPERSIZE_A4)
    assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert (book.properties.created, book.properties.modified) == (EXPORT_CREATED, EXPORT_CREATED)
    assert book.properties.creator.startswith("jindu ")
    assert list(tmp_path.iterdir()) == []  # its temporary folder removed


def test_the_same_rows_give_the_same_bytes(tmp_path):
    rows = [[f"52010319900307{n:04d}", "13812345678", f"备注 {n}"] for n in range(3000)]
    data = listing(tmp_path, rows)
    assert data == listing(tmp_path, iter(rows))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert len({info.date_time for info in archive.infolist()}) == 1


def test_an_export_gives_the_same_bytes_for_the_same_rows(db, tmp_path):
    """Its document time is fixed (the export has no date of its own), as are the zip entries'."""
    add_case(name="张伟")
    for name in ("1.xlsx", "2.xlsx"):
        ok("export", "cases", "-f", "xlsx", "-o", tmp_path / name)
    assert (tmp_path / "1.xlsx").read_bytes() == (tmp_path / "2.xlsx").read_bytes()
    assert load_workbook(tmp_path / "1.xlsx").properties.created == datetime(1980, 1, 1)


def test_text_is_cut_to_excels_limit_and_what_xml_cannot_hold_is_dropped(tmp_path):
    cells = ["<b>&amp;</b> \"引号\" 'x'", " 前后有空格 ", "控制\x01字符\x1f", "换行\n第二行", "x" * 40_000, "半个\ud800字"]
    sheet = load_workbook(io.BytesIO(listing(tmp_path, [cells], [f"列{n}" for n in range(6)])))["登记表"]
    assert [c.value for c in sheet[2]] == [
        "<b>&amp;</b> \"引号\" 'x'", " 前后有空格 ", "控制字符", "换行\n第二行", "x" * MAX_CELL_CHARS, "半个字"]


@settings(max_examples=30, deadline=None)  # (each a workbook written through temporary files)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=3))
def test_any_text_reads_back_as_written_but_for_what_xml_cannot_hold(tmp_path_factory, cells):
    """As the standard has it: a text that looks like one of its escapes (_x0041_) is written
    escaped (_x005F_x0041_), which openpyxl leaves to the reader to undo in inline text."""
    import re

    folder = tmp_path_factory.mktemp("book")
    sheet = load_workbook(io.BytesIO(listing(folder, [cells], ["列"] * len(cells))))["登记表"]
    wanted = [re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", c) or None for c in cells]
    found = [sheet.cell(2, column).value for column in range(1, len(cells) + 1)]
    assert [unescape(v) if v else None for v in found] == wanted


def test_rows_past_a_sheets_limit_go_on_in_further_sheets_that_say_their_size(tmp_path):
    data = listing(tmp_path, ([f"{n}", "", ""] for n in range(5)), rows_per_sheet=2)
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert [(ws.title, ws.calculate_dimension()) for ws in book.worksheets] == [
        ("登记表", "A1:C3"), ("登记表（2）", "A1:C3"), ("登记表（3）", "A1:C2")]
    assert [[row[0] for row in ws.iter_rows(values_only=True)] for ws in book.worksheets] == [
        ["身份证号", "0", "1"], ["身份证号", "2", "3"], ["身份证号", "4"]]
    book.close()
    empty = load_workbook(io.BytesIO(listing(tmp_path, [])))
    assert empty.sheetnames == ["登记表"] and [c.value for c in empty["登记表"][1]] == HEADERS


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_the_export_and_the_report(db, tmp_path):
    """Another reader than openpyxl: LibreOffice converts each workbook's first sheet to CSV, each
    cell as it shows: the IDs whole, a formula-like text as text, the report's rates as 0.0%."""
    add_case(name="张伟")
    ok("visit", "add", "张伟", "--kind", "谈话", "--on", "2026-10-12", "--notes", "=1+1 _x0041_",
       "--as-of", "2026-11-28")
    ok("export", "visits", "--reveal", "-f", "xlsx", "-o", tmp_path / "v.xlsx")
    ok("report", "--period", "2026-10", "-f", "xlsx", "-o", tmp_path / "r.xlsx", "--as-of", "2026-11-28")
    out = tmp_path / "csv"
    done = subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                           "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true",
                           "--outdir", str(out), str(tmp_path / "v.xlsx"), str(tmp_path / "r.xlsx")],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    visits = (out / "v.csv").read_text(encoding="utf-8").splitlines()
    exported = ok("export", "visits", "--reveal", "-f", "json").json()
    assert visits[1].split(",")[:3] == [exported[0]["id_number"], "张伟", "2026-10-12"]
    assert "=1+1 _x0041_" in visits[1]
    shown = [line.split(",") for line in (out / "r.csv").read_text(encoding="utf-8").splitlines()]
    sheet = load_workbook(tmp_path / "r.xlsx").worksheets[0]

    def as_shown(cell) -> str:
        """A figure as its number format says it is shown: 0.0%, or 0.0% and the base in its quotes."""
        if not isinstance(cell.value, (int, float)):
            return "" if cell.value is None else str(cell.value)
        if cell.number_format.startswith("0.0%"):
            return f"{cell.value * 100:.1f}%" + cell.number_format[4:].strip('"')
        return str(cell.value)

    expected = [[as_shown(c) for c in row] for row in sheet.iter_rows(min_row=5, max_row=sheet.max_row - 2)]
    assert [row[:len(expected[0])] for row in shown[4:4 + len(expected)]] == expected
    formats = {c.number_format for row in sheet.iter_rows(min_row=5) for c in row}
    assert "0.0%" in formats and any(f.startswith('0.0%"（') for f in formats)  # rates, and one with its base
