"""The story of one case, newest first: status changes, changes of 执行地, visits, tests, leave,
police reports, and a screening that handed the person to the police before they were registered."""

from __future__ import annotations

import sqlite3
from datetime import date

from jindu_cli.domain.people import Case
from jindu_cli.domain.dates import iso
from jindu_cli.domain.drug_tests import drug_tests_of
from jindu_cli.domain.enums import METHOD, OUTCOME, RESULT, SPECIMEN, STATUS, VISIT_KIND
from jindu_cli.domain.leaves import leaves_of
from jindu_cli.domain.transfers import transfers_of
from jindu_cli.domain.visits import help_result, sub_kind_label, visits_of

ORDER = {"status": 0, "transfer": 1, "police_report": 2, "drug_test": 3, "visit": 4, "leave": 5, "referral": 6}


def build(conn: sqlite3.Connection, case: Case, as_of: date) -> list[dict]:
    events = [*_statuses(conn, case), *_transfers(conn, case), *_visits(conn, case), *_tests(conn, case),
              *_leaves(conn, case, as_of), *_police_reports(conn, case), *_referrals(conn, case)]
    events.sort(key=lambda e: (e[0], -ORDER[e[1]], e[2]), reverse=True)
    return [{"on": on, "entity": entity, "record_id": rid, "type": LABELS[entity], "text": text}
            for on, entity, rid, text in events]


LABELS = {"status": "状态", "transfer": "执行地", "visit": "走访", "drug_test": "检测", "leave": "外出",
          "police_report": "报告公安", "referral": "筛查"}
Event = tuple[str, str, int, str]  # (ISO date, entity, record number, text)


def _statuses(conn: sqlite3.Connection, case: Case) -> list[Event]:
    out = []
    for sid, previous, status, on, reason in conn.execute(
            "SELECT id, previous_status, status, changed_on, reason FROM status_changes WHERE case_id = ?", [case.id]):
        before = f"{STATUS.label(previous)} → " if previous else ""
        why = f"（{reason}）" if reason else ""
        out.append((on, "status", sid, f"状态：{before}{STATUS.label(status)}{why}"))
    return out


def _transfers(conn: sqlite3.Connection, case: Case) -> list[Event]:
    out = []
    for moved in transfers_of(conn, case.id):
        why = f"（{moved.reason}）" if moved.reason else ""
        after = "，".join(f"{on} {what}" for on, what in ((moved.reported_on, "在新街道报到"),
                                                          (moved.agreement_on, "重新签订协议")) if on)
        out.append((iso(moved.moved_on), "transfer", moved.id, f"变更执行地：{moved.from_street} → {moved.to_street}"
                    f"{why}；{after or '尚未在新街道报到'}"))
    return out


def _visits(conn: sqlite3.Connection, case: Case) -> list[Event]:
    out = []
    for visit in visits_of(conn, case.id):
        sub = sub_kind_label(visit.kind, visit.sub_kind)
        kind = VISIT_KIND.label(visit.kind) + (f"·{sub}" if sub else "")
        who = f"，{visit.worker}" if visit.worker else ""
        note = f"：{visit.notes}" if visit.notes else ""
        result = help_result(visit)
        result = f"（{result}）" if result else ""
        out.append((iso(visit.visited_on), "visit", visit.id,
                    f"{kind}，{OUTCOME.label(visit.outcome)}{result}{who}{note}"))
    return out


def _tests(conn: sqlite3.Connection, case: Case) -> list[Event]:
    out = []
    for test in drug_tests_of(conn, case.id):
        found = f"（{'、'.join(test.substances)}）" if test.substances else ""
        out.append((iso(test.tested_on), "drug_test", test.id,
                    f"{SPECIMEN.label(test.specimen)}{METHOD.label(test.method)}：{RESULT.label(test.result)}{found}"))
    return out


def _leaves(conn: sqlite3.Connection, case: Case, as_of: date) -> list[Event]:
    out = []
    for leave in leaves_of(conn, case.id):
        if leave.kind == "unreported":
            text = f"擅离 {leave.absent_days(as_of)} 天"
        else:
            back = f"，{leave.returned_on} 返回" if leave.returned_on else "，尚未销假"
            text = f"外出报告：{leave.destination or '去向未填'}{back}"
        out.append((iso(leave.left_on), "leave", leave.id, text))
    return out


def _police_reports(conn: sqlite3.Connection, case: Case) -> list[Event]:
    return [(on, "police_report", pid, f"报告公安{('：' + matter) if matter else ''}") for pid, on, matter in
            conn.execute("SELECT id, reported_on, matter FROM police_reports WHERE case_id = ?", [case.id])]


def _referrals(conn: sqlite3.Connection, case: Case) -> list[Event]:
    """The screenings that handed the person to the police (linked when the case was registered)."""
    out = []
    for rid, on, sid, day, street, group, unit in conn.execute(
            "SELECT x.id, x.referred_on, s.id, s.screened_on, s.street, s.screened_group, x.police_unit"
            " FROM screening_referrals x JOIN screenings s ON s.id = x.screening_id WHERE x.case_id = ?", [case.id]):
        out.append((on, "referral", rid, f"{day} {street}{group}筛查（#{sid}）阳性，移交{unit or '公安'}"))
    return out
