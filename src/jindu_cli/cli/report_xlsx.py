"""The report as an .xlsx workbook that prints: a sheet for each breakdown (by street, community,
worker), laid out as the HTML table is (the indicators down, the groups across, the total last), and
one of definitions.

Printed on A4 landscape at full size, a breakdown is cut across into pieces of as many groups as fit
the page's width (each piece the same number of groups, give or take one) and down into pages of an
even share of the indicators. Every page repeats the title, the reporting unit, the period, the
groups' names and the indicators' names, and carries its number below; the lines to sign close the
last page. The cuts are page breaks set here, so that Excel, WPS and LibreOffice print the same
pages (at full size, none of them adds a break of its own).

Counts are numbers in Excel's General format, rates numbers as 0.0%, a rate over a small base with
it in its number format (100.0%（1/1）, still the number 1 for a formula).
"""

from __future__ import annotations

import io
import itertools
import math
from datetime import datetime

from jindu_cli.cli.report_parts import (
    SIGNATURES, TOTAL, breakdown_total, cell, legend_lines, signatures, small_base, subtitle, title, trail_line, unit,
)
from jindu_cli.cli.table import width
from jindu_cli.cli.workbook import FOOTER, cell_text, for_print, workbook
from jindu_cli.domain.reports import BY_LABELS, Report

# A4 landscape less the margins (inches), in points
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.6}
PAGE_WIDTH = (297 / 25.4 - MARGINS["left"] - MARGINS["right"]) * 72
PAGE_HEIGHT = (210 / 25.4 - MARGINS["top"] - MARGINS["bottom"]) * 72
# Arial, which every office program has or maps to a font of the same widths (LibreOffice on Linux:
# Liberation Sans); with Excel's Calibri, LibreOffice without Carlito measures the columns in the
# wider DejaVu Sans, and the pieces no longer fit the page
FONT = {"font_name": "Arial", "font_size": 10}
SLACK = 0.95  # of the page, for what a program's type takes beyond the nominal widths
ROW = 15.0  # the height of a row of figures, in points
HEAD_ROWS = 4  # title, unit, period, the groups' names: repeated on every page


def column_points(chars: float) -> float:
    """The printed width of a column `chars` wide (Excel's unit: the digits of its default font)."""
    return (chars * 7 + 5) * 0.75


