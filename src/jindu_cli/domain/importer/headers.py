"""Column names: the spellings offices use (data/headers.toml), which row of a file's first rows
holds them, and which of jindu's fields each names."""

from __future__ import annotations

import functools
import itertools
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from jindu_cli.domain import reference
from jindu_cli.domain.importer.report import FileProblem
from jindu_cli.domain.importer.values import cell_text

KINDS = ("cases", "visits", "tests", "activities", "screenings")
KIND_LABELS = {"cases": "登记表", "visits": "走访记录", "tests": "检测记录", "activities": "宣传台账",
               "screenings": "筛查台账"}
REQUIRED = {
    "cases": ("id_number", "name", "street", "measure"),
    "visits": ("id_number", "visited_on", "kind"),
    "tests": ("id_number", "tested_on", "specimen", "result"),
    "activities": ("held_on",),  # and 活动类别 or 活动名称 (importer.fieldwork)
    "screenings": ("screened_on", "screened_group", "specimen", "tested"),
}
ONE_OF = {"activities": ("kind", "title")}  # columns of which a file of the kind must have one
# What `import auto` tells apart, in the order a file's columns decide (see kind_of).
AUTO_KINDS = ("tests", "visits", "cases", "activities", "screenings")
LEDGER_KINDS = ("activities", "screenings")
HEADER_SEARCH = 10  # how many rows that are not blank may come before (and with) the column names


def first_rows(rows: Iterator[tuple[int, list]], known: Callable[[list[str]], int] | None) -> list[tuple[int, list]]:
    """A file's first rows that are not blank, among which its column names are: the first alone
    without `known`, else up to HEADER_SEARCH."""
    lead: list[tuple[int, list]] = []
    for number, cells in rows:
        if any(cell_text(c) for c in cells):
            lead.append((number, cells))
            if known is None or len(lead) >= HEADER_SEARCH:
                break
    return lead


def find_header(lead: list[tuple[int, list]], known: Callable[[list[str]], int] | None
                ) -> tuple[int, list[str], int]:
    """Where in a file's first rows (line number, cells) the column names are: (the index of their
    last row, the names, how many rows are above them). The first row, unless a later one names
    more of the columns jindu knows, and at least two: an office's export often starts with a title,
    such as 某某街道社区戒毒人员花名册, and a line of 填报单位 and date. Two rows on adjacent lines are
    read as one when together they name more than either: a heading over several columns (检测情况
    over 检测日期, 检测结果) leaves its other columns' names in the row above."""
    rows = [(number, [cell_text(c) for c in cells]) for number, cells in lead]
    if known is None or len(rows) < 2:
        return 0, rows[0][1], 0
    candidates = [(known(cells), -i, i, cells, i) for i, (_, cells) in enumerate(rows)]
    for i in range(len(rows) - 1):
        (line, upper), (below, lower) = rows[i], rows[i + 1]
        if below == line + 1:
            both = [b or a for a, b in itertools.zip_longest(upper, lower, fillvalue="")]
            score = known(both)
            if score > max(known(upper), known(lower)):
                candidates.append((score, -i, i + 1, both, i))
    score, _, index, header, above = max(candidates)
    first = known(rows[0][1])
    return (index, header, above) if score >= 2 and score > first else (0, rows[0][1], 0)


def header_score(conn: sqlite3.Connection | None, kinds: Iterable[str]) -> Callable[[list[str]], int]:
    """How many of the columns of these kinds a row names (a row of column names names several)."""
    fields: dict[str, str] = {}
    for kind in kinds:
        aliases, _ = header_aliases(conn, kind)
        fields.update((fold_header(title), f"{kind}.{name}") for name, titles in aliases.items() for title in titles)
    return lambda row: len({_known_as(fields, key) for key in map(fold_header, row)} - {None})


def fold_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    text = re.sub(r"\((必填|选填|必须|可选)\)|[*\s]", "", text)
    return text.rstrip(":")


def _known_as(lookup: dict[str, str], key: str) -> str | None:
    """What a folded column name stands for: itself, or without a closing note in brackets
    (身份证号码（18位）, 报到日期(年月日)) when the name with the note is not known as such."""
    found = lookup.get(key)
    if found is None and key.endswith(")") and "(" in key:
        found = lookup.get(key[:key.rindex("(")])
        if found is not None and found.endswith("term_months"):
            return None  # the note may be a unit: 期限(年) is not a number of months
    return found


