"""The figures a street office reports upward each month (数据统计和上报), each with the definition it
was counted by (domain.md §4.2). Everything is read in one snapshot of the database, so a report
taken while an import writes counts the database as it was before or after that import.

Statuses are those in force at the end of the period (from the status history), and so is the
street (from the changes of 执行地); community, worker and risk level are the current ones.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sqlite3
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from jindu_cli.domain import flags as flags_mod
from jindu_cli.domain.people import Case, load_cases, suspension_periods
from jindu_cli.domain.dates import check_year, from_iso, iso, parse_bound
from jindu_cli.domain import filters, report_month
from jindu_cli.domain.filters import Filter
from jindu_cli.domain.due import PERFORMED
from jindu_cli.domain.rules import Rules
from jindu_cli.domain.transfers import STREETS_AT
from jindu_cli.errors import InvalidInput
from jindu_cli.storage.db import id_table, snapshot
from jindu_cli.storage.migrations import SUSPENSION_CHANGE

@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str
    slug: str  # for file names: 2026-11, 2026-Q4, 2026, 2026-01-05_2026-02-10

    @property
    def months(self) -> int:
        """Whole months the period spans (at least 1), for per-month thresholds."""
        delta = relativedelta(self.end + timedelta(days=1), self.start)
        return max(1, delta.years * 12 + delta.months + (1 if delta.days >= 15 else 0))


def month(year: int, number: int) -> Period:
    start = date(year, number, 1)
    end = start + relativedelta(months=1) - timedelta(days=1)
    return Period(start, end, f"{year}年{number}月", f"{year}-{number:02d}")


def last_complete_month(as_of: date) -> Period:
    previous = as_of.replace(day=1) - timedelta(days=1)
    return month(previous.year, previous.month)


def parse_period(text: str | None, date_from: str | None, date_to: str | None, as_of: date) -> Period:
    """2026-11 (or 2026年11月, 2026/11), 2026-Q4 (or 2026年第四季度), 2026, or --from/--to; the last
    complete month when nothing is given."""
    if date_from or date_to:
        if text:
            raise InvalidInput("--period", "不能和 --from/--to 一起用")
        start = parse_bound(date_from, "--from", last=False)
        end = parse_bound(date_to, "--to", last=True)
        if not start or not end:
            raise InvalidInput("--from/--to", "要同时给出起止日期")
        if end < start:
            raise InvalidInput("--to", f"{end} 早于 --from {start}")
        return Period(start, end, f"{start} 至 {end}", f"{start}_{end}")
    if not text:
        return last_complete_month(as_of)
    value = unicodedata.normalize("NFKC", text).strip().upper().replace(" ", "")
    if m := re.fullmatch(r"(\d{4})(?:[-/.]|年)?(\d{1,2})月?", value):
        year, number = check_year(int(m.group(1)), "--period", text), int(m.group(2))
        if not 1 <= number <= 12:
            raise InvalidInput("--period", f"“{text}”的月份不对")
        return month(year, number)
    if m := re.fullmatch(r"(\d{4})(?:-|年)?(?:Q([1-4])|第([1-4一二三四])(?:季度?)?|([1-4一二三四])季度?)", value):
        year = check_year(int(m.group(1)), "--period", text)
        quarter = "1234一二三四".index(m.group(2) or m.group(3) or m.group(4)) % 4 + 1
        start = date(year, 3 * quarter - 2, 1)
        end = start + relativedelta(months=3) - timedelta(days=1)
        return Period(start, end, f"{year}年第{quarter}季度", f"{year}-Q{quarter}")
    if re.fullmatch(r"\d{4}年?", value):
        year = check_year(int(value[:4]), "--period", text)
        return Period(date(year, 1, 1), date(year, 12, 31), f"{year}年", f"{year}")
    raise InvalidInput("--period", f"“{text}”看不懂：写 2026-11 或 2026年11月（月）、2026-Q4 或 2026年第四季度（季度）、"
                                   "2026（年），或用 --from/--to")


def complete_periods_before(as_of: date, first: date) -> list[Period]:
    """Every complete month from the month of `first` to the last complete month."""
    out, cursor = [], date(first.year, first.month, 1)
    last = last_complete_month(as_of)
    while cursor <= last.start:
        out.append(month(cursor.year, cursor.month))
        cursor += relativedelta(months=1)
    return out


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    definition: str
    rate: tuple[str, str] | None = None  # (numerator, denominator) keys, or ("1-", ...) for 1 - a/b


# 执行率's two ways of counting (rules file [report] execution_rate), in words
EXECUTED = {
    "executed": "（期末在执行 + 中止 + 期满解除 + 戒断三年未复吸）÷ 期末在册（不含死亡）",
    "reported": "期末已报到的人数 ÷ 期末在册（不含死亡）",
}


@functools.cache
def _listed() -> tuple[dict, ...]:
    """The indicators in data/indicators.toml, in the report's order."""
    import tomllib

    from jindu_cli.domain.reference import packaged_data_dir

    with open(packaged_data_dir() / "indicators.toml", "rb") as fh:
        return tuple(tomllib.load(fh)["indicator"])


