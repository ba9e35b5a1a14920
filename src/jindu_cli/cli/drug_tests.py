"""jindu test: drug tests (检测) and their results."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jindu_cli.cli.common import (
    CaseArg, CaseOpt, ListCaseArg, ForceOpt, FromOpt, LimitOpt, ToOpt, added, changed, given,
    person, record_rows, show_records, warn_flags,
)
from jindu_cli.cli.options import (
    AsOfOpt, DbOpt, FormatOpt, Fmt, OperatorOpt, RevealOpt, as_of_date, open_conn, operator_name,
)
from jindu_cli.cli.output import guard, message

app = typer.Typer(help="检测：尿检、毛发检测等的结果；阳性、拒检、逃检会产生相应的标记。", no_args_is_help=True)

SPECIMENS = "尿液（urine）、毛发（hair）、血液（blood）、唾液（saliva）"
RESULTS = "阴性（negative）、阳性（positive）、拒检（refused）、逃检（evaded）、无效（invalid）"
OnOpt = Annotated[Optional[str], typer.Option("--on", help="检测日期（默认今天）", show_default=False)]
SpecimenOpt = Annotated[Optional[str], typer.Option("--specimen", help=f"样本：{SPECIMENS}；写“尿检”也行", show_default=False)]
MethodOpt = Annotated[Optional[str], typer.Option("--method", help="方法：现场检测（默认）、实验室检测、复检", show_default=False)]
ResultOpt = Annotated[Optional[str], typer.Option("--result", help=f"结果：{RESULTS}", show_default=False)]
SubstanceOpt = Annotated[Optional[list[str]], typer.Option("--substance", help="阳性时检出的毒品，可重复：冰毒、海洛因……", show_default=False)]
SampleOpt = Annotated[Optional[str], typer.Option("--sample-number", help="样本编号", show_default=False)]
PlaceOpt = Annotated[Optional[str], typer.Option("--place", help="检测地点", show_default=False)]
TesterOpt = Annotated[Optional[str], typer.Option("--tester", help="检测人", show_default=False)]
NotesOpt = Annotated[Optional[str], typer.Option("--notes", help="备注", show_default=False)]
UnannouncedOpt = Annotated[Optional[bool], typer.Option(
    "--unannounced/--announced", help="突击检测（R12）与否。不写时：jindu draw 抽中后几天内（规则文件 settings."
    "unannounced_after_draw_days，默认 3 天）的检测记为突击检测，其他的不算", show_default=False)]

COLUMNS = [("test_id", "编号"), ("tested_on", "日期"), ("case_id", "案件"), ("name", "姓名"),
           ("id_number", "身份证号"), ("street", "街道"), ("specimen", "样本"), ("method", "方法"),
           ("result", "结果"), ("substances", "检出毒品"), ("tester", "检测人"), ("notes", "备注")]


@app.command("add")
@guard
def drug_test_add(case: CaseArg, on: OnOpt = None, specimen: SpecimenOpt = None, method: MethodOpt = None,
             result: ResultOpt = None, substance: SubstanceOpt = None, sample_number: SampleOpt = None,
             place: PlaceOpt = None, tester: TesterOpt = None, notes: NotesOpt = None,
             unannounced: UnannouncedOpt = None, force: ForceOpt = False,
             as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
    """记录一次检测；成功时标准输出只打印检测记录的编号。

    例：jindu test add 12 --specimen 尿液 --result 阴性 --on 2026-11-20
    """
    from jindu_cli.domain import drug_tests
    from jindu_cli.domain.rules import load_rules

    today = as_of_date(as_of)
    conn = open_conn(db)
    found = person(conn, case)
    raw = given(tested_on=on or today, specimen=specimen, method=method, result=result, substances=substance,
               sample_number=sample_number, place=place, tester=tester, notes=notes, unannounced=unannounced)
    days = load_rules(conn).settings["unannounced_after_draw_days"]
    test = drug_tests.add_drug_test(conn, found, raw, today, operator_name(operator), force, days)
    shown = test.as_dict()
    surprise = "（突击检测）" if test.unannounced else ""
    added(test.id, f"{found.name} {test.tested_on} {shown['specimen']}{shown['method']}，{shown['result']}{surprise}",
          test.forced)
    warn_flags(conn, found, today, ("drug_test", test.id))


@app.command("update")
@guard
def drug_test_update(test_id: Annotated[int, typer.Argument(metavar="检测编号", help="检测记录编号（test list 的第一列）")],
                on: OnOpt = None, specimen: SpecimenOpt = None, method: MethodOpt = None,
                result: ResultOpt = None, substance: SubstanceOpt = None, sample_number: SampleOpt = None,
                place: PlaceOpt = None, tester: TesterOpt = None, notes: NotesOpt = None,
                unannounced: UnannouncedOpt = None,
                force: ForceOpt = False, as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
    """改正一条检测记录；标记随之重新判断（如把拒检改为阴性，它引起的严重违反协议标记就会消失）。"""
    from jindu_cli.domain import drug_tests, people
    from jindu_cli.domain.enums import METHOD, RESULT, SPECIMEN

    today = as_of_date(as_of)
    conn = open_conn(db)
    raw = given(tested_on=on, specimen=specimen, method=method, result=result, substances=substance,
               sample_number=sample_number, place=place, tester=tester, notes=notes, unannounced=unannounced)
    test, changes = drug_tests.update_drug_test(conn, test_id, raw, today, operator_name(operator), force)
    if changed(f"检测记录 {test_id}", changes, drug_tests.LABELS,
               {"specimen": SPECIMEN, "method": METHOD, "result": RESULT}):
        warn_flags(conn, people.get_case(conn, test.case_id), today, ("drug_test", test.id))


@app.command("list")
@guard
def drug_test_list(who: ListCaseArg = None, case: CaseOpt = None,
              street: Annotated[Optional[str], typer.Option("--street", help="只看这个街道", show_default=False)] = None,
              specimen: Annotated[Optional[str], typer.Option("--specimen", help=f"只看这种样本：{SPECIMENS}", show_default=False)] = None,
              result: Annotated[Optional[str], typer.Option("--result", help=f"只看这种结果：{RESULTS}", show_default=False)] = None,
              tester: Annotated[Optional[str], typer.Option("--tester", help="只看这位检测人", show_default=False)] = None,
              date_from: FromOpt = None, date_to: ToOpt = None, limit: LimitOpt = None,
              fmt: FormatOpt = Fmt.table, reveal: RevealOpt = False, db: DbOpt = None,
              operator: OperatorOpt = None):
    """列出检测记录，最新的在前。例：jindu test list --result 阳性 --from 2026-01-01"""
    from jindu_cli.domain import drug_tests

    conn = open_conn(db)
    rows = record_rows(conn, drug_tests.list_drug_tests, (who, case), date_from, date_to,
                       street=street, specimen=specimen,
                       result=result, tester=tester, limit=limit)
    show_records(conn, rows, COLUMNS, fmt, reveal, operator, "test list", "没有符合条件的检测记录")


@app.command("review")
@guard
def drug_test_review(
    test_id: Annotated[int, typer.Argument(metavar="检测编号", help="毛发阳性的检测记录编号（test list 的第一列）")],
    confirm: Annotated[bool, typer.Option("--confirm", help="认定复吸：与其他复吸一样要报告公安")] = False,
    dismiss: Annotated[bool, typer.Option("--dismiss", help="排除：不是措施期间吸毒（要写 --reason）")] = False,
    reason: Annotated[Optional[str], typer.Option("--reason", help="理由，如 实验室复检阴性", show_default=False)] = None,
    on: Annotated[Optional[str], typer.Option("--on", help="核实日期（默认今天）", show_default=False)] = None,
    as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None,
):
    """核实毛发阳性：报到后不满 6 个月采样的毛发阳性不能证明措施期间吸毒（毛发阳性待核实），由专干认定复吸或排除。会记入审计。

    例：jindu test review 57 --confirm；jindu test review 57 --dismiss --reason 实验室复检阴性
    """
    from jindu_cli.domain import drug_tests, people
    from jindu_cli.domain.dates import parse_date
    from jindu_cli.errors import InvalidInput

    if confirm == dismiss:
        raise InvalidInput("--confirm/--dismiss", "请给出其中一个：--confirm（认定复吸）或 --dismiss（排除）")
    today = as_of_date(as_of)
    conn = open_conn(db)
    test = drug_tests.review_hair(conn, test_id, confirm, reason, parse_date(on, "--on") or today, today,
                                  operator_name(operator))
    message(f"已核实：检测记录 {test_id}（{test.tested_on} 毛发阳性）{'认定复吸' if confirm else '排除'}")
    if confirm:
        warn_flags(conn, people.get_case(conn, test.case_id), today, ("drug_test", test.id))
