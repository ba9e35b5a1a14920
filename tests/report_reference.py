"""The report's counts worked out the straightforward way, one person at a time: each case's status
history replayed, its R15 clock and last contact found on its own, every month-end walked for the
charts. This is how jindu counted before the counting was done in SQL; the tests hold the fast
counting in jindu_cli.domain.reports to it on random districts."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from jindu_cli.domain import flags as flags_mod
from jindu_cli.domain.people import load_cases
from jindu_cli.domain.dates import iso
from jindu_cli.domain.due import PERFORMED
from jindu_cli.domain.reports import Period
from jindu_cli.domain.rules import Rules


def counts(conn, rules: Rules, period: Period, end: date, bys: list[str], street: str | None) -> dict:
    settings = rules.report
    from jindu_cli.domain import reference

    start = period.start
    s, e = iso(start), iso(end)
    scope, params = "1 = 1", []
    if street:
        scope, params = "c.street = ?", [reference.streets(conn).resolve(street)]
    group_of: dict[int, tuple] = {}
    facts: dict[int, dict] = {}
    # the groups, written out here rather than taken from the code under test: a community is named
    # after its street too, unless the report is of one street
    community = "coalesce(c.community, '（未填社区）')"
    worker = "coalesce(c.worker, '（未填专干）')"
    by = {"street": "c.street", "community": community if street else f"c.street || ' ' || {community}",
          "worker": worker if street else f"c.street || ' ' || {worker}"}
    for cid, *rest in conn.execute(
            f"SELECT c.id, {', '.join(by[b] for b in bys)}, c.measure, c.decided_on, c.received_on, c.reported_on,"
            f" substr(c.created_at, 1, 10), c.risk_level FROM cases c WHERE {scope}", params):
        groups, (measure, decided, received, reported, created, risk) = rest[:len(bys)], rest[len(bys):]
        known = min(d for d in (decided, received, reported) if d) if (decided or received or reported) else created
        if known > e:
            continue  # not yet known at the end of the period
        group_of[cid] = tuple(groups)
        facts[cid] = {"measure": measure, "decided": decided, "received": received, "reported": reported,
                      "risk": risk, "status": "pending"}
    counts: dict[str, dict[str, Counter]] = {b: defaultdict(Counter) for b in bys}
    tables = [counts[b] for b in bys]

    def add(cid: int, key: str, n: int = 1) -> None:
        for table, group in zip(tables, group_of[cid]):
            table[group][key] += n

    # the status in force at the end of the period, and the changes within it
    for cid, status, changed_on in conn.execute(
            "SELECT case_id, status, changed_on FROM status_changes WHERE changed_on <= ? ORDER BY case_id, changed_on, id",
            [e]):
        if cid not in facts:
            continue
        facts[cid]["status"] = status
        if changed_on >= s:
            key = {"released": "released_in_period", "terminated": "terminated_in_period",
                   "suspended": "suspended_in_period"}.get(status)
            if key:
                add(cid, key)
    for cid, f in facts.items():
        status = f["status"]
        add(cid, "registered")
        if status == "active":
            add(cid, "status_active_treatment" if f["measure"] == "community_treatment" else "status_active_rehab")
            add(cid, "managed")
        else:
            add(cid, f"status_{status}")
        if status in ("active", "suspended"):
            add(cid, f"risk_{f['risk']}")
        if status not in ("clean", "deceased"):
            add(cid, "current_users")
        if status != "deceased":
            add(cid, "execution_base")
            reported_by_end = f["reported"] and f["reported"] <= e
            if settings["execution_rate"] == "reported":
                if reported_by_end:
                    add(cid, "executed")
            elif status in ("active", "suspended", "released", "clean") and reported_by_end:
                add(cid, "executed")
        if f["decided"] and s <= f["decided"] <= e:
            add(cid, "new_orders_treatment" if f["measure"] == "community_treatment" else "new_orders_rehab")
        if f["received"]:
            deadline = iso(date.fromisoformat(f["received"]) + timedelta(days=rules["report_in"]["days"]))
            if s <= deadline <= e:
                add(cid, "report_due")
                if f["reported"] and f["reported"] <= e:
                    add(cid, "reported")
                else:
                    add(cid, "report_overdue")
    # tests and visits in the period
    tested_people, relapsed = set(), set()
    for cid, result, n in conn.execute(
            "SELECT case_id, result, count(*) FROM drug_tests WHERE tested_on BETWEEN ? AND ? GROUP BY case_id, result",
            [s, e]):
        if cid not in facts:
            continue
        add(cid, "tests", n)
        if result == "positive":
            add(cid, "positives", n)
            relapsed.add(cid)
        if result in ("refused", "evaded"):
            add(cid, "refusals", n)
        if result in ("negative", "positive"):
            tested_people.add(cid)
    for cid in tested_people:
        add(cid, "tested_people")
    for cid in relapsed:
        add(cid, "relapsed")
    managed = {cid for cid, f in facts.items() if f["status"] == "active"}
    met_need = settings["face_to_face_per_month"] * period.months
    visit_need = settings["visits_per_month"] * period.months
    for cid, face, total in conn.execute(
            "SELECT case_id, sum(outcome = 'seen' AND kind != 'phone'), count(*) FROM visits"
            " WHERE visited_on BETWEEN ? AND ? GROUP BY case_id", [s, e]):
        if cid in managed:
            if face >= met_need:
                add(cid, "met")
            if total >= visit_need:
                add(cid, "visited")
    _testing_and_contact(conn, rules, facts, managed, add, start, end)
    _flags(conn, facts, add, start, end, rules["report_in"]["days"])
    return counts


def _testing_and_contact(conn, rules: Rules, facts: dict, managed: set[int], add, start: date, end: date) -> None:
    """按时检测 and 失联 need each person's clock: the cases in execution at the end, loaded whole."""
    from jindu_cli.domain import clocks

    if not managed:
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS report_ids (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.report_ids")
    conn.executemany("INSERT INTO temp.report_ids (id) VALUES (?)", [(i,) for i in managed])
    cases = {c.id: c for c in load_cases(conn, "c.id IN (SELECT id FROM temp.report_ids)")}
    s, e = iso(start), iso(end)
    rows = conn.execute(
        "SELECT r.id,"
        f" (SELECT tested_on FROM drug_tests t WHERE t.case_id = r.id AND t.specimen = 'urine' AND t.result IN {PERFORMED}"
        "   AND t.tested_on < ? ORDER BY tested_on DESC LIMIT 1),"
        f" (SELECT tested_on FROM drug_tests t WHERE t.case_id = r.id AND t.specimen = 'urine' AND t.result IN {PERFORMED}"
        "   AND t.tested_on BETWEEN ? AND ? ORDER BY tested_on LIMIT 1),"
        f" (SELECT tested_on FROM drug_tests t WHERE t.case_id = r.id AND t.result IN {PERFORMED} AND t.tested_on <= ?"
        "   ORDER BY tested_on DESC LIMIT 1),"
        " (SELECT visited_on FROM visits v WHERE v.case_id = r.id AND v.outcome = 'seen' AND v.visited_on <= ?"
        "   ORDER BY visited_on DESC LIMIT 1)"
        " FROM temp.report_ids r", [s, s, e, e, e]).fetchall()
    lost_days = rules["lost_contact"]["days"]
    for cid, before, first_in, last_test, last_visit in rows:
        case = cases[cid]
        if case.reported_on is None:
            continue
        anchor = date.fromisoformat(before) if before else case.reported_on
        due_on = clocks.urine_due(case, anchor, rules, case.term_end(end))
        if due_on is not None and due_on <= end:
            add(cid, "test_due_people")
            if first_in and (date.fromisoformat(first_in) <= due_on or due_on < start):
                add(cid, "tested_on_time")
        contact = max([d for d in (last_test, last_visit, iso(case.reported_on)) if d])
        if (end - date.fromisoformat(contact)).days > lost_days:
            add(cid, "lost_contact")


def _flags(conn, facts: dict, add, start: date, end: date, report_days: int) -> None:
    """Flags that arose within the period. Only a case with a flagged test or an absence in the
    period, or one whose 报到 deadline passed in it, can have one."""
    from jindu_cli.storage.migrations import FLAGGED

    s, e = iso(start), iso(end)
    candidates = {cid for (cid,) in conn.execute(
        f"SELECT DISTINCT case_id FROM drug_tests WHERE tested_on BETWEEN ? AND ? AND {FLAGGED}"
        " UNION SELECT case_id FROM leaves WHERE kind = 'unreported' AND left_on <= ?"
        " AND (returned_on IS NULL OR returned_on >= ?)", [s, e, e, s]) if cid in facts}
    for cid, f in facts.items():  # (still pending, or reported late: §9.7)
        if f["received"]:
            arises = date.fromisoformat(f["received"]) + timedelta(days=report_days + 1)
            if start <= arises <= end:
                candidates.add(cid)
    candidates = sorted(candidates)
    if not candidates:
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS report_ids (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.report_ids")
    conn.executemany("INSERT INTO temp.report_ids (id) VALUES (?)", [(i,) for i in candidates])
    cases = load_cases(conn, "c.id IN (SELECT id FROM temp.report_ids)")
    found = flags_mod.load_facts(conn, candidates, end)
    for case in cases:
        then = dataclasses.replace(case, status=facts[case.id]["status"])  # the status it had at the end
        for flag in flags_mod.derive(then, found.get(case.id, flags_mod.Facts()), end):
            if not start <= flag.triggered_on <= end or not flag.for_police:
                continue
            if flag.kind == "serious_violation":
                add(case.id, "serious_violations")
            add(case.id, "police_due")
            if flag.police_reported_on and flag.police_reported_on <= end:
                add(case.id, "police_reported")


def months(conn, period: Period, street: str | None) -> list[dict]:
    """The twelve months up to the period's end: tests, positives, visits, caseload by status."""
    from jindu_cli.domain import reference

    last = date(period.end.year, period.end.month, 1)
    firsts = [last - relativedelta(months=11 - i) for i in range(12)]
    ends = [f + relativedelta(months=1) - timedelta(days=1) for f in firsts]
    join, params = "", []
    if street:
        join = " JOIN cases c ON c.id = x.case_id AND c.street = ?"
        params = [reference.streets(conn).resolve(street)]
    span = [iso(firsts[0]), iso(ends[-1])]
    tests = {m: (n, p) for m, n, p in conn.execute(
        f"SELECT substr(x.tested_on, 1, 7), count(*), sum(x.result = 'positive') FROM drug_tests x{join}"
        " WHERE x.tested_on BETWEEN ? AND ? GROUP BY 1", params + span)}
    visits = {m: n for m, n in conn.execute(
        f"SELECT substr(x.visited_on, 1, 7), count(*) FROM visits x{join} WHERE x.visited_on BETWEEN ? AND ? GROUP BY 1",
        params + span)}
    # each case's status at each month's end; a case known but without a status change is 未报到
    scope = " WHERE c.street = ?" if street else ""
    known = {cid: min(d for d in (a, b, c_) if d) if (a or b or c_) else created
             for cid, a, b, c_, created in conn.execute(
                 "SELECT c.id, c.decided_on, c.received_on, c.reported_on, substr(c.created_at, 1, 10) FROM cases c"
                 + scope, params)}
    histories: dict[int, list] = defaultdict(list)
    for cid, status, on in conn.execute(
            f"SELECT x.case_id, x.status, x.changed_on FROM status_changes x{join}"
            " WHERE x.changed_on <= ? ORDER BY x.case_id, x.changed_on, x.id", params + [iso(ends[-1])]):
        histories[cid].append((on, status))
    caseload = [Counter() for _ in ends]
    for cid, first in known.items():
        changes = histories.get(cid, [])
        index, current = 0, None
        for i, month_end in enumerate(ends):
            text = iso(month_end)
            while index < len(changes) and changes[index][0] <= text:
                current = changes[index][1]
                index += 1
            if current:
                caseload[i][current] += 1
            elif first <= text:
                caseload[i]["pending"] += 1
    return [{"month": f.strftime("%Y-%m"), "tests": tests.get(f.strftime("%Y-%m"), (0, 0))[0],
             "positives": tests.get(f.strftime("%Y-%m"), (0, 0))[1] or 0, "visits": visits.get(f.strftime("%Y-%m"), 0),
             "caseload": dict(caseload[i])} for i, f in enumerate(firsts)]