@functools.lru_cache(maxsize=8)
def _header_table(path: Path, _mtime: float) -> dict:
    return reference.load_toml(path)


def header_aliases(conn: sqlite3.Connection | None, kind: str) -> tuple[dict[str, list[str]], set[str]]:
    path = reference.data_file("headers.toml", conn)
    data = _header_table(path, path.stat().st_mtime)
    return data[kind], {fold_header(h) for h in data.get("ignore", [])}


def map_header(conn, kind: str, header: list[str]) -> tuple[dict[str, int], list[str]]:
    aliases, ignored = header_aliases(conn, kind)
    lookup = {fold_header(alias): name for name, names in aliases.items() for alias in names}
    found: dict[str, int] = {}
    unknown: list[str] = []
    for index, title in enumerate(header):
        key = fold_header(title)
        if not key or key in ignored:
            continue
        name = _known_as(lookup, key)
        if name is None:
            unknown.append(title)
        elif name in found:
            raise FileProblem(f"列“{header[found[name]]}”和“{title}”都表示{aliases[name][0]}，请删去一列")
        else:
            found[name] = index
    missing = [name for name in REQUIRED[kind] if name not in found]
    if missing:
        name = missing[0]
        raise FileProblem(
            f"缺少必需的列“{aliases[name][0]}”（可以写作：{'、'.join(aliases[name][:5])}）；"
            f"文件里的列是：{'、'.join(h for h in header if h) or '（没有列名）'}")
    return found, unknown


def kind_of(conn, header: list[str], kinds: tuple[str, ...]) -> tuple[str | None, str]:
    """Which of `kinds` these column names fit (see detect_kind): (kind, "") or (None, why not). A
    person's records decide over the register (a log may carry its 街道, 措施), and the register over
    a street's own ledgers (a 日期 and a 类别 are found in many files)."""
    fits = _fitting(conn, header, kinds)
    for group in (("visits", "tests"), ("cases",), LEDGER_KINDS):
        found = [k for k in group if k in fits]
        if len(found) > 1:
            first, second = (KIND_LABELS[k] for k in found[:2])
            return None, (f"既有{first}的列，也有{second}的列，看不出是哪一种："
                          f"请用 jindu import {found[0]} 或 jindu import {found[1]} 导入")
        if found:
            return found[0], ""
    shown = "、".join(h for h in header if h) or "（没有列名）"
    return None, (f"看不出是{_which(kinds)}（文件里的列是：{shown}）；请指明类型导入，"
                  f"如 jindu import {_order(kinds)[0]} 文件（类型：{_which(kinds, ' 或 ', str)}）")


def _fitting(conn, header: list[str], kinds: tuple[str, ...]) -> list[str]:
    """The kinds among `kinds` whose required columns these are."""
    fits = []
    for kind in kinds:
        try:
            found, _ = map_header(conn, kind, header)
        except FileProblem:
            continue
        if kind not in ONE_OF or any(name in found for name in ONE_OF[kind]):
            fits.append(kind)
    if set(fits) & set(LEDGER_KINDS) and _names_a_person(conn, header):
        # (a person's log whose 身份证号 column went unrecognised is not a street's ledger of events)
        fits = [k for k in fits if k not in LEDGER_KINDS]
    return fits


def _names_a_person(conn, header: list[str]) -> bool:
    """Whether a column of these is a person's 姓名 or 身份证号."""
    aliases, _ = header_aliases(conn, "cases")
    person = {fold_header(title) for name in ("name", "id_number") for title in aliases[name]}
    return any(_known_as({key: key for key in person}, fold_header(title)) for title in header if title)


def _order(kinds: tuple[str, ...]) -> list[str]:
    return [k for k in KINDS if k in kinds]


def _which(kinds: tuple[str, ...], last: str = "还是", named=KIND_LABELS.get) -> str:
    """登记表、走访记录还是检测记录: the kinds a file could have been, as a question's choices."""
    labels = [named(k) for k in _order(kinds)]
    return labels[0] if len(labels) == 1 else f"{'、'.join(labels[:-1])}{last}{labels[-1]}"


AUTO_CHOICES = _which(AUTO_KINDS)


def export_headers(kind: str) -> dict[str, str]:
    aliases, _ = header_aliases(None, kind)
    return {name: names[0] for name, names in aliases.items()}
