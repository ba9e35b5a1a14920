"""工作台账: one worker's month, person by person (the people the worker is responsible for): every
contact and test of the month (a 帮扶 with what it achieved), the items overdue at its end, the flags
that arose and the police reports made in it; the worker's 禁毒宣传, 入户调查 and screening sessions;
then the totals."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date

from jindu_cli.domain import due, find, timeline
from jindu_cli.domain import flags as flags_mod
from jindu_cli.domain.dates import parse_bound
from jindu_cli.domain.documents.fields import cn_date, office_fields
from jindu_cli.domain.enums import CLOSED_STATUSES, RESULT, VISIT_KIND
from jindu_cli.domain.rules import Rules
from jindu_cli.errors import InvalidInput

KINDS = ("visit", "drug_test", "police_report")  # the timeline's records a ledger lists
# on one day: the records, the flags they raise, the report; the overdue items at the end
ORDER = {"visit": 0, "drug_test": 1, "flag": 2, "police_report": 3, "overdue": 4}


def month(period: str | None, as_of: date) -> tuple[date, date]:
    """The month `period` names (2026-11, 2026年11月), and its last day or `as_of` if that is earlier."""
    if not period or not period.strip():
        raise InvalidInput("--period", "不能为空；写月份，如 2026-11")
    start = parse_bound(period, "--period", last=False)
    end = parse_bound(period, "--period", last=True)
    if start is None or end is None or start.day != 1 or (end - start).days > 31:
        raise InvalidInput("--period", f"“{period.strip()}”不是一个月份；写成 2026-11 或 2026年11月")
    if start > as_of:
        raise InvalidInput("--period", f"{start:%Y-%m} 还没有开始（今天是 {as_of}）")
    return start, min(end, as_of)


def _people(conn: sqlite3.Connection, worker: str, start: date) -> list:
    find.require_people(conn, worker=worker)
    return [c for c in find.list_cases(conn, worker=worker, sort="street")
            if c.status not in CLOSED_STATUSES or (c.closed_on is not None and c.closed_on >= start)]


def _rows_of(conn: sqlite3.Connection, case, start: date, end: date, overdue: list, rules: Rules) -> list[tuple]:
    rows = []
    for e in timeline.build(conn, case, end):
        on = date.fromisoformat(e["on"])
        if e["entity"] in KINDS and start <= on <= end:
            rows.append((on, ORDER[e["entity"]], e["record_id"], e["type"], e["text"], f"#{e['record_id']}"))
    for flag in flags_mod.case_flags(conn, case, end):
        if start <= flag.triggered_on <= end:
            rows.append((flag.triggered_on, ORDER["flag"], 0, "标记", f"{flag.label}：{flag.reason}", ""))
    rows.sort(key=lambda r: r[:3])
    # after the month's records, what was still overdue at its end, by the date it fell due
    late = sorted(overdue, key=lambda i: (i.due_on, i.item))
    return rows + [(i.due_on, ORDER["overdue"], 0, "月末逾期", f"{rules.label(i.item)}：{i.reason}", "") for i in late]


def _totals(conn: sqlite3.Connection, ids: list[int], start: date, end: date, counted: Counter) -> list[dict]:
    span = [start.isoformat(), end.isoformat()]
    marks = ",".join("?" * len(ids))
    visits = dict(conn.execute(f"SELECT kind, count(*) FROM visits WHERE case_id IN ({marks})"
                               " AND visited_on BETWEEN ? AND ? GROUP BY kind", ids + span).fetchall()) if ids else {}
    tests = dict(conn.execute(f"SELECT result, count(*) FROM drug_tests WHERE case_id IN ({marks})"
                              " AND tested_on BETWEEN ? AND ? GROUP BY result", ids + span).fetchall()) if ids else {}
    out = [{"item": "人数", "count": str(len(ids))}]
    out += [{"item": label, "count": str(visits.get(kind, 0))} for kind, label in VISIT_KIND.labels.items()]
    out.append({"item": "检测", "count": str(sum(tests.values()))})
    out += [{"item": f"其中{label}", "count": str(tests.get(code, 0))} for code, label in RESULT.labels.items()]
    out += [{"item": word, "count": str(counted[word])} for word in ("标记", "报告公安", "月末逾期")]
    return out


def _fieldwork(conn: sqlite3.Connection, worker: str, start: date, end: date) -> tuple[list[dict], list[dict]]:
    """The worker's 宣传, 入户调查 and screening sessions of the month, one line each, and their totals."""
    from jindu_cli.domain import activities, records, screenings

    rows, sums = [], Counter()
    month = {"date_from": start, "date_to": end, "by": {"worker": worker}, "oldest_first": True}
    for a, _ in records.each(conn, activities.kind_of(conn), **month):
        rows.append((a.held_on, activities.CATEGORY.label(a.category), a.summary(), a.id))
        sums.update({"宣传活动（场）": a.category == "publicity", "宣传参与（人次）": a.participants or 0,
                     "发放资料（份）": a.materials or 0, "入户调查（户）": a.households or 0, "摸排线索（条）": a.clues or 0})
    for x, _ in records.each(conn, screenings.kind_of(conn), **month):
        handed = len(screenings.referrals(conn, screening_id=x.id, date_to=end))
        rows.append((x.screened_on, "筛查", x.summary(handed), x.id))
        sums.update({"筛查（人）": x.tested, "筛查阳性（人）": x.positives, "移交公安（人）": handed})
    rows.sort(key=lambda r: (r[0], r[1], r[3]))
    items = ("宣传活动（场）", "宣传参与（人次）", "发放资料（份）", "入户调查（户）", "摸排线索（条）", "筛查（人）",
             "筛查阳性（人）", "移交公安（人）")
    return ([{"on": cn_date(on), "type": kind, "text": text, "record": f"#{rid}"} for on, kind, text, rid in rows],
            [{"item": item, "count": str(sums[item])} for item in items])


