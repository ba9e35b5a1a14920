"""jindu due: the working list, and how one person's dates were worked out (--explain)."""

from __future__ import annotations

import enum
import functools
from pathlib import Path
from typing import Annotated, Optional

import typer

from jindu_cli.cli.common import PERSON_HELP
from jindu_cli.cli.options import (
    AsOfOpt, DbOpt, Fmt, OperatorOpt, RevealOpt, as_of_date, open_conn, operator_name,
)
from jindu_cli.cli.output import emit, guard, message
from jindu_cli.cli.rules import RulesOpt

ITEMS_HELP = ("urine_test 尿检、hair_test 毛发检测、talk 谈话、home_visit 入户走访、assessment 评估、report_in 报到、"
              "agreement 签订协议、police_report 报告公安、term_end 期满、three_year_clean 戒断三年、lost_contact 失联")
FIELDS = ["case_id", "id_number", "name", "street", "worker", "item", "due_on", "days", "rule", "reason"]
COLUMNS = [("case_id", "案件"), ("name", "姓名"), ("id_number", "身份证号"), ("street", "街道"), ("worker", "专干"),
           ("item_label", "事项"), ("due_on", "到期日"), ("when", "天数"), ("rule", "依据"), ("reason", "原因")]


FILE_FORMATS = ("xlsx", "csv", "json")  # what --output writes, by the file's extension


class DueFmt(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


FileFormatOpt = Annotated[Optional[DueFmt], typer.Option(
    "-f", "--format", show_default=False,
    help="输出格式：table 表格（默认，给人看）；json、csv（给程序用）；xlsx 只写文件。写文件时按扩展名，不必给")]
MAX_WITHIN = 36500  # 100 years: longer than any term, well short of where date arithmetic ends (9999-12-31)

# the days from the as-of date in words: overdue, today, later
WHEN = ("逾期 {} 天", "今天", "还有 {} 天")


@functools.lru_cache(maxsize=4096)  # (a district's 340,000 items fall on a few thousand days)
def when_text(days: int) -> str:
    if days < 0:
        return WHEN[0].format(-days)
    return WHEN[2].format(days) if days else WHEN[1]


def _parse_item(rules, raw: str | None) -> str | None:
    if not raw:
        return None
    from jindu_cli.domain.reference import fold
    from jindu_cli.domain.rules import ITEMS
    from jindu_cli.errors import InvalidInput

    key = fold(raw).replace("-", "_")
    for item in ITEMS:
        if key in (item, fold(rules.label(item))):
            return item
    raise InvalidInput("--item", f"“{raw}”不是到期事项；可选：{ITEMS_HELP}")


def due_command(
    within: Annotated[int, typer.Option("--within", help="列出今后多少天内到期的（逾期的总会列出）")] = 7,
    street: Annotated[Optional[str], typer.Option("--street", help="只看这个街道", show_default=False)] = None,
    worker: Annotated[Optional[str], typer.Option("--worker", help="只看这位专干负责的", show_default=False)] = None,
    item: Annotated[Optional[str], typer.Option("--item", help=f"只看这种事项：{ITEMS_HELP}", show_default=False)] = None,
    explain: Annotated[Optional[str], typer.Option("--explain", metavar="人员", show_default=False,
                                                   help=f"说明一个人每个事项的到期日是怎么算出来的；人员写{PERSON_HELP}")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", show_default=False,
                                                   help="把清单写入文件，扩展名决定格式：.xlsx、.csv（中文列名，Excel 可直接打开）或 .json；"
                                                        "先写临时文件再改名，权限 0600")] = None,
    rules_file: RulesOpt = None, fmt: FileFormatOpt = None, reveal: RevealOpt = False, as_of: AsOfOpt = None,
    db: DbOpt = None, operator: OperatorOpt = None,
):
    """到期清单：谁该检测、谈话、走访、报告公安，谁已经逾期。分逾期、今天到期、几天内到期三组，每组里最早到期的在前，同一天高风险在前。

    例：jindu due；jindu due --street 盐务街 --within 14；jindu due --explain 12；
    每天早上的清单（cron）：jindu due -o /srv/jindu/今日清单.xlsx
    """
    from jindu_cli.domain import due, rules
    from jindu_cli.domain.rules import ITEMS
    from jindu_cli.errors import InvalidInput

    fmt, written = _formats(fmt, output, explain)
    if within < 0:
        raise InvalidInput("--within", "天数不能为负")
    if within > MAX_WITHIN:  # (the date that far ahead must stay inside the calendar)
        raise InvalidInput("--within", f"最多 {MAX_WITHIN} 天（100 年）；要列出今后所有到期的，用 --within {MAX_WITHIN}")
    today = as_of_date(as_of)
    conn = open_conn(db)
    ruleset = rules.load_rules(conn, rules_file)
    if explain:
        _explain(conn, explain, ruleset, today, fmt, reveal, operator)
        return
    listed = due.due_list(conn, ruleset, today, within, street, worker, _parse_item(ruleset, item))
    if reveal:
        _record_reveal(conn, operator, sorted({r.case_id for r in listed}))
    if written is not None:
        _write(output, written, listed, ruleset, today, within, reveal)
        return
    if fmt is not Fmt.table:
        emit((d.as_dict(today) for d in listed), COLUMNS, fmt.value, reveal=reveal, fields=FIELDS)
        return
    labels = {i: ruleset.label(i) for i in ITEMS}
    summary = due.counts(listed)
    t = summary["total"]
    caption = f"逾期 {t['overdue']} 项，今天到期 {t['today']} 项，{within} 天内到期 {t['soon']} 项（按 {today} 计算）"
    rows = (dict(row, item_label=labels[row["item"]], when=when_text(row["days"]))
            for row in (d.as_dict(today) for d in listed))
    heads = {0: f"逾期（{t['overdue']} 项）", 1: f"今天到期（{t['today']} 项）", 2: f"{within} 天内到期（{t['soon']} 项）"}
    emit(rows, COLUMNS, "table", reveal=reveal, caption=caption, styles=_style,
         sections=lambda i, row: heads[listed[i].group] if i == 0 or listed[i - 1].group != listed[i].group else None)
    if len(summary["by_street"]) > 1:
        emit([{"street": s, **c} for s, c in summary["by_street"].items()],
             [("street", "街道"), ("overdue", "逾期"), ("today", "今天到期"), ("soon", f"{within} 天内到期")], "table")
    if not listed:
        message(f"{within} 天内没有到期事项，也没有逾期的")


