"""Finding people: what a clerk types to name one person, and the register's listings."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from datetime import date

from jindu_cli.domain.filters import Filter
from jindu_cli.domain.enums import STATUS
from jindu_cli.domain.ids import mask_id, mask_phone, parse_id_number
from jindu_cli.domain.people import AWAITING_RELEASE, Case, get_case, load_cases
from jindu_cli.domain.text import without_invisible
from jindu_cli.errors import Conflict, InvalidInput, NotFound

SORTS = {
    # user word -> ORDER BY clause; user text never reaches the SQL
    "id": "c.id",
    "name": "c.name_pinyin, c.id",
    "street": "c.street, c.community, c.name_pinyin, c.id",
    "reported": "c.reported_on, c.id",
    "risk": "CASE c.risk_level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, c.id",
    "worker": "c.worker, c.id",
}


PERSON = "人员"
# The ways a clerk names one person, in every command and in the help of its 人员 argument.
PERSON_FORMS = "案件编号（1 到 7 位数字，如 12）、完整身份证号（18 位或旧的 15 位）、尾号四位（如 尾号1232）、姓名或拼音"
CASE_DIGITS = 7  # a case number is what `case add` prints: digits, never as many as an ID or a phone
_NUMBER = re.compile(rf"#?(\d{{1,{CASE_DIGITS}}})")
_TAIL = re.compile(r"尾号[\s:]*(.*)")
_SEPARATORS = re.compile(r"[\s\-+()]")  # what people put between the digits of a long number
_DIGITS = re.compile(r"\d+X?")


@dataclass(frozen=True)
class PersonRef:
    """What a reference to one person means: kind is "case" (value an int), "id" (the number as
    typed, digits and X), "tail" (the ID's last four) or "name" (a name or its pinyin)."""
    kind: str
    value: int | str


def _ref_text(ref) -> str:
    return without_invisible(unicodedata.normalize("NFKC", str(ref))).strip()


def parse_person(ref) -> PersonRef:
    """Digits alone, 1 to 7 of them (or #12), are the case number, always; 15 or 18 characters a
    complete 身份证号; 尾号1232 the ID's last four. Any other string of digits (a phone number, part of
    an ID) is refused, masked, naming the forms: it would otherwise be taken for someone."""
    text = _ref_text(ref)
    if not text:
        raise InvalidInput(PERSON, f"不能为空；可写{PERSON_FORMS}")
    if m := _TAIL.fullmatch(text):
        four = m.group(1).replace(" ", "").upper()
        if re.fullmatch(r"\d{3}[\dX]", four):
            return PersonRef("tail", four)
        raise InvalidInput(PERSON, _not_a_tail(four))
    if m := _NUMBER.fullmatch(text):  # (#12 too, as earlier versions wrote a case number)
        return PersonRef("case", int(m.group(1)))
    if text.startswith("#"):
        raise InvalidInput(PERSON, f"“{_masked(text)}”不是案件编号（# 后面是最多 {CASE_DIGITS} 位的数字）；可写{PERSON_FORMS}")
    compact = _SEPARATORS.sub("", text).upper()
    if _DIGITS.fullmatch(compact):
        if len(compact) == 18 or (len(compact) == 15 and compact.isdigit()):
            return PersonRef("id", compact)
        raise InvalidInput(PERSON, _not_a_person(compact))
    if any(ch.isdigit() for ch in text):
        raise InvalidInput(PERSON, f"“{_masked(text)}”不是可用的写法（姓名里没有数字）；可写{PERSON_FORMS}")
    return PersonRef("name", text)


def _not_a_tail(typed: str) -> str:
    wrong = f"，不是“{_masked(typed)}”" if typed else ""
    return f"“尾号”后面写身份证号的最后四位，如 尾号1232{wrong}"


def _not_a_person(digits: str) -> str:
    shown = _masked(digits)
    if len(digits) == 4 and digits.endswith("X"):
        return f"“{shown}”不是案件编号；身份证号的最后四位请写成 尾号{digits}；可写{PERSON_FORMS}"
    if _looks_like_phone(digits):
        return f"“{shown}”像是电话号码，不能用来指定人员；可写{PERSON_FORMS}"
    if len(digits) <= CASE_DIGITS:
        return f"“{shown}”不是案件编号（案件编号只有数字，连着写）；可写{PERSON_FORMS}"
    return (f"“{shown}”有 {len(digits)} 位，既不是案件编号（最多 {CASE_DIGITS} 位），也不是完整的身份证号"
            f"（18 位或旧的 15 位）；可写{PERSON_FORMS}")


def _looks_like_phone(digits: str) -> bool:
    """A mobile number (with or without 86 before it), or a fixed line with its area code."""
    return bool(re.fullmatch(r"(86)?1[3-9]\d{9}|0\d{9,11}", digits))


def _masked(text: str) -> str:
    """`text` with every run of five or more digits masked: a phone number as a phone, the rest as
    an ID (a person reference may be either, and no message shows one in full)."""
    def mask(m: re.Match) -> str:
        digits = m.group(0)
        return mask_phone(digits) if _looks_like_phone(digits) else mask_id(digits)

    return re.sub(r"\d{5,}[xX]?", mask, text)


def _name_clause(text: str) -> tuple[str, list]:
    from jindu_cli.domain.pinyin import fold_query, is_pinyin_query

    if is_pinyin_query(text):
        q = fold_query(text)
        return "(instr(c.name_pinyin, ?) > 0 OR instr(c.name_initials, ?) = 1)", [q, q]
    return "instr(c.name, ?) > 0", [text.replace(" ", "")]


def _search_clause(query: str) -> tuple[str, list]:
    """How `case list --search` matches: a search, so a number finds everyone it could mean: the case
    of that number, and the people whose 身份证号 ends in it (four characters) or holds it (five or
    more); 尾号1232, a complete 身份证号, pinyin, initials or part of a name as for one person."""
    text = _ref_text(query)
    if not text:
        raise InvalidInput("查找", "不能为空")
    if m := _TAIL.fullmatch(text):
        four = m.group(1).replace(" ", "").upper()
        if not re.fullmatch(r"\d{3}[\dX]", four):
            raise InvalidInput("查找", _not_a_tail(four))
        return "substr(c.id_number, 15) = ?", [four]
    if text.startswith("#") and (m := _NUMBER.fullmatch(text)):
        return "c.id = ?", [int(m.group(1))]
    compact = _SEPARATORS.sub("", text).upper()
    if _DIGITS.fullmatch(compact):
        if len(compact) == 18 or (len(compact) == 15 and compact.isdigit()):
            try:
                return "c.id_number = ?", [parse_id_number(compact)]
            except InvalidInput:
                return "c.id_number = ?", [compact]
        number = [int(compact)] if compact.isdigit() and len(compact) <= CASE_DIGITS else []
        by_id = ("substr(c.id_number, 15) = ?" if len(compact) == 4 else
                 "instr(c.id_number, ?) > 0" if len(compact) > 4 else None)
        clauses = ["c.id = ?"] * len(number) + ([by_id] if by_id else [])
        return f"({' OR '.join(clauses) or '0'})", number + ([compact] if by_id else [])
    return _name_clause(text)


def find_case(conn: sqlite3.Connection, ref: str) -> Case:
    """The one case a clerk means (see parse_person). A reference that fits several people is
    refused, listing them: nothing is guessed, for a write or a read."""
    person = parse_person(ref)
    if person.kind == "case":
        return get_case(conn, person.value)
    if person.kind == "id":
        typed = str(person.value)
        try:
            number, problem = parse_id_number(typed), None
        except InvalidInput as exc:  # still looked up: an older register may hold such a number
            number, problem = typed, exc
        found = load_cases(conn, "c.id_number = ?", [number], limit=11)
        if not found and problem is not None:
            raise problem
        absent, several = f"没有身份证号为 {mask_id(number)} 的案件", f"身份证号 {mask_id(number)} 对应多个案件"
    elif person.kind == "tail":
        found = load_cases(conn, "substr(c.id_number, 15) = ?", [person.value], limit=11)
        absent, several = f"没有身份证号尾号为 {person.value} 的案件", f"尾号{person.value} 对应多个案件"
    else:
        where, params = _name_clause(str(person.value))
        found = load_cases(conn, where, params, limit=11)
        absent, several = f"没有找到“{person.value}”对应的案件", f"“{person.value}”对应多个案件"
    if not found:
        raise NotFound(absent)
    if len(found) > 1:
        listed = "；".join(f"{c.id} {c.name} {mask_id(c.id_number)} {c.street}" for c in found[:10])
        more = "……" if len(found) > 10 else ""
        raise Conflict(f"{several}：{listed}{more}。请用案件编号（第一列的数字）指定")
    return found[0]


def list_cases(
    conn: sqlite3.Connection,
    *,
    street: str | None = None,
    community: str | None = None,
    status: str | None = None,
    measure: str | None = None,
    worker: str | None = None,
    risk: str | None = None,
    search: str | None = None,
    sort: str = "id",
    limit: int | None = None,
    as_of: date | None = None,
) -> list[Case]:
    """The cases the filters give, in `sort` order. The status 期满待解除 (§9.10: in execution past the
    term's end) is worked out from the term end as of `as_of` (today when not given), and 在执行
    leaves those people out."""
    awaiting = status is not None and _fold(status) in (_fold(AWAITING_RELEASE), "awaiting_release", "awaiting-release")
    f = Filter(conn).by(street=street, community=community, status="active" if awaiting else status,
                        measure=measure, worker=worker, risk=risk)
    if search:
        clause, params = _search_clause(search)
        f.where(clause, *params)
    if sort not in SORTS:
        raise InvalidInput("排序", f"“{sort}”不是可选的排序；可选：{'、'.join(SORTS)}")
    if limit is not None and limit < 1:
        raise InvalidInput("条数", "必须大于 0")
    if status is None or STATUS.lookup(status) != "active" and not awaiting:
        return load_cases(conn, f.sql, f.params, SORTS[sort], limit)
    day = as_of or date.today()
    found = [c for c in load_cases(conn, f.sql, f.params, SORTS[sort]) if c.awaiting_release(day) == awaiting]
    return found[:limit] if limit else found


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().lower()


def require_people(conn: sqlite3.Connection, street: str | None = None, worker: str | None = None) -> None:
    """A --street or --worker that names nobody in the register is refused, with the names it has:
    an empty list would look like a street with nothing due."""
    from jindu_cli.domain.filters import Filter

    if not (street or worker):
        return
    f = Filter(conn).by(street=street, worker=worker)
    if conn.execute(f"SELECT 1 FROM cases c WHERE {f.sql} LIMIT 1", f.params).fetchone():
        return
    if worker and not conn.execute("SELECT 1 FROM cases WHERE worker = ? LIMIT 1", [worker.strip()]).fetchone():
        known = [w for (w,) in conn.execute("SELECT DISTINCT worker FROM cases WHERE worker IS NOT NULL ORDER BY worker"
                                            " LIMIT 21")]
        listed = "、".join(known[:20]) + ("……" if len(known) > 20 else "")
        raise NotFound(f"--worker：登记表里没有负责专干“{worker.strip()}”" + (f"；有：{listed}" if listed else ""))
    where = Filter(conn).by(street=street).params[0]
    raise NotFound(f"--street：{where}" + (f"没有专干“{worker.strip()}”负责的人" if worker else "没有在册人员"))
