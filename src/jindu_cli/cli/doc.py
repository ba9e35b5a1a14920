"""jindu doc: the office's paperwork filled from the register, from Word templates it can replace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from jindu_cli.cli.common import PERSON_HELP
from jindu_cli.cli.options import AsOfOpt, DbOpt, FormatOpt, Fmt, OperatorOpt, as_of_date, open_conn, operator_name
from jindu_cli.cli.output import guard, message

app = typer.Typer(help="文书：协议书、登记表、报告公安函、催要解除通知书函、一人一档、工作台账，按 Word 模板填写。",
                  no_args_is_help=True)

PersonArg = Annotated[Optional[str], typer.Argument(metavar="[人员]", help=PERSON_HELP, show_default=False)]
StreetOpt = Annotated[Optional[str], typer.Option("--street", show_default=False,
                                                  help="给这个街道的每个在管人员各做一份（可写简称），放进一个文件夹")]
OutputOpt = Annotated[Optional[Path], typer.Option(
    "--output", "-o", metavar="FILE.docx|DIR", show_default=False,
    help="写入这个文件（一个人）或文件夹（--street）；不给时写到当前文件夹：文书_姓名_日期.docx。"
         "先写临时文件再改名，权限 0600")]
NOTE = "文书含完整的身份证号和电话（按用途），每次制作都记入审计。"
LEDGER_NOTE = "台账列出的人员和制作者已记入审计。"


def _one(name: str, ref: str | None, street: str | None, output: Path | None, as_of: str | None,
         db: str | None, operator: str | None, *, missing: bool = False, flag: str | None = None) -> None:
    from jindu_cli.domain import find
    from jindu_cli.domain.documents import making
    from jindu_cli.domain.rules import load_rules
    from jindu_cli.errors import InvalidInput

    if bool(ref) == bool(street):
        raise InvalidInput("人员", "给一个人，或者用 --street 给一个街道（两者只给一个）"
                           if ref else f"没有给人员；例：jindu doc {name} 12，或 jindu doc {name} --street 盐务街")
    if missing and not street:
        raise InvalidInput("--missing", "和 --street 一起用：这个街道还没有签订协议的人")
    today = as_of_date(as_of)
    conn = open_conn(db)
    rules = load_rules(conn)
    if street:
        made = making.make_for_street(conn, rules, name, street, today, missing)
        folder = output or Path(f"{made.doc.title}_{made.label}_{today}")
        _write_folder(conn, made, folder, operator)
        return
    made = making.make_one(conn, rules, name, find.find_case(conn, ref), today, flag=flag)
    _write_file(conn, made, output, operator)
    flagged = made.extra.get("_flag")
    if flagged is not None:
        reported = f"（这个标记已于 {flagged.police_reported_on} 报告过）" if flagged.police_reported_on else ""
        message(f"制作报告公安函不等于已报告{reported}。报告公安后请记录：jindu case police-report "
                f"{made.people[0]} --on 报告日期")


def _target(made, output: Path | None) -> Path:
    from jindu_cli.errors import InvalidInput

    default = Path(made.files[0][0])
    if output is None:
        return default
    if output.is_dir():
        return output / default
    if output.suffix.lower() != ".docx":
        raise InvalidInput("--output", f"“{output}”不是 .docx 文件名；文书是 Word 文件，如 {default}")
    if not output.parent.is_dir():
        raise InvalidInput("--output", f"文件夹 {output.parent} 不存在")
    return output


def _write_file(conn, made, output: Path | None, operator: str | None, note: str = NOTE) -> None:
    from jindu_cli.cli.output import write_atomic
    from jindu_cli.domain.documents import making

    path = _target(made, output)
    making.record(conn, operator_name(operator), made, str(path))
    write_atomic(path, made.files[0][1])
    message(f"已写入 {path}（{made.doc.title}）。{note}")


def _write_folder(conn, made, folder: Path, operator: str | None) -> None:
    from jindu_cli.cli.output import write_atomic
    from jindu_cli.domain.documents import making
    from jindu_cli.errors import InvalidInput

    if folder.exists() and not folder.is_dir():
        raise InvalidInput("--output", f"{folder} 是一个文件；一次做多份时给一个文件夹")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    making.record(conn, operator_name(operator), made, str(folder))
    for file_name, data in made.files:
        write_atomic(folder / file_name, data)
    message(f"已写入 {len(made.files)} 份{made.doc.title}到 {folder}/。{NOTE}")
    if made.skipped:
        message(f"没有做的：{'；'.join(made.skipped)}")


@app.command("list")
@guard
def doc_list(fmt: FormatOpt = Fmt.table, db: DbOpt = None):
    """列出可以制作的文书、各在什么时候用，以及正在用的模板（办公室自己的或内置的）。"""
    from jindu_cli.cli.output import emit
    from jindu_cli.domain.documents import templates
    from jindu_cli.domain.documents.catalog import DOCUMENTS

    conn = open_conn(db)
    rows = []
    for doc in DOCUMENTS.values():
        own = templates.office_template(doc.name, conn)
        rows.append({"name": doc.name, "title": doc.title, "use": doc.use,
                     "template": str(own) if own else "内置"})
    emit(rows, [("name", "文书"), ("title", "名称"), ("use", "用途"), ("template", "模板")], fmt.value,
         caption="例：jindu doc agreement 12；办公室的模板放在数据库所在文件夹的 templates/ 里，与内置模板同名")


NameArg = Annotated[str, typer.Argument(metavar="文书", help="文书：agreement、register-card、police-letter、"
                                                          "release-request、person-file、worker-ledger")]


@app.command("fields")
@guard
def doc_fields(name: NameArg, fmt: FormatOpt = Fmt.table):
    """列出一种文书的模板可用的每个字段、含义和示例；列表的行写成 列表[].字段。例：jindu doc fields agreement"""
    from jindu_cli.cli.output import emit
    from jindu_cli.domain.documents.catalog import document

    rows = []
    for f in document(name).fields:
        rows.append({"field": f.name, "meaning": f.meaning + ("（列表，在循环里用它的行）" if f.rows else ""),
                     "example": f.example})
        rows += [{"field": f"{f.name}[].{r.name}", "meaning": r.meaning, "example": r.example} for r in f.rows]
    emit(rows, [("field", "字段"), ("meaning", "含义"), ("example", "示例")], fmt.value,
         caption="模板里写成 {{ name }}；列表用 {%tr for e in events %} … {%tr endfor %}（docxtpl 的写法）")


@app.command("template")
@guard
def doc_template(name: NameArg, output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="FILE.docx", show_default=False, help="写入这个文件（不给时写到标准输出）")] = None):
    """取得内置模板的副本来修改：jindu doc template agreement > agreement.docx；
    改好后放进数据库所在文件夹的 templates/ 里（文件名不变），就会代替内置模板。"""
    import sys

    from jindu_cli.cli.output import write_atomic
    from jindu_cli.domain.documents import making
    from jindu_cli.errors import InvalidInput

    data = making.template_bytes(name)
    if output is not None:
        write_atomic(output, data)
        message(f"已写入 {output}")
        return
    if sys.stdout.isatty():
        raise InvalidInput("输出", f"模板是 Word 文件，不能显示在屏幕上；请写到文件：jindu doc template {name} > {name}.docx")
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


def _command(name: str, doc: str, *, batch: bool, missing: bool = False, flag: bool = False):
    """The command of one document: a person, or with `batch` a street's people."""
    if flag:
        def command(case: Annotated[str, typer.Argument(metavar="人员", help=PERSON_HELP)],
                    flag: Annotated[Optional[str], typer.Option("--flag", show_default=False,
                                                                help="有几个标记时选一个：编号（1、2…）或名称（复吸）")] = None,
                    output: OutputOpt = None, as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
            _one(name, case, None, output, as_of, db, operator, flag=flag)
    elif missing:
        def command(case: PersonArg = None, street: StreetOpt = None,
                    missing: Annotated[bool, typer.Option("--missing", help="和 --street 一起：只给还没有签订协议的人做")] = False,
                    output: OutputOpt = None, as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
            _one(name, case, street, output, as_of, db, operator, missing=missing)
    elif batch:
        def command(case: PersonArg = None, street: StreetOpt = None, output: OutputOpt = None,
                    as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
            _one(name, case, street, output, as_of, db, operator)
    else:
        def command(case: Annotated[str, typer.Argument(metavar="人员", help=PERSON_HELP)], output: OutputOpt = None,
                    as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
            _one(name, case, None, output, as_of, db, operator)
    command.__doc__ = doc
    command.__name__ = "doc_" + name.replace("-", "_")
    return guard(command)


app.command("agreement")(_command("agreement", "社区戒毒（康复）协议书：双方、决定、期限、义务（含这个人的检测和谈话频次）、签名。\n\n"
                                                "例：jindu doc agreement 12；jindu doc agreement --street 盐务街 --missing",
                                  batch=True, missing=True))
app.command("register-card")(_command("register-card", "人员登记表：登记的全部信息和负责专干。例：jindu doc register-card 12",
                                      batch=True))
app.command("police-letter")(_command("police-letter", "报告公安函：一个尚未报告的标记的事实、依据和产生日期。\n\n"
                                                        "制作不等于记录报告；报告后用 jindu case police-report 记录。"
                                                        "例：jindu doc police-letter 12 --flag 复吸",
                                      batch=False, flag=True))
app.command("release-request")(_command("release-request", "催要解除通知书函：期满且公安 7 日内未送达解除通知书时。"
                                                            "例：jindu doc release-request 12", batch=False))
app.command("person-file")(_command("person-file", "一人一档：登记表、状态变化、全部记录和标记，按日期排列。\n\n"
                                                    "例：jindu doc person-file 12；jindu doc person-file --street 盐务街",
                                    batch=True))


@app.command("worker-ledger")
@guard
def doc_worker_ledger(
    worker: Annotated[Optional[str], typer.Option("--worker", show_default=False, help="专干姓名")] = None,
    period: Annotated[Optional[str], typer.Option("--period", show_default=False, help="月份，如 2026-11")] = None,
    output: OutputOpt = None, as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None,
):
    """一位专干一个月的工作台账：逐人的谈话、走访、电话、帮扶、评估和检测，月末逾期事项、标记、报告公安，合计。

    例：jindu doc worker-ledger --worker 李芳 --period 2026-11
    """
    from jindu_cli.cli.usage import missing
    from jindu_cli.domain.documents import making
    from jindu_cli.domain.rules import load_rules

    missing([o for o, v in (("--worker", worker), ("--period", period)) if not (v or "").strip()],
            "；例：jindu doc worker-ledger --worker 李芳 --period 2026-11")
    today = as_of_date(as_of)
    conn = open_conn(db)
    made = making.make_ledger(conn, load_rules(conn), worker, period, today)
    _write_file(conn, made, output, operator, LEDGER_NOTE)
