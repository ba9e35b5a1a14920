"""The report's sections on the rest of a 禁毒专干's month: 禁毒宣传, 入户调查, the screening of
groups outside the register, and what 帮扶 achieved. Counted inside domain.reports' snapshot, into
its tally: activities and screening sessions by the street (community, worker) they were held in,
帮扶 by the group of the person helped (temp.report_people). The indicators are the last block of
data/indicators.toml; an entry with `each` stands for one indicator per screened group (the office's
pick-list) or per kind of 帮扶."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date

from dateutil.relativedelta import relativedelta

from jindu_cli.domain import filters, reference
from jindu_cli.domain.dates import iso
from jindu_cli.domain.enums import HELP_KIND
from jindu_cli.domain.filters import Filter


def _each(conn: sqlite3.Connection | None, what: str) -> list[tuple[str, str]]:
    """(code, name) of each screened group of the pick-list, or each kind of 帮扶."""
    if what == "help_kind":
        return list(HELP_KIND.labels.items())
    groups = reference.pick_list(conn, "screen_groups")
    return [(groups.extra[name]["code"], name) for name in groups.names]


def expand(listed: tuple[dict, ...], conn: sqlite3.Connection | None = None) -> list[dict]:
    """The indicators of data/indicators.toml, an entry with `each` made one for each of its
    groups: {code} in its key, {name} in its label and definition."""
    out: list[dict] = []
    for entry in listed:
        if "each" not in entry:
            out.append(entry)
            continue
        for code, name in _each(conn, entry["each"]):
            out.append({k: v.replace("{code}", code).replace("{name}", name) if isinstance(v, str) else v
                        for k, v in entry.items() if k != "each"})
    return out


def count(conn: sqlite3.Connection, tally: Counter, bys: list[str], by_sql: dict[str, str], street: str | None,
          start: date, end: date) -> None:
    """Add the month's 宣传, 入户调查, screening and 帮扶 to `tally` ((groups, indicator) -> n)."""
    s, e = iso(start), iso(end)
    width = len(bys)
    groups = ", ".join(by_sql[b] for b in bys)
    scope = Filter(conn, {"street": ("c.street", filters.street)}).by(street=street)

    def held(table: str, on: str, join: str = "") -> str:
        """A street's own records of the period, read as the report reads a person (`c`, in its street)."""
        return (f" FROM (SELECT r.*, r.street AS street_at FROM {table} r) c{join}"
                f" WHERE c.{on} BETWEEN ? AND ? AND {scope.sql}")

    def add(row: tuple, keys: list[str], extra: str | None = None) -> None:
        """A row of the groups then one figure for each of `keys`, each also under `{key}_{extra}`."""
        for key, n in zip(keys, row[width:]):
            if n:
                tally[row[:width], key] += n
                if extra:
                    tally[row[:width], f"{key}_{extra}"] += n

    for row in conn.execute(
            f"SELECT {groups}, count(CASE WHEN c.category = 'publicity' THEN 1 END),"
            " sum(CASE WHEN c.category = 'publicity' THEN c.participants END), sum(c.materials), sum(c.households),"
            f" sum(c.clues), sum(c.clues_referred){held('activities', 'held_on')} GROUP BY {groups}",
            [s, e, *scope.params]):
        add(row, ["publicity_events", "publicity_participants", "publicity_materials", "survey_households",
                  "survey_clues", "survey_clues_referred"])
    codes = {name: code for code, name in _each(conn, "screen_group")}
    handed = (" LEFT JOIN (SELECT screening_id, count(*) AS n FROM screening_referrals WHERE referred_on <= ?"
              " GROUP BY screening_id) x ON x.screening_id = c.id")
    for row in conn.execute(
            f"SELECT {groups}, sum(c.tested), sum(c.positives), sum(coalesce(x.n, 0)), c.screened_group"
            f"{held('screenings', 'screened_on', handed)} GROUP BY {groups}, c.screened_group",
            [e, s, e, *scope.params]):
        add(row, ["screened", "screen_positives", "screen_referred"], codes.get(row[-1]))
    people = ", ".join(f"p.{b}" for b in bys)
    for row in conn.execute(
            f"SELECT {people}, count(*), count(DISTINCT CASE WHEN v.placed THEN v.case_id END), sum(v.aid_granted),"
            " sum(v.aid_amount), count(v.referred_to), v.sub_kind"
            " FROM visits v JOIN temp.report_people p ON p.id = v.case_id"
            f" WHERE v.kind = 'help' AND v.visited_on BETWEEN ? AND ? GROUP BY {people}, v.sub_kind", [s, e]):
        add(row, ["help_visits", "employed", "aid_times", "aid_amount", "help_referrals"])
        if row[-1]:
            tally[row[:width], f"help_{row[-1]}"] += row[width]


def add_months(conn: sqlite3.Connection, months: list[dict], street: str | None) -> None:
    """Each month of the charts with its 宣传 (activities, participants) and screening (people
    screened, positives), in the street of `street` or all."""
    scope = Filter(conn, {"street": ("street", filters.street)}).by(street=street)
    for m in months:
        first = date.fromisoformat(m["month"] + "-01")
        span = [iso(first), iso(first + relativedelta(months=1, days=-1)), *scope.params]
        m["publicity"], m["publicity_participants"] = conn.execute(
            "SELECT count(*), coalesce(sum(participants), 0) FROM activities WHERE category = 'publicity'"
            f" AND held_on BETWEEN ? AND ? AND {scope.sql}", span).fetchone()
        m["screened"], m["screen_positives"] = conn.execute(
            "SELECT coalesce(sum(tested), 0), coalesce(sum(positives), 0) FROM screenings"
            f" WHERE screened_on BETWEEN ? AND ? AND {scope.sql}", span).fetchone()