def indicators(settings: dict, conn: sqlite3.Connection | None = None) -> list[Indicator]:
    """The indicators and their definitions, with the report's settings written into them (and the
    office's pick-lists, beside `conn`'s database: report_month.expand)."""
    executed = EXECUTED[settings["execution_rate"]]
    numerator, denominator = (part.strip() for part in executed.split("÷"))
    words = dict(settings, executed=executed, executed_numerator=numerator, executed_denominator=denominator)
    return [Indicator(d["key"], d["label"], d["definition"].format(**words), tuple(d["rate"]) if "rate" in d else None)
            for d in report_month.expand(_listed(), conn)]


@dataclass
class Report:
    period: Period
    as_of: date
    by: str
    street: str | None
    indicators: list[Indicator]
    breakdowns: dict[str, dict[str, dict[str, float]]]  # by -> group -> indicator -> value
    total: dict[str, float]
    months: list[dict] = field(default_factory=list)  # the last 12 months, for charts

    @property
    def groups(self) -> dict[str, dict[str, float]]:
        return self.breakdowns[self.by]

    @property
    def effective_end(self) -> date:
        return min(self.period.end, self.as_of)

    def definitions(self) -> dict:
        return {i.key: {"label": i.label, "definition": i.definition} for i in self.indicators}


# a 社区 belongs to its 街道: two streets' communities of one name are counted apart, each named
# after its street ("盐务街街道 和平社区"), but in a report of one street (ONE_STREET)
# a community, and a 禁毒专干, is counted within its street and named after it: two streets may each
# have a 和平社区, and a 王磊 (a name shared by several people). A person is counted in the street
# where they were at the period's end (`street_at`, §9.11); the community and worker are the current
# ones, unknown for a person who has moved to another street since.
_SINCE_MOVED = "CASE WHEN c.street_at = c.street THEN coalesce(c.{0}, '{1}') ELSE '（迁出前的{2}未记录）' END"
_COMMUNITY = _SINCE_MOVED.format("community", "（未填社区）", "社区")
_WORKER = _SINCE_MOVED.format("worker", "（未填专干）", "专干")
BY = {"street": "c.street_at", "community": f"c.street_at || ' ' || {_COMMUNITY}", "worker": f"c.street_at || ' ' || {_WORKER}"}
ONE_STREET = dict(BY, community=_COMMUNITY, worker=_WORKER)
BY_LABELS = {"street": "街道", "community": "社区", "worker": "专干"}


def build(conn: sqlite3.Connection, rules: Rules, period: Period, as_of: date, by: str = "street",
          street: str | None = None, charts: bool = False, every_breakdown: bool = False) -> Report:
    """Count every indicator for each group of the breakdown (or of all three) and in total."""
    if by not in BY:
        raise InvalidInput("--by", f"“{by}”不是可选的分组；可选：street（街道）、community（社区）、worker（专干）")
    if period.start > as_of:
        raise InvalidInput("--period", f"{period.label}还没有开始（按 {as_of} 计算）")
    settings = rules.report
    bys = list(BY) if every_breakdown else [by]
    with snapshot(conn):  # everything counted in one moment of the database
        counts = _count(conn, rules, settings, period, min(period.end, as_of), bys, street)
        months = _months(period, _month_activity(conn, period, street),
                         _month_caseload(conn, period, street)) if charts else []
        report_month.add_months(conn, months, street)
    listed = indicators(settings, conn)
    breakdowns = {b: {name: _rates(values, listed) for name, values in sorted(counts[b].items())} for b in bys}
    total: Counter = Counter()
    for values in counts[by].values():
        total.update(values)
    return Report(period, as_of, by, street, listed, breakdowns, _rates(dict(total), listed), months)


