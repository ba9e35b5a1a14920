"""Cadence rules loaded from a TOML file (data/rules.toml, an office's own copy beside the
database, or --rules FILE), checked strictly: an unknown key, a bad interval or a missing rule
is refused with the key and the reason."""

from __future__ import annotations

import re
import sqlite3
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from jindu_cli.domain.dates import add_months
from jindu_cli.errors import InvalidInput, JinduError

ITEMS = ("report_in", "agreement", "urine_test", "hair_test", "talk", "home_visit", "assessment",
         "term_end", "three_year_clean", "lost_contact", "police_report", "hair_review", "leave_return",
         "release_notice", "transfer_report")
# items added after offices made their own rules files: a file without them takes the shipped ones
LATER_ITEMS = ("hair_review", "leave_return", "release_notice", "transfer_report")
URINE_VARIANTS = ("community_treatment", "community_rehab_3y", "community_rehab_other", "high_risk")

# rule -> {key: kind}; "interval", "intervals", "int", "str", "interval?" (may be "")
SCHEMA: dict[str, dict[str, str]] = {
    "report_in": {"label": "str", "source": "str", "days": "int"},
    "agreement": {"label": "str", "source": "str", "days": "int"},
    "urine_test": {"label": "str"},
    "hair_test": {"label": "str", "source": "str", "interval": "interval"},
    "talk": {"label": "str", "source": "str", "interval": "interval", "high_risk_interval": "interval?"},
    "home_visit": {"label": "str", "source": "str", "interval": "interval"},
    "assessment": {"label": "str", "source": "str", "interval": "interval"},
    "term_end": {"label": "str", "source": "str", "notice_days": "int"},
    "three_year_clean": {"label": "str", "source": "str", "years": "int"},
    "lost_contact": {"label": "str", "source": "str", "days": "int", "failed_contacts": "int", "calls_count": "bool?"},
    "police_report": {"label": "str", "source": "str", "days": "int"},
    "hair_review": {"label": "str", "source": "str", "window_months": "int"},
    "leave_return": {"label": "str", "source": "str", "grace_days": "int"},
    "release_notice": {"label": "str", "source": "str", "days": "int"},
    "transfer_report": {"label": "str", "source": "str", "days": "int"},
}
# a variant's optional keys: a shorter interval for the first months of year 1 (R12's strict
# preset), and the unannounced tests (突击检测) wanted over the term (counted, never made due)
_VARIANT = {"source": "str", "intervals": "intervals", "start_interval": "interval?", "start_months": "int?",
            "unannounced": "int?"}
URINE_SCHEMA = {
    "community_treatment": _VARIANT,
    "community_rehab_3y": _VARIANT,
    "community_rehab_other": _VARIANT,
    "high_risk": {"source": "str", "interval": "interval?"},
}
SETTINGS = {"holiday_shift": "bool", "unannounced_after_draw_days": "int"}
SETTING_DEFAULTS = {"holiday_shift": False, "unannounced_after_draw_days": 3}
# the settings of the upward report (domain.md §9.2): optional, each with a default
REPORT = {"face_to_face_per_month": "int", "visits_per_month": "int", "execution_rate": "str"}
REPORT_DEFAULTS = {"face_to_face_per_month": 1, "visits_per_month": 2, "execution_rate": "executed"}
EXECUTION_RATES = ("executed", "reported")
# the office's name and signature lines on the documents it prints (jindu doc): optional, each
# worked out from the person's street or left as a line to fill in by hand when not given
OFFICE = {"name": "str", "department": "str", "phone": "str", "address": "str", "signer": "str", "police": "str"}

_INTERVAL = re.compile(r"^([1-9][0-9]{0,2})([dwmy])$")


@dataclass(frozen=True)
class Interval:
    """A cadence: calendar months (month ends clipped) or days."""

    months: int = 0
    days: int = 0
    text: str = ""

    def add(self, d: date) -> date:
        if self.months:
            return add_months(d, self.months)
        return d + timedelta(days=self.days)

    @property
    def min_days(self) -> int:
        """The fewest days this interval can span (a month is at least 28 days)."""
        return self.months * 28 + self.days

    @property
    def words(self) -> str:
        """As the rules file writes it (1m, 2w, 30d, 1y), in words: 1 个月, 2 周, 30 天, 1 年."""
        m = _INTERVAL.match(self.text)
        return f"{m.group(1)} {dict(m='个月', y='年', w='周', d='天')[m.group(2)]}" if m else self.label

    @property
    def label(self) -> str:
        if self.months == 1:
            return "每月"
        if self.months == 12:
            return "每年"
        if self.months and self.months % 12 == 0:
            return f"每{self.months // 12}年"
        if self.months:
            return f"每{self.months}个月"
        if self.days % 7 == 0:
            return "每周" if self.days == 7 else f"每{self.days // 7}周"
        return f"每{self.days}天"


