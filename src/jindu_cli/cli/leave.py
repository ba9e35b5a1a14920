"""jindu leave: written reports of leaving the county (R6), their return, and 擅离."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jindu_cli.cli.common import (
    CaseArg, CaseOpt, ListCaseArg, ForceOpt, FromOpt, LimitOpt, ToOpt, added, given, person,
    record_rows, show_records, warn_flags,
)
from jindu_cli.cli.options import (
    AsOfOpt, DbOpt, FormatOpt, Fmt, OperatorOpt, RevealOpt, as_of_date, open_conn, operator_name,
)
from jindu_cli.cli.output import guard, message

app = typer.Typer(help="外出：离开县（市、区）3 日以上的书面报告、销假，以及发现的擅离。", no_args_is_help=True)

COLUMNS = [("leave_id", "编号"), ("case_id", "案件"), ("name", "姓名"), ("id_number", "身份证号"),
           ("street", "街道"), ("kind", "类别"), ("left_on", "离开"), ("return_due", "预计返回"),
           ("returned_on", "返回"), ("days", "天数"), ("destination", "去向"), ("reason", "事由"),
           ("approved_by", "批准人")]
# at a terminal the free text of a leave goes last, as one long text that may take a line of its own
# (a file keeps each in its column)
SCREEN_COLUMNS = COLUMNS[:10] + [("detail", "去向、事由")]
DETAIL = (("destination", "去向"), ("reason", "事由"), ("approved_by", "批准人"), ("notes", "备注"))


@app.command("add")
@guard
def leave_add(
    case: CaseArg,
    left_on: Annotated[Optional[str], typer.Option("--from", help="离开日期（默认今天）", show_default=False)] = None,
    return_due: Annotated[Optional[str], typer.Option("--to", help="预计返回日期", show_default=False)] = None,
    destination: Annotated[Optional[str], typer.Option("--destination", help="去向", show_default=False)] = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="事由", show_default=False)] = None,
    approved_by: Annotated[Optional[str], typer.Option("--approved-by", help="批准人", show_default=False)] = None,
    unreported: Annotated[bool, typer.Option("--unreported", help="这是发现的擅离（没有书面报告），不是外出报告")] = False,
    days: Annotated[Optional[int], typer.Option("--days", help="擅离的天数（不知道返回日期时填）", show_default=False)] = None,
    returned_on: Annotated[Optional[str], typer.Option("--returned-on", help="已经返回的日期", show_default=False)] = None,
    notes: Annotated[Optional[str], typer.Option("--notes", help="备注", show_default=False)] = None,
    force: ForceOpt = False, as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None,
):
    """记录外出报告，或发现的擅离；成功时标准输出只打印外出记录的编号。

    例：jindu leave add 12 --from 2026-12-01 --to 2026-12-10 --destination 遵义 --reason 探亲 --approved-by 王主任；
    jindu leave add 12 --unreported --from 2026-10-03 --days 12
    """
    from jindu_cli.domain import leaves

    today = as_of_date(as_of)
    conn = open_conn(db)
    found = person(conn, case)
    raw = given(kind="unreported" if unreported else "reported", left_on=left_on or today, return_due=return_due,
                returned_on=returned_on, days=days, destination=destination, reason=reason,
                approved_by=approved_by, notes=notes)
    leave = leaves.add_leave(conn, found, raw, today, operator_name(operator), force)
    what = f"擅离 {leave.absent_days(today)} 天" if unreported else f"外出报告，{leave.destination or '去向未填'}"
    added(leave.id, f"{found.name} {leave.left_on} 起{what}")
    if unreported:
        warn_flags(conn, found, today, ("leave", leave.id))


@app.command("close")
@guard
def leave_close(
    leave_id: Annotated[int, typer.Argument(metavar="外出编号", help="外出记录编号（leave list 的第一列）")],
    returned_on: Annotated[Optional[str], typer.Option("--returned-on", help="返回日期（默认今天）", show_default=False)] = None,
    unreported: Annotated[bool, typer.Option("--unreported", help="超过预计返回日期的天数属擅自离开：另记一条擅离（计入严重违反协议）")] = False,
    as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None,
):
    """销假：记录返回日期。逾期未归的，可用 --unreported 把逾期的天数记为擅离。

    例：jindu leave close 5 --returned-on 2026-12-09；jindu leave close 5 --returned-on 2026-12-20 --unreported
    """
    from jindu_cli.domain import leaves
    from jindu_cli.domain.dates import parse_date

    today = as_of_date(as_of)
    conn = open_conn(db)
    leave, _ = leaves.close_leave(conn, leave_id, parse_date(returned_on, "--returned-on") or today, today,
                                  operator_name(operator), unreported)
    late = ""
    if leave.return_due and leave.returned_on > leave.return_due:
        late = f"，比预计晚 {(leave.returned_on - leave.return_due).days} 天"
    message(f"已销假：外出记录 {leave_id}，{leave.returned_on} 返回{late}")
    if unreported:
        from jindu_cli.domain import people

        message(f"逾期的 {(leave.returned_on - leave.return_due).days} 天已记为擅离")
        warn_flags(conn, people.get_case(conn, leave.case_id), today)


@app.command("list")
@guard
def leave_list(
    who: ListCaseArg = None, case: CaseOpt = None,
    street: Annotated[Optional[str], typer.Option("--street", help="只看这个街道", show_default=False)] = None,
    kind: Annotated[Optional[str], typer.Option("--kind", help="只看：外出报告（reported）或 擅离（unreported）", show_default=False)] = None,
    open_only: Annotated[bool, typer.Option("--open", help="只看还没有返回的")] = False,
    date_from: FromOpt = None, date_to: ToOpt = None, limit: LimitOpt = None,
    fmt: FormatOpt = Fmt.table, reveal: RevealOpt = False, as_of: AsOfOpt = None, db: DbOpt = None,
    operator: OperatorOpt = None,
):
    """列出外出记录（按离开日期，最新的在前）。例：jindu leave list --open"""
    from jindu_cli.cli.output import terminal_width
    from jindu_cli.domain import leaves

    today = as_of_date(as_of)
    conn = open_conn(db)
    rows = record_rows(conn, leaves.list_leaves, (who, case), date_from, date_to,
                       street=street, kind=kind,
                       open_only=open_only, as_of=today, limit=limit)
    columns = COLUMNS
    if fmt is Fmt.table and terminal_width():
        columns = SCREEN_COLUMNS
        for r in rows:
            r["detail"] = "；".join(f"{label}：{r[key]}" for key, label in DETAIL if r.get(key))
    show_records(conn, rows, columns, fmt, reveal, operator, "leave list", "没有符合条件的外出记录")
