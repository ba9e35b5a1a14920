"""Small pieces several command groups print the same way."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jindu_cli.cli.output import message

# How a clerk names one person (domain.find.parse_person): a bare number is always the case number.
PERSON_HELP = "案件编号（数字，如 12）、完整身份证号、尾号四位（如 尾号1232，身份证号的最后四位）、姓名或拼音"
CaseArg = Annotated[str, typer.Argument(metavar="人员", help=PERSON_HELP)]
# a listing of one person's records takes the person as `add` does (visit list 12), or as --case
ListCaseArg = Annotated[Optional[str], typer.Argument(metavar="[人员]", help=f"只看这个人：{PERSON_HELP}",
                                                      show_default=False)]
CaseOpt = Annotated[Optional[str], typer.Option("--case", metavar="人员", help="同上，写成选项（旧的写法）",
                                                show_default=False)]
ForceOpt = Annotated[bool, typer.Option("--force", help="日期不在措施期内（未报到、期满后、中止期间、已结案）也照样记录；会记入审计")]
FromOpt = Annotated[Optional[str], typer.Option("--from", help="从这天起（含）；给月份（2026-03）或年份（2026）时从它的第一天起",
                                                show_default=False)]
ToOpt = Annotated[Optional[str], typer.Option("--to", help="到这天止（含）；给月份或年份时到它的最后一天", show_default=False)]
MAX_LIMIT = 2**63 - 1  # what SQLite's LIMIT takes (a 64-bit integer)


def _limit(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_LIMIT:
        raise typer.BadParameter("必须大于 0" if value < 1 else f"最多 {MAX_LIMIT} 条")
    return value


LimitOpt = Annotated[Optional[int], typer.Option("--limit", help="最多显示多少条", show_default=False,
                                                 callback=_limit)]


FORCED = "（已按 --force 记录在措施期外）"


def person(conn, ref: str):
    """The one case a clerk's reference means (domain.find.parse_person), or an error naming why."""
    from jindu_cli.domain import find

    return find.find_case(conn, ref)


def record_rows(conn, listing, who: tuple[str | None, str | None], date_from: str | None, date_to: str | None,
                **options) -> list[dict]:
    """The rows `listing` (a domain list_* of records) gives for the person (given as the listing's
    argument or as --case: not two different people), --from, --to and its own options."""
    found = {person(conn, ref).id for ref in who if ref}
    if len(found) > 1:
        from jindu_cli.errors import InvalidInput

        raise InvalidInput("人员", f"给了两个人（“{who[0]}”和 --case “{who[1]}”）；只给一个")
    start, end = dates_between(date_from, date_to)
    return listing(conn, case_id=found.pop() if found else None, date_from=start, date_to=end, **options)


def added(record_id: int, what: str, forced: bool = False) -> None:
    """After an add: the new record's number alone on stdout (for scripts), what was recorded on stderr."""
    print(record_id)
    message(f"已记录：{what}{FORCED if forced else ''}")


def changed(what: str, changes: dict, labels: dict, enums: dict | None = None) -> bool:
    """After an update: each field changed (the values of `enums`' fields by their labels), or that
    nothing did. Whether anything changed."""
    if not changes:
        message(f"{what} 没有变化")
        return False

    def shown(key, value):
        enum = (enums or {}).get(key)
        return enum.label(value) if enum else value

    print_changes(f"已修改{what}：", changes, labels, shown)
    return True


def print_changes(title: str, changes: dict, labels: dict, shown=None) -> None:
    """`title` then one line per changed field: label: old → new. `shown(key, value)` formats."""
    from jindu_cli.cli.output import cell

    message(title)
    for key, (old, new) in changes.items():
        if shown is not None:
            old, new = shown(key, old), shown(key, new)
        message(f"  {labels.get(key, key)}：{cell(old) or '（空）'} → {cell(new) or '（空）'}")


def warn_flags(conn, case, as_of, record: tuple[str, int] | None = None) -> None:
    """After a write: name the consequences not yet reported to the police, those resting on
    `record` (entity, id) when one is given."""
    from jindu_cli.domain import flags

    for flag in flags.case_flags(conn, case, as_of):
        if record is not None and record not in [(e.entity, e.record_id) for e in flag.evidence]:
            continue
        if flag.open:
            message(f"注意：{case.name}（案件 {case.id}）{flag.label}：{flag.reason}。{flag_next_step(case.id, flag)}")


def flag_next_step(case_id: int, flag) -> str:
    """What answers an open flag, and the command that records it."""
    if flag.for_police:
        return f"应及时报告公安，报告后记录：jindu case police-report {case_id} --on 日期"
    if flag.kind == "hair_unconfirmed":
        test = flag.evidence[0].record_id
        return (f"请核实：认定复吸 jindu test review {test} --confirm；"
                f"排除 jindu test review {test} --dismiss --reason 理由")
    leave = flag.evidence[0].record_id
    return (f"请销假：jindu leave close {leave} --on 返回日期；"
            f"如属擅自离开：jindu leave close {leave} --on 返回日期 --unreported")


def dates_between(date_from: str | None, date_to: str | None):
    """--from and --to: dates, or a month or year from its first day to its last."""
    from jindu_cli.domain.dates import parse_bound
    from jindu_cli.errors import InvalidInput

    start, end = parse_bound(date_from, "--from", last=False), parse_bound(date_to, "--to", last=True)
    if start and end and end < start:
        raise InvalidInput("--to", f"{end} 早于 --from {start}")
    return start, end


def given(**values) -> dict:
    """Only the options the clerk gave; "" means clear the field."""
    return {k: v for k, v in values.items() if v is not None}


def show_records(conn, rows: list[dict], columns, fmt, reveal: bool, operator: str | None, command: str,
                 empty: str) -> None:
    """A listing of records that belong to cases: reveals audited, a count under the table."""
    from jindu_cli.cli.options import operator_name
    from jindu_cli.cli.output import emit
    from jindu_cli.domain import cases

    if reveal and rows:
        cases.record_reveal(conn, operator_name(operator), command, [r["case_id"] for r in rows])
    emit(rows, columns, fmt.value, reveal=reveal, caption=f"共 {len(rows)} 条" if rows else None)
    if not rows:
        message(empty)
