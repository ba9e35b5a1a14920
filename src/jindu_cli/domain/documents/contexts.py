"""What each one-person document is filled with, and when it cannot be made (no 报到 for an
agreement, no open flag for a letter to the police, a term not yet past the police's 7 days)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from jindu_cli.domain import flags as flags_mod
from jindu_cli.domain.documents.fields import cadence_fields, cn_date, common
from jindu_cli.domain.enums import CLOSED_STATUSES, STATUS
from jindu_cli.domain.people import Case
from jindu_cli.domain.rules import Rules
from jindu_cli.errors import Conflict, InvalidInput

RELEASE_NOTICE_DAYS = 7  # 条例23、40: the police notify the street within 7 days of the term's end

DRUG_LAW_38 = "《中华人民共和国禁毒法》第三十八条"
REGULATION_21 = "《戒毒条例》第二十一条"
# the law each kind of flag rests on; a kind not named here (a new one) rests on the street's duty
# to report (条例21) alone
LEGAL_BASIS = {
    "relapse": f"{DRUG_LAW_38}，{REGULATION_21}",
    "serious_violation": f"《戒毒条例》第二十条，{REGULATION_21}，{DRUG_LAW_38}",
    "report_overdue": "《戒毒条例》{report_article}，" + REGULATION_21,
}
# 社区康复 follows the articles of 社区戒毒 that its own articles name (条例38, 40)
REPORT_ARTICLE = {"community_treatment": "第十四条", "community_rehab": "第三十八条"}
RELEASE_ARTICLE = {"community_treatment": "第二十三条", "community_rehab": "第四十条"}


def _open_case(case: Case, what: str) -> None:
    if case.status in CLOSED_STATUSES:
        raise Conflict(f"{case.name}（案件 {case.id}）已{STATUS.label(case.status)}，不再{what}")


def agreement(conn: sqlite3.Connection, case: Case, rules: Rules, as_of: date, **_) -> dict:
    _open_case(case, "签订协议")
    if case.reported_on is None:
        raise Conflict(f"{case.name}（案件 {case.id}）还没有报到：协议在报到时签订，期限从报到日期起算；"
                       f"报到后先记录：jindu case update {case.id} --reported-on 日期")
    return common(conn, case, rules, as_of) | cadence_fields(case, rules)


def register_card(conn: sqlite3.Connection, case: Case, rules: Rules, as_of: date, **_) -> dict:
    return common(conn, case, rules, as_of)


def _flag_line(n: int, flag) -> str:
    police = f"已报告 {flag.police_reported_on}" if flag.police_reported_on else "待报告"
    return f"{n} {flag.label}（{flag.triggered_on} 产生，{police}）"


def pick_flag(case: Case, found: list, chosen: str | None):
    """The flag a letter reports: the one not yet reported, or the one --flag names (its number in
    the person's list, its label or kind). Never a guess between several."""
    listed = "；".join(_flag_line(n, f) for n, f in enumerate(found, start=1))
    who = f"{case.name}（案件 {case.id}）"
    if chosen is None or not chosen.strip():
        pending = [f for f in found if f.police_reported_on is None]
        if len(pending) == 1:
            return pending[0]
        if not pending:
            more = f"；已报告的：{listed}。要再出函，用 --flag 指定" if found else ""
            raise Conflict(f"{who}没有尚未报告公安的标记{more}")
        raise Conflict(f"{who}有 {len(pending)} 个尚未报告公安的标记：{listed}。请用 --flag 指定，"
                       f"如 --flag {found.index(pending[0]) + 1}")
    word = chosen.strip()
    if word.isdigit():
        n = int(word)
        if not 1 <= n <= len(found):
            raise InvalidInput("--flag", f"{who}没有第 {n} 个标记" + (f"；有：{listed}" if found else "；没有任何标记"))
        return found[n - 1]
    matches = [f for f in found if word in (f.label, f.kind)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InvalidInput("--flag", f"{who}没有“{word}”标记" + (f"；有：{listed}" if found else "；没有任何标记"))
    raise Conflict(f"{who}有 {len(matches)} 个“{word}”标记：{listed}。请用编号指定，如 --flag "
                   f"{found.index(matches[0]) + 1}")


def police_letter(conn: sqlite3.Connection, case: Case, rules: Rules, as_of: date, flag: str | None = None,
                  **_) -> dict:
    chosen = pick_flag(case, flags_mod.case_flags(conn, case, as_of), flag)
    return common(conn, case, rules, as_of) | {
        "flag": chosen.label,
        "flag_reason": chosen.reason,
        "triggered_on": cn_date(chosen.triggered_on),
        "legal_basis": LEGAL_BASIS.get(chosen.kind, REGULATION_21).format(
            report_article=REPORT_ARTICLE.get(case.measure, REPORT_ARTICLE["community_treatment"])),
        "evidence": [{"on": cn_date(e.on), "text": e.text} for e in chosen.evidence],
        "_flag": chosen,
    }


def release_request(conn: sqlite3.Connection, case: Case, rules: Rules, as_of: date, **_) -> dict:
    _open_case(case, "催要解除通知书")
    if case.reported_on is None:
        raise Conflict(f"{case.name}（案件 {case.id}）还没有报到，期限尚未开始")
    end = case.term_end(as_of)
    due = end + timedelta(days=RELEASE_NOTICE_DAYS)
    if as_of <= due:
        raise Conflict(f"{case.name}（案件 {case.id}）的期限到 {end} 届满，公安应在届满后 {RELEASE_NOTICE_DAYS} 日内"
                       f"（{due} 前）送达解除通知书；{due} 以后仍未收到才催要")
    article = RELEASE_ARTICLE.get(case.measure, RELEASE_ARTICLE["community_treatment"])
    return common(conn, case, rules, as_of) | {"notice_due": cn_date(due), "days_late": str((as_of - due).days),
                                               "legal_basis": f"《戒毒条例》{article}"}
