"""A change of 执行地 (R4, domain.md §9.11): the event in the timeline, a new 报到 at the new street
within 15 days and a new agreement within 7 days of it, the report counting the person where they
were at the period's end, and a register that shows a person at another street recording a transfer."""

import pytest

from support import add_case, make_id, ok, rows, run

AS_OF = ["--as-of", "2026-12-07"]


def items_of(case, *args):
    return [d for d in ok("due", "-f", "json", *args).json() if d["case_id"] == int(case)]


def moved(**fields):
    """A 社区戒毒 person at 盐务街, agreement signed, moved to 八鸽岩 on 2026-11-20."""
    cid = add_case(agreement_on="2025-01-10", **fields)
    ok("case", "transfer", cid, "--to", "八鸽岩", "--on", "2026-11-20", "--reason", "搬家", *AS_OF)
    return cid


@pytest.mark.parametrize("as_of, listed", [("2026-12-04", False), ("2026-12-05", True), ("2026-12-06", True)])
def test_the_new_street_report_falls_due_fifteen_days_after_the_move(db, as_of, listed):
    cid = moved()
    found = [d for d in items_of(cid, "--within", "0", "--as-of", as_of) if d["item"] == "transfer_report"]
    assert [d["due_on"] for d in found] == (["2026-12-05"] if listed else [])
    if listed:
        assert "八鸽岩街道" in found[0]["reason"] and found[0]["rule"] == "R4"


def test_the_report_at_the_new_street_then_a_new_agreement(db):
    cid = moved()
    ok("case", "transfer", cid, "--reported-on", "2026-11-28", *AS_OF)
    items = items_of(cid, "--within", "30", *AS_OF)
    assert "transfer_report" not in {d["item"] for d in items}
    [agreement] = [d for d in items if d["item"] == "agreement"]
    assert agreement["due_on"] == "2026-12-05" and "重新签订" in agreement["reason"]
    ok("case", "transfer", cid, "--agreement-on", "2026-12-01", *AS_OF)
    assert not [d for d in items_of(cid, "--within", "30", *AS_OF) if d["item"] in ("agreement", "transfer_report")]


def test_the_move_is_in_the_timeline_and_the_audit_and_the_term_runs_on(db):
    cid = moved()
    shown = ok("case", "show", cid, "-f", "json", *AS_OF).json()
    assert shown["street"] == "八鸽岩街道" and shown["term_end"] == "2028-01-09"
    [event] = [e for e in shown["timeline"] if e["entity"] == "transfer"]
    assert event["on"] == "2026-11-20" and "盐务街街道 → 八鸽岩街道（搬家）" in event["text"]
    [(action, changes)] = rows(db, "SELECT action, changes FROM audit_log WHERE entity = 'transfer'")
    assert action == "transfer" and "八鸽岩街道" in changes and "盐务街街道" in changes
    assert "变更执行地" in ok("audit", "list", cid).stdout


def test_the_report_counts_a_person_where_they_were_at_the_periods_end(db):
    cid = moved()
    for period, street in (("2026-10", "盐务街街道"), ("2026-11", "八鸽岩街道")):
        groups = {g["group"]: g["values"] for g in ok("report", "--period", period, "-f", "json", *AS_OF).json()["groups"]}
        assert groups[street]["registered"] == 1 and len(groups) == 1, (period, groups)
        one = ok("report", "--period", period, "--street", street, "-f", "json", *AS_OF).json()
        assert one["total"]["registered"] == 1
    assert int(cid)


def test_a_corrected_street_is_not_a_move(db):
    cid = add_case(agreement_on="2025-01-10")
    ok("case", "update", cid, "--street", "八鸽岩", *AS_OF)
    assert rows(db, "SELECT count(*) FROM transfers") == [(0,)]
    assert not [d for d in items_of(cid, "--within", "30", *AS_OF) if d["item"] == "transfer_report"]


@pytest.mark.parametrize("args, field", [
    (["--to", "盐务街", "--on", "2026-11-20"], "--to"),  # the street the person is at already
    (["--to", "八鸽岩", "--on", "2024-12-31"], "--on"),  # before the 报到 (2025-01-10)
    (["--to", "八鸽岩", "--on", "2026-12-08"], "--on"),  # after today
    (["--to", "黄果树", "--on", "2026-11-20"], "--to"),  # no such street
    (["--to", "八鸽岩"], "--on"),
    (["--to", "八鸽岩", "--on", "2026-11-20", "--reported-on", "2026-11-19"], "--reported-on"),
    (["--to", "八鸽岩", "--on", "2026-11-20", "--agreement-on", "2026-11-25"], "--agreement-on"),
])
def test_a_bad_move_is_refused_naming_the_field_and_nothing_changes(db, args, field):
    cid = add_case()
    before = rows(db, "SELECT * FROM cases"), rows(db, "SELECT count(*) FROM audit_log")
    r = run("case", "transfer", cid, *args, *AS_OF)
    assert r.exit_code != 0 and field in r.stderr and "Traceback" not in r.stderr
    assert (rows(db, "SELECT * FROM cases"), rows(db, "SELECT count(*) FROM audit_log")) == before
    assert rows(db, "SELECT count(*) FROM transfers") == [(0,)]


