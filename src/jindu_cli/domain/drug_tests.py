"""Drug tests (检测): specimen, method, result and the substances found.

A 阳性 during the measure is a relapse (R8); 拒检 and 逃检 count toward 严重违反协议 (R7, R24)
and, like 无效, do not count as a test performed (R15).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from jindu_cli.domain import records
from jindu_cli.domain.dates import from_iso, iso
from jindu_cli.domain.enums import METHOD, RESULT, SPECIMEN
from jindu_cli.domain.filters import enum, stripped
from jindu_cli.domain.people import Case
from jindu_cli.errors import InvalidInput

LABELS = {"tested_on": "检测日期", "specimen": "检测样本", "method": "检测方法", "result": "检测结果",
          "substances": "检出毒品", "sample_number": "样本编号", "place": "检测地点", "tester": "检测人",
          "notes": "备注", "unannounced": "突击检测"}


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
    unannounced: bool = False  # R12: a test the person was not told of beforehand (突击检测)

    def as_dict(self) -> dict:
        return {
            "test_id": self.id, "case_id": self.case_id, "tested_on": iso(self.tested_on),
            "specimen": SPECIMEN.label(self.specimen), "method": METHOD.label(self.method),
            "result": RESULT.label(self.result), "substances": list(self.substances),
            "sample_number": self.sample_number, "place": self.place, "tester": self.tester,
            "notes": self.notes, "unannounced": self.unannounced, "forced": self.forced,
        }


def _from_row(row) -> DrugTest:
    return DrugTest(row[0], row[1], from_iso(row[2]), row[3], row[4], row[5], json.loads(row[6]),
                    row[7], row[8], row[9], row[10], bool(row[12]), bool(row[11]))


YES = {"是": True, "否": False, "yes": True, "no": False, "true": True, "false": False, "1": True, "0": False}


def _yes_no(conn: sqlite3.Connection, typed) -> bool:
    if isinstance(typed, bool):
        return typed
    found = YES.get(str(typed).strip().lower())
    if found is None:
        raise InvalidInput(LABELS["unannounced"], f"“{typed}”应为 是 或 否")
    return found


def _substances(conn: sqlite3.Connection, typed) -> list[str]:
    from jindu_cli.domain import reference

    return reference.drugs(conn).resolve_many(typed if isinstance(typed, list) else [typed])


def _rules(rec: dict, raw: dict, existing: dict | None, as_of: date) -> dict:
    """Date, specimen and result required; 现场检测 unless told; substances found only in a 阳性."""
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


KIND = records.RecordKind(
    table="drug_tests", entity="drug_test", noun="检测", labels=LABELS, date_field="tested_on", from_row=_from_row,
    parsers={
        "tested_on": records.a_date(LABELS["tested_on"]),
        "specimen": enum(SPECIMEN),
        "method": enum(METHOD),
        "result": enum(RESULT),
        "substances": _substances,
        **{key: records.text(LABELS[key], 100) for key in ("sample_number", "place", "tester")},
        "notes": records.text(LABELS["notes"], 2000),
        "unannounced": _yes_no,
    },
    rules=_rules,
    filters={"specimen": ("r.specimen", enum(SPECIMEN)), "result": ("r.result", enum(RESULT)),
             "tester": ("r.tester", stripped)},
    natural_key=("tested_on", "specimen", "result"),
)


def get_drug_test(conn: sqlite3.Connection, test_id: int) -> DrugTest:
    return records.get(conn, KIND, test_id)


def drug_tests_of(conn: sqlite3.Connection, case_id: int) -> list[DrugTest]:
    return records.of_case(conn, KIND, case_id)


def add_drug_test(conn: sqlite3.Connection, case: Case, raw: dict, as_of: date, operator: str,
                  force: bool = False, draw_days: int = 0) -> DrugTest:
    """Record a test; unless told otherwise, it is unannounced (R12) when `jindu draw` picked the
    person within `draw_days` days before it."""
    day = records.a_date(LABELS["tested_on"])(conn, raw.get("tested_on"))
    return records.add(conn, KIND, case, raw, as_of, operator, force,
                       defaults={"unannounced": bool(day and drawn_within(conn, case.id, day, draw_days))})


def drawn_within(conn: sqlite3.Connection, case_id: int, day: date, days: int) -> bool:
    """Whether a draw picked the person in the `days` days before `day` (the day itself included)."""
    return days > 0 and conn.execute(
        "SELECT 1 FROM draws d, json_each(d.case_ids) j WHERE j.value = ? AND d.drawn_on BETWEEN ? AND ?",
        [case_id, iso(day - timedelta(days=days)), iso(day)]).fetchone() is not None


def update_drug_test(conn: sqlite3.Connection, test_id: int, raw: dict, as_of: date, operator: str,
                     force: bool = False) -> tuple[DrugTest, dict]:
    return records.update(conn, KIND, test_id, raw, as_of, operator, force)


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
    for test, person in records.each(conn, KIND, case_id=case_id, street=street, date_from=date_from, date_to=date_to,
                                     by={"specimen": specimen, "result": result, "tester": tester}, limit=limit,
                                     oldest_first=oldest_first):
        yield dict(test.as_dict(), **person)


def _awaits_review(conn: sqlite3.Connection, test: DrugTest) -> None:
    """Refuses a hair positive that §9.8 does not put to the clerk: one sampled when the hair window
    (6 months, a setting) no longer reaches back before 报到 shows use during the measure, or after it:
    it is 复吸, and nobody may dismiss it."""
    from jindu_cli.domain.dates import add_months
    from jindu_cli.domain.flags import windows_of
    from jindu_cli.domain.people import get_case
    from jindu_cli.domain.rules import load_rules
    from jindu_cli.errors import Conflict

    case = get_case(conn, test.case_id)
    months = windows_of(load_rules(conn)).hair_months
    if case.term_start is None:
        raise Conflict(f"案件 {case.id} 还没有报到日期：先记下报到（jindu case update {case.id} --reported-on 日期），"
                       "再核实这次毛发阳性")
    if test.tested_on >= add_months(case.term_start, months):
        raise Conflict(f"检测记录 {test.id} 是 {test.tested_on} 采样的，报到（{case.term_start}）后已满 {months} 个月："
                       "这次毛发阳性说明措施期间或解除后吸毒，就是复吸，不需要也不能核实排除")


def review_hair(conn: sqlite3.Connection, test_id: int, confirm: bool, reason: str | None, on: date, as_of: date,
                operator: str) -> DrugTest:
    """§9.8: answer a hair positive that cannot show use during the measure: confirmed, it is 复吸
    (reported to the police); dismissed, with the reason why, it raises nothing. Audited; answered once."""
    from jindu_cli.domain import audit
    from jindu_cli.domain.text import clean_text
    from jindu_cli.errors import Conflict
    from jindu_cli.storage.db import atomic

    test = get_drug_test(conn, test_id)
    if test.specimen != "hair" or test.result != "positive":
        raise Conflict(f"检测记录 {test_id} 是{SPECIMEN.label(test.specimen)}{RESULT.label(test.result)}，"
                       "只有毛发阳性需要核实")
    _awaits_review(conn, test)
    if on > as_of:
        raise InvalidInput("核实日期", f"{on} 晚于今天（{as_of}）")
    if on < test.tested_on:
        raise InvalidInput("核实日期", f"{on} 早于采样日期 {test.tested_on}")
    reason = clean_text(reason, "理由", 500)
    if not confirm and not reason:
        raise InvalidInput("--reason", "排除需要写明理由（如 实验室复检阴性、采样前已在强制隔离戒毒所）")
    if conn.execute("SELECT 1 FROM hair_reviews WHERE test_id = ?", [test_id]).fetchone():
        raise Conflict(f"检测记录 {test_id} 已经核实过")
    answer = "confirmed" if confirm else "dismissed"
    with atomic(conn):
        conn.execute("INSERT INTO hair_reviews (test_id, case_id, answer, reason, answered_on, created_at)"
                     " VALUES (?, ?, ?, ?, ?, ?)", [test_id, test.case_id, answer, reason, iso(on), audit.utc_now()])
        audit.record(conn, operator, "review", "drug_test", test_id, test.case_id,
                     {"answer": "认定复吸" if confirm else "排除", "reason": reason, "answered_on": iso(on)})
    return test
