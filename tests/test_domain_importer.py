"""The import's fast ways against its full ones: the same rows, the same reports, the same indexes.

A visit or test row whose values were all seen (and found good) before takes a fast path of
look-ups; people are read without building their whole case; a large import rebuilds the
secondary indexes instead of updating them. Each must change nothing but the time taken.
"""

import random
import shutil
import sqlite3
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jindu_cli.domain import importer
from jindu_cli.domain.importer.headers import HEADER_SEARCH, find_header
from jindu_cli.domain.importer.logs import DrugTestRows, VisitRows
from jindu_cli.domain.importer.people import People
from jindu_cli.domain.importer.rows import RecordRows
from jindu_cli.domain.importer.values import Memo, as_id
from jindu_cli.domain.people import load_cases
from jindu_cli.storage.db import open_db
from support import make_id, random_district

AS_OF = date(2026, 11, 28)
POOL = [AS_OF - timedelta(days=37 * k) for k in range(50)]
FORMS = [lambda d: d.isoformat(), lambda d: f"{d.year}/{d.month}/{d.day}", lambda d: f"{d:%Y%m%d}",
         lambda d: f"{d.year}年{d.month}月{d.day}日", lambda d: f"{d.isoformat()} 00:00:00"]


@pytest.fixture
def district(tmp_path):
    path = tmp_path / "district.db"
    random_district(path, seed=11, cases=300)
    conn = open_db(path)
    cases = [c for c in load_cases(conn) if c.reported_on is not None]
    conn.close()
    return path, cases


@pytest.mark.parametrize("whole", [True, False], ids=["whole register read", "looked up by number"])
def test_people_have_the_bounds_of_their_whole_case(district, whole):
    path, _ = district
    conn = open_db(path)
    with conn:  # some closed before their term ended, so that the closing date bounds their records
        active = [cid for (cid,) in conn.execute("SELECT id FROM cases WHERE status = 'active' ORDER BY id")]
        for n, cid in enumerate(active[:30]):
            last = conn.execute("SELECT max(changed_on) FROM status_changes WHERE case_id = ?", [cid]).fetchone()[0]
            status = ("terminated", "deceased")[n % 2]
            on = (date.fromisoformat(last) + timedelta(days=n)).isoformat()
            conn.execute("INSERT INTO status_changes (case_id, previous_status, status, changed_on, created_at)"
                         " VALUES (?, 'active', ?, ?, '')", [cid, status, on])
            conn.execute("UPDATE cases SET status = ? WHERE id = ?", [status, cid])
    cases = load_cases(conn)
    assert sum(1 for c in cases if c.closed_on and c.closed_on < min(c.term_end(AS_OF), AS_OF)) >= 10
    people = People(conn, AS_OF, whole_share=0.1 if whole else 100)
    id_number = Memo(as_id, "id_number")
    spelled = {f" {c.id_number} ": c for c in cases[:40]}
    spelled |= {c.id_number.lower(): c for c in cases if "X" in c.id_number}
    nobody = {make_id(seq=999, area="110101"), "坏号码"}
    people.look_up({c.id_number for c in cases} | set(spelled) | nobody, id_number)
    plain = 0
    for case in cases:
        person = people.by_cell[case.id_number]
        assert (person.id, person.name, person.worker, person.lo, person.plain) == (
            case.id, case.name, case.worker, case.reported_on, not case.suspensions)
        if person.plain:
            plain += 1
            assert person.hi == min(d for d in (case.term_end(AS_OF), AS_OF, case.closed_on) if d is not None)
            if case.reported_on:
                assert person.span == (case.reported_on.isoformat(), person.hi.isoformat())
    assert 0 < plain < len(cases)  # both kinds were compared
    assert spelled and all(people.by_cell[cell].id == case.id for cell, case in spelled.items())
    assert len(people.by_cell) == len(cases) + len(spelled)  # the unknown and the bad number found nobody
    assert people.whole is whole
    assert all(people.get(n) is None for n in nobody if n != "坏号码")
    conn.close()


