"""jindu visit: 谈话, 入户走访, 电话联系, 帮扶 and 评估."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jindu_cli.cli.common import (
    CaseArg, CaseOpt, ListCaseArg, ForceOpt, FromOpt, LimitOpt, ToOpt, added, changed, given,
    person, record_rows, show_records,
)
from jindu_cli.cli.options import (
    AsOfOpt, DbOpt, FormatOpt, Fmt, OperatorOpt, RevealOpt, as_of_date, open_conn, operator_name,
)
from jindu_cli.cli.output import guard

app = typer.Typer(help="走访：谈话、入户走访、电话联系、帮扶、评估。", no_args_is_help=True)

KINDS = "谈话（talk）、入户走访（home-visit）、电话联系（phone）、帮扶（help）、评估（assessment）"
OnOpt = Annotated[Optional[str], typer.Option("--on", help="走访日期（默认今天）", show_default=False)]
KindOpt = Annotated[Optional[str], typer.Option("--kind", help=f"方式：{KINDS}", show_default=False)]
SubKindOpt = Annotated[Optional[str], typer.Option("--sub-kind", help="类别：帮扶写 就业、救助、医疗、心理、法律、其他；评估写 半年小结 或 年度评估", show_default=False)]
OutcomeOpt = Annotated[Optional[str], typer.Option("--outcome", help="结果：当面的走访写 见到本人（默认）、未见到本人、拒绝配合；电话联系写 已接通（默认）、未接通、拒接", show_default=False)]
WorkerOpt = Annotated[Optional[str], typer.Option("--worker", help="走访人（默认：案件的负责专干）", show_default=False)]
PlaceOpt = Annotated[Optional[str], typer.Option("--place", help="地点", show_default=False)]
NotesOpt = Annotated[Optional[str], typer.Option("--notes", help="情况记录", show_default=False)]
PlacedOpt = Annotated[Optional[bool], typer.Option("--placed/--not-placed", help="帮扶的结果：已安置就业（类别为就业的帮扶）", show_default=False)]
AidOpt = Annotated[Optional[str], typer.Option("--aid", help="帮扶的结果：获得救助（类别为救助或医疗的帮扶）。写金额（元，如 800），金额不详写 是，未获得写 否", show_default=False)]
ReferredOpt = Annotated[Optional[str], typer.Option("--referred-to", help="帮扶的结果：转介到的单位，如 区法律援助中心", show_default=False)]

COLUMNS = [("visit_id", "编号"), ("visited_on", "日期"), ("case_id", "案件"), ("name", "姓名"),
           ("id_number", "身份证号"), ("street", "街道"), ("kind", "方式"), ("sub_kind", "类别"),
           ("outcome", "结果"), ("face_to_face", "面对面"), ("worker", "走访人"), ("notes", "情况记录")]


def _help_result(placed: bool | None, aid: str | None, referred_to: str | None) -> dict:
    from jindu_cli.domain import visits

    return given(placed=placed, referred_to=referred_to, **(visits.aid_fields(aid) if aid is not None else {}))


@app.command("add")
@guard
def visit_add(case: CaseArg, on: OnOpt = None, kind: KindOpt = None, sub_kind: SubKindOpt = None,
              outcome: OutcomeOpt = None, worker: WorkerOpt = None, place: PlaceOpt = None,
              notes: NotesOpt = None, placed: PlacedOpt = None, aid: AidOpt = None, referred_to: ReferredOpt = None,
              force: ForceOpt = False, as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
    """记录一次走访；成功时标准输出只打印走访记录的编号。

    例：jindu visit add 12 --kind 入户走访 --on 2026-11-20 --notes 家属配合；
    jindu visit add 12 --kind 帮扶 --sub-kind 救助 --aid 800 --on 2026-11-21
    """
    from jindu_cli.domain import visits

    today = as_of_date(as_of)
    conn = open_conn(db)
    found = person(conn, case)
    raw = given(visited_on=on or today, kind=kind, sub_kind=sub_kind, outcome=outcome, worker=worker,
               place=place, notes=notes) | _help_result(placed, aid, referred_to)
    visit = visits.add_visit(conn, found, raw, today, operator_name(operator), force)
    shown = visit.as_dict()
    result = f"，{shown['help_result']}" if shown["help_result"] else ""
    added(visit.id, f"{found.name} {visit.visited_on} {shown['kind']}，{shown['outcome']}{result}", visit.forced)


@app.command("update")
@guard
def visit_update(visit_id: Annotated[int, typer.Argument(metavar="走访编号", help="走访记录编号（visit list 的第一列）")],
                 on: OnOpt = None, kind: KindOpt = None, sub_kind: SubKindOpt = None,
                 outcome: OutcomeOpt = None, worker: WorkerOpt = None, place: PlaceOpt = None,
                 notes: NotesOpt = None, placed: PlacedOpt = None, aid: AidOpt = None,
                 referred_to: ReferredOpt = None, force: ForceOpt = False, as_of: AsOfOpt = None, db: DbOpt = None,
                 operator: OperatorOpt = None):
    """改正一条走访记录。给空字符串清空一个字段。例：jindu visit update 7 --placed --notes 已在物流公司上岗"""
    from jindu_cli.domain import visits
    from jindu_cli.domain.enums import OUTCOME, SUB_KIND, VISIT_KIND

    today = as_of_date(as_of)
    conn = open_conn(db)
    raw = given(visited_on=on, kind=kind, sub_kind=sub_kind, outcome=outcome, worker=worker, place=place,
               notes=notes) | _help_result(placed, aid, referred_to)
    _, changes = visits.update_visit(conn, visit_id, raw, today, operator_name(operator), force)
    changed(f"走访记录 {visit_id}", changes, visits.LABELS, {"kind": VISIT_KIND, "outcome": OUTCOME, "sub_kind": SUB_KIND})


@app.command("list")
@guard
def visit_list(who: ListCaseArg = None, case: CaseOpt = None,
               street: Annotated[Optional[str], typer.Option("--street", help="只看这个街道", show_default=False)] = None,
               worker: Annotated[Optional[str], typer.Option("--worker", help="只看这位走访人", show_default=False)] = None,
               kind: Annotated[Optional[str], typer.Option("--kind", help=f"只看这种方式：{KINDS}", show_default=False)] = None,
               date_from: FromOpt = None, date_to: ToOpt = None, limit: LimitOpt = None,
               fmt: FormatOpt = Fmt.table, reveal: RevealOpt = False, db: DbOpt = None,
               operator: OperatorOpt = None):
    """列出走访记录，最新的在前。例：jindu visit list --street 盐务街 --from 2026-11-01"""
    from jindu_cli.domain import visits

    conn = open_conn(db)
    rows = record_rows(conn, visits.list_visits, (who, case), date_from, date_to,
                       street=street, worker=worker, kind=kind, limit=limit)
    if fmt is Fmt.table:  # a 帮扶's results beside its outcome (json and csv have them apart: help_result)
        for r in rows:
            r["outcome"] = "，".join(filter(None, (r["outcome"], r["help_result"])))
    show_records(conn, rows, COLUMNS, fmt, reveal, operator, "visit list", "没有符合条件的走访记录")
