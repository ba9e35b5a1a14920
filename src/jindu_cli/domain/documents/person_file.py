"""一人一档: one person's whole file in date order, for an inspection or a handover: the register
entry, the status history, every record (the timeline's, oldest first), the flags with their
evidence, and the decision, 报到 and agreement dates among the records."""

from __future__ import annotations

import sqlite3
from datetime import date

from jindu_cli.domain import flags as flags_mod
from jindu_cli.domain import timeline
from jindu_cli.domain.documents.fields import cn_date, common, text
from jindu_cli.domain.enums import MEASURE, STATUS
from jindu_cli.domain.people import Case
from jindu_cli.domain.rules import Rules

# on one day: the decision before the 报到, the records, then the flags they raise and the report
ORDER = {"decision": 0, "received": 1, "reported": 2, "agreement": 3, "status": 4, "drug_test": 5, "visit": 6,
         "leave": 7, "flag": 8, "police_report": 9}
NUMBERED = ("drug_test", "visit", "leave", "police_report")  # what a clerk names by its number


def history(conn: sqlite3.Connection, case: Case) -> list[dict]:
    rows = conn.execute("SELECT changed_on, previous_status, status, reason FROM status_changes WHERE case_id = ?"
                        " ORDER BY changed_on, id", [case.id]).fetchall()
    return [{"on": cn_date(date.fromisoformat(on)), "previous": STATUS.label(previous) or "",
             "status": STATUS.label(status), "reason": reason or ""} for on, previous, status, reason in rows]


def _flag_row(flag) -> dict:
    police = f"已报告 {cn_date(flag.police_reported_on)}" if flag.police_reported_on else "待报告"
    return {"flag": flag.label, "triggered_on": cn_date(flag.triggered_on), "reason": flag.reason,
            "evidence": "；".join(e.text for e in flag.evidence), "police": police}


def _register_events(case: Case, as_of: date) -> list[tuple[date, str, str, str]]:
    out = []
    if case.decided_on:
        number = f"（{case.decision_number}）" if case.decision_number else ""
        out.append((case.decided_on, "decision", "决定",
                    f"{case.decision_authority or '公安机关'}决定{MEASURE.label(case.measure)}{number}"))
    if case.received_on:
        out.append((case.received_on, "received", "决定", f"收到决定书，报到期限 {case.report_deadline}"))
    if case.reported_on:
        out.append((case.reported_on, "reported", "报到",
                    f"报到，期限 {case.term_months} 个月，至 {case.term_end(as_of)}"))
    if case.agreement_on:
        out.append((case.agreement_on, "agreement", "协议", f"签订{MEASURE.label(case.measure)}协议"))
    return out


def events(conn: sqlite3.Connection, case: Case, found_flags: list, as_of: date) -> list[dict]:
    rows: list[tuple] = [(on, ORDER[kind], 0, kind_word, what, "") for on, kind, kind_word, what in
                         _register_events(case, as_of)]
    for e in timeline.build(conn, case, as_of):
        record = f"#{e['record_id']}" if e["entity"] in NUMBERED else ""
        rows.append((date.fromisoformat(e["on"]), ORDER.get(e["entity"], 7), e["record_id"], e["type"], e["text"],
                     record))
    for flag in found_flags:
        rows.append((flag.triggered_on, ORDER["flag"], 0, "标记", f"{flag.label}：{flag.reason}", ""))
    rows.sort(key=lambda r: r[:3])
    return [{"on": cn_date(on), "type": kind, "text": what, "record": record} for on, _, _, kind, what, record in rows]


def person_file(conn: sqlite3.Connection, case: Case, rules: Rules, as_of: date, **_) -> dict:
    found = flags_mod.case_flags(conn, case, as_of)
    listed = events(conn, case, found, as_of)
    counts = dict(conn.execute(
        "SELECT 'test', count(*) FROM drug_tests WHERE case_id = :id UNION ALL"
        " SELECT 'visit', count(*) FROM visits WHERE case_id = :id UNION ALL"
        " SELECT 'leave', count(*) FROM leaves WHERE case_id = :id UNION ALL"
        " SELECT 'police', count(*) FROM police_reports WHERE case_id = :id", {"id": case.id}).fetchall())
    return common(conn, case, rules, as_of) | {
        "history": history(conn, case),
        "flags": [_flag_row(f) for f in found],
        "events": listed,
        "test_count": text(counts["test"]),
        "visit_count": text(counts["visit"]),
        "leave_count": text(counts["leave"]),
        "police_report_count": text(counts["police"]),
    }
