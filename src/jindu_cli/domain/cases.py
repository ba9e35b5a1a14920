"""The case register written: a case checked, added and changed, and its status changed through
its lifecycle (domain.md §5.2). Reading it is domain/people.py; finding one person, domain/find.py."""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from datetime import date

from jindu_cli.domain import audit, reference
from jindu_cli.domain.lifecycle import StatusChange, plan_status_change
from jindu_cli.domain.dates import iso, parse_date
from jindu_cli.domain.enums import MEASURE, RISK
from jindu_cli.domain.ids import birth_date, mask_id, parse_id_number, sex
from jindu_cli.domain.people import LABELS, MAX_REHAB_MONTHS, TREATMENT_MONTHS, Case, get_case
from jindu_cli.domain.text import clean_name, clean_text
from jindu_cli.errors import Conflict, InvalidInput
from jindu_cli.storage.db import atomic

DATE_FIELDS = ("decided_on", "received_on", "reported_on", "agreement_on", "term_end_override")
TEXT_LIMITS = {
    "late_reason": 500,
    "name": 50, "household_address": 200, "residence_address": 200, "community": 50,
    "decision_authority": 100, "decision_number": 100, "worker": 50, "notes": 2000,
}
RISK_COLORS = ("红", "橙", "黄", "蓝", "绿")

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


def _risk_color(conn, value) -> str | None:
    color = _clean_text("notes", value)
    if color and color.rstrip("色") not in RISK_COLORS:
        raise InvalidInput("风险颜色", f"“{color}”不是可选的颜色；可选：{'、'.join(RISK_COLORS)}")
    return color.rstrip("色") if color else None


def _name(conn, value) -> str:
    name = clean_name(value, LABELS["name"], TEXT_LIMITS["name"])
    if not name:
        raise InvalidInput(LABELS["name"], "不能为空")
    return name


def _test_every(conn, value) -> str | None:
    from jindu_cli.domain.rules import parse_interval

    text = str(value).strip()
    return parse_interval(text, LABELS["test_every"]).text if text else None


# how each field the clerk can give is checked: (conn, what was typed) -> the value kept
PARSERS = {
    "id_number": lambda conn, v: parse_id_number(v),
    "name": _name,
    "phone": lambda conn, v: clean_phone(v),
    "street": lambda conn, v: reference.streets(conn).resolve(v),
    "measure": lambda conn, v: MEASURE.parse(v),
    "term_months": lambda conn, v: _parse_months(v),
    "risk_level": lambda conn, v: RISK.parse(v),
    "risk_color": _risk_color,
    "drugs": lambda conn, v: reference.drugs(conn).resolve_many(v if isinstance(v, list) else [v]),
    "test_every": _test_every,
    **{key: (lambda conn, v, _k=key: parse_date(v, LABELS[_k]) if v not in (None, "") else None)
       for key in DATE_FIELDS},
    **{key: (lambda conn, v, _k=key: _clean_text(_k, v)) for key in TEXT_LIMITS if key != "name"},
}


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
        if key not in PARSERS:
            raise InvalidInput(key, "不是案件的字段")
        rec[key] = PARSERS[key](conn, value)
    missing = [LABELS[k] for k in ("id_number", "name", "street", "measure") if not rec.get(k)]
    if missing:
        raise InvalidInput("、".join(missing), "必须填写")
    _check_given_against_id(raw, rec["id_number"], as_of)
    rec.setdefault("risk_level", "medium")
    rec.setdefault("drugs", [])
    _check_term(rec)
    _check_dates(rec, as_of)
    return rec


def _check_given_against_id(raw: dict, idn: str, as_of: date) -> None:
    """性别 and 出生日期, when given, must be what the 身份证号 says; the birth no later than today."""
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