def log_rows(cases: list, rng: random.Random, count: int) -> list[list[str]]:
    """A test log with every kind of row the importer treats differently, shuffled among good ones."""
    out = []
    for n in range(count):
        case = rng.choice(cases)
        end = min(AS_OF, case.term_end(AS_OF) or AS_OF)
        # days from a pool, as a real log's few hundred: after a while every date has been seen
        days = [d for d in POOL if case.reported_on <= d <= end] or [case.reported_on]
        day = rng.choice(days)
        result = rng.choice(["阴性", "阴性", "阴性", "阳性", "拒检"])
        row = [case.id_number, case.name, rng.choice(FORMS)(day), rng.choice(["尿检", "尿液", "毛发检测"]), result,
               "冰毒" if result == "阳性" else "", rng.choice(["王磊", "李芳", "", "赵敏"]), "", "", ""]
        trick = rng.randrange(40)
        if trick == 0:
            row[0] = make_id(seq=n % 1000, area="110101")  # not in the register
        elif trick == 1:
            row[1] = "别人"
        elif trick == 2:
            row[1] = f" {case.name} "  # the same name once trimmed
        elif trick == 3 and "X" in row[0]:
            row[0] = row[0].lower()
        elif trick == 4:
            row[2] = FORMS[0](case.reported_on - timedelta(days=3))  # before 报到
            row[9] = rng.choice(["", "是"])  # forced in, audited, or rejected
        elif trick == 5:
            row[2] = FORMS[0](AS_OF + timedelta(days=2))
        elif trick == 6:
            row[2] = ""
        elif trick == 7:
            row[5] = "冰毒"  # substances with a negative result
        elif trick == 8:
            row[7] = f"备注{n}"
        elif trick == 9:
            row[8] = rng.choice(["现场检测", "实验室", "快检"])
        elif trick == 10:
            row = row[:5]  # a short row
        elif trick == 11:
            row = row + ["多出来的"]
        elif trick == 12 and out and len(out[-1]) >= 7:
            row = list(out[-1])
            row[6] = "又一个检测人"  # sent twice, the second time with another tester: the first one stays
        elif trick == 13:
            row[3] = "尿液样本?"
        out.append(row)
    return out


TESTS_HEADER = ["身份证号", "姓名", "检测日期", "检测方式", "检测结果", "检出毒品", "检测人", "备注", "检测方法", "强制记录"]


