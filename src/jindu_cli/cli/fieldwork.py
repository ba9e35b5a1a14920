"""What jindu activity and jindu screen share: the options of a record that belongs to a street
rather than to a person, and how its listing and its changes are shown."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jindu_cli.cli.output import message

StreetOpt = Annotated[Optional[str], typer.Option("--street", help="街道，可写简称（盐务街 = 盐务街街道）", show_default=False)]
CommunityOpt = Annotated[Optional[str], typer.Option("--community", help="社区", show_default=False)]
PlaceOpt = Annotated[Optional[str], typer.Option("--place", help="地点", show_default=False)]
WorkerOpt = Annotated[Optional[str], typer.Option("--worker", help="专干（jindu doc worker-ledger 按这一项列入专干的台账）",
                                                  show_default=False)]
NotesOpt = Annotated[Optional[str], typer.Option("--notes", help="备注", show_default=False)]
ListStreetOpt = Annotated[Optional[str], typer.Option("--street", help="只看这个街道", show_default=False)]
ListCommunityOpt = Annotated[Optional[str], typer.Option("--community", help="只看这个社区", show_default=False)]
ListWorkerOpt = Annotated[Optional[str], typer.Option("--worker", help="只看这位专干的", show_default=False)]


def record_id(noun: str):
    """The argument naming one record of a listing, by its number."""
    return Annotated[int, typer.Argument(metavar=f"{noun}编号", help=f"{noun}记录的编号（{noun}列表的第一列）")]


def listing(listed, conn, date_from: str | None, date_to: str | None, **choice) -> list[dict]:
    """The rows of a domain listing of street records, for --from, --to and its own options."""
    from jindu_cli.cli.common import dates_between

    start, end = dates_between(date_from, date_to)
    return listed(conn, date_from=start, date_to=end, **choice)


def show(rows: list[dict], columns, fmt, caption: str | None, empty: str) -> None:
    from jindu_cli.cli.output import emit

    emit(rows, columns, fmt.value, caption=caption if rows else None)
    if not rows:
        message(empty)


def tell_referrals(conn, case, operator: str | None) -> None:
    """After `case add`: the screenings that handed this person to the police, linked to the case."""
    from jindu_cli.cli.options import operator_name
    from jindu_cli.domain import screenings

    for r in screenings.link_new_case(conn, case, operator_name(operator)):
        message(f"注意：{case.name} 曾在 {r['screened_on']} {r['street']}的{r['screened_group']}筛查中阳性，"
                f"{r['referred_on']} 移交公安（筛查 #{r['screening_id']}，移交记录 #{r['referral_id']}）；"
                f"已把这条移交记录关联到案件 {case.id}")
