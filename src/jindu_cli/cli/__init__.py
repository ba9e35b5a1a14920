"""The jindu command line: a root app with one sub-app per noun.

Only typer and the standard library are imported here at module level; rich, sqlite_utils,
dateutil and the domain modules load inside the commands that need them, so that
`jindu --version` and `jindu --help` start fast.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Annotated, Optional

import typer

from jindu_cli import __version__
from jindu_cli.cli import (
    activity, audit, case, db, demo, doc, draw, drug_tests, due, exports, imports, leave, report, rules, screen, visit,
)
from jindu_cli.cli.options import ROOT, DbOpt, db_location
from jindu_cli.cli.output import guard
from jindu_cli.cli.usage import RootGroup

app = typer.Typer(
    name="jindu",
    cls=RootGroup,
    help="jindu（禁毒）：街道禁毒专干的工作台。登记社区戒毒、社区康复人员，记录走访和检测，"
    "提醒到期事项，生成统计报表。不带参数运行时显示数据库概况。",
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    invoke_without_command=True,
)
app.add_typer(case.app, name="case")
app.add_typer(visit.app, name="visit")
app.add_typer(drug_tests.app, name="test")
app.add_typer(leave.app, name="leave")
app.add_typer(activity.app, name="activity")
app.add_typer(screen.app, name="screen")
app.add_typer(audit.app, name="audit")
app.add_typer(db.app, name="db")
app.add_typer(imports.app, name="import")
app.add_typer(exports.app, name="export")
app.add_typer(rules.app, name="rules")
app.add_typer(doc.app, name="doc")
app.command("due")(due.due)
app.command("draw")(draw.draw)
app.command("report")(report.report)
app.command("demo")(demo.demo)


def _version(value: bool) -> None:
    if value:
        print(f"jindu {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[Optional[bool], typer.Option("--version", "-V", callback=_version, is_eager=True,
                                                    help="显示版本号后退出")] = None,
    db_opt: DbOpt = None,
):
    ROOT["db"] = db_opt
    if ctx.invoked_subcommand is None:
        overview(db_opt)


@guard
def overview(db_opt: str | None) -> None:
    from jindu_cli.cli.output import emit
    from jindu_cli.domain import cases
    from jindu_cli.domain.enums import STATUS
    from jindu_cli.cli.options import open_conn

    loc = db_location(db_opt)
    print(f"jindu {__version__}  数据库：{loc.path}")
    if not loc.path.exists() or loc.path.stat().st_size == 0:
        _how_to_begin()
        return
    conn = open_conn(db_opt)
    info = cases.overview(conn)
    if not info["total"]:
        _how_to_begin()
        return
    from jindu_cli.cli.options import as_of_date
    from jindu_cli.domain import due, rules

    today = as_of_date(None)
    ruleset = rules.load_rules(conn)
    listed = due.due_list(conn, ruleset, today, within=0)
    print(f"今天 {today}")
    for group, word in ((0, "逾期"), (1, "今天到期")):
        kinds = Counter(r.item for r in listed if r.group == group)
        parts = "、".join(f"{ruleset.label(item)} {n}" for item, n in kinds.most_common())
        print(f"{word} {sum(kinds.values())} 项" + (f"：{parts}" if parts else ""))
    parts = "，".join(f"{STATUS.label(s)} {n}" for s in STATUS.labels if (n := info["by_status"].get(s)))
    print(f"在册 {info['total']} 人：{parts}")
    rows = [{"street": s, "total": n, "managed": m} for s, n, m in info["by_street"]]
    emit(rows, [("street", "街道"), ("total", "在册"), ("managed", "在管（未报到、在执行、中止）")], "table")
    police = sum(r.item == "police_report" for r in listed)
    if police:
        print(f"下一步：jindu case flags --unreported（{police} 项应报告公安），然后 jindu due")
    elif listed:
        print("下一步：jindu due（到期清单，逾期的在前）")
    else:
        print("下一步：jindu due --within 30（没有逾期和今天到期的事项；看看今后 30 天）")


def _how_to_begin() -> None:
    print(
        "数据库里还没有案件。可以这样开始：\n"
        "  jindu demo                    建一个演示数据库，看看 jindu 能做什么\n"
        "  jindu case add --help         登记第一个人\n"
        "  jindu --help                  全部命令"
    )


def main() -> None:
    from jindu_cli.cli.output import encodable_streams

    encodable_streams()
    try:
        app()
    except BrokenPipeError:
        sys.exit(0)
