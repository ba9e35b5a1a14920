"""The due list narrowed by its horizon (domain/due_window.py) against the list worked out for every
person, over generated registers, rules and dates."""

import random
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jindu_cli.domain.dates import add_months
from jindu_cli.domain.due import _last_contact, due_list
from jindu_cli.domain.due_items import Anchors, items_for
from jindu_cli.domain.due_window import Window
from jindu_cli.domain.people import CLOCK_FIELDS
from jindu_cli.domain.reference import packaged_data_dir
from jindu_cli.domain.rules import ITEMS, load_rules
from jindu_cli.storage.db import open_db
from support import random_district
from test_domain_due import make_case

SEEDS = (21, 22, 23)
# rules an office may write: R12's strict first months, later term years tested more often than
# earlier ones (a person ever in 中止 may count their years differently), cadences in days and weeks,
# calls as contacts, one failed contact enough, no shorter cadences for high risk, holiday shifts
CHANGES = {
    "shipped": [],
    "strict": [('intervals = ["1m", "2m", "3m"]', 'intervals = ["2m", "15d", "3w"]\nstart_interval = "1w"\n'
                                                 'start_months = 4'),
               ('intervals = ["2m", "3m", "6m"]', 'intervals = ["3m", "1m", "10d"]'),
               ('calls_count = false', 'calls_count = true'), ("failed_contacts = 2", "failed_contacts = 1"),
               ('high_risk_interval = "2w"', 'high_risk_interval = ""'), ('interval = "1m"\n\n[hair_test]',
                                                                         'interval = ""\n\n[hair_test]')],
    "days": [('interval = "6m"\n\n[talk]', 'interval = "45d"\n\n[talk]'), ("failed_contacts = 2", "failed_contacts = 0"),
             ('interval = "3m"', 'interval = "5w"'), ("holiday_shift = false", "holiday_shift = true"),
             ("notice_days = 30", "notice_days = 0")],
}


