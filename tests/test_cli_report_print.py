"""The report an official receives: the reporting unit, the lines to sign, the page numbers, rates
with their small bases, charts that stand without the page's style sheet, and an xlsx that prints
on A4 landscape in pieces with the title, unit, period and names on every page."""

import re
import shutil
import subprocess
from datetime import date
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from support import make_id, ok, run
from test_cli_report import NOW, chromium, office  # noqa: F401 (the fixture)

UNIT = "云岩区盐务街街道办事处禁毒办"


def rules_with(tmp_path, section: str):
    from jindu_cli.domain.reference import packaged_data_dir

    text = (packaged_data_dir() / "rules.toml").read_text(encoding="utf-8")
    path = tmp_path / "elsewhere" / "rules.toml"  # (not beside the database, where it would be the office's own)
    path.parent.mkdir(exist_ok=True)
    path.write_text(re.sub(r"\[office\].*", section, text, flags=re.S), encoding="utf-8")
    return path


def test_the_office_name_heads_every_form_people_read(office, tmp_path):
    rules = rules_with(tmp_path, f'[office]\nname = "{UNIT}"\n')
    for ext in ("html", "md", "txt"):
        ok("report", "--rules", rules, "-o", tmp_path / f"r.{ext}", *NOW)
        text = (tmp_path / f"r.{ext}").read_text(encoding="utf-8")
        assert f"填报单位：{UNIT}" in text, ext
        assert re.search("填报人：＿+　+审核人：＿+　+填报日期：＿+年＿+月＿+日", text), ext
    ok("report", "--rules", rules, "-o", tmp_path / "r.xlsx", *NOW)
    book = load_workbook(tmp_path / "r.xlsx")
    assert all(book[name]["A2"].value == f"填报单位：{UNIT}" for name in ("按街道", "口径说明"))
    unset = ok("report", *NOW).stdout  # no name set: a line to write it on
    assert "填报单位：＿＿＿＿＿＿" in unset


@pytest.mark.parametrize("section,words", [('[office]\nname = 3\n', "office.name"),
                                           ('[office]\nfax = "x"\n', "office.fax"),
                                           ('office = "x"\n', "office")])
def test_a_wrong_office_setting_is_refused_naming_its_key(office, tmp_path, section, words):
    res = run("report", "--rules", rules_with(tmp_path, section), *NOW)
    assert res.exit_code == 1 and words in res.stderr and res.stdout == ""


def test_a_rate_shows_its_base_below_ten_people():
    from jindu_cli.cli.report_parts import cell
    from jindu_cli.domain.reports import Indicator

    rate = Indicator("met_rate", "见面率", "", ("met", "managed"))
    control = Indicator("control_rate", "管控率", "", ("1-lost", "managed"))
    assert cell({"met_rate": 1.0, "met": 1, "managed": 1}, rate) == "100.0%（1/1）"
    assert cell({"met_rate": 0.5556, "met": 5, "managed": 9}, rate) == "55.6%（5/9）"
    assert cell({"met_rate": 0.5, "met": 5, "managed": 10}, rate) == "50.0%"
    assert cell({"met_rate": None, "met": 0, "managed": 0}, rate) == "—"
    assert cell({"control_rate": 0.75, "lost": 1, "managed": 4}, control) == "75.0%（3/4）"


class Svg(HTMLParser):
    """The charts' text: (chart number, x, y, attributes, text)."""

    def __init__(self):
        super().__init__()
        self.charts, self.texts, self.open = 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.charts += 1
        elif tag == "text":
            self.open = dict(attrs)

    def handle_data(self, data):
        if self.open is not None:
            self.texts.append((self.charts, float(self.open["x"]), float(self.open["y"]), self.open, data))
            self.open = None


