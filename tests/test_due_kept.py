"""The kept due list (due_items): after any change to the records, by jindu or by another
program writing straight into the file, it gives the list worked out afresh for every case."""

import os
import random
import sqlite3
from datetime import date

import pytest

from jindu_cli.cli.due import COLUMNS, WHEN
from jindu_cli.domain import due
from jindu_cli.domain.due import due_list
from jindu_cli.domain.layout import measure
from jindu_cli.domain.rules import ITEMS, load_rules
from jindu_cli.storage.db import open_db
from support import ok, random_district

AS_OF = date(2026, 11, 28)
ASKED = [(7, None, None), (0, None, None), (30, "头桥", None), (60, None, "talk"), (3, None, "lost_contact"),
         (400, None, "three_year_clean"), (40, None, "term_end"), (14, None, "police_report")]


def shown(conn, rules, as_of, within, street, item, **how):
    """The list as rows, as counts, and as the table SQLite lays out (masked and revealed), which
    reads what the kept list stores of each line. The masked table's shape is given ahead, so
    that a list read from the kept list is measured for it beside the copying, on the twin
    connection (the revealed one is measured after)."""
    labels = {i: rules.label(i) for i in ITEMS}
    shape = due.Shape(COLUMNS, labels, WHEN, False)
    listed = due.select(conn, rules, as_of, within, street, None, item, shape=shape, **how)
    if listed.measured:  # measured in two parts: as the whole list is at once
        assert listed.measured == (shape, *measure(conn, "temp.due_shown s", [], listed.columns(shape)))
    return (listed.rows(), listed.counts(), listed.table(COLUMNS, labels, WHEN, False),
            listed.table(COLUMNS, labels, WHEN, True))


def assert_kept_equals_full(conn, rules, as_of=AS_OF):
    for within, street, item in ASKED:
        kept = shown(conn, rules, as_of, within, street, item)
        full = shown(conn, rules, as_of, within, street, item, narrow=False)
        assert kept == full, (as_of, within, street, item)


def kept_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM due_items").fetchone()[0]


@pytest.fixture(params=[11, 12])
def district(tmp_path, request):
    path = tmp_path / "d.db"
    random_district(path, request.param, cases=200)
    conn = open_db(path)
    yield conn, load_rules(conn), random.Random(request.param)
    conn.close()


def test_first_list_keeps_every_case_and_equals_the_full_list(district):
    conn, rules, _ = district
    assert kept_count(conn) == 0
    assert_kept_equals_full(conn, rules)
    assert kept_count(conn) > 200  # worked out and kept
    assert conn.execute("SELECT count(*) FROM due_dirty").fetchone()[0] == 0
    assert due_list(conn, rules, AS_OF, 7)  # the comparison is not between two empty lists


def test_changes_written_straight_into_the_file_are_seen(district):
    conn, rules, rng = district
    due_list(conn, rules, AS_OF, 7)
    ids = [r[0] for r in conn.execute("SELECT id FROM cases WHERE status = 'active'")]
    writes = [
        # new tests and visits: no trigger, found by id
        lambda c: conn.execute("INSERT OR IGNORE INTO drug_tests (case_id, tested_on, specimen, method, result,"
                               " created_at, updated_at) VALUES (?, '2026-11-27', 'urine', 'field', 'negative', '', '')",
                               [c]),
        lambda c: conn.execute("INSERT OR IGNORE INTO visits (case_id, visited_on, kind, outcome, created_at,"
                               " updated_at) VALUES (?, '2026-11-26', 'home_visit', 'seen', '', '')", [c]),
        # corrections and deletions
        lambda c: conn.execute("UPDATE drug_tests SET result = 'refused' WHERE id = (SELECT max(id) FROM drug_tests"
                               " WHERE case_id = ?)", [c]),
        lambda c: conn.execute("DELETE FROM visits WHERE id = (SELECT max(id) FROM visits WHERE case_id = ?)", [c]),
        lambda c: conn.execute("UPDATE visits SET case_id = ? WHERE id = (SELECT min(id) FROM visits)", [c]),
        # the register and the status history
        lambda c: conn.execute("UPDATE cases SET risk_level = 'high', test_every = '15d' WHERE id = ?", [c]),
        lambda c: conn.execute("UPDATE cases SET status = 'released' WHERE id = ?", [c]),
        lambda c: conn.execute("INSERT INTO status_changes (case_id, previous_status, status, changed_on, created_at)"
                               " VALUES (?, 'active', 'released', '2026-11-20', '')", [c]),
        lambda c: conn.execute("UPDATE cases SET agreement_on = NULL, street = '黔灵镇' WHERE id = ?", [c]),
        # flags and their answers: absences (one still open, which grows each day) and police reports
        lambda c: conn.execute("INSERT INTO leaves (case_id, kind, left_on, days, created_at, updated_at)"
                               " VALUES (?, 'unreported', '2026-10-01', 35, '', '')", [c]),
        lambda c: conn.execute("INSERT INTO leaves (case_id, kind, left_on, created_at, updated_at)"
                               " VALUES (?, 'unreported', '2026-10-20', '', '')", [c]),
        lambda c: conn.execute("INSERT INTO police_reports (case_id, reported_on, created_at)"
                               " VALUES (?, '2026-11-20', '')", [c]),
        lambda c: conn.execute("DELETE FROM police_reports WHERE case_id = ?", [c]),
        lambda c: conn.execute("UPDATE leaves SET days = 2 WHERE case_id = ?", [c]),
    ]
    for write in writes:
        for case_id in rng.sample(ids, 3):
            with conn:
                write(case_id)
        assert_kept_equals_full(conn, rules)


