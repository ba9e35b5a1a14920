"""The one place that parses dates, and calendar-month arithmetic.

Year-first forms only, never a guess between day and month: `2024-03-05`, `2024/3/5`,
`2024.3.5`, `2024年3月5日` (or 5号), `20240305`, each optionally followed by a time such as
` 00:00:00` (what spreadsheets append). `03/04/2024` is an error.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from datetime import date

from jindu_cli.errors import InvalidInput

MIN_YEAR = 1900
MAX_YEAR = 2100

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_FORMS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + "$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})" + _TIME + "$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})" + _TIME + "$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?" + _TIME + "$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})" + _TIME + "$"),
]
HINT = "请用年份在前的写法，如 2024-03-05、2024/3/5、2024.3.5、2024年3月5日 或 20240305"


def parse_date(raw: str | date | None, field: str = "日期") -> date | None:
    """Parse one date; empty gives None. Raises InvalidInput naming `field` and the reason."""
    if raw is None:
        return None
    if isinstance(raw, date):
        return raw
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return None
    for form in _FORMS:
        m = form.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            check_year(y, field, text)
            try:
                return date(y, mo, d)
            except ValueError:
                raise InvalidInput(field, f"日期 {text} 不存在") from None
    if re.match(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}", text):
        raise InvalidInput(field, f"“{text}”的年月日顺序有歧义，无法确定；{HINT}")
    raise InvalidInput(field, f"无法识别的日期“{text}”；{HINT}")


_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?$")
_YEAR = re.compile(r"^(\d{4})\s*年?$")


def parse_bound(raw: str | date | None, field: str, last: bool) -> date | None:
    """One end of a span (--from, --to): a date, or a whole month (`2026-03`, `2026年3月`) or year
    (`2026`), which stands for its first day, or with `last` its last day."""
    text = unicodedata.normalize("NFKC", str(raw)).strip() if isinstance(raw, str) else ""
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise InvalidInput(field, f"“{text}”的月份不对")
    elif m := _YEAR.match(text):
        year, month = int(m.group(1)), 12 if last else 1
    else:
        return parse_date(raw, field)
    check_year(year, field, text)
    return date(year, month, calendar.monthrange(year, month)[1] if last else 1)


def check_year(year: int, field: str, text: str) -> int:
    """A year a date, month or period may name: the calendar's ends (year 1, 9999) are typing
    mistakes, and the arithmetic done from a date (a term, the days before it) must not run past them."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(field, f"年份 {year} 不在 {MIN_YEAR}-{MAX_YEAR} 之间（{text}）")
    return year


def require_date(raw: str | date | None, field: str) -> date:
    value = parse_date(raw, field)
    if value is None:
        raise InvalidInput(field, "不能为空")
    return value


@functools.lru_cache(maxsize=1 << 16)
def add_months(d: date, months: int) -> date:
    """Calendar months, the day clipped to the month's end (2024-01-31 + 1 month = 2024-02-29).

    The same as `d + dateutil.relativedelta(months=months)` (a property test checks this),
    written out and remembered because the due list asks it hundreds of thousands of times, of a
    few thousand distinct dates.
    """
    total = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(total, 12)
    month = month0 + 1
    day = d.day
    if day > 28:
        day = min(day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def from_iso(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None