def _rates(values: dict, listed: list[Indicator]) -> dict:
    out = {i.key: values.get(i.key, 0) for i in listed if i.rate is None}
    for i in listed:
        if i.rate is None:
            continue
        top, bottom = i.rate
        base = out.get(bottom, 0)
        if top.startswith("1-"):
            out[i.key] = round(1 - out.get(top[2:], 0) / base, 4) if base else None
        else:
            out[i.key] = round(out.get(top, 0) / base, 4) if base else None
    return out


def _count(conn, rules: Rules, settings: dict, period: Period, end: date, bys: list[str],
           street: str | None) -> dict:
    """{breakdown: {group: Counter of indicators}}. The people known by the end of the period are
    gathered once, each with its status at the end, into temp.report_people; each indicator is then
    counted over them by SQL, grouped by the breakdowns' columns. Only the R15 clock and the flags
    are worked out person by person, and only for the people they can concern."""
    scope = Filter(conn, {"street": ("c.street_at", filters.street)}).by(street=street)
    columns = ", ".join(f"p.{b}" for b in bys)
    width = len(bys)
    s, e = period.start, end
    tally: Counter = Counter()  # (groups, indicator) -> count

    def add_grouped(sql: str, args: list, keys: list[str]) -> None:
        """Rows of the groups' columns then one count per key."""
        for row in conn.execute(sql.format(groups=columns), args):
            groups = row[:width]
            for key, n in zip(keys, row[width:]):
                if n:
                    tally[groups, key] += n

    _gather(conn, scope.sql, scope.params, iso(e), ONE_STREET if street else BY)
    _awaiting_release(conn, e)
    _people(add_grouped, rules, settings, s, e)
    _changes(add_grouped, period, e)
    _lost_contact(conn, add_grouped, rules, e)
    _flags(conn, columns, width, tally, s, e, rules)
    _on_time(conn, rules, columns, width, tally, s, e)
    _tests_and_visits(add_grouped, settings, period, e)
    report_month.count(conn, tally, bys, ONE_STREET if street else BY, street, s, e)
    counts: dict[str, dict[str, Counter]] = {b: defaultdict(Counter) for b in bys}
    for (groups, key), n in tally.items():
        for b, group in zip(bys, groups):
            counts[b][group][key] += n
    return counts


# when a case became known: its earliest date of decision, receipt or 报到, else the day it was entered
KNOWN = ("coalesce(min(coalesce(c.decided_on, c.received_on, c.reported_on), coalesce(c.received_on, c.reported_on,"
         " c.decided_on), coalesce(c.reported_on, c.decided_on, c.received_on)), substr(c.created_at, 1, 10))")


def _gather(conn, scope: str, params: list, e: str, by: dict[str, str]) -> None:
    """temp.report_people: every case in scope known by `e`, with its status at `e` (the last
    status change by then, 未报到 before any) and its groups (SQL of each in `by`)."""
    conn.execute("DROP TABLE IF EXISTS temp.report_people")
    conn.execute("CREATE TEMP TABLE report_people (id INTEGER PRIMARY KEY, street TEXT, community TEXT, worker TEXT,"
                 " measure TEXT, term_months INTEGER, decided TEXT, received TEXT, reported TEXT, term_end_override TEXT,"
                 " risk TEXT, test_every TEXT, status TEXT)")
    conn.execute(
        f"INSERT INTO temp.report_people SELECT c.id, {by['street']}, {by['community']}, {by['worker']}, c.measure,"
        " c.term_months, c.decided_on, c.received_on, c.reported_on, c.term_end_override, c.risk_level, c.test_every,"
        " coalesce((SELECT x.status FROM status_changes x WHERE x.case_id = c.id AND x.changed_on <= ?"
        "           ORDER BY x.changed_on DESC, x.id DESC LIMIT 1), 'pending')"
        f" FROM (SELECT c.*, coalesce(m.street, c.street) AS street_at FROM cases c"
        f"       LEFT JOIN ({STREETS_AT.format(at=repr(e))}) m ON m.case_id = c.id) c WHERE {scope} AND {KNOWN} <= ?",
        [e] + params + [e])