def parse_interval(text: str, where: str) -> Interval:
    m = _INTERVAL.match(str(text).strip().lower())
    if not m:
        raise RulesError(where, f"“{text}”不是间隔；应写成 1m（月）、2w（周）、15d（天）或 1y（年）")
    n, unit = int(m.group(1)), m.group(2)
    if unit == "m":
        return Interval(months=n, text=f"{n}m")
    if unit == "y":
        return Interval(months=12 * n, text=f"{n}y")
    return Interval(days=n * (7 if unit == "w" else 1), text=f"{n}{unit}")


class RulesError(JinduError):
    """A fault in a rules file, at `where` (a key path such as urine_test.high_risk.interval)."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}：{reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    source: str
    values: dict

    def __getitem__(self, key: str):
        return self.values[key]


@dataclass(frozen=True)
class Rules:
    path: Path
    rules: dict[str, Rule]
    urine: dict[str, Rule]  # variant -> Rule (source, intervals/interval)
    holiday_shift: bool
    report: dict
    settings: dict  # SETTINGS, each given or its default
    office: dict = field(default_factory=dict)

    def __getitem__(self, item: str) -> Rule:
        return self.rules[item]

    def label(self, item: str) -> str:
        return self.rules[item].label

    def urine_variant(self, measure: str, term_months: int) -> str:
        if measure == "community_treatment":
            return "community_treatment"
        return "community_rehab_3y" if term_months == 36 else "community_rehab_other"

    def urine_variant_sql(self, measure: str, term_months: str) -> str:
        """`urine_variant` in SQL, of SQL expressions of the measure and the term (a test holds the
        two together)."""
        return (f"CASE WHEN {measure} = 'community_treatment' THEN 'community_treatment'"
                f" WHEN {term_months} = 36 THEN 'community_rehab_3y' ELSE 'community_rehab_other' END")


def _check(value, kind: str, where: str):
    if kind == "str":
        if not isinstance(value, str) or not value.strip():
            raise RulesError(where, "应为非空的文字")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RulesError(where, f"“{value}”应为不小于 0 的整数")
        return value
    if kind in ("bool", "bool?"):
        if not isinstance(value, bool):
            raise RulesError(where, f"“{value}”应为 true 或 false")
        return value
    if kind == "interval":
        return parse_interval(value, where)
    if kind == "interval?":
        return None if value in ("", None) else parse_interval(value, where)
    if kind == "int?":
        return _check(value, "int", where)
    if kind == "intervals":
        if not isinstance(value, list) or not value:
            raise RulesError(where, "应为间隔的列表，每个年度一个，如 [\"1m\", \"2m\", \"3m\"]；最后一个也用于以后的年度")
        return [parse_interval(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise AssertionError(kind)


def _table(data: dict, schema: dict[str, str], where: str) -> dict:
    if not isinstance(data, dict):
        raise RulesError(where, "应为一个表（[...] 段）")
    unknown = sorted(set(data) - set(schema))
    if unknown:
        raise RulesError(f"{where}.{unknown[0]}", f"未知的键；这里可用的键：{'、'.join(schema)}")
    out = {}
    for key, kind in schema.items():
        if key not in data:
            if kind.endswith("?"):
                out[key] = {"bool?": False, "int?": 0}.get(kind)
                continue
            raise RulesError(f"{where}.{key}", "缺少这个键")
        out[key] = _check(data[key], kind, f"{where}.{key}")
    return out


def _urine(section: dict, urine: dict[str, Rule]) -> Rule:
    """The urine_test rule with its variants (filled into `urine`)."""
    head = {k: v for k, v in section.items() if not isinstance(v, dict)}
    nested = {k: v for k, v in section.items() if isinstance(v, dict)}
    values = _table(head, SCHEMA["urine_test"], "urine_test")
    unknown_variants = sorted(set(nested) - set(URINE_SCHEMA))
    if unknown_variants:
        raise RulesError(f"urine_test.{unknown_variants[0]}", f"未知的尿检类别；可用：{'、'.join(URINE_SCHEMA)}")
    for variant, schema in URINE_SCHEMA.items():
        if variant not in nested:
            raise RulesError(f"urine_test.{variant}", "缺少这个尿检类别")
        v = _table(nested[variant], schema, f"urine_test.{variant}")
        if bool(v.get("start_interval")) != bool(v.get("start_months")):
            raise RulesError(f"urine_test.{variant}", "start_interval（头几个月的间隔）和 start_months（几个月）要一起写")
        urine[variant] = Rule(f"urine_test.{variant}", values["label"], v["source"], v)
    return Rule("urine_test", values["label"], "/".join(urine[v].source for v in URINE_VARIANTS), values)


def _options(data: dict, name: str, schema: dict[str, str], defaults: dict) -> dict:
    """An optional section of settings: each key checked, the defaults for those not given."""
    given = data.get(name, {})
    if not isinstance(given, dict):
        raise RulesError(name, "应为一个表（[...] 段）")
    unknown = sorted(set(given) - set(schema))
    if unknown:
        raise RulesError(f"{name}.{unknown[0]}", f"未知的设置；可用的设置：{'、'.join(schema)}")
    return {**defaults, **{k: _check(v, schema[k], f"{name}.{k}") for k, v in given.items()}}


def parse_rules(data: dict, path: Path, shipped: dict | None = None) -> Rules:
    """A rules file's contents checked; the items added since an office's file was made (LATER_ITEMS)
    taken from `shipped` (the shipped file's contents) where the file lacks them."""
    try:
        known = set(ITEMS) | {"settings", "report", "office"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RulesError(unknown[0], f"未知的规则；可用的规则：{'、'.join(ITEMS)}")
        if shipped is not None:
            data = {**{item: shipped[item] for item in LATER_ITEMS if item not in data}, **data}
        missing = [item for item in ITEMS if item not in data]
        if missing:
            raise RulesError(missing[0], "缺少这条规则（文件必须完整：可用 jindu rules template 取得完整的默认文件）")
        rules: dict[str, Rule] = {}
        urine: dict[str, Rule] = {}
        for item in ITEMS:
            if item == "urine_test":
                rules[item] = _urine(data[item], urine)
            else:
                values = _table(data[item], SCHEMA[item], item)
                rules[item] = Rule(item, values["label"], values["source"], values)
        settings = _options(data, "settings", SETTINGS, SETTING_DEFAULTS)
        report = _options(data, "report", REPORT, REPORT_DEFAULTS)
        if report["execution_rate"] not in EXECUTION_RATES:
            raise RulesError("report.execution_rate", f"“{report['execution_rate']}”不是可选的口径；可选：{'、'.join(EXECUTION_RATES)}")
        office = {k: v.strip() for k, v in _options(data, "office", OFFICE, {}).items()}
        return Rules(path, rules, urine, settings["holiday_shift"], report, settings, office)
    except RulesError as exc:
        raise JinduError(f"规则文件 {path} 有误：{exc.where}：{exc.reason}") from None


_CACHE: dict[tuple, Rules] = {}


PROFILES = {"standard": "标准", "strict": "严格"}


def template(profile: str = "standard") -> str:
    """The shipped rules file, as an office starts its own from: the standard cadence, or R12's
    strict preset (the lines marked #strict in the shipped file, in force)."""
    from jindu_cli.domain.reference import packaged_data_dir

    if profile not in PROFILES:
        raise InvalidInput("--profile", f"“{profile}”不是可选的方案；可选：" + "、".join(f"{k}（{v}）" for k, v in PROFILES.items()))
    text = (packaged_data_dir() / "rules.toml").read_text(encoding="utf-8")
    return text.replace("\n#strict ", "\n") if profile == "strict" else text


def load_rules(conn: sqlite3.Connection | None = None, path: str | Path | None = None) -> Rules:
    """The rules in force: --rules FILE, else rules.toml beside the database, else the shipped one."""
    from jindu_cli.domain.reference import data_file

    chosen = Path(path).expanduser() if path else data_file("rules.toml", conn)
    try:
        stat = chosen.stat()
    except OSError:
        raise JinduError(f"找不到规则文件 {chosen}") from None
    key = (str(chosen.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        try:
            with open(chosen, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise JinduError(f"规则文件 {chosen} 不是有效的 TOML：{exc}") from None
        _CACHE[key] = parse_rules(data, chosen, _shipped())
    return _CACHE[key]


def _shipped() -> dict:
    """The shipped rules file's contents: where an office's own file lacks a later item."""
    from jindu_cli.domain.reference import packaged_data_dir

    with open(packaged_data_dir() / "rules.toml", "rb") as fh:
        return tomllib.load(fh)