def test_a_deleted_last_row_whose_id_is_used_again_is_seen(district):
    conn, rules, _ = district
    due_list(conn, rules, AS_OF, 7)
    last, case_id = conn.execute("SELECT id, case_id FROM drug_tests ORDER BY id DESC LIMIT 1").fetchone()
    other = conn.execute("SELECT id FROM cases WHERE status = 'active' AND id != ? LIMIT 1", [case_id]).fetchone()[0]
    with conn:
        conn.execute("DELETE FROM drug_tests WHERE id = ?", [last])
        conn.execute("INSERT INTO drug_tests (id, case_id, tested_on, specimen, method, result, created_at, updated_at)"
                     " VALUES (?, ?, '2026-11-27', 'urine', 'field', 'negative', '', '')", [last, other])
    assert_kept_equals_full(conn, rules)


def urine_of_someone_overdue(conn) -> int:
    """Record today's urine test of someone whose urine test is overdue; their case id."""
    case_id = conn.execute("SELECT case_id FROM due_items WHERE item = 'urine_test' AND due_on < '2026-11-28'"
                           " LIMIT 1").fetchone()[0]
    with conn:
        conn.execute("INSERT INTO drug_tests (case_id, tested_on, specimen, method, result, created_at, updated_at)"
                     " VALUES (?, '2026-11-28', 'urine', 'field', 'negative', '', '')", [case_id])
    return case_id


def test_a_writer_between_the_update_and_the_read_is_worked_out_live(district, monkeypatch):
    conn, rules, _ = district
    due_list(conn, rules, AS_OF, 7)
    # another process writes after this one brought the list up to date, before it reads
    monkeypatch.setattr(due, "refresh", lambda *args, **kw: True)
    case_id = urine_of_someone_overdue(conn)
    kept = due_list(conn, rules, AS_OF, 0)
    assert not [d for d in kept if d.case_id == case_id and d.item == "urine_test"]
    assert kept == due_list(conn, rules, AS_OF, 0, narrow=False)


def test_a_wide_rule_shown_only_by_a_case_worked_out_live_is_measured(district, monkeypatch):
    """Read from the kept list, a list is measured in two parts: the kept items (on the twin
    connection) and the items worked out for the day here. A rule in Chinese (个案, a case's own
    cadence) that only a case changed by another process shows is measured all the same (see
    `shown`), and the case is left out of a list of another street."""
    conn, rules, _ = district
    with conn:
        conn.execute("UPDATE cases SET test_every = NULL")
    due_list(conn, rules, AS_OF, 7)
    assert not conn.execute("SELECT 1 FROM due_items WHERE rule = '个案'").fetchall()
    # another process gives a case whose urine test is overdue its own cadence, after this one
    # brought the list up to date
    monkeypatch.setattr(due, "refresh", lambda *args, **kw: True)
    case_id = conn.execute("SELECT case_id FROM due_items WHERE item = 'urine_test' AND due_on < '2026-11-28'"
                           " LIMIT 1").fetchone()[0]
    with conn:
        conn.execute("UPDATE cases SET test_every = '1m' WHERE id = ?", [case_id])
    assert [d.rule for d in due_list(conn, rules, AS_OF, 7) if d.case_id == case_id and d.item == "urine_test"] \
        == ["个案"]
    assert_kept_equals_full(conn, rules)


def test_other_rules_are_worked_out_without_touching_the_kept_list(district, tmp_path):
    conn, rules, _ = district
    due_list(conn, rules, AS_OF, 7)
    before = conn.execute("SELECT * FROM due_items ORDER BY case_id, item").fetchall()
    text = (rules.path).read_text(encoding="utf-8").replace('interval = "6m"', 'interval = "2m"')
    other = tmp_path / "office.toml"
    other.write_text(text, encoding="utf-8")
    office = load_rules(conn, other)
    listed = due_list(conn, office, AS_OF, 7, rebuild=False)
    assert listed == due_list(conn, office, AS_OF, 7, narrow=False)
    assert listed != due_list(conn, rules, AS_OF, 7)
    assert conn.execute("SELECT * FROM due_items ORDER BY case_id, item").fetchall() == before
    # the office's standing rules (rebuild allowed) work the kept list out afresh
    assert due_list(conn, office, AS_OF, 7) == listed
    assert conn.execute("SELECT * FROM due_items ORDER BY case_id, item").fetchall() != before


