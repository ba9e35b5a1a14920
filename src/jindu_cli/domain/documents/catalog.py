"""The documents jindu fills, and every field a template may name: its meaning and an example.

A template naming a field that is not here is refused (templates.check); a field here that a
template leaves out is simply not printed. A list field has the fields of its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str
    meaning: str
    example: str
    rows: tuple[Field, ...] = ()  # a list field: the fields of each of its rows

    def row(self, name: str) -> Field | None:
        return next((f for f in self.rows if f.name == name), None)


@dataclass(frozen=True)
class Document:
    name: str
    title: str  # the start of its file names
    use: str  # when it is used, for `doc list`
    fields: tuple[Field, ...] = field(default_factory=tuple)
    one_person: bool = True  # made for one person (or for each of a street's people)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


NOT_RECORDED = "（未登记）"  # a register field with nothing in it, shown as such
BLANK = "________"  # a setting not given: a line to fill in by hand


def _f(name: str, meaning: str, example: str, *rows: Field) -> Field:
    return Field(name, meaning, example, tuple(rows))


OFFICE = (
    _f("office_name", "单位名称（rules.toml 的 [office] name；不写时按人员所在街道）", "云岩区盐务街街道办事处"),
    _f("office_department", f"承办部门（[office] department；不写时为 {BLANK}）", "社区戒毒社区康复工作办公室"),
    _f("office_phone", "联系电话（[office] phone）", "0851-80000000"),
    _f("office_address", "地址（[office] address）", "贵阳市云岩区盐务街 1 号"),
    _f("office_signer", "联系人（[office] signer）", "李芳"),
    _f("issued_on", "成文日期（--as-of，默认今天）", "2026年11月28日"),
)

PERSON = (
    _f("case_id", "案件编号", "12"),
    _f("name", "姓名", "张伟"),
    _f("sex", "性别（由身份证号得出）", "男"),
    _f("birth_date", "出生日期（由身份证号得出）", "1990年1月1日"),
    _f("id_number", "身份证号（完整）", "520103199001011236"),
    _f("phone", f"联系电话（完整；没有登记时为 {NOT_RECORDED}，下同）", "13800005678"),
    _f("household_address", "户籍地", "贵州省贵阳市云岩区中华北路 1 号"),
    _f("residence_address", "居住地", "贵阳市云岩区盐务街 8 号"),
    _f("street", "执行地街道", "盐务街街道"),
    _f("community", "社区", "和平社区"),
    _f("measure", "措施", "社区戒毒"),
    _f("term_months", "期限（月）", "36"),
    _f("term_text", "期限（文字）", "三年"),
    _f("decision_authority", "决定机关", "贵阳市公安局云岩分局"),
    _f("decision_number", "决定书文号", "云公（禁）社戒决字〔2026〕12号"),
    _f("decided_on", "决定日期", "2026年11月1日"),
    _f("received_on", "收到决定书日期", "2026年11月2日"),
    _f("report_deadline", "报到期限（收到决定书后 15 日）", "2026年11月17日"),
    _f("reported_on", "报到日期", "2026年11月10日"),
    _f("agreement_on", "协议签订日期", "2026年11月10日"),
    _f("term_start", "期限开始（报到日期）", "2026年11月10日"),
    _f("term_end", "期满日期（扣除中止，或人工调整的日期）", "2029年11月9日"),
    _f("status", "状态", "社区戒毒中"),
    _f("risk_level", "风险等级", "中"),
    _f("risk_color", "风险颜色", "黄"),
    _f("drugs", "毒品种类（顿号分隔）", "甲基苯丙胺（冰毒）、氯胺酮"),
    _f("worker", "负责专干", "李芳"),
    _f("test_every", "个案尿检间隔（没有时为“按规则”）", "1 个月"),
    _f("notes", "备注（可有多行）", "家属配合"),
    _f("police_unit", "主送公安机关（[office] police，不写时为决定机关）", "贵阳市公安局云岩分局"),
)

CADENCE = (
    _f("urine_test_cadence", "这个人的尿检频次（规则按年度，高风险或个案间隔优先）",
       "第1年每月一次、第2年每2个月一次、第3年每3个月一次"),
    _f("hair_test_cadence", "毛发检测频次", "每6个月一次"),
    _f("talk_cadence", "谈话频次（高风险另有频次）", "每月一次"),
    _f("home_visit_cadence", "入户走访频次", "每3个月一次"),
    _f("assessment_cadence", "评估频次", "每6个月一次"),
    _f("agreement_days", "报到后签订协议的天数", "7"),
)

EVENT = (
    _f("on", "日期", "2026年11月20日"),
    _f("type", "类别", "检测"),
    _f("text", "内容", "尿液现场检测：阴性"),
    _f("record", "记录编号（# 加数字；没有时为空）", "#35"),
)

FLAG_ROWS = (
    _f("flag", "标记", "复吸"),
    _f("triggered_on", "产生日期", "2026年3月1日"),
    _f("reason", "情况", "社区戒毒期间尿液检测阳性（冰毒）"),
    _f("evidence", "依据（与 case flags 相同）", "2026-03-01 尿液阳性 #12"),
    _f("police", "报告公安", "已报告 2026年3月2日"),
)

HISTORY_ROWS = (
    _f("on", "日期", "2026年11月10日"),
    _f("status", "状态", "在执行"),
    _f("previous", "之前的状态（第一条为空）", "未报到"),
    _f("reason", "原因", "报到"),
)

DOCUMENTS: dict[str, Document] = {
    "agreement": Document(
        "agreement", "协议书", "报到时签订社区戒毒（康复）协议书：双方、决定、期限、义务（含这个人的检测和谈话频次）、签名",
        OFFICE + PERSON + CADENCE),
    "register-card": Document(
        "register-card", "登记表", "人员登记表：登记的全部信息、负责专干，家属联系人一栏手填",
        OFFICE + PERSON),
    "police-letter": Document(
        "police-letter", "报告公安函", "复吸、严重违反协议、逾期未报到等标记报告公安：事实、依据、产生日期（报告后用 case police-report 记录）",
        OFFICE + PERSON + (
            _f("flag", "标记", "复吸"),
            _f("flag_reason", "情况（与 case flags 相同）", "社区戒毒期间尿液检测阳性（冰毒）"),
            _f("triggered_on", "标记产生日期", "2026年3月1日"),
            _f("legal_basis", "法律依据", "《中华人民共和国禁毒法》第三十八条，《戒毒条例》第二十一条"),
            _f("evidence", "依据的记录", "",
               _f("on", "日期", "2026年3月1日"), _f("text", "记录（与 case flags 相同）", "2026-03-01 尿液阳性 #12")),
        )),
    "release-request": Document(
        "release-request", "催要解除通知书函", "期满后公安 7 日内未送达解除通知书时，函请送达",
        OFFICE + PERSON + (
            _f("notice_due", "公安应送达解除通知书的最后一天（期满后 7 日）", "2029年11月16日"),
            _f("legal_basis", "法律依据（按措施）", "《戒毒条例》第二十三条"),
            _f("days_late", "已超过的天数", "12"),
        )),
    "person-file": Document(
        "person-file", "一人一档", "一人一档：登记表、状态变化、全部检测、走访、外出、报告公安和标记，按日期排列（检查、移交时用）",
        OFFICE + PERSON + (
            _f("history", "状态变化（按日期）", "", *HISTORY_ROWS),
            _f("flags", "标记及其依据", "", *FLAG_ROWS),
            _f("events", "全部记录（按日期）：决定、报到、协议、检测、走访、外出、报告公安、标记、状态", "", *EVENT),
            _f("test_count", "检测记录数", "14"),
            _f("visit_count", "走访记录数", "20"),
            _f("leave_count", "外出记录数", "1"),
            _f("police_report_count", "报告公安次数", "1"),
        )),
    "worker-ledger": Document(
        "worker-ledger", "工作台账", "一位专干一个月的工作台账：逐人的谈话、走访、电话、帮扶（及其结果）、评估和检测，月末逾期事项、标记、报告公安，"
        "本月的禁毒宣传、入户调查和筛查，合计",
        OFFICE + (
            _f("worker", "专干", "李芳"),
            _f("streets", "负责人员所在的街道", "盐务街街道"),
            _f("period", "月份", "2026年11月"),
            _f("period_start", "月初", "2026年11月1日"),
            _f("period_end", "月末（本月未完时为 --as-of）", "2026年11月30日"),
            _f("people_count", "负责的人数", "12"),
            _f("entries", "逐人逐条记录", "",
               _f("name", "姓名（每人第一行）", "张伟"), _f("case_id", "案件编号（每人第一行）", "12"),
               *EVENT),
            _f("work", "本月的禁毒宣传、入户调查和筛查（--worker 为这位专干的），按日期", "",
               _f("on", "日期", "2026年11月12日"), _f("type", "类别：宣传、入户调查或筛查", "宣传"),
               _f("text", "内容", "进校园：盐务街小学，学生，320 人，资料 400 份"),
               _f("record", "活动或筛查的编号（# 加数字）", "#3")),
            _f("totals", "合计（含帮扶的结果，宣传、入户调查和筛查）", "", _f("item", "项目", "谈话"), _f("count", "次数", "18")),
        ), one_person=False),
}


def document(name: str) -> Document:
    from jindu_cli.errors import InvalidInput

    if name not in DOCUMENTS:
        raise InvalidInput("文书", f"“{name}”不是可用的文书；可用：{'、'.join(DOCUMENTS)}")
    return DOCUMENTS[name]
