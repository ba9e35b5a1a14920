"""Enumerated values: a stable English code stored in the database, a Chinese label shown to
people, and the spellings accepted on input (Chinese, the code, and common synonyms).

The codes carry meaning for the code (a 中止 pauses the term), so they live here; extra
spellings seen in street-office files are data (data/synonyms.toml, the importer's issue).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from jindu_cli.errors import InvalidInput


@dataclass(frozen=True)
class Enum:
    field: str  # Chinese field name, for error messages
    labels: dict[str, str]  # code -> label
    synonyms: dict[str, str]  # extra spelling -> code

    def parse(self, raw: str | None, field: str | None = None) -> str:
        if raw is None or not str(raw).strip():
            raise InvalidInput(field or self.field, "不能为空")
        code = self.lookup(str(raw))
        if code is None:
            raise InvalidInput(field or self.field, f"“{str(raw).strip()}”不是可选的值；可选：{self.choices()}")
        return code

    def lookup(self, raw: str) -> str | None:
        key = _fold(raw)
        for code, label in self.labels.items():
            if key in (_fold(code), _fold(code.replace("_", "-")), _fold(label)):
                return code
        for spelling, code in self.synonyms.items():
            if key == _fold(spelling):
                return code
        return None

    def label(self, code: str | None) -> str | None:
        return self.labels.get(code, code) if code else code

    def choices(self) -> str:
        return "、".join(f"{label}（{code.replace('_', '-')}）" for code, label in self.labels.items())


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")


MEASURE = Enum(
    "措施",
    {"community_treatment": "社区戒毒", "community_rehab": "社区康复"},
    {"社戒": "community_treatment", "社康": "community_rehab", "责令社区戒毒": "community_treatment",
     "责令社区康复": "community_rehab", "treatment": "community_treatment", "rehab": "community_rehab"},
)

STATUS = Enum(
    "状态",
    {
        "pending": "未报到",
        "active": "在执行",
        "suspended": "中止",
        "terminated": "终止",
        "released": "期满解除",
        "deceased": "死亡",
        "clean": "戒断三年未复吸",
    },
    {"执行中": "active", "社区戒毒中": "active", "社区康复中": "active", "恢复": "active",
     "已解除": "released", "解除": "released", "已死亡": "deceased", "待报到": "pending",
     "戒断三年": "clean", "三年未复吸": "clean"},
)
CLOSED_STATUSES = ("terminated", "released", "deceased", "clean")
UNDER_MANAGEMENT = ("pending", "active", "suspended")

RISK = Enum(
    "风险等级",
    {"high": "高", "medium": "中", "low": "低"},
    {"高风险": "high", "中风险": "medium", "低风险": "low", "a": "high", "b": "medium", "c": "low"},
)


def status_label(status: str, measure: str) -> str:
    """在执行 is shown as 社区戒毒中 or 社区康复中 (domain.md §5.2)."""
    if status == "active":
        return "社区戒毒中" if measure == "community_treatment" else "社区康复中"
    return STATUS.label(status)

VISIT_KIND = Enum(
    "走访方式",
    {"talk": "谈话", "home_visit": "入户走访", "phone": "电话联系", "help": "帮扶", "assessment": "评估"},
    {"面谈": "talk", "谈心": "talk", "谈话教育": "talk", "走访": "home_visit", "家访": "home_visit",
     "入户": "home_visit", "上门走访": "home_visit", "电话": "phone", "电话回访": "phone",
     "电话随访": "phone", "帮扶走访": "help", "帮扶救助": "help", "小结": "assessment",
     "半年小结": "assessment", "年度评估": "assessment", "风险评估": "assessment"},
)
HELP_KIND = Enum(
    "帮扶类别",
    {"employment": "就业", "relief": "救助", "medical": "医疗", "psychological": "心理",
     "legal": "法律", "other": "其他"},
    {"就业帮扶": "employment", "低保": "relief", "社会救助": "relief", "医疗救助": "medical",
     "心理疏导": "psychological", "心理咨询": "psychological", "法律援助": "legal"},
)
ASSESSMENT_KIND = Enum(
    "评估类别",
    {"half_year": "半年小结", "yearly": "年度评估"},
    {"小结": "half_year", "半年": "half_year", "年度": "yearly", "评估": "yearly", "年度小结": "yearly"},
)
SUB_KIND = Enum("类别", {**HELP_KIND.labels, **ASSESSMENT_KIND.labels}, {})  # a visit's, either (for showing)
OUTCOME = Enum(
    "走访结果",
    {"seen": "见到本人", "not_seen": "未见到本人", "refused": "拒绝配合", "reached": "已接通", "unreached": "未接通"},
    {"见到": "seen", "已见到": "seen", "未见到": "not_seen", "未见": "not_seen", "拒绝": "refused",
     "不配合": "refused", "接通": "reached", "打通": "reached", "通话": "reached", "未接": "unreached",
     "无人接听": "unreached", "没人接": "unreached", "关机": "unreached", "停机": "unreached", "空号": "unreached",
     "拒接": "refused"},
)
CALL_OUTCOMES = ("reached", "unreached", "refused")  # a phone call's; the others are a meeting's
FACE_TO_FACE_KINDS = ("talk", "home_visit", "help", "assessment")

SPECIMEN = Enum(
    "检测样本",
    {"urine": "尿液", "hair": "毛发", "blood": "血液", "saliva": "唾液"},
    {"尿检": "urine", "尿": "urine", "尿样": "urine", "毛发检测": "hair", "毛检": "hair", "头发": "hair",
     "血检": "blood", "血": "blood", "唾液检测": "saliva", "唾检": "saliva"},
)
METHOD = Enum(
    "检测方法",
    {"field": "现场检测", "lab": "实验室检测", "recheck": "复检"},
    {"现场": "field", "快检": "field", "实验室": "lab", "实验室复检": "recheck"},
)
RESULT = Enum(
    "检测结果",
    {"negative": "阴性", "positive": "阳性", "refused": "拒检", "evaded": "逃检", "invalid": "无效"},
    {"-": "negative", "－": "negative", "—": "negative", "neg": "negative", "+": "positive",
     "＋": "positive", "pos": "positive", "拒绝检测": "refused", "拒绝": "refused", "逃避检测": "evaded",
     "逃避": "evaded", "未到": "evaded", "样本无效": "invalid"},
)
PERFORMED_RESULTS = ("negative", "positive")  # R15: only these move a test's clock
MISSED_RESULTS = ("refused", "evaded")  # R7, R24: count toward 严重违反协议

LEAVE_KIND = Enum(
    "外出类别",
    {"reported": "外出报告", "unreported": "擅离"},
    {"请假": "reported", "报告外出": "reported", "书面报告": "reported", "擅自离开": "unreported",
     "未报告": "unreported"},
)