def _awaiting_release(conn, end: date) -> None:
    """§9.10: who was in execution past the term's end at the period's end, 期满解除 not yet recorded
    (期满待解除), is no longer 在管: status 'awaiting' in temp.report_people. The term's end in SQL
    for the people never in 中止, person by person for the others."""
    from jindu_cli.domain.report_clocks import sql_term_end

    e = iso(end)
    paused = f"p.id IN (SELECT case_id FROM status_changes WHERE {SUSPENSION_CHANGE})"
    conn.execute("UPDATE temp.report_people AS p SET status = 'awaiting' WHERE p.status = 'active'"
                 f" AND p.reported IS NOT NULL AND NOT {paused}"
                 f" AND {sql_term_end('p.reported', 'p.term_months', 'p.term_end_override')} < ?", [e])
    suspensions = _suspensions(conn)
    past = [cid for cid, measure, months, reported, override in conn.execute(
                "SELECT p.id, p.measure, p.term_months, p.reported, p.term_end_override FROM temp.report_people p"
                f" WHERE p.status = 'active' AND p.reported IS NOT NULL AND {paused}")
            if _clock_case(cid, measure, months, date.fromisoformat(reported), override, "", None,
                           suspensions.get(cid, [])).term_end(end) < end]
    conn.executemany("UPDATE temp.report_people SET status = 'awaiting' WHERE id = ?", [(cid,) for cid in past])


def _people(add_grouped, rules: Rules, settings: dict, start: date, end: date) -> None:
    """The indicators that are a count of people by their status and dates."""
    s, e = iso(start), iso(end)
    days = timedelta(days=rules["report_in"]["days"])
    reported = "p.reported <= :e"
    listed = "(p.received <= :e OR p.reported <= :e)"  # 在册: the decision received, or reported
    if settings["execution_rate"] == "reported":
        executed = f"p.status != 'deceased' AND {reported}"
    else:
        executed = f"p.status IN ('active', 'awaiting', 'suspended', 'released', 'clean') AND {reported}"
    # §9.12: the 报到 deadline (received + 15 days) by the period's end, not reported before it began;
    # who ended (终止, 死亡) without reporting is no longer to report
    report_due = ("p.received <= :due_by AND (p.reported IS NULL AND p.status NOT IN ('terminated', 'deceased')"
                  " OR p.reported >= :s)")
    counted = {
        "registered": listed,
        "status_pending": f"p.status = 'pending' AND {listed}",
        "status_active_treatment": "p.status = 'active' AND p.measure = 'community_treatment'",
        "status_active_rehab": "p.status = 'active' AND p.measure != 'community_treatment'",
        "status_awaiting_release": "p.status = 'awaiting'",
        "managed": "p.status = 'active'",
        **{f"status_{status}": f"p.status = '{status}' AND {listed}"
           for status in ("suspended", "terminated", "released", "deceased", "clean")},
        **{f"risk_{level}": f"p.status IN ('active', 'suspended') AND p.risk = '{level}'"
           for level in ("high", "medium", "low")},
        "current_users": f"p.status NOT IN ('clean', 'deceased') AND {listed}",
        "execution_base": f"p.status != 'deceased' AND {listed}",
        "executed": executed,
        "new_orders_treatment": "p.decided BETWEEN :s AND :e AND p.measure = 'community_treatment'",
        "new_orders_rehab": "p.decided BETWEEN :s AND :e AND p.measure != 'community_treatment'",
        "report_due": report_due,
        "reported": f"{report_due} AND {reported}",
        "report_overdue": f"{report_due} AND (p.reported IS NULL OR p.reported > :e)",
    }
    add_grouped("SELECT {groups}, "
                + ", ".join(f"count(CASE WHEN {condition} THEN 1 END)" for condition in counted.values())
                + " FROM temp.report_people p GROUP BY {groups}",
                {"s": s, "e": e, "due_by": iso(end - days)}, list(counted))


