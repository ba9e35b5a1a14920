"""jindu audit: the trail of every change and every reveal."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from jindu_cli.cli.common import PERSON_HELP, LimitOpt
from jindu_cli.cli.options import DbOpt, FormatOpt, Fmt, OperatorOpt, RevealOpt, open_conn, operator_name
from jindu_cli.cli.output import emit, guard, local_time, message

app = typer.Typer(help="审计：谁在什么时候改了什么、看了谁的完整信息。", no_args_is_help=True)

ACTIONS = {"add": "新增", "update": "修改", "status": "状态变更", "reveal": "查看完整信息",
           "import": "导入", "export": "导出", "draw": "抽检", "restore": "恢复", "review": "核实",
           "transfer": "变更执行地", "link": "关联"}
ENTITIES = {"case": "案件", "visit": "走访", "drug_test": "检测", "leave": "外出", "police_report": "报告公安",
            "draw": "抽检", "file": "文件", "database": "数据库", "transfer": "变更执行地", "activity": "活动",
            "screening": "筛查", "screen_referral": "筛查移交"}
COLUMNS = [("audit_id", "序号"), ("time", "时间"), ("operator", "操作员"), ("action_label", "操作"),
           ("entity_label", "对象"), ("case_id", "案件"), ("summary", "内容")]
SENSITIVE = ("id_number", "phone")


GENERAL = {"cases": "案件", "command": "命令", "changed_on": "日期", "reason": "原因", "forced": "强制",
           "backup": "备份", "kept_aside": "另存为", "file": "文件", "kind": "类型",
           "answer": "核实结果", "answered_on": "核实日期", "document": "文书", "files": "文件", "where": "写到",
           "referrals": "移交记录", "import_id": "导入记录", "screening_id": "筛查编号", "case_id": "案件",
           "rows": "行数", "inserted": "新增", "updated": "更新", "unchanged": "未变", "rejected": "拒绝",
           "sha256": "SHA-256"}


def _words(entity: str) -> tuple[dict[str, str], dict]:
    """The Chinese names of an entity's fields, and the enumerations its codes are labels of."""
    from jindu_cli.domain import activities, drug_tests, enums, leaves, screenings, transfers, visits
    from jindu_cli.domain.people import LABELS as CASE_LABELS

    labels = {"case": CASE_LABELS, "visit": visits.LABELS, "drug_test": drug_tests.LABELS, "leave": leaves.LABELS,
              "transfer": transfers.LABELS, "activity": activities.LABELS, "screening": screenings.LABELS,
              "screen_referral": screenings.REFERRAL_LABELS,
              "police_report": {"reported_on": "报告日期", "matter": "报告事项", "reference": "回执或文号",
                                "notes": "备注"}}.get(entity, {})
    codes = {"measure": enums.MEASURE, "status": enums.STATUS, "risk_level": enums.RISK, "specimen": enums.SPECIMEN,
             "method": enums.METHOD, "result": enums.RESULT, "outcome": enums.OUTCOME,
             "kind": enums.LEAVE_KIND if entity == "leave" else enums.VISIT_KIND, "category": activities.CATEGORY}
    if entity == "file":  # (an imported file: which kind of file it was read as)
        from jindu_cli.domain.importer.headers import KIND_LABELS
        codes["kind"] = enums.Enum("类型", KIND_LABELS, {})
    if entity == "visit":
        codes["sub_kind"] = enums.SUB_KIND
    return labels, codes