def pieces(columns: int, first_chars: float, chars: float) -> list[range]:
    """The columns after the first (the indicators'), cut into pieces that each fit the page beside
    the first, as few as may be and as even (sizes one apart at most)."""
    fit = max(1, int((PAGE_WIDTH * SLACK - column_points(first_chars)) // column_points(chars)))
    count = math.ceil(columns / fit)
    size, more = divmod(columns, count)
    out, start = [], 1
    for n in range(count):
        stop = start + size + (1 if n < more else 0)
        out.append(range(start, stop))
        start = stop
    return out


def page_rows(indicators: int, head_points: float, tail: int) -> list[int]:
    """How many indicators go on each page down: as few pages as hold them and the `tail` rows after
    them (the lines to sign), the rows of each page as even as may be (one apart at most, the larger
    pages first), the tail's counted with the last page's indicators."""
    fits = max(1, int((PAGE_HEIGHT * SLACK - head_points) // ROW))
    pages = max(1, math.ceil((indicators + tail) / fits))
    size, more = divmod(indicators + tail, pages)
    sizes = [size + (1 if n < more else 0) for n in range(pages)]
    sizes[-1] -= tail
    return sizes


def xlsx(report: Report, rules, trail=None) -> bytes:
    end = report.period.end
    buffer = io.BytesIO()
    with workbook(buffer, created=datetime(end.year, end.month, end.day), font=FONT) as book:
        styles = _styles(book)
        for by in report.breakdowns:
            _breakdown(book, styles, report, rules, by)
        _definitions(book, styles, report, rules, trail)
    return buffer.getvalue()


def _styles(book) -> dict:
    line = {"border": 1, "border_color": "#808080", "valign": "vcenter"}
    figure = dict(line, align="right")  # (a rate of no one, —, where the numbers are)
    made = {"title": {"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"},
            "line": {"valign": "vcenter"},
            "head": dict(line, bold=True, align="center", text_wrap=True, bg_color="#EDF2F7"),
            "label": dict(line), "count": dict(figure), "total": dict(figure, bold=True),
            "rate": dict(figure, num_format="0.0%"), "total_rate": dict(figure, bold=True, num_format="0.0%"),
            "bold": {"bold": True}}
    styles = {name: book.add_format(properties) for name, properties in made.items()}
    styles["based"] = {}  # (num_format, bold) -> a rate's format with its base written in

    def based(base: tuple[int, int], bold: bool):
        key = (f'0.0%"（{base[0]}/{base[1]}）"', bold)
        if key not in styles["based"]:
            styles["based"][key] = book.add_format(dict(figure, num_format=key[0], bold=bold))
        return styles["based"][key]

    styles["with_base"] = based
    return styles


def _figure(sheet, styles, row: int, column: int, values: dict, ind, bold: bool) -> None:
    value = values.get(ind.key)
    if ind.rate:
        base = small_base(values, ind)
        fmt = styles["with_base"](base, bold) if base else styles["total_rate" if bold else "rate"]
    else:
        fmt = styles["total" if bold else "count"]
    if value is None:
        sheet.write_string(row, column, "—", fmt)
    else:
        sheet.write_number(row, column, value, fmt)


def _breakdown(book, styles, report: Report, rules, by: str) -> None:
    groups = report.breakdowns[by]
    columns = [*groups.values(), breakdown_total(report, by)]
    names = [*groups, TOTAL]
    sheet = book.add_worksheet(f"按{BY_LABELS[by]}")
    first = max(width(i.label) for i in report.indicators) + 2
    values_wide = max(width(cell(values, ind)) for values in columns for ind in report.indicators)
    # a group's name on two lines at most: more groups a page than each on one
    chars = max(8, values_wide + 1, min(math.ceil(max(width(n) for n in names) / 2) + 1, 13))
    lines = max(math.ceil(width(n) / (chars - 1)) for n in names)
    heights = [22, 16, 16, ROW * lines + 2]
    cut = pieces(len(names), first, chars)
    for row, height in enumerate(heights):
        sheet.set_row(row, height)
    sheet.set_column(0, 0, first)
    sheet.set_column(1, len(names), chars)
    texts = [title(report), unit(rules), subtitle(report, by)]
    for piece in cut:
        left = piece.start if len(cut) > 1 else 0  # (one piece: over the indicators too)
        for row, (text, style) in enumerate(zip(texts, ("title", "line", "line"))):
            _across(sheet, row, left, piece.stop - 1, text, styles[style])
    sheet.write_string(3, 0, "指标", styles["head"])
    for column, name in enumerate(names, start=1):
        sheet.write_string(3, column, cell_text(name), styles["head"])
    for row, ind in enumerate(report.indicators, start=HEAD_ROWS):
        sheet.set_row(row, ROW)  # (a height of its own: the pages down are counted in rows of it)
        sheet.write_string(row, 0, ind.label, styles["label"])
        for column, values in enumerate(columns, start=1):
            _figure(sheet, styles, row, column, values, ind, bold=column == len(names))
    signed = _sign(sheet, styles, HEAD_ROWS + len(report.indicators) + 1, cut, first, chars)
    sizes = page_rows(len(report.indicators), sum(heights), 1 + signed)
    sheet.set_h_pagebreaks(list(itertools.accumulate(sizes[:-1], initial=HEAD_ROWS))[1:])
    sheet.set_v_pagebreaks([piece.start for piece in cut[1:]])
    sheet.freeze_panes(HEAD_ROWS, 1)
    _print(sheet, head=HEAD_ROWS - 1, first_column=True)


def _sign(sheet, styles, row: int, cut: list[range], first: float, chars: float) -> int:
    """The lines to sign under the last piece, in a line, or one under another where the piece is
    too narrow for that. Returns the rows they take."""
    last = cut[-1]
    left = last.start if len(cut) > 1 else 0
    room = len(last) * chars + (first if left == 0 else 0)
    lines = [signatures()] if width(signatures()) + 2 <= room else list(SIGNATURES)
    for n, text in enumerate(lines):
        _across(sheet, row + n, left, last.stop - 1, text, styles["line"])
    return len(lines)


def _across(sheet, row: int, first: int, last: int, text: str, style) -> None:
    if last > first:
        sheet.merge_range(row, first, row, last, cell_text(text), style)
    else:
        sheet.write_string(row, first, cell_text(text), style)


def _print(sheet, head: int, first_column: bool = False, fit_width: bool = False) -> None:
    """The rows to `head` (and the first column) on every page, the page's number and the sheet's
    name below; printed down before across (Excel's default, which XlsxWriter leaves)."""
    for_print(sheet, title_rows=(0, head), title_cols=(0, 0) if first_column else None, fit_width=fit_width,
              margins=MARGINS, footer=FOOTER + "&R&A")


def _definitions(book, styles, report: Report, rules, trail) -> None:
    sheet = book.add_worksheet("口径说明")
    for row, (text, style) in enumerate(zip([title(report), unit(rules), subtitle(report)], ("bold", None, None))):
        sheet.write_string(row, 0, cell_text(text), styles[style] if style else None)
    for column, header in enumerate(("指标", "英文键", "口径")):
        sheet.write_string(3, column, header, styles["bold"])
    rows: list[list[str]] = [[ind.label, ind.key, ind.definition] for ind in report.indicators]
    rows += [[], ["说明", "", legend_lines(report, rules)[-1]]]
    rows += [["审计链", "", trail_line(trail)]] if trail else []
    wide = (20, 24, 90)
    top, wrapped = book.add_format({"valign": "top"}), book.add_format({"valign": "top", "text_wrap": True})
    for row, cells in enumerate(rows, start=HEAD_ROWS):
        for column, value in enumerate(cells):
            if value:
                sheet.write_string(row, column, cell_text(value), wrapped if column == 2 else top)
        if len(cells) > 2:  # a long definition wraps within the page's width, its row as tall as its lines
            lines = math.ceil(width(cell_text(cells[2])) / (wide[2] + 6))  # (CJK: a little under 2 units)
            if lines > 1:
                sheet.set_row(row, 15 * lines)
    for column, size in enumerate(wide):
        sheet.set_column(column, column, size)
    _print(sheet, head=HEAD_ROWS - 1, fit_width=True)  # one page wide, as many long as it takes