def _changes(add_grouped, period: Period, end: date) -> None:
    """Status changes in the period."""
    s, e = iso(period.start), iso(end)
    add_grouped("SELECT {groups}, count(CASE WHEN x.status = 'released' THEN 1 END),"
                " count(CASE WHEN x.status = 'terminated' THEN 1 END), count(CASE WHEN x.status = 'suspended' THEN 1 END)"
                " FROM status_changes x JOIN temp.report_people p ON p.id = x.case_id"
                " WHERE x.changed_on BETWEEN ? AND ? GROUP BY {groups}", [s, e],
                ["released_in_period", "terminated_in_period", "suspended_in_period"])


def _lost_contact(conn, add_grouped, rules: Rules, end: date) -> None:
    """失联 at the period's end as the due list had it that day (R22, both criteria, §9.12), over
    the people 在管."""
    from jindu_cli.domain import due

    managed = [cid for (cid,) in conn.execute("SELECT id FROM temp.report_people WHERE status = 'active'")]
    lost = id_table(conn, due.lost_on(conn, rules, end, managed), "report_lost")
    add_grouped(f"SELECT {{groups}}, count(*) FROM temp.report_people p WHERE p.id IN ({lost}) GROUP BY {{groups}}",
                [], ["lost_contact"])


# a test after the person's 期满解除 (§9.9: counted apart)
AFTER_RELEASE = ("t.tested_on > (SELECT min(x.changed_on) FROM status_changes x WHERE x.case_id = t.case_id"
                 " AND x.status = 'released')")


def _tests_and_visits(add_grouped, settings: dict, period: Period, end: date) -> None:
    """Tests and visits in the period."""
    s, e = iso(period.start), iso(end)
    # (only who was released by the end can have been tested after it: the look-up for them alone)
    add_grouped("SELECT {groups}, sum(t.performed), sum(t.positive), sum(t.missed), sum(t.unannounced),"
                " count(CASE WHEN t.tested THEN 1 END), count(CASE WHEN t.relapsed THEN 1 END),"
                " count(CASE WHEN t.relapsed_after THEN 1 END) FROM"
                " (SELECT case_id, sum(performed) AS performed, sum(result = 'positive') AS positive,"
                "  sum(result IN ('refused', 'evaded')) AS missed, sum(performed AND unannounced) AS unannounced,"
                "  sum(performed AND NOT after) AS tested, sum(result = 'positive' AND NOT after) AS relapsed,"
                "  sum(result = 'positive' AND after) AS relapsed_after"
                f"  FROM (SELECT t.case_id, t.result, t.unannounced, t.result IN {PERFORMED} AS performed,"
                f"        CASE WHEN p.status IN ('released', 'clean') THEN coalesce({AFTER_RELEASE}, 0) ELSE 0 END AS after"
                "        FROM drug_tests t JOIN temp.report_people p ON p.id = t.case_id WHERE t.tested_on BETWEEN ? AND ?)"
                "  GROUP BY case_id) t"
                " JOIN temp.report_people p ON p.id = t.case_id GROUP BY {groups}", [s, e],
                ["tests", "positives", "refusals", "unannounced_tests", "tested_people", "relapsed",
                 "relapsed_after_release"])
    add_grouped("SELECT {groups}, count(CASE WHEN v.face >= ? THEN 1 END), count(CASE WHEN v.n >= ? THEN 1 END) FROM"
                " (SELECT case_id, sum(outcome = 'seen' AND kind != 'phone') AS face, count(*) AS n"
                "  FROM visits WHERE visited_on BETWEEN ? AND ? GROUP BY case_id) v"
                " JOIN temp.report_people p ON p.id = v.case_id AND p.status = 'active' GROUP BY {groups}",
                [settings["face_to_face_per_month"] * period.months, settings["visits_per_month"] * period.months, s, e],
                ["met", "visited"])