def write_log(path, header, records, damaged_at=None):
    lines = [",".join(header)] + [",".join(r) for r in records]
    if damaged_at is not None:  # one cell that could not be decoded, far into the file
        lines[damaged_at] = lines[damaged_at].replace(",", ",\ufffd", 1)
    path.write_text("\r\n".join(lines[:len(lines) // 2]) + "\r\n\r\n" + "\r\n".join(lines[len(lines) // 2:]) + "\r\n",
                    encoding="utf-8")
    return path


def counting(function, calls: list):
    """`function`, noting each call in `calls`."""
    def counted(*args):
        calls.append(1)
        return function(*args)
    return counted


def import_both_ways(tmp_path, base, log, kind, monkeypatch):
    """Import `log` into two copies of `base`: as the importer does, and with every row converted in full."""
    outcome = {}
    for way in ("fast", "full"):
        db = tmp_path / f"{way}.db"
        shutil.copy(base, db)
        calls = []
        with monkeypatch.context() as m:
            m.setattr(RecordRows, "convert_one", counting(RecordRows.convert_one, calls))
            if way == "full":
                m.setattr(DrugTestRows, "quick_reader", RecordRows.quick_reader)  # (no fast path)
                m.setattr(VisitRows, "quick_reader", RecordRows.quick_reader)
            conn = open_db(db)
            # many batches: what one batch learns, the next ones use
            report = importer.import_file(conn, log, importer.Options(kind, AS_OF, "tester"), batch=37)
            table = "drug_tests" if kind == "tests" else "visits"
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")
                       if r[1] not in ("created_at", "updated_at")]
            columns.sort(key=lambda c: c == "import_id")  # (last: the tests below find it there)
            stored = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id").fetchall()
            audited = conn.execute("SELECT action, entity, entity_id, case_id FROM audit_log ORDER BY id").fetchall()
            conn.close()
        outcome[way] = (report.as_dict(), stored, audited, len(calls))
    return outcome


def test_fast_path_gives_the_full_conversion_of_a_test_log(district, tmp_path, monkeypatch):
    base, cases = district
    rng = random.Random(3)
    records = log_rows(cases, rng, 2500)
    log = write_log(tmp_path / "tests.csv", TESTS_HEADER, records, damaged_at=2000)
    outcome = import_both_ways(tmp_path, base, log, "tests", monkeypatch)
    fast, full = outcome["fast"], outcome["full"]
    report = fast[0]
    assert fast[:3] == full[:3]
    assert full[3] == report["rows"] == 2500 and fast[3] < report["rows"] / 2  # most rows took the fast path
    assert report["inserted"] > 1500 and report["unchanged"] > 0 and report["rejected"] > 100
    reasons = {e["line"]: e["reason"] for e in report["errors"]}
    assert "无法识别的字符" in reasons[2000 + 2]  # after the blank line in the middle: line numbers as in the file
    assert any(row[11] == 1 for row in fast[1])  # forced rows went in, each audited
    assert sum(1 for a in fast[2] if a[:2] == ("add", "drug_test")) == sum(row[11] for row in fast[1])


VISITS_HEADER = ["身份证号", "姓名", "走访日期", "走访方式", "类别", "走访结果", "走访人", "情况记录", "地点", "强制记录"]


def visit_rows(cases: list, rng: random.Random, count: int) -> list[list[str]]:
    """A visit log with the tricks of log_rows, and kinds, 类别 and outcomes good and bad."""
    records = []
    for row in log_rows(cases, rng, count):
        row = (row + [""] * 10)[:10]
        kind = rng.choice(["谈话"] * 6 + ["家访", "电话", "帮扶", "评估", ""])
        subs = {"帮扶": ["", "就业", "低保"], "评估": ["", "半年"]}.get(kind, [""] * 9 + ["就业"])
        sub = rng.choice(subs)
        records.append(row[:3] + [kind, sub, rng.choice(["", "", "", "见到", "未见到", "好"]), row[6],
                                  rng.choice(["", "", "谈了工作"]), rng.choice(["", "家中"]), row[9]])
    return records


def test_fast_path_gives_the_full_conversion_of_a_visit_log(district, tmp_path, monkeypatch):
    base, cases = district
    log = write_log(tmp_path / "visits.csv", VISITS_HEADER, visit_rows(cases, random.Random(4), 1500))
    outcome = import_both_ways(tmp_path, base, log, "visits", monkeypatch)
    fast, full = outcome["fast"], outcome["full"]
    assert fast[:3] == full[:3]
    assert fast[0]["rows"] - fast[3] > 300  # rows that took the fast path
    assert full[3] == fast[0]["rows"] and fast[0]["inserted"] > 500 and fast[0]["rejected"] > 100


def test_a_sheet_s_progress_follows_its_rows_batch_by_batch(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    for row in [TESTS_HEADER[:5], *([make_id(seq=3), "张伟", f"2026-01-{d:02d}", "尿检", "阴性"] for d in range(1, 29))]:
        book.active.append(row)
    book.save(tmp_path / "log.xlsx")
    conn = open_db(tmp_path / "jindu.db")
    progress = []
    report = importer.import_file(conn, tmp_path / "log.xlsx", importer.Options("tests", AS_OF, "tester"),
                                  progress=lambda done, total: progress.append((done, total)), batch=10)
    conn.close()
    assert report.rows == 28
    assert progress == [(11, 29), (21, 29), (29, 29), (29, 29)]  # the rows read (the names' row first) of 29


def indexes(conn):
    return conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'drug_tests'"
                        " ORDER BY name").fetchall()


def test_a_large_import_rebuilds_the_secondary_indexes_as_they_were(district, tmp_path):
    base, cases = district
    log = write_log(tmp_path / "tests.csv", TESTS_HEADER, log_rows(cases, random.Random(5), 1200))
    conn = open_db(base)
    conn.execute("DELETE FROM drug_tests")  # an empty table: the file brings more rows than it held
    before = indexes(conn)
    statements = []
    conn.set_trace_callback(statements.append)
    report = importer.import_file(conn, log, importer.Options("tests", AS_OF, "tester"), batch=200, rebuild_min=100)
    conn.set_trace_callback(None)
    dropped = [s for s in statements if s.startswith("DROP INDEX")]
    assert sorted(dropped) == ['DROP INDEX "drug_tests_by_date"', 'DROP INDEX "drug_tests_flagged"']
    assert indexes(conn) == before and len(before) == 3
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)  # every index holds every row it should
    assert report.inserted == conn.execute("SELECT count(*) FROM drug_tests").fetchone()[0] > 0
    conn.close()


def test_a_failure_after_the_indexes_were_dropped_leaves_them_and_the_data_as_they_were(
        district, tmp_path, monkeypatch):
    base, cases = district
    log = write_log(tmp_path / "tests.csv", TESTS_HEADER, log_rows(cases, random.Random(6), 600))

    def crash(self):
        assert self.dropped  # the indexes are gone at this moment
        raise RuntimeError("the machine stops here")

    monkeypatch.setattr(RecordRows, "restore_indexes", crash)
    conn = open_db(base)
    conn.execute("DELETE FROM drug_tests")
    before = indexes(conn)
    held = conn.execute("SELECT count(*) FROM import_files").fetchone()
    with pytest.raises(RuntimeError):
        importer.import_file(conn, log, importer.Options("tests", AS_OF, "tester"), batch=200, rebuild_min=100)
    conn.close()
    conn = sqlite3.connect(base)
    assert indexes(conn) == before
    assert conn.execute("SELECT count(*) FROM drug_tests").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM import_files").fetchone() == held
    conn.close()


def test_a_small_import_into_a_large_table_keeps_its_indexes(district, tmp_path):
    base, cases = district
    second = write_log(tmp_path / "second.csv", TESTS_HEADER, log_rows(cases, random.Random(8), 300))
    conn = open_db(base)
    assert conn.execute("SELECT max(id) FROM drug_tests").fetchone()[0] > 300
    statements = []
    conn.set_trace_callback(statements.append)
    report = importer.import_file(conn, second, importer.Options("tests", AS_OF, "tester"), rebuild_min=100)
    conn.set_trace_callback(None)
    assert report.inserted > 0 and not [s for s in statements if "INDEX" in s]
    conn.close()