def update_case(conn: sqlite3.Connection, case: Case, raw: dict, as_of: date, operator: str,
                status_change: StatusChange | None = None) -> tuple[Case, dict]:
    """Change fields and/or the status. Returns the new case and {field: (old, new)}."""
    rec = validate(conn, raw, as_of, existing=case)
    if rec["measure"] == "community_rehab" and rec["term_months"] is None:
        rec["term_months"] = case.term_months
    changes = _changed_fields(case, rec)
    if "id_number" in changes:
        other = conn.execute("SELECT id FROM cases WHERE id_number = ? AND id != ?",
                             [rec["id_number"], case.id]).fetchone()
        if other:
            raise Conflict(f"身份证号 {mask_id(rec['id_number'])} 已属于案件 {other[0]}")
    first_active = conn.execute(
        "SELECT min(id) FROM status_changes WHERE case_id = ? AND status = 'active'", [case.id]
    ).fetchone()[0]
    if "reported_on" in changes and case.reported_on:
        _check_new_report_date(conn, case, rec, first_active)
    status_event: tuple[str, date, str | None] | None = None
    if status_change is not None:
        status_event = plan_status_change(case, rec, status_change, as_of, conn)
    elif case.status == "pending" and rec.get("reported_on"):
        status_event = ("active", rec["reported_on"], "报到")
    if not changes and status_event is None:
        return case, {}
    with atomic(conn):
        if changes:
            _write_fields(conn, case, rec, changes, first_active, operator)
        if status_event is not None:
            _write_status(conn, case, status_event, operator)
            changes["status"] = (case.status, status_event[0])
    return get_case(conn, case.id), changes


def _changed_fields(case: Case, rec: dict) -> dict:
    """{field: (old, new)} of the fields whose value `rec` changes."""
    changes: dict = {}
    for key in LABELS:
        if key == "status":
            continue
        old, new = getattr(case, key), rec.get(key)
        if key == "drugs":
            old, new = old or [], new or []
        if old != new:
            changes[key] = (old, new)
    return changes


def _check_new_report_date(conn: sqlite3.Connection, case: Case, rec: dict, first_active: int | None) -> None:
    """A corrected 报到 date is still a date, and no later than the status changes after it."""
    if not rec.get("reported_on"):
        raise InvalidInput("报到日期", "已报到的案件不能清空报到日期；如是录入错误，请改成正确的日期")
    later = conn.execute("SELECT min(changed_on) FROM status_changes WHERE case_id = ? AND id != ?",
                         [case.id, first_active or 0]).fetchone()[0]
    if later and rec["reported_on"].isoformat() > later:
        raise InvalidInput("报到日期", f"{rec['reported_on']} 晚于已记录的状态变更（{later}）")


def _write_fields(conn: sqlite3.Connection, case: Case, rec: dict, changes: dict, first_active: int | None,
                  operator: str) -> None:
    from jindu_cli.domain.pinyin import name_keys

    sets = [f"{k} = ?" for k in changes]
    values = [_stored(k, rec.get(k)) for k in changes]
    if "name" in changes:
        sets += ["name_pinyin = ?", "name_initials = ?"]
        values += list(name_keys(rec["name"]))
    conn.execute(f"UPDATE cases SET {', '.join(sets)}, updated_at = ? WHERE id = ?",
                 values + [audit.utc_now(), case.id])
    audit.record(conn, operator, "update", "case", case.id, case.id,
                 {k: [_audited(k, o), _audited(k, n)] for k, (o, n) in changes.items()})
    if "reported_on" in changes and first_active:  # the 报到 that began the measure moves with it
        conn.execute("UPDATE status_changes SET changed_on = ? WHERE id = ?", [iso(rec["reported_on"]), first_active])


def _write_status(conn: sqlite3.Connection, case: Case, event: tuple[str, date, str | None], operator: str) -> None:
    status, on, reason = event
    now = audit.utc_now()
    conn.execute("UPDATE cases SET status = ?, updated_at = ? WHERE id = ?", [status, now, case.id])
    _insert_status_change(conn, case.id, case.status, status, on, reason, now)
    audit.record(conn, operator, "status", "case", case.id, case.id,
                 {"status": [case.status, status], "changed_on": iso(on), "reason": reason})


def _audited(key: str, value):
    return value if key == "drugs" else _stored(key, value)


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
