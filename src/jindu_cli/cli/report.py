"""jindu report: the monthly figures, for the office and for cron."""

from __future__ import annotations

import enum
import shutil
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from jindu_cli.cli.options import AsOfOpt, DbOpt, as_of_date, open_conn
from jindu_cli.cli.output import guard, message


class ReportFmt(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"
    xlsx = "xlsx"
    html = "html"



# what a file named with --output can be, the forms for people first (in the messages too)
FILE_FORMATS = ("xlsx", "html", "csv", "md", "table", "json")


def report_command(
    period: Annotated[Optional[str], typer.Option("--period", show_default=False,
                                                  help="统计期：2026-11 或 2026年11月（月）、2026-Q4 或 2026年第四季度（季度）、2026（年）；默认上一个完整的月份")] = None,
    date_from: Annotated[Optional[str], typer.Option("--from", show_default=False, help="自定统计期的第一天（给月份 2026-01 时是它的第一天）")] = None,
    date_to: Annotated[Optional[str], typer.Option("--to", show_default=False, help="自定统计期的最后一天（给月份 2026-03 时是它的最后一天）")] = None,
    street: Annotated[Optional[str], typer.Option("--street", show_default=False, help="只统计这个街道")] = None,
    by: Annotated[str, typer.Option("--by", help="分组：street（街道）、community（社区）、worker（专干）")] = "street",
    fmt: Annotated[Optional[ReportFmt], typer.Option("--format", "-f", show_default=False,
                                                     help="table（默认）、csv、json、md、xlsx、html；写文件时按扩展名，不必给")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE|DIR/", show_default=False,
                                                  help="写入文件，扩展名决定格式：.xlsx、.html、.csv、.md、.txt、.json；先写临时文件再改名，权限 0600。"
                                                       "给文件夹时按统计期命名，如 jindu-report-2026-11.xlsx（格式用 -f，默认 xlsx）")] = None,
    catch_up: Annotated[Optional[Path], typer.Option("--catch-up", metavar="DIR", show_default=False,
                                                     help="补写这个文件夹里缺少的每一个完整月份的报表（电脑关机错过了的）")] = None,
    rules_file: Annotated[Optional[str], typer.Option("--rules", metavar="FILE", show_default=False,
                                                      help="用这个规则文件（其中 [report] 段是报表口径）")] = None,
    as_of: AsOfOpt = None, db: DbOpt = None,
):
    """统计报表：在册、报到、检测、见面、失联、复吸等指标，按街道（或社区、专干）分组并合计，附每项指标的口径。

    同一数据库、同一统计期和 --as-of 总得到完全相同的内容。例：jindu report；
    jindu report --period 2026-Q4 -o 四季度.xlsx；jindu report -f html -o /srv/jindu/reports/；
    jindu report --catch-up /srv/jindu/reports -f xlsx
    """
    from jindu_cli.cli import report_render
    from jindu_cli.cli.output import write_atomic
    from jindu_cli.domain import audit, reports, rules
    from jindu_cli.errors import InvalidInput

    today = as_of_date(as_of)
    conn = open_conn(db)
    ruleset = rules.load_rules(conn, rules_file)
    if catch_up is not None:
        if period or date_from or date_to or output:
            raise InvalidInput("--catch-up", "不能和 --period、--from/--to、--output 一起用")
        chosen = fmt or ReportFmt.xlsx
        written = _catch_up(conn, ruleset, catch_up, chosen, today, by, street)
        if written:
            for path in written:
                message(f"已补写 {path}")
        else:
            message(f"{catch_up} 里的报表已经齐全，没有要补写的")
        return
    chosen = _chosen(output, fmt)  # (before the counting, not after it)
    span = reports.parse_period(period, date_from, date_to, today)
    report = reports.build(conn, ruleset, span, today, by, street, charts=chosen is ReportFmt.html,
                           every_breakdown=chosen is ReportFmt.xlsx)
    # at a terminal, a table too wide for it is shown in pieces that fit
    columns = shutil.get_terminal_size().columns if output is None and sys.stdout.isatty() else None
    data = report_render.render(report, chosen.value, ruleset, columns, audit.chain_head(conn), people=output is not None)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target = _target(output, span, chosen, street)
    write_atomic(target, data)
    message(f"已写入 {target}")


def _chosen(output: str | None, fmt: "ReportFmt | None") -> "ReportFmt":
    """The format: -f (table by default) to stdout, the name's (files.output_format) to a file,
    -f (xlsx by default) to a folder, where the file is named after the period."""
    from jindu_cli.cli.files import output_format
    from jindu_cli.errors import InvalidInput

    if output is None:
        if fmt is ReportFmt.xlsx:
            raise InvalidInput("--output", "xlsx 是二进制文件，请用 --output 指定文件或文件夹")
        return fmt or ReportFmt.table
    if _is_folder(output):
        return fmt or ReportFmt.xlsx
    return ReportFmt(output_format(output, fmt.value if fmt else None, FILE_FORMATS))


def _is_folder(output: str) -> bool:
    return output.endswith(("/", "\\")) or Path(output).expanduser().is_dir()


def file_name(slug: str, fmt: "ReportFmt", street: str | None) -> str:
    from jindu_cli.cli.files import SUFFIX

    return f"jindu-report-{slug}{'-' + street if street else ''}{SUFFIX[fmt.value]}"


def _target(output: str, span, fmt: "ReportFmt", street: str | None) -> Path:
    from jindu_cli.storage.db import make_private_dir

    path = Path(output).expanduser()
    if _is_folder(output):
        make_private_dir(path)
        return path / file_name(span.slug, fmt, street)
    return path


def _catch_up(conn, ruleset, folder: Path, fmt: "ReportFmt", today, by: str, street: str | None) -> list[Path]:
    """Every complete month missing from `folder`, from its earliest report (or, in an empty
    folder, the last complete month) to the last complete month."""
    import re

    from jindu_cli.cli import report_render
    from jindu_cli.cli.output import write_atomic
    from jindu_cli.domain import audit, reports
    from jindu_cli.storage.db import make_private_dir

    folder = folder.expanduser()
    make_private_dir(folder)
    pattern = re.compile(r"jindu-report-(\d{4})-(\d{2})" + (re.escape("-" + street) if street else "") + r"\.")
    present = sorted((int(m.group(1)), int(m.group(2))) for p in folder.iterdir() if (m := pattern.match(p.name)))
    last = reports.last_complete_month(today)
    first = reports.month(*present[0]).start if present else last.start
    written = []
    for span in reports.complete_periods_before(today, first):
        target = folder / file_name(span.slug, fmt, street)
        if target.exists():
            continue
        report = reports.build(conn, ruleset, span, today, by, street, charts=fmt is ReportFmt.html,
                               every_breakdown=fmt is ReportFmt.xlsx)
        write_atomic(target, report_render.render(report, fmt.value, ruleset, trail=audit.chain_head(conn), people=True))
        written.append(target)
    return written


report = guard(report_command)