def _more_history(path, seed: int, as_of: date) -> None:
    """What random_district leaves out or has few of: open and overdue 外出报告, changes of 执行地 still
    to finish, hair positives soon after 报到 (some answered), blood tests and calls as the last
    contact, visits on the last days of months, people in execution whose term has ended, 中止 that
    move term years on, failed contacts of late, people who reported of late (with records before)."""
    rng = random.Random(seed)
    conn = open_db(path)
    conn.execute("BEGIN")
    people = conn.execute("SELECT id, reported_on, street FROM cases WHERE reported_on IS NOT NULL").fetchall()
    for cid, reported, street in rng.sample(people, len(people) // 3):
        start = date.fromisoformat(reported)
        span = max(1, (as_of - start).days)
        day = start + timedelta(days=rng.randrange(-20, span))
        shape = rng.randrange(10)
        if shape == 0:  # (its only fact a flag could come of)
            back = day + timedelta(days=rng.randrange(1, 40))
            conn.execute("DELETE FROM drug_tests WHERE case_id = ? AND result != 'negative'", [cid])
            conn.execute("DELETE FROM leaves WHERE case_id = ?", [cid])
            conn.execute("INSERT INTO leaves (case_id, kind, left_on, return_due, created_at, updated_at)"
                         " VALUES (?, 'reported', ?, ?, '', '')", [cid, day.isoformat(), back.isoformat()])
        elif shape == 1:
            settled = rng.random() < 0.5
            conn.execute("INSERT INTO transfers (case_id, moved_on, from_street, to_street, reported_on, created_at,"
                         " updated_at) VALUES (?, ?, ?, '头桥街道', ?, '', '')",
                         [cid, day.isoformat(), street, (day + timedelta(days=3)).isoformat() if settled else None])
        elif shape == 2:
            test = conn.execute("INSERT OR IGNORE INTO drug_tests (case_id, tested_on, specimen, method, result,"
                                " created_at, updated_at) VALUES (?, ?, 'hair', 'lab', 'positive', '', '')",
                                [cid, (start + timedelta(days=rng.randrange(0, 150))).isoformat()]).lastrowid
            if test and rng.random() < 0.5:  # reported to the police all the same
                conn.execute("INSERT INTO police_reports (case_id, reported_on, created_at) VALUES (?, ?, '')",
                             [cid, as_of.isoformat()])
            if test and rng.random() < 0.5:
                conn.execute("INSERT INTO hair_reviews (test_id, case_id, answer, reason, answered_on, created_at)"
                             " VALUES (?, ?, ?, '核实', ?, '')", [test, cid, rng.choice(["confirmed", "dismissed"]),
                                                                    as_of.isoformat()])
        elif shape == 3:
            conn.execute("INSERT OR IGNORE INTO drug_tests (case_id, tested_on, specimen, method, result, created_at,"
                         " updated_at) VALUES (?, ?, ?, 'lab', 'negative', '', '')",
                         [cid, day.isoformat(), rng.choice(["blood", "saliva", "urine"])])
        elif shape == 4:
            conn.execute("INSERT OR IGNORE INTO visits (case_id, visited_on, kind, outcome, created_at, updated_at)"
                         " VALUES (?, ?, 'phone', 'reached', '', '')", [cid, day.isoformat()])
        elif shape == 5:
            last = date(day.year, day.month, 28) + timedelta(days=4)
            end_of_month = last - timedelta(days=last.day)
            conn.execute("INSERT OR IGNORE INTO visits (case_id, visited_on, kind, outcome, created_at, updated_at)"
                         " VALUES (?, ?, ?, 'seen', '', '')", [cid, end_of_month.isoformat(),
                                                              rng.choice(["talk", "home_visit", "assessment"])])
        elif shape == 6:
            conn.execute("UPDATE cases SET status = 'active', term_end_override = ? WHERE id = ?",
                         [(as_of - timedelta(days=rng.randrange(-20, 30))).isoformat(), cid])
        elif shape == 7:  # a 中止 of a few weeks, a year or two after 报到: the term years move on
            paused = start + timedelta(days=rng.randrange(300, 800))
            if paused < as_of - timedelta(days=40):
                for previous, status, on in (("active", "suspended", paused),
                                             ("suspended", "active", paused + timedelta(days=rng.randrange(5, 40)))):
                    conn.execute("INSERT INTO status_changes (case_id, previous_status, status, changed_on, created_at)"
                                 " VALUES (?, ?, ?, ?, '')", [cid, previous, status, on.isoformat()])
        elif shape == 8:  # failed contacts of late
            for _ in range(rng.randrange(1, 4)):
                conn.execute("INSERT OR IGNORE INTO visits (case_id, visited_on, kind, outcome, created_at,"
                             " updated_at) VALUES (?, ?, 'talk', 'not_seen', '', '')",
                             [cid, (as_of - timedelta(days=rng.randrange(0, 60))).isoformat()])
        else:  # reported of late, some records from before (tests forced before 报到)
            conn.execute("UPDATE cases SET status = 'active', reported_on = ?, agreement_on = NULL WHERE id = ?",
                         [(as_of - timedelta(days=rng.randrange(0, 150))).isoformat(), cid])
    conn.execute("COMMIT")
    conn.close()


@pytest.fixture(scope="module")
def rule_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rules")
    text = (packaged_data_dir() / "rules.toml").read_text(encoding="utf-8")
    rules = {}
    for name, changes in CHANGES.items():
        changed = text
        for old, new in changes:
            assert old in changed, old
            changed = changed.replace(old, new)
        (folder / f"{name}.toml").write_text(changed, encoding="utf-8")
        rules[name] = load_rules(None, folder / f"{name}.toml")
    return rules


@pytest.fixture(scope="module")
def districts(tmp_path_factory, rule_files):
    folder = tmp_path_factory.mktemp("districts")
    paths = []
    for seed in SEEDS:
        path = folder / f"d{seed}.db"
        random_district(path, seed, cases=120)
        _more_history(path, seed, date(2026, 11, 28))
        paths.append(path)
    return {path: open_db(path) for path in paths}, rule_files


days_back = st.one_of(st.none(), st.integers(-3, 420))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rules=st.sampled_from(sorted(CHANGES)), start=st.dates(date(2019, 1, 1), date(2025, 12, 31)),
       tested=st.one_of(st.none(), st.tuples(st.integers(0, 3), st.integers(-10, 70))), ahead=st.integers(0, 120),
       measure=st.sampled_from(["community_treatment", "community_rehab"]), months=st.sampled_from([12, 24, 36]),
       risk=st.sampled_from(["high", "medium", "low"]), every=st.sampled_from([None, None, None, "15d", "2m"]),
       pause=st.one_of(st.none(), st.tuples(st.floats(0, 1), st.integers(1, 90))),
       override=st.one_of(st.none(), st.integers(-60, 60)), agreed=st.booleans(),
       anchors=st.tuples(days_back, days_back, days_back, days_back),
       failed=st.lists(st.integers(0, 60), max_size=3), within=st.sampled_from([0, 7, 30]))
