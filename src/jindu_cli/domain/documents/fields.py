"""The values of the fields documents share: the office, the person, the person's cadence. Every
value is text; a register field with nothing in it reads （未登记）, a setting not given a line to
fill in by hand, so that nothing is left empty without saying so."""

from __future__ import annotations

import sqlite3
from datetime import date

from jindu_cli.domain import clocks, reference
from jindu_cli.domain.documents.catalog import BLANK, NOT_RECORDED
from jindu_cli.domain.enums import MEASURE, RISK, status_label
from jindu_cli.domain.people import Case
from jindu_cli.domain.rules import Interval, Rules, parse_interval

TERM_WORDS = {12: "一年", 24: "两年", 36: "三年"}


def cn_date(d: date | None) -> str:
    """A date as official documents write it: 2026年3月5日."""
    return f"{d.year}年{d.month}月{d.day}日" if d else NOT_RECORDED


def text(value) -> str:
    if value is None or value == "" or value == []:
        return NOT_RECORDED
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


def office_name(conn: sqlite3.Connection | None, street: str) -> str:
    """The street office of `street` in its district (云岩区盐务街街道办事处, 云岩区黔灵镇人民政府)."""
    district = reference.load_toml(reference.data_file("streets.toml", conn)).get("district", "")
    suffix = "办事处" if street.endswith("街道") else "人民政府" if street.endswith(("镇", "乡")) else ""
    return f"{district}{street}{suffix}"


def office_fields(conn: sqlite3.Connection | None, rules: Rules, street: str, as_of: date) -> dict:
    office = rules.office
    return {
        "office_name": office.get("name") or office_name(conn, street),
        "office_department": office.get("department") or BLANK,
        "office_phone": office.get("phone") or BLANK,
        "office_address": office.get("address") or BLANK,
        "office_signer": office.get("signer") or BLANK,
        "issued_on": cn_date(as_of),
    }


def person_fields(case: Case, rules: Rules, as_of: date) -> dict:
    every = parse_interval(case.test_every, "个案尿检间隔").words if case.test_every else "按规则"
    return {
        "case_id": str(case.id),
        "name": case.name,
        "sex": case.sex,
        "birth_date": cn_date(case.birth_date),
        "id_number": case.id_number,
        "phone": text(case.phone),
        "household_address": text(case.household_address),
        "residence_address": text(case.residence_address),
        "street": case.street,
        "community": text(case.community),
        "measure": MEASURE.label(case.measure),
        "term_months": str(case.term_months),
        "term_text": TERM_WORDS.get(case.term_months, f"{case.term_months}个月"),
        "decision_authority": text(case.decision_authority),
        "decision_number": text(case.decision_number),
        "decided_on": cn_date(case.decided_on),
        "received_on": cn_date(case.received_on),
        "report_deadline": cn_date(case.report_deadline),
        "reported_on": cn_date(case.reported_on),
        "agreement_on": cn_date(case.agreement_on),
        "term_start": cn_date(case.term_start),
        "term_end": cn_date(case.term_end(as_of)),
        "status": status_label(case.status, case.measure),
        "risk_level": text(RISK.label(case.risk_level)),
        "risk_color": text(case.risk_color),
        "drugs": text(case.drugs),
        "worker": text(case.worker),
        "test_every": every,
        "notes": text(case.notes),
        "police_unit": rules.office.get("police") or case.decision_authority or BLANK,
    }


def _once(interval: Interval) -> str:
    return f"{interval.label}一次"


def urine_cadence(case: Case, rules: Rules) -> str:
    """The urine tests this person owes, year by year of the term (R9-R13, or the person's own)."""
    years = max(1, -(-case.term_months // 12))
    each = [clocks.urine_interval(case, rules, year)[0] for year in range(1, years + 1)]
    if all(i == each[0] for i in each):
        text = _once(each[0])
    else:
        text = "、".join(f"第{year}年{_once(i)}" for year, i in enumerate(each, start=1))
    start = clocks.urine_interval(case, rules, 1, early=True)[0]
    if start != each[0]:  # R12's strict preset: the first months more often
        months = rules.urine[rules.urine_variant(case.measure, case.term_months)]["start_months"]
        text = f"头{months}个月{_once(start)}，此后" + text
    return text


def cadence_fields(case: Case, rules: Rules) -> dict:
    talk = rules["talk"]["interval"]
    if case.risk_level == "high" and rules["talk"]["high_risk_interval"]:
        talk = rules["talk"]["high_risk_interval"]
    return {
        "urine_test_cadence": urine_cadence(case, rules),
        "hair_test_cadence": _once(rules["hair_test"]["interval"]),
        "talk_cadence": _once(talk),
        "home_visit_cadence": _once(rules["home_visit"]["interval"]),
        "assessment_cadence": _once(rules["assessment"]["interval"]),
        "agreement_days": str(rules["agreement"]["days"]),
    }


def common(conn: sqlite3.Connection, case: Case, rules: Rules, as_of: date) -> dict:
    return office_fields(conn, rules, case.street, as_of) | person_fields(case, rules, as_of)
