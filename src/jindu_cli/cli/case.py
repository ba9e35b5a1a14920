"""jindu case: the register of people under 社区戒毒 and 社区康复."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jindu_cli.cli.options import (
    AsOfOpt, DbOpt, FormatOpt, Fmt, OperatorOpt, RevealOpt, as_of_date, open_conn, operator_name,
)
from jindu_cli.cli.common import CaseArg, LimitOpt, ListCaseArg, person, print_changes, warn_flags
from jindu_cli.cli.fieldwork import tell_referrals
from jindu_cli.cli.output import emit, emit_record, guard, message

app = typer.Typer(help="案件登记：登记、查找、查看和修改社区戒毒、社区康复人员。", no_args_is_help=True)

MEASURES = "社区戒毒（community-treatment，期限 36 个月）或 社区康复（community-rehab）"
STATUSES = ("未报到（pending）、在执行（active）、中止（suspended）、终止（terminated）、期满解除（released）、死亡（deceased）、"
            "戒断三年未复吸（clean）")
SEARCH_HELP = ("查找：姓名、拼音或首字母（zhangwei、zw）、尾号1232、身份证号；"
               "一串数字找这个编号的案件，以及身份证号以它结尾（四位）或含有它（五位以上）的人")
DATE_HINT = "年份在前，如 2026-03-05、2026/3/5、2026年3月5日、20260305"

IdOpt = Annotated[Optional[str], typer.Option("--id", "--id-number", help="身份证号（18 位；旧的 15 位自动升级，x 按 X）", show_default=False)]
NameOpt = Annotated[Optional[str], typer.Option("--name", help="姓名", show_default=False)]
SexOpt = Annotated[Optional[str], typer.Option("--sex", help="性别：男/女。可不填：由身份证号得出，填了就必须一致", show_default=False)]
BirthOpt = Annotated[Optional[str], typer.Option("--birth-date", help="出生日期。可不填：由身份证号得出，填了就必须一致", show_default=False)]
PhoneOpt = Annotated[Optional[str], typer.Option("--phone", help="联系电话", show_default=False)]
HukouOpt = Annotated[Optional[str], typer.Option("--household-address", help="户籍地", show_default=False)]
ResidenceOpt = Annotated[Optional[str], typer.Option("--residence-address", help="居住地", show_default=False)]
StreetOpt = Annotated[Optional[str], typer.Option("--street", help="执行地街道，可写简称（盐务街 = 盐务街街道）", show_default=False)]
CommunityOpt = Annotated[Optional[str], typer.Option("--community", help="社区", show_default=False)]
MeasureOpt = Annotated[Optional[str], typer.Option("--measure", help=f"措施：{MEASURES}", show_default=False)]
MonthsOpt = Annotated[Optional[str], typer.Option("--term-months", help="期限（月）。社区戒毒固定 36；社区康复按决定书填写，最多 36", show_default=False)]
AuthorityOpt = Annotated[Optional[str], typer.Option("--decision-authority", help="决定机关，如 贵阳市公安局云岩分局", show_default=False)]
NumberOpt = Annotated[Optional[str], typer.Option("--decision-number", help="决定书文号", show_default=False)]
DecidedOpt = Annotated[Optional[str], typer.Option("--decided-on", help=f"决定日期（{DATE_HINT}）", show_default=False)]
ReceivedOpt = Annotated[Optional[str], typer.Option("--received-on", help="收到决定书日期：报到期限从这天起算 15 天", show_default=False)]
ReportedOpt = Annotated[Optional[str], typer.Option("--reported-on", help="报到日期：期限从这天起算；填了即为在执行", show_default=False)]
AgreementOpt = Annotated[Optional[str], typer.Option("--agreement-on", help="协议签订日期", show_default=False)]
RiskOpt = Annotated[Optional[str], typer.Option("--risk", help="风险等级：高（high）、中（medium）、低（low）。新登记默认 中", show_default=False)]
ColorOpt = Annotated[Optional[str], typer.Option("--risk-color", help="风险颜色标签（可选）：红、橙、黄、蓝、绿", show_default=False)]
DrugOpt = Annotated[Optional[list[str]], typer.Option("--drug", help="毒品种类，可重复或用顿号分隔：海洛因、冰毒、氯胺酮……不在选择表里的照写", show_default=False)]
WorkerOpt = Annotated[Optional[str], typer.Option("--worker", help="负责专干", show_default=False)]
NotesOpt = Annotated[Optional[str], typer.Option("--notes", help="备注", show_default=False)]

LIST_COLUMNS = [
    ("case_id", "编号"), ("name", "姓名"), ("id_number", "身份证号"), ("sex", "性别"),
    ("street", "街道"), ("community", "社区"), ("measure", "措施"), ("status", "状态"),
    ("risk_level", "风险"), ("reported_on", "报到日期"), ("term_end", "期满日期"),
    ("days_left", "剩余天数"), ("worker", "专干"),
]
SHOW_LABELS = [
    ("case_id", "案件编号"), ("name", "姓名"), ("id_number", "身份证号"), ("sex", "性别"),
    ("birth_date", "出生日期"), ("phone", "联系电话"), ("household_address", "户籍地"),
    ("residence_address", "居住地"), ("street", "街道"), ("community", "社区"),
    ("measure", "措施"), ("term_months", "期限（月）"), ("status", "状态"),
    ("risk_level", "风险等级"), ("risk_color", "风险颜色"), ("drugs", "毒品种类"),
    ("decision_authority", "决定机关"), ("decision_number", "决定书文号"),
    ("decided_on", "决定日期"), ("received_on", "收到决定书日期"),
    ("report_deadline", "报到期限"), ("report_overdue", "逾期未报到"),
    ("reported_on", "报到日期"), ("reported_late", "逾期报到"), ("agreement_on", "协议签订日期"),
    ("term_start", "期限开始"), ("term_end", "期满日期"), ("term_end_overridden", "期满日期经人工调整"),
    ("suspended_days", "中止天数"), ("days_left", "剩余天数"), ("worker", "负责专干"),
    ("test_every", "个案尿检间隔"), ("late_reason", "逾期报到理由"), ("notes", "备注"),
]


def _raw_fields(**given) -> dict:
    """Only what the clerk typed; "" means clear the field."""
    return {k: v for k, v in given.items() if v is not None}


@app.command("add")
@guard
def case_add(
    id_number: IdOpt = None, name: NameOpt = None, sex: SexOpt = None, birth_date: BirthOpt = None,
    phone: PhoneOpt = None, household_address: HukouOpt = None, residence_address: ResidenceOpt = None,
    street: StreetOpt = None, community: CommunityOpt = None, measure: MeasureOpt = None,
    term_months: MonthsOpt = None, decision_authority: AuthorityOpt = None,
    decision_number: NumberOpt = None, decided_on: DecidedOpt = None, received_on: ReceivedOpt = None,
    reported_on: ReportedOpt = None, agreement_on: AgreementOpt = None, risk: RiskOpt = None,
    risk_color: ColorOpt = None, drug: DrugOpt = None, worker: WorkerOpt = None, notes: NotesOpt = None,
    as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None,
):
    """登记一个新案件；成功时标准输出只打印新案件的编号。

    必填：--id、--name、--street、--measure（社区康复还要 --term-months）。

    例：jindu case add --id 520103199001011236 --name 张伟 --street 盐务街 --measure 社区戒毒
    --received-on 2026-11-02 --reported-on 2026-11-10 --worker 李芳 --drug 冰毒
    """
    from jindu_cli.domain import cases

    from jindu_cli.cli.usage import missing

    given = {"--id": id_number, "--name": name, "--street": street, "--measure": measure}
    missing([option for option, value in given.items() if not (value or "").strip()],
            "；例：jindu case add --id 520103199001011236 --name 张伟 --street 盐务街 --measure 社区戒毒")
    raw = _raw_fields(
        id_number=id_number, name=name, sex=sex, birth_date=birth_date, phone=phone,
        household_address=household_address, residence_address=residence_address, street=street,
        community=community, measure=measure, term_months=term_months,
        decision_authority=decision_authority, decision_number=decision_number,
        decided_on=decided_on, received_on=received_on, reported_on=reported_on,
        agreement_on=agreement_on, risk_level=risk, risk_color=risk_color, drugs=drug,
        worker=worker, notes=notes,
    )
    today = as_of_date(as_of)
    conn = open_conn(db)
    case = cases.add_case(conn, raw, today, operator_name(operator))
    print(case.id)
    status = "在执行" if case.status == "active" else "未报到"
    message(f"已登记：{case.name}（案件 {case.id}，{case.street}，{status}）")
    tell_referrals(conn, case, operator)
    _region_warning(case.id_number)
    if not case.received_on and not case.reported_on:
        message("提示：没有收到决定书日期和报到日期，无法计算报到期限；知道后请用 jindu case update 补上")


@app.command("list")
@guard
def case_list(
    street: Annotated[Optional[str], typer.Option("--street", help="只看这个街道（可写简称）", show_default=False)] = None,
    community: Annotated[Optional[str], typer.Option("--community", help="只看这个社区", show_default=False)] = None,
    status: Annotated[Optional[str], typer.Option("--status", help=f"只看这个状态：{STATUSES}，或 期满待解除（期限已过、尚未办理期满解除）", show_default=False)] = None,
    measure: Annotated[Optional[str], typer.Option("--measure", help=f"只看这个措施：{MEASURES}", show_default=False)] = None,
    worker: Annotated[Optional[str], typer.Option("--worker", help="只看这位专干负责的", show_default=False)] = None,
    risk: Annotated[Optional[str], typer.Option("--risk", help="只看这个风险等级：高、中、低", show_default=False)] = None,
    search: Annotated[Optional[str], typer.Option("--search", "-q", help=SEARCH_HELP, show_default=False)] = None,
    sort: Annotated[str, typer.Option("--sort", help="排序：id、name、street、reported、risk、worker")] = "id",
    limit: LimitOpt = None,
    fmt: FormatOpt = Fmt.table, reveal: RevealOpt = False, as_of: AsOfOpt = None,
    db: DbOpt = None, operator: OperatorOpt = None,
):
    """列出案件，可按街道、状态、措施、专干、风险筛选，按姓名、拼音、编号或身份证号查找。

    例：jindu case list --street 盐务街 --status 在执行；jindu case list -q zw
    """
    from jindu_cli.domain import cases, find

    today = as_of_date(as_of)
    conn = open_conn(db)
    found = find.list_cases(conn, street=street, community=community, status=status, measure=measure,
                             worker=worker, risk=risk, search=search, sort=sort, limit=limit, as_of=today)
    if reveal and found:
        cases.record_reveal(conn, operator_name(operator), "case list", [c.id for c in found])
    rows = [c.as_dict(today) for c in found]
    emit(rows, LIST_COLUMNS, fmt.value, reveal=reveal, caption=f"共 {len(rows)} 人" if rows else None)
    if not rows:
        message("没有符合条件的案件")


@app.command("show")
@guard
def case_show(
    case: CaseArg,
    fmt: FormatOpt = Fmt.table, reveal: RevealOpt = False, as_of: AsOfOpt = None,
    db: DbOpt = None, operator: OperatorOpt = None,
):
    """查看一个案件的全部信息，以及据此算出的期限、报到期限和剩余天数。

    例：jindu case show 12（案件编号）；jindu case show 尾号1232（身份证号的最后四位）；jindu case show 张伟
    """
    from jindu_cli.domain import cases

    from jindu_cli.domain import find, flags, timeline

    today = as_of_date(as_of)
    conn = open_conn(db)
    found = find.find_case(conn, case)
    if reveal:
        cases.record_reveal(conn, operator_name(operator), "case show", [found.id])
    record = found.as_dict(today)
    record["flags"] = [f.as_dict() for f in flags.case_flags(conn, found, today)]
    record["timeline"] = timeline.build(conn, found, today)
    if fmt is not Fmt.table:
        emit_record(record, SHOW_LABELS, fmt.value, reveal=reveal)
        return
    shown = dict(record)
    if shown.get("test_every"):  # in words on the screen (1 个月); csv and json keep the notation (1m)
        from jindu_cli.domain.rules import parse_interval

        shown["test_every"] = f"{parse_interval(shown['test_every'], '个案尿检间隔').words}（{shown['test_every']}）"
    emit_record(shown, SHOW_LABELS, "table", reveal=reveal, title=f"{found.name}（案件 {found.id}）  按 {today} 计算")
    if record["flags"]:
        screen = _on_screen()
        emit([_flag_row(f, today, screen) for f in record["flags"]], FLAG_SCREEN if screen else FLAG_COLUMNS, "table",
             title="标记")
    if record["timeline"]:
        emit(record["timeline"], [("on", "日期"), ("type", "类别"), ("record_id", "编号"), ("text", "内容")],
             "table", title="经过（最新的在前）")


# a flag in a file or a pipe: each thing in its column; at a terminal, what answers it in a few words,
# then what happened with its evidence (and what a clerk wrote to answer it) as the long text that
# takes the rest of the line
FLAG_COLUMNS = [("flag", "标记"), ("triggered_on", "产生日期"), ("reason", "情况"), ("police", "报告公安或处理"),
                ("evidence_text", "依据")]
FLAG_SCREEN = [("flag", "标记"), ("triggered_on", "产生日期"), ("police", "报告公安或处理"), ("detail", "情况和依据")]


def _on_screen() -> bool:
    from jindu_cli.cli.output import terminal_width

    return terminal_width() is not None


def _flag_row(flag: dict, today, screen: bool = False) -> dict:
    from datetime import date

    from jindu_cli.domain.flags import FOR_POLICE

    late = (today - date.fromisoformat(flag["triggered_on"])).days
    since = f"（已过 {late} 天）" if late > 0 else "（今天）"
    answer, _, why = (flag["answer"] or "").partition("：")
    if flag["police_reported_on"]:
        police = f"已报告 {flag['police_reported_on']}"
    elif flag["answer"]:
        police = answer if screen else flag["answer"]
    elif flag["kind"] in FOR_POLICE:
        police = "待报告" + since
    else:
        police = ("待核实" if flag["kind"] == "hair_unconfirmed" else "待销假") + since
    evidence = "；".join(e["text"] for e in flag["evidence"])
    detail = f"{flag['reason']}。依据：{evidence}" + (f"。理由：{why}" if why else "")
    return dict(flag, police=police, evidence_text=evidence, detail=detail)


@app.command("update")
@guard
def case_update(
    case: CaseArg,
    id_number: IdOpt = None, name: NameOpt = None, sex: SexOpt = None, birth_date: BirthOpt = None,
    phone: PhoneOpt = None, household_address: HukouOpt = None, residence_address: ResidenceOpt = None,
    street: StreetOpt = None, community: CommunityOpt = None, measure: MeasureOpt = None,
    term_months: MonthsOpt = None, decision_authority: AuthorityOpt = None,
    decision_number: NumberOpt = None, decided_on: DecidedOpt = None, received_on: ReceivedOpt = None,
    reported_on: ReportedOpt = None, agreement_on: AgreementOpt = None, risk: RiskOpt = None,
    risk_color: ColorOpt = None, drug: DrugOpt = None, worker: WorkerOpt = None, notes: NotesOpt = None,
    test_every: Annotated[Optional[str], typer.Option("--test-every", help="这个人自己的尿检间隔（R13，如高风险 1m 每月、15d 每15天）；给空字符串恢复按规则", show_default=False)] = None,
    late_reason: Annotated[Optional[str], typer.Option("--late-reason", help="逾期报到的正当理由（domain.md §9.7）：记录后“逾期未报到”标记即告处理，不再要求报告公安", show_default=False)] = None,
    term_end: Annotated[Optional[str], typer.Option("--term-end", help="人工调整期满日期（如强戒期间折抵）；给空字符串恢复自动计算", show_default=False)] = None,
    status: Annotated[Optional[str], typer.Option("--status", help=f"改变状态：{STATUSES}", show_default=False)] = None,
    on: Annotated[Optional[str], typer.Option("--on", help="状态变更的生效日期：中止的开始日、恢复执行日、终止日、死亡日；期满解除默认今天", show_default=False)] = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="状态变更的原因（终止必填），如 拘留、收监执行刑罚、强制隔离戒毒", show_default=False)] = None,
    as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None,
):
    """修改案件的任何字段或状态。给空字符串（--phone ""）清空一个字段。

    状态按流程变化：中止要 --on 开始日期，恢复执行（--status 在执行）要 --on 恢复日期；
    终止要 --reason 和 --on；期满解除要等期限届满之后；期满解除满三年未复吸后可改为戒断三年未复吸。
    案件不能删除。

    例：jindu case update 12 --status 中止 --on 2026-11-20 --reason 拘留
    """
    from jindu_cli.domain import cases, find, people
    from jindu_cli.domain.dates import parse_date

    raw = _raw_fields(
        id_number=id_number, name=name, sex=sex, birth_date=birth_date, phone=phone,
        household_address=household_address, residence_address=residence_address, street=street,
        community=community, measure=measure, term_months=term_months,
        decision_authority=decision_authority, decision_number=decision_number,
        decided_on=decided_on, received_on=received_on, reported_on=reported_on,
        agreement_on=agreement_on, risk_level=risk, risk_color=risk_color, drugs=drug,
        worker=worker, notes=notes, term_end_override=term_end, test_every=test_every, late_reason=late_reason,
    )
    if (on or reason) and not status:
        from jindu_cli.errors import InvalidInput

        raise InvalidInput("--on/--reason", "只和 --status 一起使用")
    today = as_of_date(as_of)
    conn = open_conn(db)
    found = find.find_case(conn, case)
    change = cases.StatusChange(status, parse_date(on, "--on"), reason) if status else None
    updated, changes = cases.update_case(conn, found, raw, today, operator_name(operator), change)
    if not changes:
        message(f"案件 {found.id}（{found.name}）没有变化")
        return
    print_changes(f"已修改案件 {updated.id}（{updated.name}）：", changes, people.LABELS, _shown)
    if "id_number" in changes:
        _region_warning(updated.id_number)
    if "status" in changes or "reported_on" in changes:
        warn_flags(conn, updated, today)


def _region_warning(id_number: str) -> None:
    """A number of an unknown county is kept (the table may lag behind), with a word to check it."""
    from jindu_cli.domain.ids import region_warning

    if warning := region_warning(id_number):
        message(f"注意：{warning}（已照常保存）")


def _shown(key, value):
    from jindu_cli.cli.output import masked
    from jindu_cli.domain.enums import MEASURE, RISK, STATUS

    if key in ("id_number", "phone"):
        return masked({key: value}, False)[key]
    enum = {"status": STATUS, "measure": MEASURE, "risk_level": RISK}.get(key)
    return enum.label(value) if enum else value


@app.command("transfer")
@guard
def case_transfer(
    case: CaseArg,
    to: Annotated[Optional[str], typer.Option("--to", help="新的执行地街道，可写简称", show_default=False)] = None,
    on: Annotated[Optional[str], typer.Option("--on", help="变更日期（和 --to 一起）：新街道的报到期限从这天起算 15 天", show_default=False)] = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="变更原因，如 搬家、换工作", show_default=False)] = None,
    community: CommunityOpt = None,
    worker: Annotated[Optional[str], typer.Option("--worker", help="新街道的负责专干（不给则清空，原专干属于原街道）", show_default=False)] = None,
    reported_on: Annotated[Optional[str], typer.Option("--reported-on", help="在新街道报到的日期", show_default=False)] = None,
    agreement_on: Annotated[Optional[str], typer.Option("--agreement-on", help="在新街道重新签订协议的日期", show_default=False)] = None,
    as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None,
):
    """变更执行地（条例22）：记下变更的日期和两个街道，此后 15 日内应在新街道报到，报到后 7 日内重新签订协议；
    期限照常计算，时间线保留两个街道，统计报表按期末所在街道统计。

    只是街道写错了，请用 jindu case update --street 改正（不算变更，不要求重新报到）。

    例：jindu case transfer 12 --to 八鸽岩 --on 2026-11-20 --reason 搬家
        jindu case transfer 12 --reported-on 2026-11-28          （在新街道报到后补记）
    """
    from jindu_cli.domain import find, transfers
    from jindu_cli.domain.dates import parse_date
    from jindu_cli.errors import InvalidInput

    today = as_of_date(as_of)
    conn = open_conn(db)
    found = find.find_case(conn, case)
    who = operator_name(operator)
    reported, signed = parse_date(reported_on, "--reported-on"), parse_date(agreement_on, "--agreement-on")
    if to is None:
        if on or reason or community or worker:
            raise InvalidInput("--to", "变更执行地要给出 --to 新街道 和 --on 日期")
        moved = transfers.record_rereport(conn, found, reported, signed, today, who)
        done = [f"{moved.reported_on} 在{moved.to_street}报到"] + ([f"{moved.agreement_on} 签订协议"] if moved.agreement_on else [])
        message(f"已记录：{found.name}（案件 {found.id}）{'，'.join(done)}")
        return
    if not on:
        raise InvalidInput("--on", "请给出变更日期")
    moved = transfers.move(conn, found, to, parse_date(on, "--on"), today, who, reason=reason or None,
                           community=community or None, worker=worker or None, reported_on=reported, agreement_on=signed)
    print(moved.id)
    message(f"已记录：{found.name}（案件 {found.id}）{moved.moved_on} 执行地由{moved.from_street}变更为{moved.to_street}")
    if not moved.reported_on:
        from datetime import timedelta

        from jindu_cli.domain.rules import load_rules

        days = load_rules(conn)["transfer_report"]["days"]
        message(f"应在 {moved.moved_on + timedelta(days=days)} 前到{moved.to_street}报到；报到后用"
                f" jindu case transfer {found.id} --reported-on 日期 补记")
    if not (community and worker):
        message("原来的社区、专干属于原街道，未给出的已清空，请用 jindu case update 补填")


@app.command("flags")
@guard
def case_flags(
    who: ListCaseArg = None,
    street: Annotated[Optional[str], typer.Option("--street", help="只看这个街道", show_default=False)] = None,
    worker: Annotated[Optional[str], typer.Option("--worker", help="只看这位专干负责的", show_default=False)] = None,
    unreported: Annotated[bool, typer.Option("--unreported", help="只看还没有报告公安的")] = False,
    include_closed: Annotated[bool, typer.Option("--all", help="也列出已终止、死亡、期满解除的人的标记（期满解除后还没报告公安的，不加也列出）")] = False,
    fmt: FormatOpt = Fmt.table, reveal: RevealOpt = False, as_of: AsOfOpt = None, db: DbOpt = None,
    operator: OperatorOpt = None,
):
    """列出有标记的案件及其依据：复吸、毛发阳性待核实、严重违反协议、逾期未报到、逾期未归，以及是否已报告公安或已处理。

    例：jindu case flags --unreported；jindu case flags 12
    """
    from jindu_cli.domain import flags

    today = as_of_date(as_of)
    conn = open_conn(db)
    rows = []
    one = person(conn, who).id if who else None
    screen = fmt is Fmt.table and _on_screen()
    for case, flag in flags.flag_list(conn, today, street=street, worker=worker, include_closed=include_closed or bool(one),
                                      unreported=unreported, case_id=one):
        row = _flag_row(flag.as_dict(), today, screen)
        row.update(name=case.name, id_number=case.id_number, street=case.street, worker=case.worker)
        rows.append(row)
    if reveal and rows:
        from jindu_cli.domain import cases

        cases.record_reveal(conn, operator_name(operator), "case flags", [r["case_id"] for r in rows])
    columns = [("case_id", "编号"), ("name", "姓名"), ("id_number", "身份证号"), ("street", "街道"),
               *(FLAG_SCREEN if screen else FLAG_COLUMNS)]
    if fmt is not Fmt.table:
        rows = [{k: v for k, v in r.items() if k not in ("police", "evidence_text", "detail")} for r in rows]
    emit(rows, columns, fmt.value, reveal=reveal, caption=f"共 {len(rows)} 个标记" if rows else None)
    if not rows:
        message("没有标记")


@app.command("police-report")
@guard
def case_police_report(
    case: CaseArg,
    on: Annotated[Optional[str], typer.Option("--on", help="报告日期（默认今天）", show_default=False)] = None,
    matter: Annotated[Optional[str], typer.Option("--matter", help="报告事项（默认：当时尚未报告的标记）", show_default=False)] = None,
    reference: Annotated[Optional[str], typer.Option("--reference", help="回执或文号", show_default=False)] = None,
    notes: Annotated[Optional[str], typer.Option("--notes", help="备注", show_default=False)] = None,
    as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None,
):
    """记录已把案件报告公安（复吸、严重违反协议、逾期未报到）；此前产生的标记随之标为已报告。

    例：jindu case police-report 12 --on 2026-11-21 --reference 云公禁〔2026〕88号
    """
    from jindu_cli.domain import find, flags
    from jindu_cli.domain.dates import parse_date

    today = as_of_date(as_of)
    conn = open_conn(db)
    found = find.find_case(conn, case)
    day = parse_date(on, "--on") or today
    report_id = flags.add_police_report(conn, found, day, today, operator_name(operator), matter, reference, notes)
    print(report_id)
    message(f"已记录：{found.name}（案件 {found.id}）{day} 报告公安")



@app.command("duplicates")
@guard
def case_duplicates(fmt: FormatOpt = Fmt.table, reveal: RevealOpt = False, db: DbOpt = None,
                    operator: OperatorOpt = None):
    """找出可能是同一个人的重复登记（姓名和出生日期相同而身份证号不同，或换算成旧 15 位号码后相同），列出依据；
    不会自动合并，请核实后用 jindu case update 改正。"""
    from jindu_cli.domain import cases, checks

    conn = open_conn(db)
    rows = checks.duplicates(conn)
    if not rows:
        message("没有发现可能重复的登记")
        if fmt is not Fmt.table:
            emit([], [], fmt.value)
        return
    if reveal:
        cases.record_reveal(conn, operator_name(operator), "case duplicates", [r["case_id"] for r in rows])
    emit(rows, [("group", "组"), ("case_id", "案件"), ("name", "姓名"), ("id_number", "身份证号"),
                ("birth_date", "出生日期"), ("street", "街道"), ("status", "状态"), ("evidence", "依据")],
         fmt.value, reveal=reveal, caption=f"共 {len({r['group'] for r in rows})} 组")
