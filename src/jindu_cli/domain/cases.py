"""The case register: people under 社区戒毒 and 社区康复.

Term start and end, the 报到 deadline and days left are computed from the recorded facts
each time they are read (R1-R3, with the 中止 shift of domain.md §9.3), never stored.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from jindu_cli.domain import audit, reference
from jindu_cli.domain.dates import add_months, from_iso, iso, parse_date
from jindu_cli.domain.enums import CLOSED_STATUSES, MEASURE, RISK, STATUS, status_label
from jindu_cli.domain.ids import birth_date, mask_id, mask_phone, parse_id_number, sex
from jindu_cli.domain.text import clean_name, clean_text, without_invisible
from jindu_cli.errors import Conflict, InvalidInput, NotFound
from jindu_cli.storage.db import atomic, id_table

TREATMENT_MONTHS = 36  # 禁毒法33, 条例14: 社区戒毒 lasts three years
MAX_REHAB_MONTHS = 36  # 禁毒法48: 社区康复 不超过三年
REPORT_WITHIN_DAYS = 15  # 条例14, 38: 报到 within 15 days of receiving the decision

# The editable columns, in the order `case show` lists them, with their Chinese labels.
LABELS = {
    "id_number": "身份证号",
    "name": "姓名",
    "phone": "联系电话",
    "household_address": "户籍地",
    "residence_address": "居住地",
    "street": "街道",
    "community": "社区",
    "measure": "措施",
    "term_months": "期限（月）",
    "decision_authority": "决定机关",
    "decision_number": "决定书文号",
    "decided_on": "决定日期",
    "received_on": "收到决定书日期",
    "reported_on": "报到日期",
    "agreement_on": "协议签订日期",
    "status": "状态",
    "risk_level": "风险等级",
    "risk_color": "风险颜色",
    "drugs": "毒品种类",
    "worker": "负责专干",
    "notes": "备注",
    "term_end_override": "期满日期（人工调整）",
    "test_every": "个案尿检间隔",
}
DATE_FIELDS = ("decided_on", "received_on", "reported_on", "agreement_on", "term_end_override")
TEXT_LIMITS = {
    "name": 50, "household_address": 200, "residence_address": 200, "community": 50,
    "decision_authority": 100, "decision_number": 100, "worker": 50, "notes": 2000,
}
RISK_COLORS = ("红", "橙", "黄", "蓝", "绿")
SORTS = {
    # user word -> ORDER BY clause; user text never reaches the SQL
    "id": "c.id",
    "name": "c.name_pinyin, c.id",
    "street": "c.street, c.community, c.name_pinyin, c.id",
    "reported": "c.reported_on, c.id",
    "risk": "CASE c.risk_level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, c.id",
    "worker": "c.worker, c.id",
}


@dataclass
class Case:
    id: int
    id_number: str
    name: str
    phone: str | None
    household_address: str | None
    residence_address: str | None
    street: str
    community: str | None
    measure: str
    term_months: int
    decision_authority: str | None
    decision_number: str | None
    decided_on: date | None
    received_on: date | None
    reported_on: date | None
    agreement_on: date | None
    term_end_override: date | None
    status: str
    risk_level: str
    risk_color: str | None
    drugs: list[str]
    worker: str | None
    notes: str | None
    created_at: str
    updated_at: str
    test_every: str | None = None
    suspensions: list[tuple[date, date | None]] = field(default_factory=list)
    closed_on: date | None = None  # the date of the 终止, 期满解除 or 死亡

    # --- computed at read time -------------------------------------------------------
    @property
    def sex(self) -> str:
        return sex(self.id_number)

    @property
    def birth_date(self) -> date:
        return birth_date(self.id_number)

    @property
    def term_start(self) -> date | None:
        return self.reported_on

    def suspended_days(self, as_of: date) -> int:
        """Days spent in 中止 up to `as_of`; an open 中止 counts until `as_of`."""
        total = 0
        for start, end in self.suspensions:
            stop = end if end is not None else as_of
            if stop > start:
                total += (min(stop, as_of) - start).days if start <= as_of else 0
        return total

    def term_end(self, as_of: date) -> date | None:
        """R1/R2: 报到 + term - 1 day, moved back by the days in 中止 (or the clerk's date)."""
        if self.term_end_override:
            return self.term_end_override
        if not self.reported_on:
            return None
        end = add_months(self.reported_on, self.term_months) - timedelta(days=1)
        return end + timedelta(days=self.suspended_days(as_of))

    @property
    def report_deadline(self) -> date | None:
        """R3: 收到决定书 + 15 days."""
        return self.received_on + timedelta(days=REPORT_WITHIN_DAYS) if self.received_on else None

    def report_overdue(self, as_of: date) -> bool:
        deadline = self.report_deadline
        return self.status == "pending" and deadline is not None and as_of > deadline

    @property
    def reported_late(self) -> bool:
        deadline = self.report_deadline
        return bool(deadline and self.reported_on and self.reported_on > deadline)

    def days_left(self, as_of: date) -> int | None:
        end = self.term_end(as_of)
        if end is None or self.status not in ("active", "suspended"):
            return None
        return (end - as_of).days

    def as_dict(self, as_of: date) -> dict:
        """Every field and computed value, Chinese labels for enumerations (the output form)."""
        return {
            "case_id": self.id,
            "id_number": self.id_number,
            "name": self.name,
            "sex": self.sex,
            "birth_date": iso(self.birth_date),
            "phone": self.phone,
            "household_address": self.household_address,
            "residence_address": self.residence_address,
            "street": self.street,
            "community": self.community,
            "measure": MEASURE.label(self.measure),
            "term_months": self.term_months,
            "decision_authority": self.decision_authority,
            "decision_number": self.decision_number,
            "decided_on": iso(self.decided_on),
            "received_on": iso(self.received_on),
            "reported_on": iso(self.reported_on),
            "agreement_on": iso(self.agreement_on),
            "status": status_label(self.status, self.measure),
            "risk_level": RISK.label(self.risk_level),
            "risk_color": self.risk_color,
            "drugs": list(self.drugs),
            "worker": self.worker,
            "notes": self.notes,
            "term_start": iso(self.term_start),
            "term_end": iso(self.term_end(as_of)),
            "term_end_overridden": self.term_end_override is not None,
            "suspended_days": self.suspended_days(as_of),
            "report_deadline": iso(self.report_deadline),
            "report_overdue": self.report_overdue(as_of),
            "reported_late": self.reported_late,
            "days_left": self.days_left(as_of),
            "test_every": self.test_every,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


_COLUMNS = (
    "id, id_number, name, phone, household_address, residence_address, street, community,"
    " measure, term_months, decision_authority, decision_number, decided_on, received_on,"
    " reported_on, agreement_on, term_end_override, status, risk_level, risk_color, drugs,"
    " worker, notes, created_at, updated_at, test_every"
)


def _from_row(row, drug_lists: dict) -> Case:
    (cid, idn, name, phone, hh, res, street, community, measure, months, auth, number,
     decided, received, reported, agreement, override, status, risk, color, drugs, worker,
     notes, created, updated, test_every) = row
    parsed = drug_lists.get(drugs)
    if parsed is None:
        parsed = drug_lists[drugs] = json.loads(drugs)  # shared between cases: never mutated
    return Case(
        cid, idn, name, phone, hh, res, street, community, measure, months, auth, number,
        from_iso(decided), from_iso(received), from_iso(reported), from_iso(agreement),
        from_iso(override), status, risk, color, parsed, worker, notes, created, updated,
        test_every,
    )


def suspension_periods(changes: list[tuple[str | None, str, str]]) -> list[tuple[date, date | None]]:
    """[(previous_status, status, changed_on)] in order -> [(start, end or None)] of each 中止."""
    periods: list[tuple[date, date | None]] = []
    start: date | None = None
    for previous, status, changed_on in changes:
        if status == "suspended" and start is None:
            start = date.fromisoformat(changed_on)
        elif previous == "suspended" and start is not None:
            periods.append((start, date.fromisoformat(changed_on)))
            start = None
    if start is not None:
        periods.append((start, None))
    return periods


def _attach_history(conn: sqlite3.Connection, cases: list[Case]) -> None:
    """Fill in each case's 中止 periods and closing date from its status changes."""
    if not cases:
        return
    by_id = {c.id: c for c in cases}
    # of many cases, only the changes of those that ever left 在执行 (the others have no 中止 and are not
    # closed); that list is a pass over every change, 30 ms on the 100,000-case district: not for a few cases
    left = (" AND case_id IN (SELECT case_id FROM status_changes WHERE status != 'active')"
            if len(by_id) > 10_000 else "")
    grouped: dict[int, list] = {}
    for case_id, previous, status, changed_on in conn.execute(
            "SELECT case_id, previous_status, status, changed_on FROM status_changes"
            f" WHERE case_id IN ({id_table(conn, by_id, 'history_ids')}){left}"
            " ORDER BY case_id, changed_on, id"):
        grouped.setdefault(case_id, []).append((previous, status, changed_on))
    for case_id, changes in grouped.items():
        case = by_id[case_id]
        if all(status == "active" for _, status, _ in changes):
            continue
        case.suspensions = suspension_periods(changes)
        if case.status in CLOSED_STATUSES:
            closing = [on for _, status, on in changes if status == case.status]
            case.closed_on = date.fromisoformat(closing[-1]) if closing else None


def load_cases(conn: sqlite3.Connection, where: str = "", params: list | tuple | dict = (),
               order: str = "c.id", limit: int | None = None) -> list[Case]:
    """Cases matching a WHERE clause built by this module from constants (never user text)."""
    sql = f"SELECT {', '.join('c.' + col.strip() for col in _COLUMNS.split(','))} FROM cases c"
    if where:
        sql += " WHERE " + where
    sql += " ORDER BY " + order
    if limit:
        sql += f" LIMIT {int(limit)}"
    drug_lists: dict = {}
    cases = [_from_row(r, drug_lists) for r in conn.execute(sql, params if isinstance(params, dict) else list(params))]
    _attach_history(conn, cases)
    return cases


def get_case(conn: sqlite3.Connection, case_id: int) -> Case:
    found = load_cases(conn, "c.id = ?", [case_id])
    if not found:
        raise NotFound(f"没有编号为 {case_id} 的案件")
    return found[0]


# --- finding people ------------------------------------------------------------------

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
) -> list[Case]:
    clauses: list[str] = []
    params: list = []
    if street:
        clauses.append("c.street = ?")
        params.append(reference.streets(conn).resolve(street))
    if community:
        clauses.append("c.community = ?")
        params.append(community.strip())
    if status:
        clauses.append("c.status = ?")
        params.append(STATUS.parse(status))
    if measure:
        clauses.append("c.measure = ?")
        params.append(MEASURE.parse(measure))
    if worker:
        clauses.append("c.worker = ?")
        params.append(worker.strip())
    if risk:
        clauses.append("c.risk_level = ?")
        params.append(RISK.parse(risk))
    if search:
        clause, extra = _search_clause(search)
        clauses.append(clause)
        params.extend(extra)
    if sort not in SORTS:
        raise InvalidInput("排序", f"“{sort}”不是可选的排序；可选：{'、'.join(SORTS)}")
    if limit is not None and limit < 1:
        raise InvalidInput("条数", "必须大于 0")
    return load_cases(conn, " AND ".join(clauses), params, SORTS[sort], limit)


# --- validation ----------------------------------------------------------------------

def _clean_text(key: str, raw) -> str | None:
    return clean_text(raw, LABELS[key], TEXT_LIMITS.get(key, 200))


def clean_phone(raw) -> str | None:
    """Digits (and a leading + or inner -) only; `13812345678.0` from a spreadsheet repaired."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return None
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    text = re.sub(r"[\s()（）]", "", text)
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text):
        raise InvalidInput("联系电话", "被电子表格存成了科学计数法，末尾的数字已经丢失；请在原表中把这一列设为“文本”后重新填写完整号码")
    if not re.fullmatch(r"\+?\d[\d-]{5,19}", text):
        # (the number is not repeated here: the clerk has it, and a listing shows it masked)
        raise InvalidInput("联系电话", "不是电话号码（只能有数字、+ 和 -，6 到 20 位）")
    digits = text.replace("-", "").lstrip("+")
    if digits.startswith("1") and len(digits) == 11 and not re.fullmatch(r"1[3-9]\d{9}", digits):
        raise InvalidInput("联系电话", f"手机号 {digits[:3]}****{digits[-4:]} 的号段不存在")
    return text


def validate(conn: sqlite3.Connection, raw: dict, as_of: date, existing: Case | None = None) -> dict:
    """Turn what the clerk typed into checked values. `raw` holds only the fields given;
    "" clears an optional field. Returns the complete new record (existing values kept)."""
    rec: dict = {}
    if existing is not None:
        rec = {k: getattr(existing, k) for k in LABELS if k != "status"}
        if "measure" in raw and "term_months" not in raw and MEASURE.lookup(str(raw["measure"])) != existing.measure:
            rec["term_months"] = None  # a corrected measure takes its own term unless one is given
    for key, value in raw.items():
        if key in ("sex", "birth_date", "status"):
            continue
        if key == "id_number":
            rec[key] = parse_id_number(value)
        elif key == "name":
            rec[key] = clean_name(value, LABELS[key], TEXT_LIMITS[key])
            if not rec[key]:
                raise InvalidInput(LABELS[key], "不能为空")
        elif key == "phone":
            rec[key] = clean_phone(value)
        elif key == "street":
            rec[key] = reference.streets(conn).resolve(value)
        elif key == "measure":
            rec[key] = MEASURE.parse(value)
        elif key == "term_months":
            rec[key] = _parse_months(value)
        elif key in DATE_FIELDS:
            rec[key] = parse_date(value, LABELS[key]) if value not in (None, "") else None
        elif key == "risk_level":
            rec[key] = RISK.parse(value)
        elif key == "risk_color":
            color = _clean_text("notes", value)
            if color and color.rstrip("色") not in RISK_COLORS:
                raise InvalidInput("风险颜色", f"“{color}”不是可选的颜色；可选：{'、'.join(RISK_COLORS)}")
            rec[key] = color.rstrip("色") if color else None
        elif key == "drugs":
            rec[key] = reference.drugs(conn).resolve_many(value if isinstance(value, list) else [value])
        elif key == "test_every":
            from jindu_cli.domain.rules import parse_interval

            text = str(value).strip()
            rec[key] = parse_interval(text, LABELS[key]).text if text else None
        elif key in TEXT_LIMITS:
            rec[key] = _clean_text(key, value)
        else:
            raise InvalidInput(key, "不是案件的字段")
    for required in ("id_number", "name", "street", "measure"):
        if not rec.get(required):
            raise InvalidInput(LABELS[required], "必须填写")
    idn = rec["id_number"]
    if raw.get("sex") not in (None, ""):
        given = unicodedata.normalize("NFKC", str(raw["sex"])).strip()
        given = {"m": "男", "male": "男", "f": "女", "female": "女"}.get(given.lower(), given)
        if given not in ("男", "女"):
            raise InvalidInput("性别", f"“{given}”应为 男 或 女")
        if given != sex(idn):
            raise InvalidInput("性别", f"填写的“{given}”与身份证号（第 17 位表示{sex(idn)}）不符")
    if raw.get("birth_date") not in (None, ""):
        given_birth = parse_date(raw["birth_date"], "出生日期")
        if given_birth != birth_date(idn):
            raise InvalidInput("出生日期", f"填写的 {given_birth} 与身份证号中的 {birth_date(idn)} 不符")
    if birth_date(idn) > as_of:
        raise InvalidInput("身份证号", f"出生日期 {birth_date(idn)} 晚于今天")
    rec.setdefault("risk_level", "medium")
    rec.setdefault("drugs", [])
    _check_term(rec)
    _check_dates(rec, as_of)
    return rec


def _parse_months(value) -> int | None:
    if value in (None, ""):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip().removesuffix("个月").removesuffix("月")
    if text.endswith("年") and text[:-1].isdigit():
        return int(text[:-1]) * 12
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(float(text))
    raise InvalidInput(LABELS["term_months"], f"“{value}”应为月数，如 24 或 36")


def _check_term(rec: dict) -> None:
    months = rec.get("term_months")
    if rec["measure"] == "community_treatment":
        if months not in (None, TREATMENT_MONTHS):
            raise InvalidInput(LABELS["term_months"], f"社区戒毒的期限是法定的 {TREATMENT_MONTHS} 个月，不能是 {months}")
        rec["term_months"] = TREATMENT_MONTHS
    else:
        if months is None:
            raise InvalidInput(LABELS["term_months"], "社区康复必须填写决定书上的期限（月数，最多 36）")
        if not 1 <= months <= MAX_REHAB_MONTHS:
            raise InvalidInput(LABELS["term_months"], f"社区康复的期限不超过 {MAX_REHAB_MONTHS} 个月，不能是 {months}")


def _check_dates(rec: dict, as_of: date) -> None:
    for key in ("decided_on", "received_on", "reported_on", "agreement_on"):
        value = rec.get(key)
        if value and value > as_of:
            raise InvalidInput(LABELS[key], f"{value} 晚于今天（{as_of}）")
    order = [("decided_on", "received_on"), ("received_on", "reported_on"),
             ("decided_on", "reported_on"), ("reported_on", "agreement_on")]
    for earlier, later in order:
        a, b = rec.get(earlier), rec.get(later)
        if a and b and b < a:
            raise InvalidInput(LABELS[later], f"{b} 早于{LABELS[earlier]} {a}")
    override = rec.get("term_end_override")
    if override and rec.get("reported_on") and override < rec["reported_on"]:
        raise InvalidInput(LABELS["term_end_override"], f"{override} 早于期限开始（报到日期 {rec['reported_on']}）")
    if override and not rec.get("reported_on"):
        raise InvalidInput(LABELS["term_end_override"], "还没有报到日期，无法调整期满日期")


def _stored(key: str, value):
    if key in DATE_FIELDS:
        return iso(value)
    if key == "drugs":
        return json.dumps(value, ensure_ascii=False)
    return value


# --- writes --------------------------------------------------------------------------

def add_case(conn: sqlite3.Connection, raw: dict, as_of: date, operator: str) -> Case:
    from jindu_cli.domain.pinyin import name_keys

    rec = validate(conn, raw, as_of)
    existing = conn.execute("SELECT id, name FROM cases WHERE id_number = ?", [rec["id_number"]]).fetchone()
    if existing:
        raise Conflict(f"身份证号 {mask_id(rec['id_number'])} 已经登记过（案件 {existing[0]}，{existing[1]}）；"
                       f"要修改请用 jindu case update {existing[0]}")
    status = "active" if rec.get("reported_on") else "pending"
    pinyin, initials = name_keys(rec["name"])
    now = audit.utc_now()
    keys = [k for k in LABELS if k != "status"]
    with atomic(conn):
        cur = conn.execute(
            f"INSERT INTO cases ({', '.join(keys)}, status, name_pinyin, name_initials, created_at, updated_at)"
            f" VALUES ({', '.join('?' for _ in keys)}, ?, ?, ?, ?, ?)",
            [_stored(k, rec.get(k)) for k in keys] + [status, pinyin, initials, now, now],
        )
        case_id = cur.lastrowid
        if status == "active":
            _insert_status_change(conn, case_id, None, "active", rec["reported_on"], "报到", now)
        changes = {k: [None, _audited(k, rec[k])] for k in keys if rec.get(k) not in (None, [], "")}
        changes["status"] = [None, status]
        audit.record(conn, operator, "add", "case", case_id, case_id, changes)
    return get_case(conn, case_id)


def _insert_status_change(conn, case_id, previous, status, on: date, reason, now) -> None:
    conn.execute(
        "INSERT INTO status_changes (case_id, previous_status, status, changed_on, reason, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [case_id, previous, status, iso(on), reason, now],
    )


@dataclass
class StatusChange:
    status: str
    on: date | None = None
    reason: str | None = None


def update_case(conn: sqlite3.Connection, case: Case, raw: dict, as_of: date, operator: str,
                status_change: StatusChange | None = None) -> tuple[Case, dict]:
    """Change fields and/or the status. Returns the new case and {field: (old, new)}."""
    from jindu_cli.domain.pinyin import name_keys

    rec = validate(conn, raw, as_of, existing=case)
    if rec["measure"] == "community_rehab" and rec["term_months"] is None:
        rec["term_months"] = case.term_months
    changes: dict = {}
    for key in LABELS:
        if key == "status":
            continue
        old, new = getattr(case, key), rec.get(key)
        if key == "drugs":
            old, new = old or [], new or []
        if old != new:
            changes[key] = (old, new)
    if "id_number" in changes:
        other = conn.execute("SELECT id FROM cases WHERE id_number = ? AND id != ?",
                             [rec["id_number"], case.id]).fetchone()
        if other:
            raise Conflict(f"身份证号 {mask_id(rec['id_number'])} 已属于案件 {other[0]}")
    first_active = conn.execute(
        "SELECT min(id) FROM status_changes WHERE case_id = ? AND status = 'active'", [case.id]
    ).fetchone()[0]
    if "reported_on" in changes and case.reported_on:
        if not rec.get("reported_on"):
            raise InvalidInput("报到日期", "已报到的案件不能清空报到日期；如是录入错误，请改成正确的日期")
        later = conn.execute("SELECT min(changed_on) FROM status_changes WHERE case_id = ? AND id != ?",
                             [case.id, first_active or 0]).fetchone()[0]
        if later and rec["reported_on"].isoformat() > later:
            raise InvalidInput("报到日期", f"{rec['reported_on']} 晚于已记录的状态变更（{later}）")
    status_event: tuple[str, date, str | None] | None = None
    if status_change is not None:
        status_event = plan_status_change(case, rec, status_change, as_of, conn)
    elif case.status == "pending" and rec.get("reported_on"):
        status_event = ("active", rec["reported_on"], "报到")
    if not changes and status_event is None:
        return case, {}
    now = audit.utc_now()
    with atomic(conn):
        if changes:
            sets = [f"{k} = ?" for k in changes]
            values = [_stored(k, rec.get(k)) for k in changes]
            if "name" in changes:
                sets += ["name_pinyin = ?", "name_initials = ?"]
                values += list(name_keys(rec["name"]))
            conn.execute(f"UPDATE cases SET {', '.join(sets)}, updated_at = ? WHERE id = ?",
                         values + [now, case.id])
            audit.record(conn, operator, "update", "case", case.id, case.id,
                         {k: [_audited(k, o), _audited(k, n)] for k, (o, n) in changes.items()})
            if "reported_on" in changes and first_active:
                conn.execute("UPDATE status_changes SET changed_on = ? WHERE id = ?",
                             [iso(rec["reported_on"]), first_active])
        if status_event is not None:
            status, on, reason = status_event
            conn.execute("UPDATE cases SET status = ?, updated_at = ? WHERE id = ?", [status, now, case.id])
            _insert_status_change(conn, case.id, case.status, status, on, reason, now)
            audit.record(conn, operator, "status", "case", case.id, case.id,
                         {"status": [case.status, status], "changed_on": iso(on), "reason": reason})
            changes["status"] = (case.status, status)
    return get_case(conn, case.id), changes


def _audited(key: str, value):
    return value if key == "drugs" else _stored(key, value)


def plan_status_change(case: Case, rec: dict, change: StatusChange, as_of: date,
                       conn: sqlite3.Connection) -> tuple[str, date, str | None]:
    """Check a status change against the lifecycle; return (status, effective date, reason)."""
    target = STATUS.parse(change.status)
    current = case.status
    on = change.on
    reason = (change.reason or "").strip() or None
    label = STATUS.label
    if current in CLOSED_STATUSES and not (current == "released" and target == "clean"):
        raise Conflict(f"案件已{label(current)}，状态不能再改")
    if target == current:
        raise Conflict(f"状态已经是{status_label(current, case.measure)}")
    if on is not None and on > as_of:
        raise InvalidInput("生效日期", f"{on} 晚于今天（{as_of}）")
    last = conn.execute("SELECT max(changed_on) FROM status_changes WHERE case_id = ?", [case.id]).fetchone()[0]
    reported = rec.get("reported_on")
    if target == "pending":
        raise Conflict("不能把状态改回未报到；报到日期填错了请直接改正报到日期")
    if target == "active":
        if current == "pending":
            if not reported:
                raise InvalidInput("报到日期", "改为在执行需要报到日期：请同时给出 --reported-on")
            return "active", on or reported, reason or "报到"
        if on is None:
            raise InvalidInput("生效日期", "结束中止、恢复执行需要给出恢复日期（--on）")
        reason = reason or "恢复执行"
    elif target == "suspended":
        if current != "active":
            raise Conflict(f"只有在执行的案件可以中止，当前状态是{label(current)}")
        if on is None:
            raise InvalidInput("生效日期", "中止需要给出开始日期（--on），即被拘留或逮捕的日期")
    elif target == "terminated":
        if not reason:
            raise InvalidInput("原因", "终止需要写明原因（--reason），如 收监执行刑罚、强制隔离戒毒")
        if on is None:
            raise InvalidInput("生效日期", "终止需要给出日期（--on）")
    elif target == "released":
        if current != "active":
            raise Conflict(f"只有在执行的案件可以期满解除，当前状态是{label(current)}")
        on = on or as_of
        end = case.term_end(on)
        if end is None or on <= end:
            raise Conflict(f"期限到 {end} 才届满，{on} 还不能期满解除")
        reason = reason or "期满解除"
    elif target == "deceased":
        if on is None:
            raise InvalidInput("生效日期", "死亡需要给出日期（--on）")
    elif target == "clean":
        if current != "released":
            raise Conflict(f"只有期满解除的人员可以认定戒断三年未复吸，当前状态是{label(current)}")
        on = on or as_of
        from jindu_cli.domain.due import clean_milestone

        milestone, basis = clean_milestone(conn, case)
        if on < milestone:
            raise Conflict(f"{basis}，到 {milestone} 才满戒断期限，{on} 还不能认定")
        reason = reason or "戒断三年未复吸"
    assert on is not None
    if reported and on < reported and target != "terminated" and target != "deceased":
        raise InvalidInput("生效日期", f"{on} 早于报到日期 {reported}")
    if last and on.isoformat() < last:
        raise InvalidInput("生效日期", f"{on} 早于上一次状态变更（{last}）")
    return target, on, reason


def overview(conn: sqlite3.Connection) -> dict:
    """Counts for the screen `jindu` shows with no arguments."""
    by_status = {s: n for s, n in conn.execute("SELECT status, count(*) FROM cases GROUP BY status")}
    by_street = [
        (street, n, active)
        for street, n, active in conn.execute(
            "SELECT street, count(*), sum(status IN ('pending', 'active', 'suspended')) FROM cases"
            " GROUP BY street ORDER BY count(*) DESC, street"
        )
    ]
    return {"total": sum(by_status.values()), "by_status": by_status, "by_street": by_street}


def record_reveal(conn: sqlite3.Connection, operator: str, command: str, case_ids: list[int]) -> None:
    """Showing personal data in full is itself recorded: who, when, which command, which cases."""
    ids = sorted(set(case_ids))
    with atomic(conn):
        audit.record(conn, operator, "reveal", "case", ids[0] if len(ids) == 1 else None,
                     ids[0] if len(ids) == 1 else None, {"command": command, "cases": ids})