def _on_time(conn, rules: Rules, columns: str, width: int, tally: Counter, start: date, end: date) -> None:
    """按时检测: each person in execution at the end has an R15 clock as it stood at the start of the
    period (anchored on the last performed urine test before it, else on 报到), worked out by R15:
    inside SQLite for everyone never in 中止 and on the rules' cadence by term year
    (report_clocks.UrineClocks), person by person for the others (中止, a cadence of their own, an
    anchor in the strict preset's first months)."""
    from jindu_cli.domain import clocks as person_clocks, report_clocks

    s, e = iso(start), iso(end)
    urine = f"specimen = 'urine' AND result IN {PERFORMED}"
    before = (f"(SELECT tested_on FROM drug_tests t WHERE t.case_id = p.id AND {urine} AND t.tested_on < :s"
              "  ORDER BY t.tested_on DESC LIMIT 1)")
    # R12's strict preset: an anchor in the first months of the term has an interval of its own
    starts = {v: r for v, r in rules.urine.items() if v != "high_risk" and r["start_interval"]}
    early = "".join(f" OR ({rules.urine_variant_sql('p.measure', 'p.term_months')} = '{v}' AND coalesce({before},"
                    f" p.reported) < {report_clocks.sql_add_months('p.reported', r['start_months'])})"
                    for v, r in starts.items())
    apart = (f"(p.test_every IS NOT NULL OR p.id IN (SELECT case_id FROM status_changes WHERE {SUSPENSION_CHANGE})"
             f"{early})")
    clocks = report_clocks.UrineClocks(rules)
    values = {"s": s, "e": e}
    # in steps, each materialized (read several times over, run once): the anchor's look-up; the
    # anniversaries and term end of each 报到 date and term; each person's interval; and each
    # anchor plus interval. Most people share their 报到 date, or their anchor and interval, with
    # others: the dates are worked out once for each.
    marks = clocks.sql_marks("reported")
    own_end = "nullif(own_end, '')"  # the clerk's date of the term end, or NULL
    for row in conn.execute(
            f"WITH anchored AS MATERIALIZED (SELECT {columns}, p.id, p.measure, p.term_months, p.risk, p.reported,"
            f"  coalesce(p.term_end_override, '') AS own_end, coalesce({before}, p.reported) AS anchor"
            f"  FROM temp.report_people p WHERE p.status = 'active' AND p.reported IS NOT NULL AND NOT {apart}),"
            " marked AS MATERIALIZED (SELECT reported, term_months, own_end,"
            + "".join(f" {mark} AS mark{n}," for n, mark in enumerate(marks))
            + f"  {report_clocks.sql_term_end('reported', 'term_months', own_end)} AS term_end"
            "  FROM (SELECT DISTINCT reported, term_months, own_end FROM anchored)),"
            " stepped AS MATERIALIZED (SELECT a.*, m.term_end, "
            + clocks.sql_interval("a.measure", "a.term_months", "a.risk", [f"m.mark{n}" for n in range(len(marks))],
                                  "a.anchor")
            + " AS step FROM anchored a CROSS JOIN marked m ON m.reported = a.reported AND m.term_months = a.term_months"
            "  AND m.own_end = a.own_end),"
            f" dated AS MATERIALIZED (SELECT anchor, step, {clocks.sql_due('anchor', 'step')} AS due_on"
            "  FROM (SELECT DISTINCT anchor, step FROM stepped))"
            f" SELECT {columns}, count(*), sum(f.first IS NOT NULL AND (f.first <= d.due_on OR d.due_on < :s))"
            # (CROSS JOIN: each person looks up the few dated steps, not the other way round)
            " FROM stepped p CROSS JOIN dated d ON d.anchor = p.anchor AND d.step = p.step"
            " LEFT JOIN (SELECT case_id, min(tested_on) AS first FROM drug_tests"
            f"  WHERE tested_on BETWEEN :s AND :e AND {urine} GROUP BY case_id) f ON f.case_id = p.id"
            f" WHERE d.due_on <= p.term_end AND d.due_on <= :e GROUP BY {columns}", values):
        groups = row[:width]
        tally[groups, "test_due_people"] += row[width]
        if row[width + 1]:
            tally[groups, "tested_on_time"] += row[width + 1]
    suspensions = _suspensions(conn)
    rows = conn.execute(
        f"SELECT {columns}, p.id, p.measure, p.term_months, p.reported, p.term_end_override, p.risk, p.test_every,"
        f" {before}, (SELECT min(tested_on) FROM drug_tests t WHERE t.case_id = p.id AND {urine}"
        "   AND t.tested_on BETWEEN :s AND :e)"
        f" FROM temp.report_people p WHERE p.status = 'active' AND p.reported IS NOT NULL AND {apart}", values)
    for row in rows:
        groups = row[:width]
        cid, measure, months, reported, override, risk, every, before_on, tested = row[width:]
        anchor = before_on or reported
        paused = suspensions.get(cid)
        case = _clock_case(cid, measure, months, date.fromisoformat(reported), override, risk, every, paused or [])
        if paused or starts:
            due_on = person_clocks.urine_due(case, date.fromisoformat(anchor), rules, case.term_end(end))
            due_on = iso(due_on) if due_on and due_on <= end else None
        else:
            due_on = clocks.due(measure, months, risk, every, reported, anchor, iso(case.term_end(end)), e)
        if due_on is None:
            continue
        tally[groups, "test_due_people"] += 1
        if tested and (tested <= due_on or due_on < s):  # ISO dates compare as text
            tally[groups, "tested_on_time"] += 1


