"""jindu rules: the cadence rules in force, and a copy of the shipped file to edit."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jindu_cli.cli.options import DbOpt, FormatOpt, Fmt, open_conn
from jindu_cli.cli.output import emit, guard

RulesOpt = Annotated[Optional[str], typer.Option("--rules", metavar="FILE", show_default=False,
                                                 help="用这个规则文件（默认：数据库所在文件夹的 rules.toml，再默认内置规则）")]

app = typer.Typer(help="到期规则：查看正在使用的规则，取得可修改的规则文件。", no_args_is_help=True)


@app.command("show")
@guard
def rules_show(rules_file: RulesOpt = None, db: DbOpt = None, fmt: FormatOpt = Fmt.table):
    """显示正在使用的规则（并检查规则文件）。"""
    from jindu_cli.domain import rules

    conn = open_conn(db)
    ruleset = rules.load_rules(conn, rules_file)
    rows = []
    for item in rules.ITEMS:
        rule = ruleset[item]
        if item == "urine_test":
            for variant, r in ruleset.urine.items():
                value = r["intervals"] if "intervals" in r.values else r["interval"]
                text = "、".join(i.text for i in value) if isinstance(value, list) else (value.text if value else "不另行加密")
                if r.values.get("start_interval"):
                    text += f"；头 {r['start_months']} 个月 {r['start_interval'].text}"
                if r.values.get("unannounced"):
                    text += f"；突击检测至少 {r['unannounced']} 次"
                rows.append({"item": f"urine_test.{variant}", "label": rule.label, "source": r.source, "values": text})
            continue
        values = {k: (v.text if hasattr(v, "text") else v) for k, v in rule.values.items() if k not in ("label", "source")}
        rows.append({"item": item, "label": rule.label, "source": rule.source,
                     "values": "，".join(f"{k} = {v}" for k, v in values.items())})
    rows.append({"item": "settings.holiday_shift", "label": "节假日顺延", "source": "",
                 "values": "开" if ruleset.holiday_shift else "关"})
    rows.append({"item": "settings.unannounced_after_draw_days", "label": "抽检后记为突击检测", "source": "R12",
                 "values": f"{ruleset.settings['unannounced_after_draw_days']} 天内"})
    emit(rows, [("item", "规则"), ("label", "名称"), ("source", "出处"), ("values", "取值")], fmt.value,
         caption=f"规则文件：{ruleset.path}")


@app.command("template")
@guard
def rules_template(
    profile: Annotated[str, typer.Option("--profile", help="standard（默认）：domain.md 的 R9-R18；strict：R12 严格方案，"
                                                        "社区戒毒头 6 个月每 15 天尿检一次，期限内至少 3 次突击检测")] = "standard",
):
    """把内置的完整规则文件打印到标准输出，供办公室修改：jindu rules template > rules.toml

    例：jindu rules template --profile strict > rules.toml（放到数据库所在的文件夹即生效）
    """
    from jindu_cli.domain.rules import template

    print(template(profile), end="")
