"""jindu screen: screening sessions of groups outside the register, and the positives handed to the police."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jindu_cli.cli.common import FromOpt, LimitOpt, ToOpt, added, changed, given
from jindu_cli.cli.fieldwork import (
    CommunityOpt, ListCommunityOpt, ListStreetOpt, ListWorkerOpt, NotesOpt, PlaceOpt, StreetOpt, WorkerOpt,
    listing, record_id, show,
)
from jindu_cli.cli.options import (
    AsOfOpt, DbOpt, FormatOpt, Fmt, OperatorOpt, RevealOpt, as_of_date, open_conn, operator_name,
)
from jindu_cli.cli.output import guard, message

app = typer.Typer(help="筛查：登记表以外的重点群体（娱乐场所从业人员、驾驶员……）的筛查场次，以及阳性人员移交公安。"
                       "登记在册的人员的检测记在他本人名下（jindu test add），不作为筛查。", no_args_is_help=True)

SessionArg = record_id("筛查")
OnOpt = Annotated[Optional[str], typer.Option("--on", help="筛查日期（默认今天）", show_default=False)]
GroupOpt = Annotated[Optional[str], typer.Option("--group", help="筛查对象：娱乐场所从业人员、驾驶员、其他重点人员（选择表见 data/screen_groups.toml）", show_default=False)]
SpecimenOpt = Annotated[Optional[str], typer.Option("--specimen", help="检测样本：尿液、毛发、血液、唾液", show_default=False)]
TestedOpt = Annotated[Optional[str], typer.Option("--tested", help="筛查人数", show_default=False)]
PositivesOpt = Annotated[Optional[str], typer.Option("--positives", help="阳性人数（默认 0）", show_default=False)]
OrganiserOpt = Annotated[Optional[str], typer.Option("--organiser", help="组织单位，如 盐务街派出所", show_default=False)]

# (the organiser, the longest text, last, where a terminal lets it run on under its row)
COLUMNS = [("screening_id", "编号"), ("screened_on", "日期"), ("street", "街道"), ("screened_group", "筛查对象"),
           ("specimen", "样本"), ("place", "地点"), ("tested", "人数"), ("positives", "阳性"), ("referred", "已移交"),
           ("worker", "专干"), ("organiser", "组织单位")]
REFERRAL_COLUMNS = [("referral_id", "编号"), ("screening_id", "筛查"), ("screened_on", "筛查日期"), ("street", "街道"),
                    ("screened_group", "筛查对象"), ("name", "姓名"), ("id_number", "身份证号"),
                    ("referred_on", "移交日期"), ("police_unit", "接收单位"), ("case_id", "已登记为案件")]


def _raw(on, street, community, place, group, specimen, tested, positives, organiser, worker, notes) -> dict:
    return given(screened_on=on, street=street, community=community, place=place, screened_group=group,
                 specimen=specimen, tested=tested, positives=positives, organiser=organiser, worker=worker,
                 notes=notes)


@app.command("add")
@guard
def screen_add(group: GroupOpt = None, on: OnOpt = None, street: StreetOpt = None, specimen: SpecimenOpt = None,
               tested: TestedOpt = None, positives: PositivesOpt = None, place: PlaceOpt = None,
               community: CommunityOpt = None, organiser: OrganiserOpt = None, worker: WorkerOpt = None,
               notes: NotesOpt = None, as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
    """记录一场筛查（人数和阳性数，不登记被筛查的人）；成功时标准输出只打印筛查的编号。

    例：jindu screen add --group 驾驶员 --on 2026-11-06 --street 盐务街 --specimen 毛发 --tested 120 --positives 1
    --place 客运站 --organiser 盐务街派出所
    """
    from jindu_cli.domain import screenings
    from jindu_cli.domain.enums import SPECIMEN

    today = as_of_date(as_of)
    conn = open_conn(db)
    raw = _raw(on or today, street, community, place, group, specimen, tested, positives, organiser, worker, notes)
    made = screenings.add_screening(conn, raw, today, operator_name(operator))
    added(made.id, f"{made.screened_on} {made.street} {made.screened_group}{SPECIMEN.label(made.specimen)}筛查 "
                   f"{made.tested} 人，阳性 {made.positives} 人")
    if made.positives:
        message(f"阳性人员移交公安后逐一记录：jindu screen refer {made.id} --id 身份证号 --name 姓名")


@app.command("update")
@guard
def screen_update(screening_id: SessionArg, group: GroupOpt = None, on: OnOpt = None, street: StreetOpt = None,
                  specimen: SpecimenOpt = None, tested: TestedOpt = None, positives: PositivesOpt = None,
                  place: PlaceOpt = None, community: CommunityOpt = None, organiser: OrganiserOpt = None,
                  worker: WorkerOpt = None, notes: NotesOpt = None, as_of: AsOfOpt = None, db: DbOpt = None,
                  operator: OperatorOpt = None):
    """改正一场筛查的记录（记入审计）。给空字符串清空一个字段。例：jindu screen update 2 --positives 2"""
    from jindu_cli.domain import screenings
    from jindu_cli.domain.enums import SPECIMEN

    today = as_of_date(as_of)
    conn = open_conn(db)
    raw = _raw(on, street, community, place, group, specimen, tested, positives, organiser, worker, notes)
    _, changes = screenings.update_screening(conn, screening_id, raw, today, operator_name(operator))
    changed(f"筛查记录 {screening_id}", changes, screenings.LABELS, {"specimen": SPECIMEN})


@app.command("list")
@guard
def screen_list(street: ListStreetOpt = None, community: ListCommunityOpt = None, worker: ListWorkerOpt = None,
                group: Annotated[Optional[str], typer.Option("--group", help="只看这个筛查对象", show_default=False)] = None,
                date_from: FromOpt = None, date_to: ToOpt = None, limit: LimitOpt = None,
                fmt: FormatOpt = Fmt.table, db: DbOpt = None):
    """列出筛查场次，最新的在前，表下合计。例：jindu screen list --from 2026-11 --group 驾驶员"""
    from jindu_cli.domain import screenings

    rows = listing(screenings.list_screenings, open_conn(db), date_from, date_to, street=street,
                   community=community, worker=worker, group=group, limit=limit)
    caption = (f"共 {len(rows)} 场\n筛查 {sum(r['tested'] for r in rows)} 人，阳性 {sum(r['positives'] for r in rows)} 人，"
               f"已移交公安 {sum(r['referred'] for r in rows)} 人")
    show(rows, COLUMNS, fmt, caption, "没有符合条件的筛查记录")


@app.command("refer")
@guard
def screen_refer(screening_id: SessionArg,
                 id_number: Annotated[Optional[str], typer.Option("--id", "--id-number", help="阳性人员的身份证号", show_default=False)] = None,
                 name: Annotated[Optional[str], typer.Option("--name", help="阳性人员的姓名", show_default=False)] = None,
                 on: Annotated[Optional[str], typer.Option("--on", help="移交日期（默认筛查那天）", show_default=False)] = None,
                 police_unit: Annotated[Optional[str], typer.Option("--police-unit", help="接收的公安机关，如 盐务街派出所", show_default=False)] = None,
                 notes: NotesOpt = None, as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
    """记录筛查中的一名阳性人员已移交公安（只记这个人的姓名和身份证号；显示时脱敏，记入审计）。

    登记表里的人员不在此列：他们的检测记在本人名下（jindu test add）。以后用 jindu case add 登记这个人时，
    会提示并关联这条移交记录。例：jindu screen refer 2 --id 520103199001011236 --name 王某 --police-unit 盐务街派出所
    """
    from jindu_cli.cli.usage import missing
    from jindu_cli.domain import screenings
    from jindu_cli.domain.dates import parse_date
    from jindu_cli.domain.ids import mask_id

    missing([option for option, value in {"--id": id_number, "--name": name}.items() if not (value or "").strip()],
            f"；例：jindu screen refer {screening_id} --id 520103199001011236 --name 王某")
    today = as_of_date(as_of)
    conn = open_conn(db)
    raw = {"id_number": id_number, "name": name, "referred_on": parse_date(on, "--on") if on else None,
           "police_unit": police_unit, "notes": notes}
    made = screenings.refer(conn, screening_id, raw, today, operator_name(operator))
    unit = f"，{made['police_unit']}" if made["police_unit"] else ""
    added(made["referral_id"], f"{made['name']}（{mask_id(made['id_number'])}）筛查 #{screening_id} 阳性，"
                               f"{made['referred_on']} 移交公安{unit}")


@app.command("refer-update")
@guard
def screen_refer_update(referral_id: Annotated[int, typer.Argument(metavar="移交编号", help="移交记录的编号（screen referrals 的第一列）")],
                        id_number: Annotated[Optional[str], typer.Option("--id", "--id-number", help="改正身份证号", show_default=False)] = None,
                        name: Annotated[Optional[str], typer.Option("--name", help="改正姓名", show_default=False)] = None,
                        on: Annotated[Optional[str], typer.Option("--on", help="改正移交日期", show_default=False)] = None,
                        police_unit: Annotated[Optional[str], typer.Option("--police-unit", help="改正接收的公安机关", show_default=False)] = None,
                        notes: NotesOpt = None, as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
    """改正一条移交记录：姓名、身份证号写错了，移交日期或接收单位不对（记入审计）。给空字符串清空接收单位或备注。

    例：jindu screen refer-update 3 --name 王某某
    """
    from jindu_cli.domain import screenings
    from jindu_cli.domain.dates import parse_date
    from jindu_cli.domain.ids import mask_id

    today = as_of_date(as_of)
    conn = open_conn(db)
    raw = {"id_number": id_number, "name": name, "referred_on": parse_date(on, "--on") if on else None,
           "police_unit": police_unit, "notes": notes}
    _, changes = screenings.update_referral(conn, referral_id, raw, today, operator_name(operator))
    shown = {k: [mask_id(v) if k == "id_number" and v else v for v in pair] for k, pair in changes.items()}
    changed(f"移交记录 {referral_id}", shown, screenings.REFERRAL_LABELS)


@app.command("referrals")
@guard
def screen_referrals(screening_id: Annotated[Optional[int], typer.Argument(metavar="[筛查编号]", help="只看这场筛查的", show_default=False)] = None,
                     street: ListStreetOpt = None, date_from: FromOpt = None, date_to: ToOpt = None,
                     limit: LimitOpt = None, fmt: FormatOpt = Fmt.table, reveal: RevealOpt = False,
                     db: DbOpt = None, operator: OperatorOpt = None):
    """列出筛查中移交公安的阳性人员，最新的在前；身份证号脱敏，--reveal 显示完整（记入审计）。"""
    from jindu_cli.cli.output import emit
    from jindu_cli.domain import screenings

    conn = open_conn(db)
    rows = listing(screenings.referrals, conn, date_from, date_to, screening_id=screening_id, street=street,
                   limit=limit)
    if reveal and rows:
        screenings.record_reveal(conn, operator_name(operator), "screen referrals", [r["referral_id"] for r in rows])
    emit(rows, REFERRAL_COLUMNS, fmt.value, reveal=reveal, caption=f"共 {len(rows)} 人" if rows else None)
    if not rows:
        message("没有符合条件的移交记录")
