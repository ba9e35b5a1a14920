"""Which people in execution a due list by a horizon must read in full, and which of their items
it must work out: the others can have nothing due by then.

No item falls due before its anchor plus its interval (the person's own, of the term year the
anchor falls in): days in 中止 only push a date on, a statutory holiday only moves it later, the
term's end only takes it away. So each interval has an edge, the latest anchor from which it reaches
the horizon, and an item whose anchor is later cannot be due. The anchors are the dates of each
person's latest records, read with the register entry in one row (`COLUMNS`, then the latest record
of each of due.KINDS); compared as ISO text, a person costs a few look-ups. For someone ever in 中止,
whose term years move on, the urine test's edge is the latest of every cadence they can have. The
items the flags bring are kept for those who reported late and those whose records can raise a flag
no police report answers yet (`open_flags`, one set-based query). Tests hold the list narrowed so to
the list worked out for everyone, and each person's kept items to the items worked out for them.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from types import SimpleNamespace

from jindu_cli.domain.clocks import urine_interval
from jindu_cli.domain.dates import add_months, iso
from jindu_cli.domain.flags import ABSENT_DAYS_LIMIT, MISSED_TESTS_LIMIT
from jindu_cli.domain.people import CLOCK_FIELDS, REPORT_WITHIN_DAYS
from jindu_cli.domain.rules import ITEMS, Interval, Rules
from jindu_cli.storage.migrations import FAILED_CONTACT, FLAGGED, SUSPENSION_CHANGE


def _reported(record: str) -> str:
    """SQL of the date of the latest police report about the person of `record`, '' when none (every
    date is later)."""
    return f"coalesce((SELECT max(p.reported_on) FROM police_reports p WHERE p.case_id = {record}.case_id), '')"


def open_flags(among: str = "") -> str:
    """SQL of the people (of those SQL `among` selects, when given) with a flag flags.derive can raise
    that no police report answers yet, or an open 外出报告: a positive later than the latest report (a
    hair positive, whatever its date: §9.8 answers it), the missed tests' limit reached by one later
    than it, an absence whose 31st day is later than it."""
    tests, leaves = (" AND t.case_id IN among", " AND l.case_id IN among") if among else ("", "")
    return ((f"WITH among AS ({among}) " if among else "")
            + f"SELECT t.case_id FROM drug_tests t WHERE {FLAGGED} AND t.result = 'positive'{tests}"
            f" AND (t.specimen = 'hair' OR t.tested_on > {_reported('t')})"
            f" UNION SELECT t.case_id FROM drug_tests t WHERE {FLAGGED} AND t.result != 'positive'{tests}"
            f" GROUP BY t.case_id HAVING count(*) >= {MISSED_TESTS_LIMIT} AND max(t.tested_on) > {_reported('t')}"
            " UNION SELECT l.case_id FROM leaves l WHERE ((l.kind = 'reported' AND l.returned_on IS NULL"
            f" AND l.return_due IS NOT NULL) OR (l.kind = 'unreported'"
            f" AND date(l.left_on, '+{ABSENT_DAYS_LIMIT} days') > {_reported('l')})){leaves}")


# one person in execution (`c`): the fields people.CLOCK_FIELDS names and whether the person reported
# late; the latest records follow
COLUMNS = (", ".join(f"c.{name}" for name in CLOCK_FIELDS) + ", c.received_on IS NOT NULL AND c.reported_on >"
           f" date(c.received_on, '+{REPORT_WITHIN_DAYS} days')")
(ID, REPORTED, MEASURE, MONTHS, AGREED, OVERRIDE, RISK, EVERY) = (
    CLOCK_FIELDS.index(n) for n in ("id", "reported_on", "measure", "term_months", "agreement_on", "term_end_override",
                                    "risk_level", "test_every"))
LATE, URINE, HAIR, SEEN, HOME, ASSESSED = range(len(CLOCK_FIELDS), len(CLOCK_FIELDS) + 6)


class Window:
    """The edges of a list by `horizon` for one set of rules, and the test of a person's row (see
    `window`). The people with a change of 执行地 still to finish (`moved`), ever in 中止 (`paused`),
    with a failed contact later than R22's edge (`failed`), with records that can raise a flag no
    police report answers yet (`flagged`, see `open_flags`)."""

    def __init__(self, rules: Rules, items: tuple[str, ...], as_of: date, horizon: date, people: dict[str, set[int]]):
        self.rules, self.horizon, self.items = rules, horizon, items
        self.moved, self.paused, self.failed, self.flagged = (people[k] for k in ("moved", "paused", "failed",
                                                                                 "flagged"))
        self.edges: dict[Interval, str] = {}
        self.marks: dict[str, list[str]] = {}  # 报到 -> the anniversaries that begin term years 2, 3, ...
        self.intervals: dict[tuple, Interval] = {}
        self.ends: dict[tuple, str] = {}
        self.years = max(len(r["intervals"]) for r in rules.urine.values() if "intervals" in r.values)
        self.early = {v: r["start_months"] for v, r in rules.urine.items()
                      if "intervals" in r.values and r["start_interval"] and r["start_months"]}
        talk = rules["talk"]
        high = talk["high_risk_interval"]
        self.talk = (self.edge(talk["interval"]),
                     self.edge(high if high and high.min_days < talk["interval"].min_days else talk["interval"]))
        self.hair, self.home, self.assessed = (self.edge(rules[n]["interval"])
                                               for n in ("hair_test", "home_visit", "assessment"))
        self.agreement = iso(horizon - timedelta(days=rules["agreement"]["days"]))
        self.lost = iso(horizon - timedelta(days=rules["lost_contact"]["days"]))
        self.term_end = iso(horizon + timedelta(days=rules["term_end"]["notice_days"]))
        self.release = iso(min(horizon - timedelta(days=rules["release_notice"]["days"]), as_of - timedelta(days=1)))

    def wanted(self, r: tuple) -> list[str]:
        """The items of a person in execution (a row of COLUMNS and the latest records of due.KINDS)
        that can fall due by the horizon."""
        reported = r[REPORTED]
        found = self._clocked(r, reported)
        if (r[AGREED] is None and reported <= self.agreement) or r[ID] in self.moved:
            found.append("agreement")
        if r[ID] in self.moved:
            found.append("transfer_report")
        if r[LATE] or r[ID] in self.flagged:
            found += ("police_report", "hair_review", "leave_return")
        end = self._end(r)
        if end <= self.term_end:
            found.append("term_end")
        if end <= self.release:
            found.append("release_notice")
        return found if self.items is ITEMS else [n for n in found if n in self.items]

    def _clocked(self, r: tuple, reported: str) -> list[str]:
        """The items of wanted's person that run on a clock from the latest record of a kind: R22 when
        not seen since its edge (报到 and each of the latest records are contacts), or with failed
        contacts since then that can bring it on."""
        found = []
        if (r[URINE] or reported) <= self._urine_edge(r):
            found.append("urine_test")
        if (r[HAIR] or reported) <= self.hair:
            found.append("hair_test")
        if (r[SEEN] or reported) <= self.talk[r[RISK] == "high"]:
            found.append("talk")
        if (r[HOME] or reported) <= self.home:
            found.append("home_visit")
        if (r[ASSESSED] or reported) <= self.assessed:
            found.append("assessment")
        if max(reported, r[URINE] or "", r[HAIR] or "", r[SEEN] or "") <= self.lost or r[ID] in self.failed:
            found.append("lost_contact")
        return found

    def edge(self, interval: Interval) -> str:
        """The latest anchor (ISO) from which `interval` ends by the horizon."""
        found = self.edges.get(interval)
        if found is None:
            day = self.horizon - timedelta(days=interval.min_days)
            while interval.add(day) > self.horizon:  # (a month is 28 days at the least)
                day -= timedelta(days=1)
            found = self.edges[interval] = day.isoformat()
        return found

    def _end(self, r: tuple) -> str:
        """The term's end without the days in 中止 (which only move it on), or the clerk's date."""
        if r[OVERRIDE]:
            return r[OVERRIDE]
        key = (r[REPORTED], r[MONTHS])
        found = self.ends.get(key)
        if found is None:
            found = self.ends[key] = iso(add_months(date.fromisoformat(r[REPORTED]), r[MONTHS]) - timedelta(days=1))
        return found

    def _urine_edge(self, r: tuple) -> str:
        """The edge of the person's urine test: of the cadence of the term year its anchor falls in
        (clocks.term_year and clocks.early_in_term, for someone never in 中止), else of the longest
        reach of any year's."""
        if r[ID] in self.paused:
            return max(self.edge(self._interval(r, year, early)) for year in range(1, self.years + 1)
                       for early in (False, True))
        anchor = r[URINE] or r[REPORTED]
        marks = self.marks.get(r[REPORTED])
        if marks is None:
            start = date.fromisoformat(r[REPORTED])
            marks = self.marks[r[REPORTED]] = [iso(add_months(start, 12 * n)) for n in range(1, self.years)]
        year = 1  # clocks.years_in: one more for each anniversary reached
        for mark in marks:
            if mark > anchor:
                break
            year += 1
        months = self.early.get(self.rules.urine_variant(r[MEASURE], r[MONTHS])) if self.early else None
        early = bool(months) and anchor < iso(add_months(date.fromisoformat(r[REPORTED]), months))
        return self.edge(self._interval(r, year, early))

    def _interval(self, r: tuple, year: int, early: bool) -> Interval:
        """clocks.urine_interval of the person in a term year."""
        key = (r[EVERY], r[MEASURE], r[MONTHS], r[RISK] == "high", year, early)
        found = self.intervals.get(key)
        if found is None:
            person = SimpleNamespace(test_every=r[EVERY], measure=r[MEASURE], term_months=r[MONTHS],
                                     risk_level=r[RISK])
            found = self.intervals[key] = urine_interval(person, self.rules, year, early)[0]
        return found


def window(conn: sqlite3.Connection, rules: Rules, items: tuple[str, ...], as_of: date, horizon: date,
           moved: set[int], among: tuple[str, list] | None = None) -> Window:
    """The Window of a list by `horizon`, with the people it reads from the database: those ever in
    中止, those whose records can raise a flag (of those `among` selects, SQL and its parameters, when
    given: a street's list need not look at the whole district's), and (where failed contacts count)
    those with one later than R22's edge."""
    def ids(sql: str, *params) -> set[int]:
        return {cid for (cid,) in conn.execute(sql, params)}

    failed = set()
    if rules["lost_contact"]["failed_contacts"]:
        failed = ids(f"SELECT case_id FROM visits WHERE visited_on > ? AND {FAILED_CONTACT}",
                     iso(horizon - timedelta(days=rules["lost_contact"]["days"])))
    flagged = ids(open_flags(among[0]), *among[1]) if among else ids(open_flags())
    return Window(rules, items, as_of, horizon, {
        "moved": moved, "failed": failed, "flagged": flagged,
        "paused": ids(f"SELECT case_id FROM status_changes WHERE {SUSPENSION_CHANGE} AND status = 'suspended'")})