def _suspensions(conn) -> dict[int, list]:
    """The 中止 periods of the people in temp.report_people who have ever been suspended."""
    changes: dict[int, list] = defaultdict(list)
    for cid, previous, status, on in conn.execute(
            "SELECT case_id, previous_status, status, changed_on FROM status_changes WHERE case_id IN"
            " (SELECT case_id FROM status_changes WHERE status = 'suspended'"
            "  INTERSECT SELECT id FROM temp.report_people WHERE status = 'active')"
            " ORDER BY case_id, changed_on, id"):
        changes[cid].append((previous, status, on))
    return {cid: suspension_periods(found) for cid, found in changes.items()}


def _clock_case(cid: int, measure: str, months: int, reported: date, override: str | None, risk: str,
                every: str | None, suspensions: list) -> Case:
    """A Case with what its R15 clock and term end are worked out from; its other fields, which
    they do not read, are left empty (loading whole cases for everyone costs a second)."""
    return Case(cid, "", "", None, None, None, "", None, measure, months, None, None, None, None, reported, None,
                from_iso(override), "active", risk, None, [], None, None, "", "", test_every=every,
                suspensions=suspensions)


def _flags(conn, columns: str, width: int, tally: Counter, start: date, end: date, rules: Rules) -> None:
    """Flags that arose within the period. Only a case with a flagged test or an absence in the
    period, or one still pending whose 报到 deadline passed in it, can have one."""
    from jindu_cli.storage.migrations import FLAGGED

    s, e = iso(start), iso(end)
    arises = timedelta(days=rules["report_in"]["days"] + 1)  # the day after the deadline
    found = {cid: (tuple(groups), status) for cid, status, *groups in conn.execute(
        f"SELECT p.id, p.status, {columns} FROM temp.report_people p WHERE p.id IN"
        f" (SELECT case_id FROM drug_tests WHERE tested_on BETWEEN ? AND ? AND {FLAGGED}"
        "  UNION SELECT case_id FROM leaves WHERE kind = 'unreported' AND left_on <= ?"
        "  AND (returned_on IS NULL OR returned_on >= ?))"
        " OR (p.received BETWEEN ? AND ? AND (p.status = 'pending' OR p.reported > p.received))",
        [s, e, e, s, iso(start - arises), iso(end - arises)])}
    if not found:
        return
    candidates = sorted(found)
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS report_ids (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.report_ids")
    conn.executemany("INSERT INTO temp.report_ids (id) VALUES (?)", [(i,) for i in candidates])
    cases = load_cases(conn, "c.id IN (SELECT id FROM temp.report_ids)")
    facts = flags_mod.load_facts(conn, candidates, end)
    windows = flags_mod.windows_of(rules)
    for case in cases:
        groups, status = found[case.id]
        status = "active" if status == "awaiting" else status
        then = case if case.status == status else dataclasses.replace(case, status=status)  # as it was at the end
        for flag in flags_mod.derive(then, facts.get(case.id, flags_mod.Facts()), end, windows):
            if not start <= flag.triggered_on <= end or not flag.for_police:
                continue
            if flag.kind == "serious_violation":
                tally[groups, "serious_violations"] += 1
            tally[groups, "police_due"] += 1
            if flag.police_reported_on and flag.police_reported_on <= end:
                tally[groups, "police_reported"] += 1


def _month_ranges(period: Period) -> tuple[list[date], list[date], list[str]]:
    """The first and last days of the twelve months up to the period's end, and their names."""
    last = date(period.end.year, period.end.month, 1)
    firsts = [last - relativedelta(months=11 - i) for i in range(12)]
    ends = [f + relativedelta(months=1) - timedelta(days=1) for f in firsts]
    return firsts, ends, [f.strftime("%Y-%m") for f in firsts]


def _street_join(conn, street: str | None) -> tuple[str, Filter]:
    """SQL joining a record `x` to its case in `street` (nothing for all), and that condition on the
    case `c` with its parameters."""
    scope = Filter(conn).by(street=street)
    return (f" JOIN cases c ON c.id = x.case_id AND {scope.sql}" if street else ""), scope


def _month_activity(conn, period: Period, street: str | None) -> dict:
    """Tests performed, positives and visits in each of the twelve months, and the people 未报到 at their
    ends (counts that SQLite sums up by itself)."""
    firsts, ends, _ = _month_ranges(period)
    join, scope = _street_join(conn, street)
    params = scope.params
    # a count over each month's range of the date index: nothing to sort
    tests = [conn.execute(f"SELECT count(CASE WHEN x.result IN {PERFORMED} THEN 1 END),"
                          f" count(CASE WHEN x.result = 'positive' THEN 1 END) FROM drug_tests x{join}"
                          " WHERE x.tested_on BETWEEN ? AND ?", params + [iso(f), iso(e)]).fetchone()
             for f, e in zip(firsts, ends)]
    visits = [conn.execute(f"SELECT count(*) FROM visits x{join} WHERE x.visited_on BETWEEN ? AND ?",
                           params + [iso(f), iso(e)]).fetchone()[0] for f, e in zip(firsts, ends)]
    # a case known but without a status change yet is 未报到 (only cases without a change by the
    # first month's end can be: one index seek rules out each of the others)
    pending = conn.execute(
        "SELECT 'pending', substr(known, 1, 7), substr(changed, 1, 7), count(*) FROM"
        f" (SELECT {KNOWN} AS known, (SELECT min(x.changed_on) FROM status_changes x WHERE x.case_id = c.id) AS changed"
        f"  FROM cases c WHERE {scope.sql} AND NOT EXISTS (SELECT 1 FROM status_changes x WHERE x.case_id = c.id"
        "   AND x.changed_on <= ?)) GROUP BY 2, 3", params + [iso(ends[0])]).fetchall()
    return {"tests": tests, "visits": visits, "pending": pending}


def _month_caseload(conn, period: Period, street: str | None) -> list[tuple]:
    """(status, first month, month it ended, count): each status held from its change to the
    case's next change (a change the same day lasts no time), for the statuses held at the end of
    one of the twelve months (NULL: still held)."""
    _, ends, _ = _month_ranges(period)
    join, scope = _street_join(conn, street)
    params = scope.params
    # read in the order of the index, one case after another (SQLite's window function lead()
    # took three times as long)
    held: Counter = Counter()
    first_end = iso(ends[0])
    last = (None, None, None)
    for case_id, status, on in conn.execute(
            f"SELECT x.case_id, x.status, x.changed_on FROM status_changes x{join} WHERE x.changed_on <= ?"
            " ORDER BY x.case_id, x.changed_on, x.id", params + [iso(ends[-1])]):
        if last[0] == case_id:
            if on > first_end:
                held[last[1], last[2][:7], on[:7]] += 1
        elif last[0] is not None:
            held[last[1], last[2][:7], None] += 1
        last = (case_id, status, on)
    if last[0] is not None:
        held[last[1], last[2][:7], None] += 1
    return [(status, since, until, n) for (status, since, until), n in held.items()]


def _months(period: Period, activity: dict, caseload: list[tuple]) -> list[dict]:
    """The twelve months up to the period's end: tests, positives, visits, caseload by status
    (from `_month_activity` and `_month_caseload`)."""
    _, _, labels = _month_ranges(period)
    held = [Counter() for _ in labels]
    for status, since, until, n in caseload + activity["pending"]:
        for i, label in enumerate(labels):
            if since <= label and (until is None or until > label):
                held[i][status] += n
    return [{"month": label, "tests": activity["tests"][i][0], "positives": activity["tests"][i][1],
             "visits": activity["visits"][i], "caseload": dict(held[i])} for i, label in enumerate(labels)]