def test_an_as_of_before_the_last_suspension_is_worked_out(district):
    conn, rules, _ = district
    last = conn.execute("SELECT max(changed_on) FROM status_changes WHERE status = 'suspended'"
                        " OR previous_status = 'suspended'").fetchone()[0]
    assert last and not due.kept_list_applies(conn, date.fromisoformat(last) - (AS_OF - AS_OF.replace(day=27)))
    assert_kept_equals_full(conn, rules, date(2025, 6, 30))


def test_a_read_only_database_still_lists(tmp_path):
    path = tmp_path / "d.db"
    random_district(path, 5, cases=80)
    conn = open_db(path)
    rules = load_rules(conn)
    expected = due_list(conn, rules, AS_OF, 7, narrow=False)
    conn.close()
    os.chmod(path, 0o400)
    os.chmod(tmp_path, 0o500)
    try:
        ro = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        assert due_list(ro, rules, AS_OF, 7) == expected
        assert ro.execute("SELECT count(*) FROM due_items").fetchone()[0] == 0
    finally:
        os.chmod(tmp_path, 0o700)


def test_a_read_only_copy_of_a_kept_list_is_laid_out_without_writing(tmp_path):
    """A kept list whose lines were never laid out ahead, read where nothing may be written: the
    table comes out as it does from the file itself, and the file is left as it was."""
    path = tmp_path / "d.db"
    random_district(path, 5, cases=80)
    conn = open_db(path)
    rules = load_rules(conn)
    labels = {i: rules.label(i) for i in ITEMS}
    due.refresh(conn, rules, AS_OF)  # kept, never laid out
    conn.close()
    before = path.read_bytes()
    ro = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    shown = due.select(ro, rules, AS_OF, 7)
    assert shown.whole and shown.laid is None  # from the kept list: it would lay the lines out
    table = shown.table(COLUMNS, labels, WHEN, False)
    ro.close()
    assert path.read_bytes() == before
    conn = open_db(path)
    assert due.select(conn, rules, AS_OF, 7).table(COLUMNS, labels, WHEN, False) == table
    assert conn.execute("SELECT head_layout IS NOT NULL FROM due_state").fetchone() == (1,)


def test_the_kept_list_is_updated_by_the_cli_after_an_add(db):
    from support import add_case

    case = add_case(reported_on="2026-09-01", received_on="2026-08-30")
    before = ok("due", "--as-of", "2026-11-28", "--item", "urine_test", "-f", "json").json()
    assert [d["case_id"] for d in before] == [case]
    ok("test", "add", str(case), "--on", "2026-11-27", "--specimen", "尿液", "--result", "阴性", "--as-of", "2026-11-28")
    assert ok("due", "--as-of", "2026-11-28", "--item", "urine_test", "-f", "json").json() == []


def test_two_flags_arising_on_one_day_are_both_kept(db):
    from support import add_case

    case = add_case(reported_on="2026-06-01", received_on="2026-05-30")
    for specimen, result in [("尿液", "拒检"), ("毛发", "拒检"), ("尿液", "阳性"), ("毛发", "逃检")]:
        day = "2026-10-05" if result != "拒检" else f"2026-0{7 if specimen == '尿液' else 8}-01"
        ok("test", "add", str(case), "--on", day, "--specimen", specimen, "--result", result, "--as-of", "2026-11-28")
    listed = ok("due", "--as-of", "2026-11-28", "--item", "police_report", "-f", "json").json()
    assert [d["reason"].split("：")[0] for d in listed] == ["复吸", "严重违反协议"]
    assert listed[0]["due_on"] == listed[1]["due_on"] == "2026-10-05"
    conn = open_db(db)
    assert due_list(conn, load_rules(conn), AS_OF, 7) == due_list(conn, load_rules(conn), AS_OF, 7, narrow=False)


def test_a_list_asked_for_while_another_process_writes_is_worked_out_without_waiting(district, tmp_path):
    """An import holding the write lock: the changed cases are worked out live, without waiting
    the connection's busy timeout (here a minute) to keep them."""
    import time

    conn, rules, _ = district
    due_list(conn, rules, AS_OF, 7)
    case_id = urine_of_someone_overdue(conn)
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    conn.execute("PRAGMA busy_timeout = 60000")
    try:
        started = time.monotonic()
        listed = due_list(conn, rules, AS_OF, 0)
        assert time.monotonic() - started < 30
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert not [d for d in listed if d.case_id == case_id and d.item == "urine_test"]
    assert listed == due_list(conn, rules, AS_OF, 0, narrow=False)
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 60000
