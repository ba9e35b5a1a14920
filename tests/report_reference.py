"""The report's counts worked out the straightforward way, one person at a time: each case's status
history replayed, its R15 clock and last contact found on its own, every month-end walked for the
charts. This is how jindu counted before the counting was done in SQL; the tests hold the fast
counting in jindu_cli.domain.reports to it on random districts."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

import report_month_reference
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
    group_of: dict[int, tuple] = {}
    facts: dict[int, dict] = {}
    # the groups, written out here rather than taken from the code under test: a community is named
    # after its street too, unless the report is of one street; a person is counted in the street the person was in at the period's end (a transfer since:
    # its community and worker unknown)
    moves: dict[int, list] = defaultdict(list)
    for cid, on, left, to in conn.execute("SELECT case_id, moved_on, from_street, to_street FROM transfers"
                                          " ORDER BY case_id, moved_on, id"):
        moves[cid].append((on, left, to))
    wanted = reference.streets(conn).resolve(street) if street else None
    for cid, current, community, worker, measure, decided, received, reported, created, risk in conn.execute(
            "SELECT c.id, c.street, c.community, c.worker, c.measure, c.decided_on, c.received_on, c.reported_on,"
            " substr(c.created_at, 1, 10), c.risk_level FROM cases c"):
        known = min(d for d in (decided, received, reported) if d) if (decided or received or reported) else created
        if known > e:
            continue  # not yet known at the end of the period
        before = [to for on, _, to in moves.get(cid, []) if on <= e]
        after = [left for on, left, _ in moves.get(cid, []) if on > e]
        then = before[-1] if before else after[0] if after else current
        if wanted and then != wanted:
            continue
        if then != current:
            community, worker = "（迁出前的社区未记录）", "（迁出前的专干未记录）"
        community, worker = community or "（未填社区）", worker or "（未填专干）"
        by = {"street": then, "community": community if street else f"{then} {community}",
              "worker": worker if street else f"{then} {worker}"}
        group_of[cid] = tuple(by[b] for b in bys)
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
    awaiting = _past_the_term(conn, facts, end)
    for cid, f in facts.items():
        status = f["status"]
        listed = bool(f["received"] and f["received"] <= e or f["reported"] and f["reported"] <= e)
        if listed:
            add(cid, "registered")
        if cid in awaiting:
            add(cid, "status_awaiting_release")
        elif status == "active":
            add(cid, "status_active_treatment" if f["measure"] == "community_treatment" else "status_active_rehab")
            add(cid, "managed")
        elif listed:
            add(cid, f"status_{status}")
        if status in ("active", "suspended") and cid not in awaiting:
            add(cid, f"risk_{f['risk']}")
        if listed and status not in ("clean", "deceased"):
            add(cid, "current_users")
        reported_by_end = f["reported"] and f["reported"] <= e
        if listed and status != "deceased":
            add(cid, "execution_base")
        if settings["execution_rate"] == "reported":
            if status != "deceased" and reported_by_end:
                add(cid, "executed")
        elif status in ("active", "suspended", "released", "clean") and reported_by_end:
            add(cid, "executed")
        if f["decided"] and s <= f["decided"] <= e:
            add(cid, "new_orders_treatment" if f["measure"] == "community_treatment" else "new_orders_rehab")
        if f["received"]:
            # §9.12: the deadline by the period's end, not reported before it began (who ended
            # without ever reporting no longer has to)
            deadline = iso(date.fromisoformat(f["received"]) + timedelta(days=rules["report_in"]["days"]))
            never = not f["reported"] and status not in ("terminated", "deceased")
            if deadline <= e and (never or f["reported"] and f["reported"] >= s):
                add(cid, "report_due")
                if f["reported"] and f["reported"] <= e:
                    add(cid, "reported")
                else:
                    add(cid, "report_overdue")
    # tests and visits in the period; a test after the person's 期满解除 is counted apart (§9.9)
    released = dict(conn.execute("SELECT case_id, min(changed_on) FROM status_changes WHERE status = 'released'"
                                 " GROUP BY case_id"))
    tested_people, relapsed, relapsed_after = set(), set(), set()
    for cid, on, result, unannounced in conn.execute(
            "SELECT case_id, tested_on, result, unannounced FROM drug_tests WHERE tested_on BETWEEN ? AND ?", [s, e]):
        if cid not in facts:
            continue
        after = cid in released and on > released[cid] and facts[cid]["status"] in ("released", "clean")
        if result in ("negative", "positive"):
            add(cid, "tests")
            if unannounced:
                add(cid, "unannounced_tests")
            if not after:
                tested_people.add(cid)
        if result == "positive":
            add(cid, "positives")
            (relapsed_after if after else relapsed).add(cid)
        if result in ("refused", "evaded"):
            add(cid, "refusals")
    for cid in tested_people:
        add(cid, "tested_people")
    for cid in relapsed:
        add(cid, "relapsed")
    for cid in relapsed_after:
        add(cid, "relapsed_after_release")
    managed = {cid for cid, f in facts.items() if f["status"] == "active" and cid not in awaiting}
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
    report_month_reference.add_counts(conn, counts, bys, street, start, end, add, group_of)
    return counts


def _past_the_term(conn, facts: dict, end: date) -> set[int]:
    """§9.10: the people in execution at the end whose term had ended by then (期满待解除)."""
    active = [cid for cid, f in facts.items() if f["status"] == "active" and f["reported"]]
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS report_ids (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.report_ids")
    conn.executemany("INSERT INTO temp.report_ids (id) VALUES (?)", [(i,) for i in active])
    return {c.id for c in load_cases(conn, "c.id IN (SELECT id FROM temp.report_ids)") if c.term_end(end) < end}


def _testing_and_contact(conn, rules: Rules, facts: dict, managed: set[int], add, start: date, end: date) -> None:
    """按时检测 and 失联 need each person's clock: the cases 在管 at the end, loaded whole."""
    from jindu_cli.domain import clocks

    if not managed:
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS report_ids (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.report_ids")
    conn.executemany("INSERT INTO temp.report_ids (id) VALUES (?)", [(i,) for i in managed])
    cases = {c.id: c for c in load_cases(conn, "c.id IN (SELECT id FROM temp.report_ids)")}
    s, e = iso(start), iso(end)
    calls = " OR (v.kind = 'phone' AND v.outcome = 'reached')" if rules["lost_contact"]["calls_count"] else ""
    rows = conn.execute(
        "SELECT r.id,"
        f" (SELECT tested_on FROM drug_tests t WHERE t.case_id = r.id AND t.specimen = 'urine' AND t.result IN {PERFORMED}"
        "   AND t.tested_on < ? ORDER BY tested_on DESC LIMIT 1),"
        f" (SELECT tested_on FROM drug_tests t WHERE t.case_id = r.id AND t.specimen = 'urine' AND t.result IN {PERFORMED}"
        "   AND t.tested_on BETWEEN ? AND ? ORDER BY tested_on LIMIT 1),"
        f" (SELECT tested_on FROM drug_tests t WHERE t.case_id = r.id AND t.result IN {PERFORMED} AND t.tested_on <= ?"
        "   ORDER BY tested_on DESC LIMIT 1),"
        f" (SELECT visited_on FROM visits v WHERE v.case_id = r.id AND (v.outcome = 'seen'{calls}) AND v.visited_on <= ?"
        "   ORDER BY visited_on DESC LIMIT 1),"
        f" (SELECT tested_on FROM drug_tests t WHERE t.case_id = r.id AND t.specimen = 'urine' AND t.result IN {PERFORMED}"
        "   AND t.tested_on <= ? ORDER BY tested_on DESC LIMIT 1)"
        " FROM temp.report_ids r", [s, s, e, e, e, e]).fetchall()
    failed: dict[int, list[date]] = defaultdict(list)
    for cid, on in conn.execute("SELECT case_id, visited_on FROM visits WHERE outcome IN ('not_seen', 'refused',"
                                " 'unreached') AND visited_on <= ? ORDER BY visited_on", [e]):
        failed[cid].append(date.fromisoformat(on))
    for cid, before, first_in, last_test, last_visit, last_urine in rows:
        case = cases[cid]
        anchor = date.fromisoformat(before) if before else case.reported_on
        term_end = case.term_end(end)
        due_on = clocks.urine_due(case, anchor, rules, term_end)
        if due_on is not None and due_on <= end:
            add(cid, "test_due_people")
            if first_in and (date.fromisoformat(first_in) <= due_on or due_on < start):
                add(cid, "tested_on_time")
        if _lost(case, rules, end, term_end, last_test, last_visit, last_urine, failed.get(cid, [])):
            add(cid, "lost_contact")


def _lost(case, rules: Rules, end: date, term_end: date, last_test, last_visit, last_urine, failed) -> bool:
    """R22 on the day `end` (§9.6): no successful contact for the rule's days (中止 not counted), or a
    missed urine test and then the rule's number of failed contacts."""
    from jindu_cli.domain import clocks

    r = rules["lost_contact"]
    contact = max([date.fromisoformat(d) for d in (last_test, last_visit) if d] + [case.reported_on])
    lost_on = clocks.pause(case, contact, contact + timedelta(days=r["days"]))[0]
    urine = date.fromisoformat(last_urine) if last_urine else case.reported_on
    missed = clocks.urine_due(case, urine, rules, term_end)
    after = [f for f in failed if missed and f > max(contact, missed)]
    if r["failed_contacts"] and len(after) >= r["failed_contacts"]:
        lost_on = min(lost_on, after[r["failed_contacts"] - 1])
    return lost_on <= end and lost_on <= term_end


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
    """The twelve months up to the period's end: tests performed, positives, visits, caseload by status."""
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
        f"SELECT substr(x.tested_on, 1, 7), sum(x.result IN ('negative', 'positive')), sum(x.result = 'positive')"
        f" FROM drug_tests x{join}"
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
    listed = [{"month": f.strftime("%Y-%m"), "tests": tests.get(f.strftime("%Y-%m"), (0, 0))[0],
               "positives": tests.get(f.strftime("%Y-%m"), (0, 0))[1] or 0, "visits": visits.get(f.strftime("%Y-%m"), 0),
               "caseload": dict(caseload[i])} for i, f in enumerate(firsts)]
    report_month_reference.add_months(conn, listed, street)
    return listed
