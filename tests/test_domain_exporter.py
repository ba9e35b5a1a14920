"""The export's one moment of the database, and the audit of what it shows in full, on one
connection while another process writes."""

import json
import subprocess
import sys
from datetime import date

import pytest

from support import add_case, make_id, ok, rows

from jindu_cli.domain import exporter
from jindu_cli.storage.db import open_db

AS_OF = ["--as-of", "2026-11-28"]


def another_process(*args: str) -> None:
    """A jindu command run by a process of its own (on the database of JINDU_DB), to its end."""
    done = subprocess.run([sys.executable, "-m", "jindu_cli", *args, *AS_OF], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr


def reveals(db) -> list[list[int]]:
    return [json.loads(c)["cases"] for (c,) in rows(db, "SELECT changes FROM audit_log WHERE action = 'reveal'"
                                                         " ORDER BY id")]


@pytest.fixture
def two(db):
    first = add_case(id=make_id(date(1990, 1, 1), 111), name="张伟")
    second = add_case(id=make_id(date(1985, 5, 5), 222), name="周文")
    ok("test", "add", str(first), "--on", "2026-11-02", "--specimen", "尿液", "--result", "阴性", *AS_OF)
    return db, [first, second]


def test_the_reveal_is_on_record_before_the_first_row_and_the_rows_are_of_one_moment(two):
    db, people = two
    conn = open_db(db)
    with exporter.opened(conn, "cases", reveal_as="王磊") as export:
        assert export.count == 2 and reveals(db) == [people]  # committed: another connection sees it
        first = next(export.rows)
        # another process registers someone and adds a test while the file is being written
        another_process("case", "add", "--id", make_id(date(1970, 2, 2), 333), "--name", "王五",
                        "--street", "盐务街街道", "--measure", "社区戒毒", "--received-on", "2025-01-02",
                        "--reported-on", "2025-01-10")
        another_process("test", "add", "1", "--on", "2026-11-03", "--specimen", "尿液", "--result", "阴性")
        rest = list(export.rows)
    assert [first[1]] + [cells[1] for cells in rest] == ["张伟", "周文"] and first[0] == make_id(date(1990, 1, 1), 111)
    assert rows(db, "SELECT count(*) FROM cases") == [(3,)]
    with exporter.opened(conn, "tests", reveal_as="王磊") as export:
        assert export.count == len(list(export.rows)) == 2
    conn.close()
    assert reveals(db) == [people, [people[0]]]


def test_someone_added_between_the_audit_and_the_read_is_audited_before_a_row_is_read(two):
    """The audit is committed, then the rows are read from a moment after it: another process
    that adds a person in between has that person audited too, on their own, before any row."""
    db, people = two
    conn = open_db(db)
    audited = exporter.reveal(conn, "cases", "王磊")
    assert audited == set(people) and reveals(db) == [people]
    another_process("case", "add", "--id", make_id(date(1970, 2, 2), 333), "--name", "王五", "--street", "盐务街街道",
                    "--measure", "社区戒毒", "--received-on", "2025-01-02", "--reported-on", "2025-01-10")
    with exporter.opened(conn, "cases", reveal_as="王磊", audited=audited) as export:
        assert reveals(db) == [people, [3]]
        assert [cells[1] for cells in export.rows] == ["张伟", "周文", "王五"] and export.count == 3
    conn.close()


def test_a_masked_export_records_nothing_and_a_street_with_nobody_audits_nobody(two):
    db, _ = two
    conn = open_db(db)
    with exporter.opened(conn, "cases") as export:
        shown = [cells[0] for cells in export.rows]
    assert shown == [f"{n[:6]}********{n[-4:]}" for n in (make_id(date(1990, 1, 1), 111), make_id(date(1985, 5, 5), 222))]
    with exporter.opened(conn, "cases", street="头桥街道", reveal_as="王磊") as export:
        assert (export.count, list(export.rows)) == (0, [])
    conn.close()
    assert reveals(db) == []
