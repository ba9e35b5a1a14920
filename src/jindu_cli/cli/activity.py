"""jindu activity: 禁毒宣传 and 入户调查 (毒情摸排)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jindu_cli.cli.common import FromOpt, LimitOpt, ToOpt, added, changed, given
from jindu_cli.cli.fieldwork import (
    CommunityOpt, ListCommunityOpt, ListStreetOpt, ListWorkerOpt, NotesOpt, PlaceOpt, StreetOpt, WorkerOpt,
    listing, record_id, show,
)
from jindu_cli.cli.options import AsOfOpt, DbOpt, FormatOpt, Fmt, OperatorOpt, as_of_date, open_conn, operator_name
from jindu_cli.cli.output import guard

app = typer.Typer(help="禁毒宣传和入户调查（毒情摸排）：记录、列出、改正。", no_args_is_help=True)

KINDS = "进校园、进企业、进社区、广场宣传、宣传栏、知识问答、开学第一课、国际禁毒日……（宣传）；入户调查、毒情摸排（入户调查）"
OnOpt = Annotated[Optional[str], typer.Option("--on", help="日期（默认今天）", show_default=False)]
KindOpt = Annotated[Optional[str], typer.Option("--kind", help=f"活动类别：{KINDS}；选择表见 data/activity_kinds.toml", show_default=False)]
TitleOpt = Annotated[Optional[str], typer.Option("--title", help="活动名称，如 “6·26”国际禁毒日集中宣传；名称里有类别时可不给 --kind", show_default=False)]
AudienceOpt = Annotated[Optional[list[str]], typer.Option("--audience", help="宣传对象，可重复或用顿号分隔：学生、居民、企业职工、干部职工、娱乐场所从业人员……", show_default=False)]
ParticipantsOpt = Annotated[Optional[str], typer.Option("--participants", help="参加人数（宣传）", show_default=False)]
MaterialsOpt = Annotated[Optional[str], typer.Option("--materials", help="发放资料份数", show_default=False)]
HouseholdsOpt = Annotated[Optional[str], typer.Option("--households", help="入户户数（入户调查）", show_default=False)]
CluesOpt = Annotated[Optional[str], typer.Option("--clues", help="发现的涉毒线索条数（入户调查）", show_default=False)]
ReferredOpt = Annotated[Optional[str], typer.Option("--clues-referred", help="其中移交公安的条数", show_default=False)]
ActivityArg = record_id("活动")
PartnersOpt = Annotated[Optional[str], typer.Option("--partners", help="合作单位，如 云岩区禁毒办、盐务街派出所", show_default=False)]

# (the category follows from the kind, and the clues handed over are in the caption: json and csv have
# both; the name, the longest text, last, where a terminal lets it run on under its row)
COLUMNS = [("activity_id", "编号"), ("held_on", "日期"), ("street", "街道"), ("kind", "活动类别"), ("place", "地点"),
           ("audience", "对象"), ("participants", "人数"), ("materials", "资料"), ("households", "户数"),
           ("clues", "线索"), ("worker", "专干"), ("title", "活动名称")]


def _raw(on, kind, title, street, community, place, audience, participants, materials, households, clues,
         clues_referred, partners, worker, notes) -> dict:
    return given(held_on=on, kind=kind, title=title, street=street, community=community, place=place,
                 audience=audience if audience != [] else None, participants=participants, materials=materials,
                 households=households, clues=clues, clues_referred=clues_referred, partners=partners,
                 worker=worker, notes=notes)


@app.command("add")
@guard
def activity_add(kind: KindOpt = None, on: OnOpt = None, street: StreetOpt = None, title: TitleOpt = None,
                 community: CommunityOpt = None, place: PlaceOpt = None, audience: AudienceOpt = None,
                 participants: ParticipantsOpt = None, materials: MaterialsOpt = None,
                 households: HouseholdsOpt = None, clues: CluesOpt = None, clues_referred: ReferredOpt = None,
                 partners: PartnersOpt = None, worker: WorkerOpt = None, notes: NotesOpt = None,
                 as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
    """记录一次禁毒宣传或入户调查；成功时标准输出只打印活动的编号。

    例：jindu activity add --kind 进校园 --on 2026-11-12 --street 盐务街 --place 盐务街小学 --audience 学生
    --participants 320 --materials 400；jindu activity add --kind 入户调查 --on 2026-11-20 --street 盐务街
    --households 45 --clues 1 --clues-referred 1
    """
    from jindu_cli.domain import activities

    today = as_of_date(as_of)
    conn = open_conn(db)
    raw = _raw(on or today, kind, title, street, community, place, audience, participants, materials, households,
               clues, clues_referred, partners, worker, notes)
    made = activities.add_activity(conn, raw, today, operator_name(operator))
    category = activities.CATEGORY.label(made.category)
    added(made.id, f"{made.held_on} {made.street} {made.kind}" + (f"（{category}）" if category != made.kind else ""))


@app.command("update")
@guard
def activity_update(activity_id: ActivityArg, kind: KindOpt = None, on: OnOpt = None,
                    street: StreetOpt = None, title: TitleOpt = None, community: CommunityOpt = None,
                    place: PlaceOpt = None, audience: AudienceOpt = None, participants: ParticipantsOpt = None,
                    materials: MaterialsOpt = None, households: HouseholdsOpt = None, clues: CluesOpt = None,
                    clues_referred: ReferredOpt = None, partners: PartnersOpt = None, worker: WorkerOpt = None,
                    notes: NotesOpt = None, as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
    """改正一条活动记录（记入审计）。给空字符串清空一个字段。例：jindu activity update 3 --participants 350"""
    from jindu_cli.domain import activities

    today = as_of_date(as_of)
    conn = open_conn(db)
    raw = _raw(on, kind, title, street, community, place, audience, participants, materials, households, clues,
               clues_referred, partners, worker, notes)
    _, changes = activities.update_activity(conn, activity_id, raw, today, operator_name(operator))
    changed(f"活动记录 {activity_id}", changes, activities.LABELS, {"category": activities.CATEGORY})


@app.command("list")
@guard
def activity_list(street: ListStreetOpt = None, community: ListCommunityOpt = None, worker: ListWorkerOpt = None,
                  kind: Annotated[Optional[str], typer.Option("--kind", help="只看这个活动类别", show_default=False)] = None,
                  category: Annotated[Optional[str], typer.Option("--category", help="只看宣传或入户调查", show_default=False)] = None,
                  date_from: FromOpt = None, date_to: ToOpt = None, limit: LimitOpt = None,
                  fmt: FormatOpt = Fmt.table, db: DbOpt = None):
    """列出禁毒宣传和入户调查，最新的在前，表下合计。例：jindu activity list --street 盐务街 --from 2026-11"""
    from jindu_cli.domain import activities

    rows = listing(activities.list_activities, open_conn(db), date_from, date_to, street=street,
                   community=community, worker=worker, kind=kind, category=category, limit=limit)
    show(rows, COLUMNS, fmt, _caption(rows), "没有符合条件的活动记录")


def _caption(rows: list[dict]) -> str:
    def total(key: str, category: str) -> int:
        return sum(r[key] or 0 for r in rows if r["category"] == category)

    publicity = sum(r["category"] == "宣传" for r in rows)
    return (f"共 {len(rows)} 条\n宣传 {publicity} 场，参加 {total('participants', '宣传')} 人次，"
            f"发放资料 {total('materials', '宣传') + total('materials', '入户调查')} 份\n"
            f"入户调查 {len(rows) - publicity} 次，{total('households', '入户调查')} 户，"
            f"线索 {total('clues', '入户调查')} 条（移交公安 {total('clues_referred', '入户调查')} 条）")
