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
    },
    {"执行中": "active", "社区戒毒中": "active", "社区康复中": "active", "恢复": "active",
     "已解除": "released", "解除": "released", "已死亡": "deceased", "待报到": "pending"},
)
CLOSED_STATUSES = ("terminated", "released", "deceased")
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