def test_the_window_keeps_every_item_a_person_has_due(rule_files, rules, start, tested, ahead, measure, months, risk,
                                                      every, pause, override, agreed, anchors, failed, within):
    """One person in execution, worked out whole by items_for: every item due by the horizon is one
    the window keeps, whatever the rules, 中止, month ends and anchors on either side of each edge
    (the last urine test near a term year's start, and before 报到 too)."""
    ruleset = rule_files[rules]
    urine = None if tested is None else add_months(start, 12 * tested[0]) + timedelta(days=tested[1])
    horizon = (urine or start) + timedelta(days=ahead)
    as_of = horizon - timedelta(days=within)
    suspensions = []
    if pause is not None:
        began = start + timedelta(days=int(pause[0] * ((urine or as_of) - start).days))
        suspensions = [(began, began + timedelta(days=pause[1]))]
    case = make_case(reported_on=start, received_on=start, measure=measure, term_months=months, risk_level=risk,
                     test_every=every, agreement_on=start if agreed else None, suspensions=suspensions,
                     term_end_override=None if override is None else start + timedelta(days=months * 30 + override))
    hair, seen, home, assessed = (None if d is None else as_of - timedelta(days=d) for d in anchors)
    fails = sorted(as_of - timedelta(days=d) for d in failed)
    a = Anchors(urine=urine and (urine, 0), hair=hair and (hair, 0), face_to_face=seen and (seen, 0, ""),
                home=home and (home, 0, ""), assessment=assessed and (assessed, 0, ""), failed_contacts=fails,
                contact=_last_contact(urine, hair, None, seen, None))
    assert {d.item for d in items_for(case, a, ruleset, as_of, ITEMS, horizon)} <= kept(case, a, ruleset, as_of, horizon)


def kept(case, a: Anchors, rules, as_of: date, horizon: date) -> set[str]:
    """The items the window keeps of one person in execution (who has no flags)."""
    lost_edge = horizon - timedelta(days=rules["lost_contact"]["days"])
    fails = a.failed_contacts
    window = Window(rules, ITEMS, as_of, horizon, {
        "moved": set(), "flagged": set(), "paused": {case.id} if case.suspensions else set(),
        "failed": {case.id} if fails and fails[-1] > lost_edge else set()})
    values = [getattr(case, name) for name in CLOCK_FIELDS]
    latest = (a.urine, a.hair, a.face_to_face, a.home, a.assessment)
    row = tuple(v.isoformat() if isinstance(v, date) else v for v in values) + (
        0, *(found and found[0].isoformat() for found in latest))
    return set(window.wanted(row))