def _formats(fmt: "DueFmt | None", output: Path | None, explain: str | None) -> tuple[Fmt, str | None]:
    """What is printed (-f, table by default) and what a file is written as (its name's format):
    checked before anything is read."""
    from jindu_cli.errors import InvalidInput

    if output is None:
        if fmt is DueFmt.xlsx:
            raise InvalidInput("--output", "xlsx 是二进制文件，请用 --output 指定文件名，如 -o 今日清单.xlsx")
        return Fmt(fmt.value) if fmt else Fmt.table, None
    from jindu_cli.cli.files import output_format

    if explain:
        raise InvalidInput("--output", "不能和 --explain 一起用")
    return Fmt.table, output_format(output, fmt.value if fmt else None, FILE_FORMATS)


def _write(path: Path, fmt: str, listed, ruleset, today, within: int, reveal: bool) -> None:
    """The list as a file for people (json: the English keys of -f json), with what it holds on stderr."""
    from jindu_cli.cli.output import cell, json_text, masked, write_atomic
    from jindu_cli.domain import due
    from jindu_cli.domain.rules import ITEMS

    rows = [masked(d.as_dict(today), reveal) for d in listed]
    if fmt == "json":
        write_atomic(path, "".join(json_text(rows)).encode("utf-8"))
    else:
        from jindu_cli.cli.files import write_table

        labels = {i: ruleset.label(i) for i in ITEMS}
        for row in rows:
            row.update(item_label=labels[row["item"]], when=when_text(row["days"]))
        write_table(path, fmt, "到期清单", [label for _, label in COLUMNS],
                    ([cell(row.get(key)) for key, _ in COLUMNS] for row in rows))
    t = due.counts(listed)["total"]
    message(f"已写入 {path}：逾期 {t['overdue']} 项，今天到期 {t['today']} 项，{within} 天内到期 {t['soon']} 项（按 {today} 计算）"
            + ("" if reveal else "，身份证号已脱敏"))


def _record_reveal(conn, operator: str | None, case_ids: list[int]) -> None:
    if case_ids:
        from jindu_cli.domain import cases

        cases.record_reveal(conn, operator_name(operator), "due", case_ids)


def _style(row: dict) -> str | None:
    if row["days"] < 0:
        return "red"
    return "yellow" if row["days"] == 0 else None


def _interval_words(text: str) -> str:
    """An interval as the rules file writes it (1m, 15d), in words; 0d is the same day and 1wd
    the next working day (a police report, R8)."""
    from jindu_cli.domain.rules import parse_interval

    if text == "0d":
        return "当天"
    if text.endswith("wd"):
        return "下一个工作日" if text == "1wd" else f"第 {text[:-2]} 个工作日"
    return parse_interval(text, "interval").words


def _explain(conn, ref, ruleset, today, fmt, reveal, operator) -> None:
    from jindu_cli.domain import cases, due, find

    case = find.find_case(conn, ref)
    if reveal:
        cases.record_reveal(conn, operator_name(operator), "due --explain", [case.id])
    rows = []
    for d in due.explain(conn, case, ruleset, today):
        rows.append({
            "item": d.item, "item_label": ruleset.label(d.item), "rule": d.rule, "anchor": d.anchor,
            "interval": d.interval, "term_year": d.term_year, "due_on": d.due_on.isoformat(),
            "days": d.days(today), "when": when_text(d.days(today)),
            "listed_from": d.listed_from.isoformat() if d.listed_from else None,
            "notes": d.notes, "reason": d.text(today),
        })
    title = f"{case.name}（案件 {case.id}，{case.street}，{case.shown_status(today)}）按 {today} 计算"
    if fmt is not Fmt.table:
        emit(rows, [], fmt.value)
        return
    for row in rows:  # the table in words (1m: 1 个月); csv and json keep the rules file's notation
        if row["interval"]:
            row["interval"] = _interval_words(row["interval"])
    emit(rows, [("item_label", "事项"), ("rule", "规则"), ("anchor", "起点"), ("interval", "间隔"),
                ("term_year", "年度"), ("due_on", "到期日"), ("when", "天数"), ("notes", "调整"),
                ("reason", "原因")], "table", title=title, caption=f"规则文件：{ruleset.path}")
    if not rows:
        message(f"{case.name} 当前没有到期事项（{case.shown_status(today)}）")


due = guard(due_command)
