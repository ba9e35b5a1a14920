"""jindu draw: surprise tests (突击检测) drawn fairly, reproducibly and audited."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jindu_cli.cli.options import (
    AsOfOpt, DbOpt, FormatOpt, Fmt, OperatorOpt, RevealOpt, as_of_date, open_conn, operator_name,
)
from jindu_cli.cli.output import emit, guard, message


def draw_command(
    count: Annotated[Optional[int], typer.Option("--count", help="抽取多少人", show_default=False)] = None,
    street: Annotated[Optional[str], typer.Option("--street", help="只从这个街道抽", show_default=False)] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="随机种子：同一种子、同样的人员范围，抽到同样的人（默认随机生成并记录）", show_default=False)] = None,
    history: Annotated[bool, typer.Option("--list", help="列出以前的抽检记录")] = False,
    fmt: FormatOpt = Fmt.table, reveal: RevealOpt = False, as_of: AsOfOpt = None, db: DbOpt = None,
    operator: OperatorOpt = None,
):
    """突击检查抽签：从在执行的人员中等概率抽取若干人，记录日期、种子、人员范围和结果，可复现、可审计。

    例：jindu draw --count 5 --street 盐务街；jindu draw --list
    """
    from jindu_cli.domain import draws
    from jindu_cli.errors import InvalidInput

    today = as_of_date(as_of)
    conn = open_conn(db)
    if history:
        rows = draws.list_draws(conn)
        emit(rows, [("draw_id", "编号"), ("drawn_on", "日期"), ("street", "街道"), ("pool_size", "人员范围"),
                    ("count", "抽取"), ("seed", "种子"), ("operator", "操作员"), ("case_ids", "抽中的案件")],
             fmt.value)
        if not rows:
            message("还没有抽检记录")
        return
    if count is None:
        raise InvalidInput("--count", "请给出要抽取的人数")
    result = draws.draw(conn, count, today, operator_name(operator), street=street, seed=seed)
    if reveal:
        from jindu_cli.domain import cases

        cases.record_reveal(conn, operator_name(operator), "draw", [c.id for c in result.cases])
    rows = [dict(c.as_dict(today), draw_id=result.id, seed=result.seed) for c in result.cases]
    caption = (f"抽检 #{result.id}：{today} 从 {result.pool_size} 名在执行人员中抽取 {len(rows)} 人，"
               f"种子 {result.seed}（jindu draw --count {count}{' --street ' + street if street else ''}"
               f" --seed {result.seed} --as-of {today} 可复现）")
    emit(rows, [("case_id", "案件"), ("name", "姓名"), ("id_number", "身份证号"), ("phone", "联系电话"),
                ("street", "街道"), ("community", "社区"), ("worker", "专干")], fmt.value, reveal=reveal,
         caption=caption)
    if fmt is not Fmt.table:
        message(caption)


draw = guard(draw_command)
