"""The report's definitions that domain.md §9.9-9.12 decide, each at its edges: 在册, 应报到 and
已报到, 期满待解除 out of 在管, 失联 as the due list has it on the period's end, 解除后复吸."""

import pytest

from support import add_case, make_id, ok

NOW = ["--as-of", "2026-11-28"]


def october(*args):
    return ok("report", "--period", "2026-10", "-f", "json", *args, *NOW).json()["total"]


@pytest.mark.parametrize("fields, listed", [
    ({"decided_on": "2026-10-01", "received_on": None, "reported_on": None}, 0),  # a decision alone: not 在册
    ({"received_on": "2026-10-31", "reported_on": None}, 1),
    ({"received_on": "2026-11-01", "reported_on": None}, 0),
    ({"received_on": None, "reported_on": "2026-10-31"}, 1),
])
def test_registered_means_the_decision_received_or_reported_by_the_end(db, fields, listed):
    add_case(**fields)
    assert october()["registered"] == listed


@pytest.mark.parametrize("received, due", [("2026-10-15", 1), ("2026-10-16", 1), ("2026-10-17", 0)])
def test_report_due_by_the_periods_end(db, received, due):
    """Received 10-16: the 15 days end 10-31, the period's last day."""
    add_case(received_on=received, reported_on=None)
    total = october()
    assert (total["report_due"], total["report_overdue"], total["reported"]) == (due, due, 0)


@pytest.mark.parametrize("reported, due", [("2026-09-30", 0), ("2026-10-01", 1), ("2026-11-05", 1)])
def test_who_reported_before_the_period_is_not_due_in_it(db, reported, due):
    """Received 09-20 (deadline 10-05): reported before October began, October does not ask it; a
    deadline in another month than the 报到 still counts (§9.12)."""
    add_case(received_on="2026-09-20", reported_on=reported)
    total = october()
    assert total["report_due"] == due
    assert total["reported"] == (1 if reported == "2026-10-01" else 0)
    assert total["report_rate"] in (None, 0.0, 1.0)


def test_the_report_rate_never_passes_a_hundred(db):
    """Deadlines in October for people who reported in September, and one in November."""
    for seq, (received, reported) in enumerate([("2026-09-20", "2026-09-25"), ("2026-09-21", "2026-09-28"),
                                                ("2026-10-01", "2026-10-02"), ("2026-10-20", "2026-10-22")]):
        add_case(id=make_id(seq=200 + seq), received_on=received, reported_on=reported)
    total = october()
    assert (total["report_due"], total["reported"], total["report_rate"]) == (1, 1, 1.0)


@pytest.mark.parametrize("reported, awaiting", [("2023-10-31", 1), ("2023-11-01", 0), ("2023-11-02", 0)])
def test_past_the_term_at_the_end_is_awaiting_release_not_managed(db, reported, awaiting):
    """Reported 2023-11-01: the term ends 2026-10-31, the period's last day: still 在管 then."""
    add_case(received_on=reported, reported_on=reported)
    total = october()
    assert total["status_awaiting_release"] == awaiting
    assert total["managed"] == total["status_active_treatment"] == 1 - awaiting
    assert total["registered"] == 1 and total["executed"] == 1


def test_the_reports_lost_contact_is_the_due_lists_on_the_last_day(db):
    """Three people in their first year (urine due monthly): one not seen for more than 30 days, one
    seen lately but with two failed contacts after a missed test, one seen lately."""
    quiet = add_case(id=make_id(seq=301), received_on="2026-03-01", reported_on="2026-03-05")
    ok("visit", "add", quiet, "--kind", "谈话", "--on", "2026-09-29", *NOW)
    missed = add_case(id=make_id(seq=302), received_on="2026-03-01", reported_on="2026-03-05")
    ok("test", "add", missed, "--specimen", "尿液", "--result", "阴性", "--on", "2026-09-05", *NOW)  # next due 10-05
    ok("visit", "add", missed, "--kind", "谈话", "--on", "2026-10-10", *NOW)
    for day in ("2026-10-20", "2026-10-28"):
        ok("visit", "add", missed, "--kind", "入户走访", "--outcome", "未见到本人", "--on", day, *NOW)
    seen = add_case(id=make_id(seq=303), received_on="2026-03-01", reported_on="2026-03-05")
    ok("test", "add", seen, "--specimen", "尿液", "--result", "阴性", "--on", "2026-10-20", *NOW)
    listed = ok("due", "--as-of", "2026-10-31", "--within", "0", "--item", "lost_contact", "-f", "json").json()
    assert sorted(d["case_id"] for d in listed) == sorted([int(quiet), int(missed)])
    total = october()
    assert (total["lost_contact"], total["managed"]) == (2, 3)
    # records after the period's end do not change it
    ok("visit", "add", quiet, "--kind", "谈话", "--on", "2026-11-02", *NOW)
    assert october()["lost_contact"] == 2


def test_a_positive_after_release_is_counted_apart(db):
    cid = add_case(received_on="2023-06-01", reported_on="2023-06-10")  # term to 2026-06-09
    ok("case", "update", cid, "--status", "期满解除", "--on", "2026-06-15", *NOW)
    ok("test", "add", cid, "--specimen", "毛发", "--result", "阳性", "--on", "2026-10-12", *NOW)
    total = october()
    assert (total["tests"], total["positives"], total["relapsed_after_release"]) == (1, 1, 1)
    assert (total["relapsed"], total["tested_people"], total["relapse_rate"]) == (0, 0, None)
