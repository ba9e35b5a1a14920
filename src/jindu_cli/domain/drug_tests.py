"""Drug tests (检测): specimen, method, result and the substances found.

A 阳性 during the measure is a relapse (R8); 拒检 and 逃检 count toward 严重违反协议 (R7, R24)
and, like 无效, do not count as a test performed (R15).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from jindu_cli.domain import records
from jindu_cli.domain.people import Case, get_case
from jindu_cli.domain.dates import from_iso, iso, parse_date
from jindu_cli.domain.enums import METHOD, RESULT, SPECIMEN
from jindu_cli.domain.text import clean_text
from jindu_cli.errors import InvalidInput, NotFound

LABELS = {"tested_on": "检测日期", "specimen": "检测样本", "method": "检测方法", "result": "检测结果",
          "substances": "检出毒品", "sample_number": "样本编号", "place": "检测地点", "tester": "检测人",
          "notes": "备注"}
_COLUMNS = "id, case_id, tested_on, specimen, method, result, substances, sample_number, place, tester, notes, forced"


@dataclass
class DrugTest:
    id: int
    case_id: int
    tested_on: date
    specimen: str
    method: str
    result: str
    substances: list[str] = field(default_factory=list)
    sample_number: str | None = None
    place: str | None = None
    tester: str | None = None
    notes: str | None = None
    forced: bool = False

    def values(self) -> dict:
        return {k: getattr(self, k) for k in LABELS}

    def as_dict(self) -> dict:
        return {
            "test_id": self.id, "case_id": self.case_id, "tested_on": iso(self.tested_on),
            "specimen": SPECIMEN.label(self.specimen), "method": METHOD.label(self.method),
            "result": RESULT.label(self.result), "substances": list(self.substances),
            "sample_number": self.sample_number, "place": self.place, "tester": self.tester,
            "notes": self.notes, "forced": self.forced,
        }


def _from_row(row) -> DrugTest:
    return DrugTest(row[0], row[1], from_iso(row[2]), row[3], row[4], row[5], json.loads(row[6]),
                    row[7], row[8], row[9], row[10], bool(row[11]))


def get_drug_test(conn: sqlite3.Connection, test_id: int) -> DrugTest:
    row = None
    if abs(test_id) < 2**63:  # (a number past SQLite's 64-bit integers names no record)
        row = conn.execute(f"SELECT {_COLUMNS} FROM drug_tests WHERE id = ?", [test_id]).fetchone()
    if row is None:
        raise NotFound(f"没有编号为 {test_id} 的检测记录")
    return _from_row(row)


def drug_tests_of(conn: sqlite3.Connection, case_id: int) -> list[DrugTest]:
    return [_from_row(r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM drug_tests WHERE case_id = ? ORDER BY tested_on, id", [case_id])]


def validate(conn: sqlite3.Connection, raw: dict, existing: dict | None = None) -> dict:
    from jindu_cli.domain import reference

    rec = dict(existing or {})
    for key, value in raw.items():
        if key == "tested_on":
            rec[key] = parse_date(value, LABELS[key])
        elif key in ("specimen", "method", "result"):
            rec[key] = {"specimen": SPECIMEN, "method": METHOD, "result": RESULT}[key].parse(value)
        elif key == "substances":
            rec[key] = reference.drugs(conn).resolve_many(value if isinstance(value, list) else [value])
        elif key in ("sample_number", "place", "tester"):
            rec[key] = clean_text(value, LABELS[key], 100)
        elif key == "notes":
            rec[key] = clean_text(value, LABELS[key], 2000)
        else:
            raise InvalidInput(key, "不是检测记录的字段")
    for required in ("tested_on", "specimen", "result"):
        if not rec.get(required):
            raise InvalidInput(LABELS[required], "必须填写")
    rec.setdefault("method", "field")
    rec.setdefault("substances", [])
    if rec["substances"] and rec["result"] != "positive":
        if "substances" in raw:
            raise InvalidInput(LABELS["substances"], f"只有阳性结果才有检出毒品，这次结果是{RESULT.label(rec['result'])}")
        rec["substances"] = []  # a result corrected away from 阳性 takes its findings with it
    return rec


def add_drug_test(conn: sqlite3.Connection, case: Case, raw: dict, as_of: date, operator: str,
                  force: bool = False) -> DrugTest:
    rec = validate(conn, raw)
    overridden = records.check_window(case, rec["tested_on"], as_of, force, LABELS["tested_on"])
    test_id = records.insert(conn, "drug_tests", "drug_test", case.id, rec, operator, overridden)
    return get_drug_test(conn, test_id)


def update_drug_test(conn: sqlite3.Connection, test_id: int, raw: dict, as_of: date, operator: str,
                     force: bool = False) -> tuple[DrugTest, dict]:
    test = get_drug_test(conn, test_id)
    rec = validate(conn, raw, test.values())
    changes = records.diff(test.values(), rec)
    if not changes:
        return test, {}
    overridden: list[str] = []
    if "tested_on" in changes:
        case = get_case(conn, test.case_id)
        overridden = records.check_window(case, rec["tested_on"], as_of, force, LABELS["tested_on"])
    records.update(conn, "drug_tests", "drug_test", test.id, test.case_id, changes, operator, overridden)
    return get_drug_test(conn, test.id), changes


def list_drug_tests(conn: sqlite3.Connection, *, case_id: int | None = None, street: str | None = None,
                    specimen: str | None = None, result: str | None = None, tester: str | None = None,
                    date_from: date | None = None, date_to: date | None = None,
                    limit: int | None = None) -> list[dict]:
    """Tests with the person's name, number and street, newest first."""
    return list(each_drug_test(conn, case_id=case_id, street=street, specimen=specimen, result=result, tester=tester,
                               date_from=date_from, date_to=date_to, limit=limit))


def each_drug_test(conn: sqlite3.Connection, *, case_id: int | None = None, street: str | None = None,
                   specimen: str | None = None, result: str | None = None, tester: str | None = None,
                   date_from: date | None = None, date_to: date | None = None, limit: int | None = None,
                   oldest_first: bool = False) -> Iterator[dict]:
    """The tests of `list_drug_tests`, one at a time as they are read (newest first, or oldest)."""
    clauses, params = records.date_range_clause("r.tested_on", date_from, date_to)
    if specimen:
        clauses.append("r.specimen = ?")
        params.append(SPECIMEN.parse(specimen))
    if result:
        clauses.append("r.result = ?")
        params.append(RESULT.parse(result))
    if tester:
        clauses.append("r.tester = ?")
        params.append(tester.strip())
    for row, person in records.query_with_case(conn, "drug_tests", _COLUMNS, "r.tested_on", clauses, params,
                                               case_id=case_id, street=street, limit=limit, oldest_first=oldest_first):
        yield dict(_from_row(row).as_dict(), **person)