def test_the_charts_need_no_style_sheet_and_say_the_year(office, tmp_path):
    ok("report", "-o", tmp_path / "r.html", *NOW)
    parser = Svg()
    parser.feed((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert parser.charts == 5
    # every word in a chart carries its own type size and colour
    assert all("font-size" in attrs and "fill" in attrs and "class" not in attrs for *_, attrs, _ in parser.texts)
    for chart in range(1, parser.charts + 1):
        texts = [(x, y, int(attrs["font-size"]), t) for n, x, y, attrs, t in parser.texts if n == chart]
        bottom = max(y for _, y, _, _ in texts)
        legend = sorted((x, size, t) for x, y, size, t in texts if y == bottom)
        assert legend
        for (x, size, label), (after, _, _) in zip(legend, legend[1:]):  # each label ends before the next swatch
            assert x + size * len(label) < after - 10, (label, x, after)
        months = {t: x for x, y, _, t in texts if t.endswith("月")}
        years = {t: x for x, y, _, t in texts if t.endswith("年")}
        # the twelve months to October 2026: November 2025 first, the year said again at January
        assert list(months)[0] == "11月" and list(months)[-1] == "10月" and len(months) == 12
        assert years == {"2025年": months["11月"], "2026年": months["1月"]}


@pytest.mark.skipif(chromium() is None or shutil.which("pdftotext") is None,
                    reason="Debian's chromium and poppler-utils are not installed (.ci/run installs them)")
def test_the_html_printed_numbers_its_pages_and_names_the_report_on_each(office, tmp_path):
    rules = rules_with(tmp_path, f'[office]\nname = "{UNIT}"\n')
    ok("report", "--rules", rules, "-o", tmp_path / "r.html", *NOW)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    printed = subprocess.run([chromium(), *flags, "--no-pdf-header-footer", f"--print-to-pdf={tmp_path / 'r.pdf'}",
                              (tmp_path / "r.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr[-2000:]
    pages = pages_of(tmp_path / "r.pdf")
    assert len(pages) > 1
    for n, page in enumerate(pages, start=1):
        assert f"第 {n} 页，共 {len(pages)} 页" in page and f"填报单位：{UNIT}" in page, n


def breakdown_breaks(sheet):
    return [b.id for b in sheet.col_breaks.brk], [b.id for b in sheet.row_breaks.brk]


@pytest.fixture
def communities(db):
    """Two streets of 15 communities each, a person in each."""
    for n in range(30):
        street = "盐务街" if n < 15 else "头桥"
        ok("case", "add", "--id", make_id(date(1980, 1, 1), seq=n + 100), "--name", f"人{n}", "--street", street,
           "--measure", "社区戒毒", "--community", f"第{n % 15 + 1}社区", "--received-on", "2026-09-01",
           "--reported-on", "2026-09-05", *NOW)
    return db


def test_an_xlsx_breakdown_prints_in_pieces_that_fit_across(communities, tmp_path):
    from jindu_cli.cli.report_xlsx import PAGE_WIDTH, column_points

    ok("report", "--period", "2026-10", "-o", tmp_path / "r.xlsx", *NOW)
    sheet = load_workbook(tmp_path / "r.xlsx")["按社区"]
    header = [c.value for c in sheet[4]]
    assert header[0] == "指标" and header[-1] == "合计" and len(header) == 1 + 30 + 1
    columns, rows = breakdown_breaks(sheet)
    starts = [1] + [c for c in columns]  # (a break before each piece's first column, as 0-based indexes)
    ends = columns + [len(header)]
    sizes = [end - start for start, end in zip(starts, ends)]
    assert len(sizes) > 1 and max(sizes) - min(sizes) <= 1 and sum(sizes) == 31
    letters = [c.column_letter for c in sheet[4]]
    first = column_points(sheet.column_dimensions["A"].width)
    wide = [column_points(sheet.column_dimensions[letters[i]].width) for i in range(1, len(header))]
    assert all(first + sum(wide[s - 1:e - 1]) <= PAGE_WIDTH for s, e in zip(starts, ends))
    # over each piece, its own title; every piece's pages repeat the indicators' column
    merged = {(r.min_row, r.min_col, r.max_col) for r in sheet.merged_cells.ranges}
    assert {(1, s + 1, e) for s, e in zip(starts, ends)} <= merged
    assert all(sheet.cell(1, s + 1).value == "社区戒毒社区康复工作统计 2026年10月" for s in starts)
    assert sheet.print_title_cols == "$A:$A" and sheet.print_title_rows == "$1:$4"
    # down, an even share of the rows a page, the last page's lines to sign counted with its indicators
    indicators = sheet.max_row - 4 - 2
    shares = [b - a for a, b in zip([4] + rows, rows + [4 + indicators])]
    shares[-1] += 2
    assert max(shares) - min(shares) <= 1


def pages_of(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice and poppler-utils are not installed (.ci/run installs them)")
def test_libreoffice_prints_every_page_with_its_headings(communities, tmp_path):
    """The PDF LibreOffice makes of the workbook: on every page the title, the unit, the period,
    the indicators' heading and the page's number; no figure too wide for its column (###)."""
    ok("report", "--period", "2026-10", "--rules", rules_with(tmp_path, f'[office]\nname = "{UNIT}"\n'),
       "-o", tmp_path / "r.xlsx", *NOW)
    done = subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "r.xlsx")],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    pages = pages_of(tmp_path / "r.pdf")
    book = load_workbook(tmp_path / "r.xlsx")
    expected = 0
    for name in ("按街道", "按社区", "按专干"):
        columns, rows = breakdown_breaks(book[name])
        expected += (len(columns) + 1) * (len(rows) + 1)
    sheets = [page for page in pages if "口径说明" not in page.splitlines()[-1]]
    assert len(sheets) == expected
    for n, page in enumerate(pages, start=1):
        assert "社区戒毒社区康复工作统计 2026年10月" in page and f"填报单位：{UNIT}" in page, n
        assert "统计期 2026-10-01 至 2026-10-31" in page and f"第 {n} 页，共 {len(pages)} 页" in page, n
        assert "###" not in page, n
    from jindu_cli.domain.reports import indicators
    from jindu_cli.domain.rules import REPORT_DEFAULTS

    labels = [i.label for i in indicators(REPORT_DEFAULTS)]
    for page in sheets:  # (the indicators in pieces down the pages)
        assert "指标" in page and any(label in page for label in labels)
    legend = "".join(page for page in pages if "口径说明" in page.splitlines()[-1])
    assert all(label in legend for label in labels)


def test_a_long_definition_wraps_within_the_page_instead_of_running_off_it(tmp_path):
    """口径说明 prints one page wide: a definition longer than its column wraps, its row as tall as
    its lines (a row left one line high would cut the text off at the page's edge)."""
    from jindu_cli.cli.report_xlsx import PAGE_WIDTH, column_points
    from jindu_cli.cli.table import width

    ok("report", "--period", "2026-10", "-o", tmp_path / "r.xlsx", *NOW)
    sheet = load_workbook(tmp_path / "r.xlsx")["口径说明"]
    assert sum(column_points(sheet.column_dimensions[c].width) for c in "ABC") <= PAGE_WIDTH
    room = sheet.column_dimensions["C"].width
    long = [cell for cell in sheet["C"][4:] if cell.value and width(cell.value) > room * 1.2]
    assert long  # (失联人数, 执行率 among them)
    for cell in long:
        assert cell.alignment.wrap_text, cell.value
        lines = width(cell.value) / (room * 1.2)  # (a CJK character is a little under 2 of a column's units)
        assert (sheet.row_dimensions[cell.row].height or 15) >= 15 * lines, cell.value
