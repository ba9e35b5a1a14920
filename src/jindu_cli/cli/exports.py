"""jindu export: the register, visits and tests, in the columns the import reads."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from jindu_cli.cli.options import DbOpt, OperatorOpt, open_conn, operator_name
from jindu_cli.cli.output import guard, message

app = typer.Typer(help="导出登记表、走访记录、检测记录、宣传台账、筛查台账，列名与导入时相同。", no_args_is_help=True)

SHEET_NAMES = {"cases": "登记表", "visits": "走访记录", "tests": "检测记录", "activities": "宣传台账", "screenings": "筛查台账"}
EXPORT_PROGRESS_ROWS = 20_000  # a bar on stderr, for a person watching, from this many rows


class ExportFmt(str, enum.Enum):
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


LEDGERS = ("activities", "screenings")  # a street's own records: no person in them, nothing to reveal
_REVEAL_HELP = "导出完整的身份证号和电话（会记入审计）；不加时脱敏，导出的文件不能再导入"
RevealOpt = Annotated[bool, typer.Option("--reveal", help=_REVEAL_HELP)]
HiddenRevealOpt = Annotated[bool, typer.Option("--reveal", hidden=True, help=_REVEAL_HELP)]  # (refused, for a ledger)


def _export(kind: str, doc: str):
    def command(
        street: Annotated[Optional[str], typer.Option("--street", help="只导出这个街道", show_default=False)] = None,
        date_from: Annotated[Optional[str], typer.Option("--from", show_default=False,
                                                         help="从这天起（登记表按报到日期）；给月份（2026-03）或年份时从它的第一天起")] = None,
        date_to: Annotated[Optional[str], typer.Option("--to", help="到这天止；给月份或年份时到它的最后一天", show_default=False)] = None,
        fmt: Annotated[Optional[ExportFmt], typer.Option("--format", "-f", show_default=False,
                                                         help="csv（默认；带 BOM 的 UTF-8，Excel 可直接打开）、xlsx 或 json；写文件时按扩展名，不必给")] = None,
        output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", show_default=False,
                                                       help="写入这个文件，扩展名（.csv、.xlsx、.json）决定格式；先写临时文件再改名，权限 0600。不给时输出到标准输出")] = None,
        reveal: RevealOpt = False,
        db: DbOpt = None, operator: OperatorOpt = None,
    ):
        run_export(kind, street, date_from, date_to, fmt, output, reveal, db, operator)

    command.__doc__ = doc
    command.__name__ = f"export_{kind}"
    if kind in LEDGERS:  # (the annotations are text read in this module: a ledger's takes the hidden option)
        command.__annotations__["reveal"] = "HiddenRevealOpt"
    return guard(command)


def run_export(kind, street, date_from, date_to, fmt, output, reveal, db, operator) -> None:
    """The rows are written as they are read (memory stays flat however many there are); which
    rows, of which moment, and the audit of a reveal are the domain's (exporter.opened)."""
    import sys

    from jindu_cli.cli.common import dates_between
    from jindu_cli.cli.files import output_format
    from jindu_cli.cli.output import progress_bar, write_atomic
    from jindu_cli.domain import exporter
    from jindu_cli.errors import InvalidInput

    if reveal and kind in LEDGERS:
        raise InvalidInput("--reveal", "台账里没有身份证号和电话，不需要 --reveal；去掉它再导出")
    if output is not None:  # (before the database is opened: a reveal is audited when it is)
        fmt = ExportFmt(output_format(output, fmt.value if fmt else None, [f.value for f in ExportFmt]))
    elif fmt is ExportFmt.xlsx:
        raise InvalidInput("--output", "xlsx 是二进制文件，请用 --output 指定文件名")
    fmt = fmt or ExportFmt.csv
    conn = open_conn(db)
    start, end = dates_between(date_from, date_to)
    with exporter.opened(conn, kind, street=street, date_from=start, date_to=end,
                         reveal_as=operator_name(operator) if reveal else None) as export:
        bar = progress_bar() if export.count >= EXPORT_PROGRESS_ROWS else None
        rows = _counted(export.rows, bar, export.count, output)
        try:
            if output is None:
                WRITERS[fmt](sys.stdout.buffer, kind, rows, None)
                sys.stdout.flush()
            else:
                write_atomic(output, lambda out: WRITERS[fmt](out, kind, rows, output.parent))
        finally:
            if bar is not None:
                bar.stop()
    if output is not None:
        message(f"已导出 {export.count} 行到 {output}" + ("" if reveal or kind in LEDGERS else "（身份证号和电话已脱敏）"))


def _counted(rows, bar, count: int, output):
    """`rows`, advancing `bar` (if any) as they are written."""
    if bar is None:
        yield from rows
        return
    bar.start()
    task = bar.add_task(f"导出到 {output.name if output else '标准输出'}", total=max(1, count))
    for n, cells in enumerate(rows, start=1):
        if n % 2000 == 0:
            bar.update(task, completed=n)
        yield cells


def _json_out(out, kind: str, rows, folder: Path | None) -> None:
    """The bytes of json.dumps(a list of the rows, indent=2), written one row at a time."""
    import json

    from jindu_cli.domain import exporter

    fields = exporter.FIELDS[kind]
    first = True
    out.write(b"[")
    for cells in rows:
        item = json.dumps(dict(zip(fields, cells)), ensure_ascii=False, indent=2).replace("\n", "\n  ")
        out.write(((("\n  " if first else ",\n  ") + item).encode("utf-8")))
        first = False
    out.write(b"]\n" if first else b"\n]\n")


def _csv_out(out, kind: str, rows, folder: Path | None) -> None:
    """The columns the import reads, as a CSV for people (files.write_csv): to stdout too."""
    from jindu_cli.cli.files import write_csv
    from jindu_cli.domain import exporter

    write_csv(out, exporter.headers(kind), rows)


def _xlsx_out(out, kind: str, rows, folder: Path) -> None:
    """Every cell text (a value like =1+1 is never a formula, an ID never a number)."""
    from jindu_cli.cli.files import write_xlsx
    from jindu_cli.domain import exporter

    write_xlsx(out, SHEET_NAMES[kind], exporter.headers(kind), rows, folder)


WRITERS = {ExportFmt.json: _json_out, ExportFmt.csv: _csv_out, ExportFmt.xlsx: _xlsx_out}

app.command("cases")(_export("cases", "导出登记表（含状态记录）。例：jindu export cases --reveal -o 登记表.csv"))
app.command("visits")(_export("visits", "导出走访记录。例：jindu export visits --street 盐务街 --from 2026-11-01"))
app.command("tests")(_export("tests", "导出检测记录。例：jindu export tests -o 检测.xlsx"))
app.command("activities")(_export("activities", "导出禁毒宣传和入户调查（宣传台账）。例：jindu export activities --from 2026 -o 宣传台账.xlsx"))
app.command("screenings")(_export("screenings", "导出筛查场次（筛查台账；移交公安的人员见 jindu screen referrals）。例：jindu export screenings -o 筛查.csv"))
