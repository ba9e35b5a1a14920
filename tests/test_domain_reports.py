"""The report's counting against the same counts worked out one person at a time (report_reference),
on random districts, for months, quarters, years, ranges, --as-of in the past, one street and every
breakdown."""

import dataclasses
import random
import sqlite3
from datetime import date, timedelta

import pytest

import report_month_reference
import report_reference
from jindu_cli.domain import reports
from jindu_cli.domain.rules import load_rules
from jindu_cli.errors import InvalidInput
from jindu_cli.storage.db import open_db
from support import random_district

RULES = load_rules()
AS_OF = date(2026, 11, 28)


def more_shapes(path, seed: int) -> None:
    """What random_district leaves out: communities and workers (some blank), decision dates, cases
    known only from their creation, deaths, terminations, 戒断三年, two changes on one day, changes
    of 执行地, unannounced tests; and the rest of the month: 宣传, 入户调查, screening, 帮扶's results."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    with conn:
        ids = [cid for (cid,) in conn.execute("SELECT id FROM cases")]
        for cid in ids:
            received = conn.execute("SELECT received_on FROM cases WHERE id = ?", [cid]).fetchone()[0]
            decided = date.fromisoformat(received) - timedelta(days=rng.randrange(0, 30))
            conn.execute("UPDATE cases SET community = ?, worker = ?, decided_on = ?, created_at = ? WHERE id = ?",
                         [rng.choice([None, "一社区", "二社区", "三社区"]), rng.choice([None, "甲", "乙", "丙"]),
                          decided.isoformat() if rng.random() < 0.5 else None,
                          (AS_OF - timedelta(days=rng.randrange(0, 800))).isoformat() + "T08:00:00Z", cid])
        for cid in rng.sample(ids, len(ids) // 10):
            # known only from when it was entered: no decision, receipt or 报到 yet
            conn.execute("UPDATE cases SET decided_on = NULL, received_on = NULL, reported_on = NULL,"
                         " status = 'pending' WHERE id = ?", [cid])
            conn.execute("DELETE FROM status_changes WHERE case_id = ?", [cid])
        active = [cid for (cid,) in conn.execute("SELECT id FROM cases WHERE status = 'active'")]
        for cid in rng.sample(active, len(active) // 4):
            last = conn.execute("SELECT max(changed_on) FROM status_changes WHERE case_id = ?", [cid]).fetchone()[0]
            on = date.fromisoformat(last) + timedelta(days=rng.randrange(0, 400))
            if on > AS_OF:
                continue
            status = rng.choice(["terminated", "deceased", "released", "suspended"])
            conn.execute("INSERT INTO status_changes (case_id, previous_status, status, changed_on, created_at)"
                         " VALUES (?, 'active', ?, ?, '')", [cid, status, on.isoformat()])
            if rng.random() < 0.3:  # corrected the same day: the later record is the one in force
                conn.execute("INSERT INTO status_changes (case_id, previous_status, status, changed_on, created_at)"
                             " VALUES (?, ?, 'active', ?, '')", [cid, status, on.isoformat()])
                status = "active"
            elif status == "released" and rng.random() < 0.5:
                clean = on + timedelta(days=rng.randrange(1, 300))
                conn.execute("INSERT INTO status_changes (case_id, previous_status, status, changed_on, created_at)"
                             " VALUES (?, 'released', 'clean', ?, '')", [cid, clean.isoformat()])
                status = "clean"
            conn.execute("UPDATE cases SET status = ? WHERE id = ?", [status, cid])
        streets = sorted({street for (street,) in conn.execute("SELECT street FROM cases")})
        for cid, street, reported in conn.execute("SELECT id, street, reported_on FROM cases WHERE reported_on"
                                                  " IS NOT NULL").fetchall():
            if rng.random() < 0.15:  # moved once or twice (§9.11): counted where they were at the end
                here = street
                on = date.fromisoformat(reported)
                for _ in range(rng.choice([1, 1, 2])):
                    on += timedelta(days=rng.randrange(1, 300))
                    there = rng.choice([s for s in streets if s != here])
                    conn.execute("INSERT INTO transfers (case_id, moved_on, from_street, to_street, created_at,"
                                 " updated_at) VALUES (?, ?, ?, ?, '', '')", [cid, on.isoformat(), here, there])
                    here = there
                conn.execute("UPDATE cases SET street = ? WHERE id = ?", [here, cid])
        tests = [tid for (tid,) in conn.execute("SELECT id FROM drug_tests ORDER BY id")]
        conn.executemany("UPDATE drug_tests SET unannounced = 1 WHERE id = ?", [(t,) for t in rng.sample(tests, len(tests) // 5)])
        report_month_reference.random_month_work(conn, rng, AS_OF)
    conn.close()


@pytest.fixture(scope="module", params=[1, 2, 3])
def district(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("district") / "jindu.db"
    random_district(path, seed=request.param, cases=300, as_of=AS_OF)
    more_shapes(path, seed=request.param)
    conn = open_db(path)
    yield conn
    conn.close()


def expected(conn, rules, period, as_of, street):
    listed = reports.indicators(rules.report)
    counted = report_reference.counts(conn, rules, period, min(period.end, as_of), list(reports.BY), street)
    return {b: {name: reports._rates(values, listed) for name, values in sorted(counted[b].items())}
            for b in reports.BY}


PERIODS = [("2026-10", AS_OF), ("2026-11", AS_OF), ("2026-Q3", AS_OF), ("2026-Q4", AS_OF), ("2025", AS_OF),
           ("2024-02", AS_OF), ("2025-06", date(2025, 7, 15)), ("2025-07", date(2025, 7, 15)),
           ("2022-12", date(2023, 1, 1))]


@pytest.mark.parametrize("text,as_of", PERIODS)
def test_counts_match_the_person_by_person_count(district, text, as_of):
    period = reports.parse_period(text, None, None, as_of)
    report = reports.build(district, RULES, period, as_of, charts=True, every_breakdown=True)
    assert report.breakdowns == expected(district, RULES, period, as_of, None)
    assert report.months == report_reference.months(district, period, None)
    assert report.total["registered"] > 0


def test_a_range_one_street_and_other_settings_match_too(district):
    period = reports.parse_period(None, "2026-01-05", "2026-02-10", AS_OF)
    report = reports.build(district, RULES, period, AS_OF, charts=True, every_breakdown=True)
    assert report.breakdowns == expected(district, RULES, period, AS_OF, None)
    assert report.months == report_reference.months(district, period, None)
    october = reports.month(2026, 10)
    for street in ("盐务街街道", "黔灵镇"):
        report = reports.build(district, RULES, october, AS_OF, "worker", street, charts=True, every_breakdown=True)
        assert report.breakdowns == expected(district, RULES, october, AS_OF, street)
        assert report.months == report_reference.months(district, october, street)
    for settings in ({"execution_rate": "reported", "face_to_face_per_month": 3, "visits_per_month": 1},
                     {"execution_rate": "executed", "face_to_face_per_month": 0, "visits_per_month": 0}):
        rules = dataclasses.replace(RULES, report=settings)
        report = reports.build(district, rules, october, AS_OF, every_breakdown=True)
        assert report.breakdowns == expected(district, rules, october, AS_OF, None)


def test_a_report_is_counted_while_another_process_is_writing(district):
    """A report reads one moment of the database and never waits for a writer."""
    october = reports.month(2026, 10)
    wanted = expected(district, RULES, october, AS_OF, None)
    (path,) = [file for _, name, file in district.execute("PRAGMA database_list") if name == "main"]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        writer.execute("DELETE FROM drug_tests WHERE id % 2 = 0")  # not committed: not counted
        assert reports.build(district, RULES, october, AS_OF, every_breakdown=True).breakdowns == wanted
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_urine_test_due_on_the_terms_last_day_is_counted(tmp_path):
    """The clocks summed by SQL: a test falling due on the last day of the term (the clerk's date)
    is still due; with the term ending the day before, it is not."""
    from jindu_cli.domain import report_clocks
    from jindu_cli.domain.reports import PERFORMED

    path = tmp_path / "jindu.db"
    random_district(path, seed=7, cases=300, as_of=AS_OF)
    conn = open_db(path)
    clocks = report_clocks.UrineClocks(RULES)
    rows = conn.execute(
        "SELECT c.id, c.measure, c.term_months, c.risk_level, c.reported_on, coalesce((SELECT max(t.tested_on)"
        f" FROM drug_tests t WHERE t.case_id = c.id AND t.specimen = 'urine' AND t.result IN {PERFORMED}"
        "  AND t.tested_on < '2026-10-01'), c.reported_on) FROM cases c WHERE c.status = 'active'"
        " AND c.test_every IS NULL AND c.reported_on IS NOT NULL"
        " AND c.id NOT IN (SELECT case_id FROM status_changes WHERE status = 'suspended')").fetchall()
    ends = {}
    for cid, measure, months, risk, reported, anchor in rows:
        on = clocks.due(measure, months, risk, None, reported, anchor, None, "9999-12-31")
        if "2026-10-01" <= on <= "2026-10-31":
            ends[cid] = on
    assert len(ends) >= 10
    # a report up to each of a few of those days: past the term's end the person is 期满待解除 and
    # no longer due a test (§9.10), so only a term ending on the report's last day shows the edge
    days = sorted(set(ends.values()))[:4]
    counted: dict = {}
    for later in (0, 1):
        with conn:
            for cid, on in ends.items():
                conn.execute("UPDATE cases SET term_end_override = date(?, ?) WHERE id = ?", [on, f"-{later} days", cid])
        for day in days:
            period = reports.parse_period(None, "2026-10-01", day, AS_OF)
            report = reports.build(conn, RULES, period, AS_OF, every_breakdown=True)
            assert report.breakdowns == expected(conn, RULES, period, AS_OF, None)
            counted[later, day] = report.total["test_due_people"]
    for day in days:
        assert counted[1, day] == counted[0, day] - sum(on == day for on in ends.values()), day


def test_the_months_caseload_follows_the_dates_of_changes_entered_late(tmp_path):
    """A status change entered after later ones (a back-dated 中止) counts from its own date."""
    path = tmp_path / "jindu.db"
    random_district(path, seed=11, cases=200, as_of=AS_OF)
    conn = open_db(path)
    with conn:
        ids = [cid for (cid,) in conn.execute("SELECT id FROM cases WHERE status = 'active' ORDER BY id LIMIT 40")]
        for cid in ids:
            first = conn.execute("SELECT min(changed_on) FROM status_changes WHERE case_id = ?", [cid]).fetchone()[0]
            on = max(date.fromisoformat(first) + timedelta(days=20), date(2026, 1, 15))
            for previous, status, day in (("active", "suspended", on), ("suspended", "active", on + timedelta(days=60))):
                conn.execute("INSERT INTO status_changes (case_id, previous_status, status, changed_on, created_at)"
                             " VALUES (?, ?, ?, ?, '')", [cid, previous, status, day.isoformat()])
    late = conn.execute("SELECT count(*) FROM status_changes a JOIN status_changes b ON a.case_id = b.case_id"
                        " AND a.id > b.id AND a.changed_on < b.changed_on").fetchone()[0]
    assert late > 0
    october = reports.month(2026, 10)
    report = reports.build(conn, RULES, october, AS_OF, charts=True)
    assert report.months == report_reference.months(conn, october, None)


@pytest.mark.parametrize("text, slug", [
    ("2026-10", "2026-10"), ("2026年10月", "2026-10"), ("2026/10", "2026-10"), ("2026.10", "2026-10"),
    ("２０２６年１０月", "2026-10"), ("2026-Q3", "2026-Q3"), ("2026q3", "2026-Q3"), ("2026年第三季度", "2026-Q3"),
    ("2026年第3季度", "2026-Q3"), ("2026年4季度", "2026-Q4"), ("2026 Q4", "2026-Q4"), ("2026", "2026"), ("2026年", "2026"),
])
def test_a_period_is_read_as_an_office_writes_it(text, slug):
    assert reports.parse_period(text, None, None, AS_OF).slug == slug


@pytest.mark.parametrize("text, words", [("2026-13", "月份不对"), ("2026Q5", "看不懂"), ("2026年三", "看不懂"),
                                         ("十月", "看不懂")])
def test_a_period_not_understood_says_how_to_write_one(text, words):
    with pytest.raises(InvalidInput) as exc:
        reports.parse_period(text, None, None, AS_OF)
    assert exc.value.field == "--period" and words in exc.value.reason


def test_a_table_too_wide_for_the_terminal_is_shown_in_pieces_that_fit(district):
    """Each piece repeats the indicators; every group, and the total, is in one piece; a file or a
    pipe (no width) gets the whole table."""
    from jindu_cli.cli import report_render
    from jindu_cli.cli.table import width

    report = reports.build(district, RULES, reports.month(2026, 10), AS_OF, "community")
    whole = report_render.render(report, "table", RULES).decode()
    assert report_render.render(report, "table", RULES, 10_000).decode() == whole
    shown = report_render.render(report, "table", RULES, 100).decode()
    table = shown.split("\n口径说明\n")[0]
    heads = [line for line in table.splitlines() if line.startswith("指标 ")]
    assert len(heads) > 2 and f"共 {len(heads)} 段" in table
    assert all(width(line) <= 100 for line in table.splitlines())
    named = [name for head in heads for name in head.split("   ")[1:] if name.strip()]
    assert sorted(n.strip() for n in named) == sorted([*report.groups, "合计"])
    assert table.count("在册人数") == len(heads) and shown.split("\n口径说明\n")[1] == whole.split("\n口径说明\n")[1]


def test_the_strict_preset_counts_the_same(district, tmp_path):
    """R12: an anchor in the first six months of a 社区戒毒 term falls due in 15 days."""
    from jindu_cli.domain.rules import template

    path = tmp_path / "rules.toml"
    path.write_text(template("strict"), encoding="utf-8")
    strict = load_rules(None, path)
    differs = 0
    for text in ("2026-10", "2025-06", "2025"):
        period = reports.parse_period(text, None, None, AS_OF)
        report = reports.build(district, strict, period, AS_OF, every_breakdown=True)
        assert report.breakdowns == expected(district, strict, period, AS_OF, None)
        differs += report.total != reports.build(district, RULES, period, AS_OF).total
    assert differs  # (the district has people in their first six months in one of the periods)
