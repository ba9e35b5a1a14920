""".xlsx workbooks, for the report and the export, written with XlsxWriter.

XlsxWriter is set up here once for what jindu writes: every text a text, never a formula, a link
or a number (a 身份证号 is never 5.20103E+17); the document's time fixed by the caller, as the zip
entries' times are by XlsxWriter, so that the same content gives the same bytes; printed on A4
across, the title rows repeated on every page and the page numbers in the footer.

A small workbook (the report) is put together in memory. A long one (an export) is written in
XlsxWriter's constant_memory mode: each row goes to a temporary file as it is written, as inline
text, so memory stays flat however many rows there are. Those files are in a private folder beside
the file being written, removed with everything in it however the writing ends.

XlsxWriter would write a control character as Excel's escape _xHHHH_; jindu drops those characters
first, so that nothing a clerk cannot see travels in a cell. A text that itself looks like such an
escape (_x0041_) is written escaped (_x005F_x0041_), as the standard asks: Excel and LibreOffice
show it as it was typed, while openpyxl leaves that escape in inline text for its caller to undo.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import chain, islice
from pathlib import Path
from typing import BinaryIO

MAX_ROWS = 1_048_576  # rows in a sheet, in Excel and WPS
MAX_CELL_CHARS = 32_767  # characters in a cell (XlsxWriter cuts a longer text there)

# the export has no date of its own to give: the first day the zip format can say, as each entry
EXPORT_CREATED = datetime(1980, 1, 1)
FOOTER = "&C第 &P 页，共 &N 页"

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def cell_text(value: str) -> str:
    """`value` without the characters XML cannot hold (control characters, lone surrogates)."""
    return value if value.isprintable() else _ILLEGAL.sub("", value)


@contextlib.contextmanager
def workbook(target: BinaryIO, *, created: datetime, scratch: Path | None = None, font: dict | None = None) -> Iterator:
    """An XlsxWriter workbook, written to `target` at the end of the block. `created`: the
    document's creation and modification time. `scratch`: where to make the private folder for
    constant_memory's temporary files (a long workbook); without it the workbook is put together
    in memory. `font`: the workbook's own type (XlsxWriter's default_format_properties), whose
    digits are the unit of its columns' widths. A failure to write (a full disk) is raised as the OSError it is, which write_atomic
    names with the file asked for; however the block ends, no temporary file is left."""
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    from jindu_cli import __version__

    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    if font:
        options["default_format_properties"] = font
    folder = None
    if scratch is None:
        options["in_memory"] = True
    else:
        folder = Path(tempfile.mkdtemp(dir=scratch, prefix=".jindu-xlsx-"))
        # zip64 only where an entry needs it (past 2 GiB): Python's zipfile decides by the size
        options.update(constant_memory=True, tmpdir=str(folder), use_zip64=True)
    sink = _Sink(target)
    book = xlsxwriter.Workbook(sink, options)
    book.set_properties({"created": created, "author": f"jindu {__version__}"})
    try:
        yield book
        try:
            book.close()
        except FileCreateError as exc:
            cause = exc.args[0] if exc.args else None
            if isinstance(cause, OSError):
                raise cause from None
            raise
    except BaseException:
        sink.cut()
        for sheet in book.worksheets():  # (constant_memory's files of rows, one a sheet, still open)
            held = getattr(sheet, "row_data_fh", None)
            if held is not None:
                held.close()
        raise
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


class _Sink:
    """The file XlsxWriter's zip is written into, until a failure. XlsxWriter leaves the zip open
    when writing it fails, and Python closes it when it is collected, writing its directory: into
    nothing by then (only counted, so that the zip's sums add up), rather than into a file closed
    meanwhile or a disk still full."""

    def __init__(self, out: BinaryIO):
        self.out: BinaryIO | None = out
        self.position = 0

    def cut(self) -> None:
        try:
            self.position = self.out.tell()
        except (OSError, ValueError):
            pass
        self.out = None

    def write(self, data) -> int:
        if self.out is not None:
            return self.out.write(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position if self.out is None else self.out.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        if self.out is not None:
            return self.out.seek(offset, whence)
        self.position = offset if whence == 0 else self.position + offset
        return self.position

    def flush(self) -> None:
        if self.out is not None:
            self.out.flush()


def for_print(sheet, *, title_rows: tuple[int, int], title_cols: tuple[int, int] | None = None,
              fit_width: bool = False, margins: dict | None = None, footer: str = FOOTER) -> None:
    """A4 across at full size, `title_rows` (from 0, first and last) on every page, and the page
    numbers in the footer; `title_cols` repeated on every page across, or the whole width on one
    page; `margins` in inches (left, right, top, bottom), else Excel's."""
    sheet.set_paper(9)
    sheet.set_landscape()
    if margins:
        sheet.set_margins(**margins)
    sheet.repeat_rows(*title_rows)
    if title_cols is not None:
        sheet.repeat_columns(*title_cols)
    if fit_width:
        sheet.fit_to_pages(1, 0)
    sheet.set_footer(footer, {"margin": 0.25} if margins else None)


def write_listing(out: BinaryIO, name: str, headers: Sequence[str], rows: Iterable[Sequence[str]], *,
                  scratch: Path, rows_per_sheet: int = MAX_ROWS - 1, created: datetime = EXPORT_CREATED) -> int:
    """A listing as a workbook: the column names in bold on top, frozen there and repeated on every
    printed page; every cell text, in the text format @ (what is typed into a column later stays
    text too); widths from the first rows. Rows past `rows_per_sheet` (a sheet's limit, the column
    names aside) go on in another sheet, `name`（2） and so on: jindu imports every sheet of a
    workbook. The rows are written as they come (constant_memory), the temporary files in a
    private folder made in `scratch`. Returns the number of rows written."""
    from jindu_cli.cli.table import width

    rows = iter(rows)
    first = list(islice(rows, 2000))
    widths = [width(h) for h in headers]
    for cells in first:
        for i, value in enumerate(cells):
            widths[i] = max(widths[i], min(60, width(value)))
    written = 0
    with workbook(out, created=created, scratch=scratch) as book:
        text = book.add_format({"num_format": "@"})
        bold = book.add_format({"num_format": "@", "bold": True})
        for n, chunk in enumerate(_chunks(chain(first, rows), rows_per_sheet), start=1):
            sheet = book.add_worksheet(name if n == 1 else f"{name}（{n}）")
            for column, wide in enumerate(widths):
                sheet.set_column(column, column, wide + 2, text)
            sheet.freeze_panes(1, 0)
            for_print(sheet, title_rows=(0, 0))
            for column, header in enumerate(headers):
                sheet.write_string(0, column, header, bold)
            write = sheet.write_string
            for row, cells in enumerate(chunk, start=1):
                for column, value in enumerate(cells):
                    if value:
                        write(row, column, cell_text(value), text)
                written += 1
    return written


def _chunks(rows: Iterator, size: int) -> Iterator[Iterator]:
    """`rows` a sheet at a time: at least one sheet (the column names alone when there is no row)."""
    if size < 1:
        raise ValueError("a sheet holds at least one row")
    head = next(rows, None)
    yield chain([] if head is None else [head], islice(rows, size - 1))
    while (head := next(rows, None)) is not None:
        yield chain([head], islice(rows, size - 1))