def test_rows_leave_no_cyclic_garbage_while_the_collector_waits(district, tmp_path):
    """The collector is paused during the rows; what it then finds must not grow with the file
    (the importer itself is one cycle, which holds what it remembered: the same for both files)."""
    import gc

    base, cases = district
    found = {}
    for count in (600, 2400):
        db = tmp_path / f"{count}.db"
        shutil.copy(base, db)
        records = log_rows(cases, random.Random(count), count)
        for n, row in enumerate(records[::7]):
            row[2:3] = [f"2026-02-{30 + n % 2}"]  # two bad dates, again and again: remembered failures
        log = write_log(tmp_path / f"{count}.csv", TESTS_HEADER, records, damaged_at=count // 2)
        conn = open_db(db)
        gc.collect()
        assert gc.isenabled()
        report = importer.import_file(conn, log, importer.Options("tests", AS_OF, "tester"))
        assert gc.isenabled() and report.rejected > count / 7
        found[count] = gc.collect()
        conn.close()
    assert found[2400] <= found[600] + 20, found


@pytest.mark.parametrize("kind, header", [
    ("tests", ["身份证号", "姓名", "检测日期", "检测方式", "检测结果"]),
    ("visits", ["身份证号", "走访日期", "走访方式"]),
])
def test_columns_a_file_lacks_give_what_the_full_conversion_gives(district, tmp_path, monkeypatch, kind, header):
    """Their values go into the INSERT as constants, not parameters: method 现场检测, outcome 见到本人,
    the worker from the register, and so on."""
    base, cases = district
    rng = random.Random(9)
    records = [[row[0], row[2], rng.choice(["谈话", "家访"])] if kind == "visits" else row[:5]
               for row in log_rows(cases, rng, 800) if len(row) >= 5]
    log = write_log(tmp_path / f"{kind}.csv", header, records)
    outcome = import_both_ways(tmp_path, base, log, kind, monkeypatch)
    fast, full = outcome["fast"], outcome["full"]
    assert fast[:3] == full[:3] and fast[0]["rows"] - fast[3] > 200 and fast[0]["inserted"] > 200
    imported = [row for row in fast[1] if row[-1] is not None]  # import_id: the rows of this file
    assert len(imported) == fast[0]["inserted"]
    absent = ("method, substances, sample_number, place, notes, forced" if kind == "tests"
              else "sub_kind, outcome, place, notes, forced")
    conn = sqlite3.connect(tmp_path / "fast.db")
    stored = set(conn.execute(f"SELECT {absent} FROM {'drug_tests' if kind == 'tests' else 'visits'}"
                              " WHERE import_id IS NOT NULL").fetchall())
    workers = conn.execute("SELECT count(*) FROM visits v JOIN cases c ON c.id = v.case_id"
                           " WHERE v.import_id IS NOT NULL AND v.worker IS c.worker").fetchone()[0]
    conn.close()
    assert stored == ({("field", "[]", None, None, None, 0)} if kind == "tests" else {(None, "seen", None, None, 0)})
    assert workers == (0 if kind == "tests" else len(imported))  # a visit's worker: the register's


def _names_row(kind: str, draw) -> list[str]:
    aliases, _ = importer.header_aliases(None, kind)
    fields = draw(st.lists(st.sampled_from(sorted(aliases)), min_size=2, max_size=6, unique=True))
    return [draw(st.sampled_from(aliases[f])) for f in fields]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_column_names_are_found_below_any_title_and_above_any_data(data):
    """Whatever title lines (naming no column: a title cell that happens to be a column's name, over
    a column the names row leaves empty, would be read as a two-row heading) stand above the names,
    and whatever data follows, the names are the row the importer takes; with no title, the first."""
    draw = data.draw
    names = _names_row("tests", draw)
    known = importer.header_score(None, ["tests"])
    texts = st.text(alphabet="云岩区街道禁毒办填报单位日期年月人员表０１２３：,. ", min_size=1, max_size=20)
    titles = draw(st.lists(st.lists(texts, min_size=1, max_size=3).filter(lambda row: known(row) == 0), max_size=3))
    data_rows = draw(st.lists(st.lists(st.sampled_from([make_id(seq=3), "张伟", "2026-01-05", "阴性", "尿检", ""]),
                                       min_size=len(names), max_size=len(names)), max_size=6))
    rows = [(n, row) for n, row in enumerate([*titles, names, *data_rows], start=1)][:HEADER_SEARCH]
    index, header, above = find_header(rows, known)
    assert (index, header, above) == (len(titles), names, len(titles))