def test_a_term_ended_does_not_move_and_a_long_reason_is_refused(db):
    """期满待解除 (the term ended without 期满解除 recorded) has nothing left to execute at a new street."""
    ended = add_case(received_on="2023-06-01", reported_on="2023-06-10")  # term to 2026-06-09
    r = run("case", "transfer", ended, "--to", "八鸽岩", "--on", "2026-11-25", *AS_OF)
    assert r.exit_code == 1 and "在期满日期 2026-06-09 之后" in r.stderr and "期满解除" in r.stderr
    ok("case", "transfer", ended, "--to", "八鸽岩", "--on", "2026-06-01", *AS_OF)  # within the term: recorded
    cid = add_case(id=make_id(seq=77))
    r = run("case", "transfer", cid, "--to", "八鸽岩", "--on", "2026-11-20", "--reason", "搬" * 501, *AS_OF)
    assert r.exit_code == 1 and "变更原因" in r.stderr
    assert rows(db, "SELECT count(*) FROM transfers") == [(1,)]


def test_only_a_measure_in_execution_moves(db):
    pending = add_case(reported_on=None)
    r = run("case", "transfer", pending, "--to", "八鸽岩", "--on", "2026-11-20", *AS_OF)
    assert r.exit_code != 0 and "case update --street" in r.stderr
    never = add_case(id="110101199001011237")
    r = run("case", "transfer", never, "--reported-on", "2026-11-28", *AS_OF)
    assert r.exit_code != 0 and "没有变更过执行地" in r.stderr


REGISTER = "身份证号,姓名,街道,措施,报到日期{extra_head}\n{id},张伟,{street},社区戒毒,2025-01-10{extra}\n"


def _register(tmp_path, number, street, moved_on=None):
    path = tmp_path / f"{street}{(moved_on or '').replace('/', '-')}.csv"
    path.write_text(REGISTER.format(id=number, street=street, extra_head=",变更日期" if moved_on else "",
                                    extra=f",{moved_on}" if moved_on else ""), encoding="utf-8-sig")
    return path


@pytest.mark.parametrize("moved_on", [None, "2026-11-25"])
def test_a_register_showing_a_person_at_another_street_records_a_transfer(db, tmp_path, moved_on):
    from support import make_id

    number = make_id()
    cid = add_case(id=number, agreement_on="2025-01-10")
    r = ok("import", "cases", str(_register(tmp_path, number, "八鸽岩街道", moved_on)), *AS_OF)
    day = moved_on or "2026-12-07"
    assert rows(db, "SELECT case_id, moved_on, from_street, to_street FROM transfers") == \
        [(int(cid), day, "盐务街街道", "八鸽岩街道")]
    assert ("按“变更日期”列" if moved_on else "按导入当天记") in r.stderr
    assert [d["due_on"] for d in items_of(cid, "--within", "30", *AS_OF) if d["item"] == "transfer_report"]


def test_a_register_moving_someone_past_the_term_refuses_that_row_only(db, tmp_path):
    """期满待解除 at another street in a register without 变更日期: the move, dated the import's day,
    is after the term's end; the row is refused naming its 街道, the others go in."""
    from support import make_id

    ended, other = make_id(), make_id(seq=88)
    add_case(id=ended, received_on="2023-06-01", reported_on="2023-06-10")  # term to 2026-06-09
    path = _register(tmp_path, ended, "八鸽岩街道")
    path.write_text(path.read_text(encoding="utf-8-sig") + f"{other},李四,八鸽岩街道,社区戒毒,2026-11-01\n",
                    encoding="utf-8-sig")
    r = run("import", "cases", str(path), "-f", "json", *AS_OF)
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    [report] = r.json()
    [error] = report["errors"]
    assert (error["line"], error["column"], error["value"]) == (2, "街道", "八鸽岩街道")
    assert "在期满日期 2026-06-09 之后" in error["reason"] and report["inserted"] == 1
    assert rows(db, "SELECT count(*) FROM transfers") == [(0,)]


def test_a_register_s_bad_change_date_is_named_by_its_column(db, tmp_path):
    from support import make_id

    number = make_id()
    add_case(id=number, agreement_on="2025-01-10")
    r = run("import", "cases", str(_register(tmp_path, number, "八鸽岩街道", "15/11/2026")), "-f", "json", *AS_OF)
    [error] = r.json()[0]["errors"]
    assert (error["column"], error["value"]) == ("变更日期", "15/11/2026") and "歧义" in error["reason"]
    assert not error["reason"].startswith("变更日期：")
    assert rows(db, "SELECT count(*) FROM transfers") == [(0,)]


def test_an_old_register_does_not_move_a_person_back(db, tmp_path):
    from support import make_id

    number = make_id()
    moved(id=number)
    r = run("import", "cases", str(_register(tmp_path, number, "盐务街街道")), *AS_OF)
    assert r.exit_code != 0 and "旧表" in r.stdout
    assert rows(db, "SELECT count(*) FROM transfers") == [(1,)]
    assert rows(db, "SELECT street FROM cases") == [("八鸽岩街道",)]