def test_a_pause_that_moves_a_term_year_back_keeps_the_urine_test(rule_files):
    """Rules that test year 2 more often than year 3: a test just after the second anniversary of
    报到 is still in year 2 for someone in 中止 for longer than that before it."""
    case = make_case(reported_on=date(2023, 1, 10), suspensions=[(date(2024, 3, 1), date(2024, 4, 10))])
    a = Anchors(urine=(date(2025, 1, 20), 0), face_to_face=(date(2025, 1, 28), 0, ""),
                home=(date(2025, 1, 28), 0, ""), assessment=(date(2025, 1, 28), 0, ""), hair=(date(2025, 1, 28), 0),
                contact=(date(2025, 1, 28), "见面"))
    as_of, horizon = date(2025, 1, 29), date(2025, 2, 5)
    made = items_for(case, a, rule_files["strict"], as_of, ITEMS, horizon)
    assert [(d.item, d.due_on) for d in made] == [("urine_test", date(2025, 2, 4))]
    assert kept(case, a, rule_files["strict"], as_of, horizon) == {"urine_test"}


def test_the_narrowed_week_is_the_week_worked_out_for_everyone_day_after_day(districts):
    """The default list on day after day: anchors fall on every side of every edge."""
    conns, ruleset = districts
    for conn in conns.values():
        for rules in ruleset.values():
            for back in range(0, 150, 5):
                as_of = date(2026, 11, 28) - timedelta(days=back)
                assert due_list(conn, rules, as_of, 7) == due_list(conn, rules, as_of, 7, narrow=False), as_of


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(district=st.sampled_from(range(len(SEEDS))), rules=st.sampled_from(sorted(CHANGES)),
       back=st.integers(0, 900), within=st.sampled_from([0, 1, 7, 30, 90, 400]),
       item=st.sampled_from([None, None, *ITEMS]), street=st.sampled_from([None, None, "头桥"]))
def test_the_narrowed_list_is_the_list_worked_out_for_everyone(districts, district, rules, back, within, item, street):
    conns, ruleset = districts
    conn = list(conns.values())[district]
    as_of = date(2026, 11, 28) - timedelta(days=back)
    narrowed = due_list(conn, ruleset[rules], as_of, within, street, None, item)
    assert narrowed == due_list(conn, ruleset[rules], as_of, within, street, None, item, narrow=False)


def test_the_generated_registers_have_what_the_window_keeps_and_leaves(districts):
    """Not a comparison of two empty lists: every rules file leaves some people out of a week's
    list, and every item arises somewhere."""
    conns, ruleset = districts
    seen = set()
    for conn in conns.values():
        for rules in ruleset.values():
            week = due_list(conn, rules, date(2026, 11, 28), 7)
            everything = due_list(conn, rules, date(2026, 11, 28), 36500)
            assert week and {r.case_id for r in week} < {r.case_id for r in everything}
            seen |= {r.item for r in everything}
    assert seen == set(ITEMS)


def test_a_positive_after_a_term_the_clerk_ended_early_is_for_the_police(tmp_path):
    """A released person whose term the clerk ended months before the term's length would: a positive
    test after that end is still reported to the police on the narrowed list (§9.9)."""
    path = tmp_path / "d.db"
    random_district(path, 5, cases=30)
    conn = open_db(path)
    cid = conn.execute("SELECT id FROM cases WHERE status = 'released' LIMIT 1").fetchone()[0]
    conn.execute("UPDATE cases SET reported_on = '2023-01-10', term_months = 36, term_end_override = '2024-06-30'"
                 " WHERE id = ?", [cid])
    conn.execute("DELETE FROM drug_tests WHERE case_id = ?", [cid])
    conn.execute("INSERT INTO drug_tests (case_id, tested_on, specimen, method, result, created_at, updated_at)"
                 " VALUES (?, '2024-09-01', 'urine', 'field', 'positive', '', '')", [cid])
    conn.commit()
    rules = load_rules(conn)
    listed = due_list(conn, rules, date(2024, 9, 10), 7)
    assert [(r.item, r.due_on) for r in listed if r.case_id == cid] == [("police_report", "2024-09-02")]
    assert listed == due_list(conn, rules, date(2024, 9, 10), 7, narrow=False)
