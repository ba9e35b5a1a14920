"""jindu's own .xlsx writer, read back by openpyxl (what jindu's importer reads with) and, where
it is installed, by LibreOffice."""

import io
import shutil
import subprocess
import zipfile
from datetime import datetime
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from jindu_cli.domain import xlsx_out
from jindu_cli.domain.xlsx_out import Sheet, Styled, column_letter, to_bytes

WHEN = datetime(2026, 10, 31)


def book(sheets):
    return load_workbook(io.BytesIO(to_bytes(sheets, when=WHEN, creator="jindu test")))


def report_like() -> list[Sheet]:
    rows = [[Styled("社区戒毒社区康复工作统计 2026年10月", "title")],
            [Styled(h, "header") for h in ("街道", "在册人数", "执行率")],
            ["盐务街街道", 5, Styled(0.625, "percent")],
            ["头桥街道", 3, Styled(None, "percent")],
            [Styled("合计", "bold"), Styled(8, "bold"), Styled(0.5, "bold_percent")]]
    return [Sheet("按街道", rows, widths={0: 14, 1: 8}, heights={2: 42}, freeze="B3", landscape=True, a4=True,
                  print_rows=(1, 2), print_cols=(0, 0)),
            Sheet("口径说明", [["执行率", "execution_rate", "期末在执行 ÷ 期末在册"]], widths={2: 90}, landscape=True,
                  a4=True, fit_width=True)]


def test_values_styles_and_sheet_settings_read_back():
    found = book(report_like())
    assert found.sheetnames == ["按街道", "口径说明"]
    sheet = found["按街道"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["社区戒毒社区康复工作统计 2026年10月", None, None], ["街道", "在册人数", "执行率"],
        ["盐务街街道", 5, 0.625], ["头桥街道", 3, None], ["合计", 8, 0.5]]
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 12
    assert sheet["B2"].font.b and sheet["B2"].alignment.wrap_text and sheet["B2"].alignment.horizontal == "center"
    assert not sheet["A3"].font.b and isinstance(sheet["B3"].value, int) and sheet["B3"].number_format == "General"
    assert [sheet[ref].number_format for ref in ("C3", "C4", "C5")] == ["0.0%"] * 3
    assert sheet["C5"].font.b and sheet["A5"].font.b
    assert sheet.freeze_panes == "B3"
    assert (sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width) == (14, 8)
    assert sheet.row_dimensions[2].height == 42
    assert (sheet.print_title_rows, sheet.print_title_cols) == ("$1:$2", "$A:$A")
    assert (sheet.page_setup.orientation, str(sheet.page_setup.paperSize)) == ("landscape", sheet.PAPERSIZE_A4)
    legend = found["口径说明"]
    assert legend.sheet_properties.pageSetUpPr.fitToPage
    assert (legend.page_setup.fitToWidth, legend.page_setup.fitToHeight) == (1, 0)
    assert legend.freeze_panes is None
    assert (found.properties.created, found.properties.modified, found.properties.creator) == (WHEN, WHEN, "jindu test")


def test_a_sheet_says_its_size_ahead_so_readers_need_not_read_it_through():
    """<dimension>: counted from a list of rows, or as the caller says for rows still to be read."""
    streamed = Sheet("s", iter([["a", "b", "c"], ["d"]]), size=(2, 3))
    found = load_workbook(io.BytesIO(to_bytes(report_like() + [streamed], when=WHEN, creator="x")), read_only=True)
    assert [(ws.title, ws.calculate_dimension()) for ws in found.worksheets] == [
        ("按街道", "A1:C5"), ("口径说明", "A1:C1"), ("s", "A1:C2")]
    found.close()


def test_a_text_sheet_keeps_numbers_as_text_and_freezes_the_first_row():
    rows = [[Styled("身份证号", "bold_text"), Styled("电话", "bold_text")], ["520103199003071232", "08515551234"],
            ["=1+1", ""]]
    sheet = book([Sheet("登记表", rows, style="text", freeze="A2")])["登记表"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["身份证号", "电话"], ["520103199003071232", "08515551234"], ["=1+1", None]]
    assert sheet["A2"].data_type == "s" and sheet["A3"].data_type == "s"  # text, never a number or a formula
    assert {sheet[ref].number_format for ref in ("A1", "A2", "B3")} == {"@"}  # (what is typed in stays text)
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"


def test_text_is_escaped_and_what_xml_cannot_hold_is_dropped():
    cells = ["<b>&amp;</b> \"引号\" 'x'", " 前后有空格 ", "控制\x01字符\x1f", "换行\n第二行", "x" * 40_000,
             "x" * (xlsx_out.MAX_CELL_CHARS - 1) + "&<"]
    sheet = book([Sheet("s", [cells])])["s"]
    assert [c.value for c in sheet[1]] == [
        "<b>&amp;</b> \"引号\" 'x'", " 前后有空格 ", "控制字符", "换行\n第二行", "x" * xlsx_out.MAX_CELL_CHARS,
        "x" * (xlsx_out.MAX_CELL_CHARS - 1) + "&"]  # (cut before it is escaped: never inside an &amp;)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=6))
def test_any_text_reads_back_as_written_but_for_what_xml_cannot_hold(cells):
    sheet = book([Sheet("s", [cells])])["s"]
    wanted = [xlsx_out._ILLEGAL.sub("", c) or None for c in cells]
    assert [sheet.cell(1, column).value for column in range(1, len(cells) + 1)] == wanted


def test_every_part_is_well_formed_and_the_bytes_depend_on_the_content_alone():
    data = to_bytes(report_like(), when=WHEN, creator="jindu test")
    assert data == to_bytes(report_like(), when=WHEN, creator="jindu test")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names[0] == "[Content_Types].xml"
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0) and info.external_attr >> 16 == 0o600
            ElementTree.fromstring(archive.read(info.filename))
        types = archive.read("[Content_Types].xml").decode()
        for name in names:
            if not name.endswith(".rels") and name != "[Content_Types].xml":
                assert f'PartName="/{name}"' in types, name


def test_cells_it_cannot_write_are_refused():
    with pytest.raises(ValueError):
        to_bytes([Sheet("s", [[float("nan")]])], when=WHEN, creator="x")
    with pytest.raises(TypeError):
        to_bytes([Sheet("s", [[True]])], when=WHEN, creator="x")
    with pytest.raises(ValueError):
        to_bytes([Sheet("s", [[1]]), Sheet("S", [[2]])], when=WHEN, creator="x")  # Excel ignores case


def test_a_sheet_longer_than_excel_holds_is_refused(monkeypatch):
    monkeypatch.setattr(xlsx_out, "MAX_ROWS", 2)
    assert book([Sheet("s", [["a"], ["b"]])])["s"].max_row == 2
    with pytest.raises(ValueError, match="超过了 2 行"):
        to_bytes([Sheet("s", [["a"], ["b"], ["c"]])], when=WHEN, creator="x")


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 51, 701, 702)] == ["A", "Z", "AA", "AZ", "ZZ", "AAA"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_it(tmp_path):
    """Another reader than openpyxl: LibreOffice converts the workbook's first sheet to CSV, in
    UTF-8, each cell as it shows (the rates in their 0.0% format)."""
    path = tmp_path / "r.xlsx"
    path.write_bytes(to_bytes(report_like(), when=WHEN, creator="jindu test"))
    done = subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                           "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true", "--outdir", str(tmp_path), str(path)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1:] == ["街道,在册人数,执行率", "盐务街街道,5,62.5%", "头桥街道,3,", "合计,8,50.0%"]
