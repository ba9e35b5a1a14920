"""Files written with --output, for people: the name decides the format, the way Excel and WPS
decide how to open it. A .xlsx is a workbook and a .csv is text, whatever -f says; so -f, when
given, must agree with the name, and a name jindu cannot honour (.pdf, .xls, no extension) is
refused before anything is read or written, naming what the command writes.

Tables for people carry Chinese column names; CSV is UTF-8 with a BOM (without one, Excel and WPS
on a Chinese PC read UTF-8 as GBK and show garbage) and CRLF, each cell shaped for a spreadsheet
(exporter.csv_cell). Standard output with -f csv|json stays the English-keyed form for scripts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath
from typing import BinaryIO

# the extension of a file's name -> the format written under it
EXTENSIONS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".html": "html", ".htm": "html", ".md": "md",
              ".txt": "table"}
# each format's own extension, the first for it above
SUFFIX = {fmt: ext for ext, fmt in reversed(EXTENSIONS.items())}
# (in a sentence after 是: a Latin word a space apart)
KINDS = {"csv": " CSV 文本", "xlsx": " Excel 工作簿", "json": " JSON 数据", "html": "网页", "md": " Markdown 文本",
         "table": "纯文本表格"}


def output_format(output: str | PurePath, given: str | None, writes: Sequence[str]) -> str:
    """The format of the file `output` (the formats a command `writes`, in its order): the one its
    extension names. `given` (-f, or None) must be that one too. Raises InvalidInput, naming the
    extensions the command writes, for a name without one of them or a -f that contradicts it."""
    from jindu_cli.errors import InvalidInput

    name = PurePath(output).name
    suffix = PurePath(output).suffix.lower()
    choices = "、".join(SUFFIX[f] for f in writes)
    fmt = EXTENSIONS.get(suffix)
    if not suffix:
        raise InvalidInput("--output", f"文件名“{name}”没有扩展名；扩展名决定文件的格式，这个命令写 {choices}")
    if fmt not in writes:
        raise InvalidInput("--output", f"jindu 不写 {suffix} 文件（{name}）；这个命令写 {choices}，扩展名决定文件的格式")
    if given is not None and given != fmt:
        instead = (f"或把文件名改为 {PurePath(output).stem}{SUFFIX[given]}" if given in writes
                   else f"这个命令写的文件是 {choices}")
        raise InvalidInput("-f/--format", f"-f {given} 与文件名 {name} 不符：{suffix} 是{KINDS[fmt]}，-f {given} 写的是"
                                          f"{KINDS.get(given, given)}；去掉 -f 就按扩展名写，{instead}")
    return fmt


def write_csv(out: BinaryIO, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A table as CSV for people: UTF-8 with BOM, CRLF, the cells shaped for a spreadsheet."""
    import csv
    import io

    from jindu_cli.domain.exporter import csv_cell

    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        text.write("\ufeff")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows([csv_cell(c) for c in cells] for cells in rows)
        text.flush()
    finally:
        text.detach()  # (the file stays open for whoever gave it)


def write_xlsx(out: BinaryIO, sheet: str, headers: Sequence[str], rows: Iterable[Sequence[str]], folder: Path) -> None:
    """A table as a workbook, every cell text (cli.workbook.write_listing), its temporary files in
    a private folder made in `folder`, beside the file being written."""
    from jindu_cli.cli.workbook import write_listing

    write_listing(out, sheet, headers, rows, scratch=folder)


def write_table(path: Path, fmt: str, sheet: str, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A table of text for people, as `fmt` (csv or xlsx), atomically, mode 0600."""
    from jindu_cli.cli.output import write_atomic

    if fmt == "xlsx":
        write_atomic(path, lambda out: write_xlsx(out, sheet, headers, rows, Path(path).parent))
    else:
        write_atomic(path, lambda out: write_csv(out, headers, rows))