def _help_results(conn: sqlite3.Connection, ids: list[int], start: date, end: date) -> list[dict]:
    """What the month's 帮扶 of the worker's people achieved, in the totals."""
    marks = ",".join("?" * len(ids))
    placed, aid, amount = conn.execute(
        f"SELECT count(DISTINCT CASE WHEN placed THEN case_id END), coalesce(sum(aid_granted), 0),"
        f" coalesce(sum(aid_amount), 0) FROM visits WHERE kind = 'help' AND case_id IN ({marks})"
        " AND visited_on BETWEEN ? AND ?", ids + [start.isoformat(), end.isoformat()]).fetchone() if ids else (0, 0, 0)
    return [{"item": "就业安置（人）", "count": str(placed)}, {"item": "救助（次）", "count": str(aid)},
            {"item": "救助金额（元）", "count": str(amount)}]


def worker_ledger(conn: sqlite3.Connection, rules: Rules, worker: str | None, period: str | None,
                  as_of: date) -> tuple[dict, list[int]]:
    """The ledger's fields, and the people it names."""
    if not worker or not worker.strip():
        raise InvalidInput("--worker", "不能为空；写专干的姓名")
    worker = worker.strip()
    start, end = month(period, as_of)
    people = _people(conn, worker, start)
    overdue: dict[int, list] = {}
    for made in due.due_items(conn, rules, end, within=0, worker=worker):
        late = [i for i in made if i.due_on < end]
        if late:
            overdue[late[0].case.id] = late
    entries: list[dict] = []
    counted: Counter = Counter()
    for case in people:
        rows = _rows_of(conn, case, start, end, overdue.get(case.id, []), rules)
        counted.update(r[3] for r in rows)
        first = {"name": case.name, "case_id": str(case.id)}
        if not rows:
            entries.append(first | {"on": "", "type": "", "text": "本月没有记录", "record": ""})
        for n, (on, _, _, kind, what, record) in enumerate(rows):
            who = first if n == 0 else {"name": "", "case_id": ""}
            entries.append(who | {"on": cn_date(on), "type": kind, "text": what, "record": record})
    work, work_totals = _fieldwork(conn, worker, start, end)
    streets = list(dict.fromkeys(c.street for c in people))
    context = office_fields(conn, rules, streets[0] if len(streets) == 1 else "", as_of) | {
        "worker": worker, "streets": "、".join(streets), "period": f"{start.year}年{start.month}月",
        "period_start": cn_date(start), "period_end": cn_date(end), "people_count": str(len(people)),
        "entries": entries, "work": work,
        "totals": _totals(conn, [c.id for c in people], start, end, counted)
        + _help_results(conn, [c.id for c in people], start, end) + work_totals,
    }
    return context, [c.id for c in people]