def _summary(entity: str, action: str, changes: dict, reveal: bool) -> str:
    """An audit row's changes in words: field：old → new, codes as their Chinese labels, personal
    data masked unless revealed."""
    from jindu_cli.cli.output import cell
    from jindu_cli.domain.ids import mask_id, mask_phone

    labels, codes = _words(entity)
    hide = {} if reveal else {"id_number": mask_id, "phone": mask_phone}

    def shown(key: str, value) -> str:
        if key in hide and value:
            return hide[key](value)
        if key in codes and isinstance(value, str):
            return codes[key].label(value)
        return cell(value)

    order = {key: n for n, key in enumerate([*labels, *GENERAL])}  # (the trail keeps keys sorted: shown in the form's order)
    parts = []
    for key, value in sorted(changes.items(), key=lambda kv: order.get(kv[0], len(order))):
        label = labels.get(key) or GENERAL.get(key, key)
        paired = isinstance(value, list) and len(value) == 2 and action in ("add", "update", "status", "transfer", "link") \
            and key not in ("cases",)
        if paired:
            old, new = value
            if action == "add" and old is None:  # (a new record: its values, without a "was empty" each)
                parts.append(f"{label}：{shown(key, new)}")
            else:
                parts.append(f"{label}：{shown(key, old) or '（空）'} → {shown(key, new) or '（空）'}")
        else:
            parts.append(f"{label}：{shown(key, value)}")
    return "；".join(parts)


@app.command("list")
@guard
def audit_list(
    case: Annotated[Optional[str], typer.Argument(metavar="人员", help=f"只看这个人：{PERSON_HELP}",
                                                  show_default=False)] = None,
    limit: LimitOpt = None,
    fmt: FormatOpt = Fmt.table, reveal: RevealOpt = False, db: DbOpt = None, operator: OperatorOpt = None,
):
    """列出审计记录，最新的在前。

    例：jindu audit list；jindu audit list 12
    """
    from jindu_cli.domain import audit, cases, find

    conn = open_conn(db)
    case_id = find.find_case(conn, case).id if case else None
    rows = audit.entries(conn, case_id, limit)
    if reveal and rows:
        ids = sorted({r["case_id"] for r in rows if r["case_id"]})
        if ids:
            cases.record_reveal(conn, operator_name(operator), "audit list", ids)
    if fmt is Fmt.table:
        shown = [dict(r, time=local_time(r["at"]), action_label=ACTIONS.get(r["action"], r["action"]),
                      entity_label=ENTITIES.get(r["entity"], r["entity"]),
                      summary=_summary(r["entity"], r["action"], r["changes"], reveal))
                 for r in rows]
        emit(shown, COLUMNS, "table")
    else:
        if not reveal:
            for r in rows:
                r["changes"] = _masked_changes(r["changes"])
        emit(rows, COLUMNS, fmt.value, reveal=True)
    if not rows:
        message("没有审计记录")


def _masked_changes(changes: dict) -> dict:
    from jindu_cli.domain.ids import mask_id, mask_phone

    out = dict(changes)
    for key in SENSITIVE:
        if key in out:
            mask = mask_id if key == "id_number" else mask_phone
            value = out[key]
            out[key] = [mask(v) for v in value] if isinstance(value, list) else mask(value)
    return out


@app.command("verify")
@guard
def audit_verify(db: DbOpt = None):
    """检查审计链：每条记录都带着前一条的哈希，手工改动或删除过的记录会被指出来；
    再与数据库旁边的链头文件比对，末尾被删去的记录、被清空或换掉的数据库也会被发现。"""
    from jindu_cli.domain import audit

    conn = open_conn(db)
    verdict = audit.verify(conn)
    if verdict.ok:
        print(f"审计链完整：共 {verdict.rows} 条记录，最新哈希 {verdict.head}")
    else:
        print(f"审计链被破坏：{verdict.problem}")
    if verdict.kept_at is not None:
        print(_kept_line(verdict))
    if not verdict.ok:
        raise typer.Exit(1)


def _kept_line(verdict) -> str:
    kept, where = verdict.kept, verdict.kept_at
    if kept is None:
        return f"链头文件 {where}：还没有（下一次写入后建立）"
    when = f"，{local_time(kept.written_at)} 写入" if kept.written_at else ""
    line = f"链头文件 {where}：第 {kept.rows} 条，哈希 {kept.hash}{when}"
    if verdict.ok and kept.rows < verdict.rows:
        line += f"；之后的 {verdict.rows - kept.rows} 条由审计链本身担保，下一次写入后补上"
    return line
