"""Cells as values: text as spreadsheets leave it, dates, 身份证号, enumerations through their
synonyms, and the remembered conversions the fast path of a large log looks up."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from jindu_cli.domain import reference
from jindu_cli.domain.dates import parse_date
from jindu_cli.domain.ids import mask_id, mask_phone, parse_id_number
from jindu_cli.domain.importer.report import MASKED_ID, RowProblem
from jindu_cli.domain.text import FORMULA_START, clean_name, without_invisible
from jindu_cli.errors import InvalidInput


def cell_text(value) -> str:
    """A cell as text: spreadsheet leftovers removed (a formula guard, a .0 on whole numbers)."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = without_invisible(value).strip()
        if len(text) > 2 and text.startswith('="') and text.endswith('"'):
            text = text[2:-1].strip()  # ="520103..." : how many systems' CSV keep a long number as text in Excel
        if len(text) > 1 and text[0] == "'" and (text[1] in FORMULA_START or text[1].isdigit()):
            text = text[1:]  # the guard jindu's own exports put before = + - @, or a clerk's before a number
        return text
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


EXCEL_EPOCH = date(1899, 12, 30)


# an Excel day number written out as text (a CSV saved from a sheet whose date column lost its
# format): five digits, 1982 to 2119 (no date form of design.md has five digits; an older day, or a
# date typed short such as 20260, is reported as not understood rather than read as 1955)
SERIAL_TEXT = re.compile(r"[3-7]\d{4}(?:\.0+)?")


def excel_date(value) -> date | None:
    """An Excel serial day number (a date cell without a date format)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 80000:
        return EXCEL_EPOCH + timedelta(days=int(value))
    return None


@functools.lru_cache(maxsize=8)
def _synonym_table(path: Path, _mtime: float) -> dict:
    return reference.load_toml(path)


def vocabulary(conn, name: str, enum) -> Callable[[str], str]:
    """raw text -> code, through the enumeration's own spellings and data/synonyms.toml."""
    path = reference.data_file("synonyms.toml", conn)
    extra = {reference.fold(k): v for k, v in _synonym_table(path, path.stat().st_mtime).get(name, {}).items()}

    def one(raw: str) -> str | None:
        code = enum.lookup(raw)
        if code is None and reference.fold(raw) in extra:
            code = enum.lookup(extra[reference.fold(raw)])
        return code

    @functools.lru_cache(maxsize=4096)
    def parse(raw: str) -> str:
        code = one(raw)
        if code is None and (m := _BRACKETED.fullmatch(unicodedata.normalize("NFKC", raw).strip())):
            # a value with its sign or code in brackets, as labs write them: 阴性(-), (+), 阳性（+）;
            # the parts must agree (阴性(+) is refused)
            codes = {one(part.strip()) for part in m.groups() if part.strip()}
            code = codes.pop() if len(codes) == 1 else None
        if code is None:
            raise InvalidInput(enum.field, f"“{raw}”不是可选的值；可选：{enum.choices()}")
        return code

    return parse


_BRACKETED = re.compile(r"([^()]*)\(([^()]*)\)")


@functools.lru_cache(maxsize=65536)
def _id(raw: str) -> str:
    return parse_id_number(raw)


@functools.lru_cache(maxsize=65536)
def _date(raw: str) -> date | None:
    return parse_date(raw)


def as_date(value, label: str) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    serial = excel_date(value)
    if serial is not None:
        return serial
    text = cell_text(value)
    if not text:
        return None
    if SERIAL_TEXT.fullmatch(text):  # a date cell saved without its date format: Excel's day number
        return excel_date(int(float(text)))
    try:
        return _date(text)
    except InvalidInput as exc:
        raise InvalidInput(label, exc.reason) from None


def as_day(value, label: str) -> str:
    """The date a visit or test needs, as ISO text: a cell of spaces is as empty as an empty one."""
    day = as_date(value, label)
    if day is None:
        raise InvalidInput(label, "不能为空")
    return day.isoformat()


# a number as jindu writes it without --reveal (520103********1234): nothing can be recovered from it
_MASKED_ID = re.compile(r"\d{6}\*{8}\d{3}[\dXx]")


def as_id(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = cell_text(value)
        if len(text) == 15 and text.isdigit():
            return _id(text)
        raise InvalidInput("身份证号", "被电子表格存成了数字，末尾的几位已经丢失；请在原表中把这一列设为“文本”后重新填写完整号码")
    text = cell_text(value)
    if _MASKED_ID.fullmatch(text):
        raise InvalidInput("身份证号", MASKED_ID)
    return _id(text)


def same_name(cell, registered: str) -> bool:
    """Whether a row's name is the register's, spaced out or not (张　伟 is 张伟)."""
    try:
        return clean_name(cell_text(cell)) == clean_name(registered)
    except InvalidInput:  # (control characters, or too long: no name)
        return False


def masked(field: str, value: str | None) -> str:
    if not value:
        return ""
    if field == "id_number":
        return mask_id(value) if len(value) >= 10 else value
    if field == "phone":
        return mask_phone(value)
    return value if len(value) <= 60 else value[:57] + "……"


_NO_ANSWER = object()


class Memo:
    """`convert` with its answers remembered (bad values too): a log of a million rows holds a few
    thousand distinct dates, spellings and testers. A failure becomes a RowProblem on `field`.

    `good` maps the text cells seen so far to their answers, for the fast path of RecordRows;
    `empty` is the answer for an empty cell where the caller never converts one."""

    def __init__(self, convert: Callable, field: str, limit: int = 50_000, empty=_NO_ANSWER):
        self.convert, self.field, self.limit = convert, field, limit
        self.good: dict = {} if empty is _NO_ANSWER else {"": empty}
        self.bad: dict = {}

    def __call__(self, raw):
        key = raw if type(raw) is str else (type(raw), raw)
        try:
            return self.good[key]
        except KeyError:
            pass
        problem = self.bad.get(key)
        if problem is None:
            try:
                value = self.convert(raw)
            except RowProblem as exc:
                problem = exc.with_traceback(None)
            except InvalidInput as exc:
                problem = RowProblem(self.field, cell_text(raw), exc.reason)
            else:
                if len(self.good) < self.limit:
                    self.good[key] = value
                return value
            if len(self.bad) < self.limit:
                self.bad[key] = problem
        # a new one each time: the remembered one never holds a traceback, nor a frame that holds it
        raise RowProblem(problem.field, problem.value, problem.reason)


def damaged(text: str) -> bool:
    return "\x00" in text or "\ufffd" in text


def joined(cells: list) -> str:
    try:
        return "\x1f".join(cells)
    except TypeError:  # an .xlsx row: numbers and dates among the text
        return "\x1f".join(c for c in cells if isinstance(c, str))


def check_damage(cells: list) -> None:
    text = joined(cells)
    if "\x00" in text:
        raise RowProblem("", "", "含有空字符（NUL），这一行已损坏")
    if "\ufffd" in text:
        raise RowProblem("", "", "含有无法识别的字符：文件可能被截断，或混用了编码")
