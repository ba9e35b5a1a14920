"""The figures a street office reports upward each month (数据统计和上报), each with the definition it
was counted by (domain.md §4.2). Everything is read in one snapshot of the database, so a report
taken while an import writes counts the database as it was before or after that import.

Statuses are those in force at the end of the period (from the status history); street, community,
worker and risk level are the current ones.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from jindu_cli.domain import flags as flags_mod
from jindu_cli.domain.cases import load_cases
from jindu_cli.domain.dates import iso, parse_date
from jindu_cli.domain.due import PERFORMED
from jindu_cli.domain.rules import Rules
from jindu_cli.errors import InvalidInput
from jindu_cli.storage.db import snapshot

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
    """2026-11, 2026-Q4, 2026, or --from/--to; the last complete month when nothing is given."""
    if date_from or date_to:
        if text:
            raise InvalidInput("--period", "不能和 --from/--to 一起用")
        start = parse_date(date_from, "--from")
        end = parse_date(date_to, "--to")
        if not start or not end:
            raise InvalidInput("--from/--to", "要同时给出起止日期")
        if end < start:
            raise InvalidInput("--to", f"{end} 早于 --from {start}")
        return Period(start, end, f"{start} 至 {end}", f"{start}_{end}")
    if not text:
        return last_complete_month(as_of)
    value = text.strip().upper()
    if m := re.fullmatch(r"(\d{4})-?(\d{1,2})", value):
        year, number = int(m.group(1)), int(m.group(2))
        if not 1 <= number <= 12:
            raise InvalidInput("--period", f"“{text}”的月份不对")
        return month(year, number)
    if m := re.fullmatch(r"(\d{4})-?Q([1-4])", value):
        year, quarter = int(m.group(1)), int(m.group(2))
        start = date(year, 3 * quarter - 2, 1)
        end = start + relativedelta(months=3) - timedelta(days=1)
        return Period(start, end, f"{year}年第{quarter}季度", f"{year}-Q{quarter}")
    if re.fullmatch(r"\d{4}", value):
        year = int(value)
        return Period(date(year, 1, 1), date(year, 12, 31), f"{year}年", f"{year}")
    raise InvalidInput("--period", f"“{text}”看不懂：写 2026-11（月）、2026-Q4（季度）、2026（年），或用 --from/--to")


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


def indicators(settings: dict) -> list[Indicator]:
    n_meet, n_visit = settings["face_to_face_per_month"], settings["visits_per_month"]
    executed = {
        "executed": "（期末在执行 + 中止 + 期满解除 + 戒断三年未复吸）÷ 期末在册（不含死亡）",
        "reported": "期末已报到的人数 ÷ 期末在册（不含死亡）",
    }[settings["execution_rate"]]
    return [
        Indicator("registered", "在册人数", "期末以前已收到决定书或已报到的人，不论状态"),
        Indicator("status_pending", "未报到", "期末状态为未报到"),
        Indicator("status_active_treatment", "在执行·社区戒毒", "期末状态为在执行、措施为社区戒毒"),
        Indicator("status_active_rehab", "在执行·社区康复", "期末状态为在执行、措施为社区康复"),
        Indicator("status_suspended", "中止", "期末状态为中止（拘留、逮捕），单列，不计入在执行"),
        Indicator("status_terminated", "终止", "期末状态为终止"),
        Indicator("status_released", "期满解除", "期末状态为期满解除"),
        Indicator("status_deceased", "死亡", "期末状态为死亡"),
        Indicator("status_clean", "戒断三年未复吸", "期末状态为戒断三年未复吸（不再动态管控）"),
        Indicator("current_users", "现有吸毒人员", "在册 − 戒断三年未复吸 − 死亡（domain.md §3 的等式）"),
        Indicator("new_orders_treatment", "本期新责令·社区戒毒", "决定日期在本期内的社区戒毒"),
        Indicator("new_orders_rehab", "本期新责令·社区康复", "决定日期在本期内的社区康复"),
        Indicator("report_due", "应报到", "报到期限（收到决定书 + 15 日）在本期内的人"),
        Indicator("reported", "已报到", "应报到的人中，期末以前已报到的"),
        Indicator("report_overdue", "逾期未报到", "应报到的人中，到期末仍未报到的"),
        Indicator("report_rate", "报到率", "已报到 ÷ 应报到", ("reported", "report_due")),
        Indicator("executed", "执行人数", f"执行率的分子：{executed.split('÷')[0].strip()}"),
        Indicator("execution_base", "责令人数", f"执行率的分母：{executed.split('÷')[1].strip()}"),
        Indicator("execution_rate", "执行率", f"{executed}（口径可在规则文件 [report] 中设定）",
                  ("executed", "execution_base")),
        Indicator("tests", "检测人次", "检测日期在本期内的检测记录数（各种样本、各种结果）"),
        Indicator("positives", "阳性人次", "其中结果为阳性的"),
        Indicator("refusals", "拒检·逃检人次", "其中结果为拒检或逃检的"),
        Indicator("test_due_people", "应检测人数",
                  "期末在执行的人中，按本期以前的尿检（R15）尿检到期日在期末以前的"),
        Indicator("tested_on_time", "按时检测人数",
                  "应检测的人中，本期内在到期日以前做了尿检的（本期开始时已逾期的，本期内做了即算）"),
        Indicator("on_time_rate", "按时检测率", "按时检测人数 ÷ 应检测人数", ("tested_on_time", "test_due_people")),
        Indicator("managed", "在管人数", "期末在执行（不含中止）的人"),
        Indicator("met", "见面达标人数", f"在管的人中，本期面对面谈话或见到本人的走访不少于每月 {n_meet} 次的"),
        Indicator("meeting_rate", "见面率", "见面达标人数 ÷ 在管人数（每月次数可在规则文件 [report] 中设定）",
                  ("met", "managed")),
        Indicator("visited", "走访达标人数", f"在管的人中，本期走访记录（各种方式）不少于每月 {n_visit} 次的"),
        Indicator("visit_rate", "走访完成率", "走访达标人数 ÷ 在管人数（每月次数可在规则文件 [report] 中设定）",
                  ("visited", "managed")),
        Indicator("lost_contact", "失联人数", "在管的人中，到期末已超过失联天数（R22）没有成功联系的"),
        Indicator("control_rate", "管控率", "1 − 失联人数 ÷ 在管人数", ("1-lost_contact", "managed")),
        Indicator("serious_violations", "严重违反协议", "严重违反协议（R7）的标记产生在本期内的人数"),
        Indicator("police_due", "应报告公安", "本期内产生的复吸、严重违反协议、逾期未报到标记数"),
        Indicator("police_reported", "已报告公安", "其中到期末已记录报告公安的"),
        Indicator("released_in_period", "本期期满解除", "本期内办理期满解除的人数"),
        Indicator("terminated_in_period", "本期终止", "本期内终止的人数"),
        Indicator("suspended_in_period", "本期中止", "本期内开始中止的次数"),
        Indicator("tested_people", "检测人数", "本期内至少有一次实际完成（阴性或阳性）检测的人"),
        Indicator("relapsed", "复吸人数", "本期内有阳性检测结果的人"),
        Indicator("relapse_rate", "复吸率", "复吸人数 ÷ 检测人数", ("relapsed", "tested_people")),
        Indicator("risk_high", "高风险", "期末在执行或中止的人中，现在记录为高风险的"),
        Indicator("risk_medium", "中风险", "同上，中风险"),
        Indicator("risk_low", "低风险", "同上，低风险"),
    ]


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


BY = {"street": "c.street", "community": "coalesce(c.community, '（未填社区）')", "worker": "coalesce(c.worker, '（未填专干）')"}
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
    with snapshot(conn):
        counts = _count(conn, rules, settings, period, min(period.end, as_of), bys, street)
        months = _months(conn, period, street) if charts else []
    listed = indicators(settings)
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


def _count(conn, rules: Rules, settings: dict, period: Period, end: date, bys: list[str], street: str | None) -> dict:
    from jindu_cli.domain import reference

    start = period.start
    s, e = iso(start), iso(end)
    scope, params = "1 = 1", []
    if street:
        scope, params = "c.street = ?", [reference.streets(conn).resolve(street)]
    group_of: dict[int, tuple] = {}
    facts: dict[int, dict] = {}
    for cid, *rest in conn.execute(
            f"SELECT c.id, {', '.join(BY[b] for b in bys)}, c.measure, c.decided_on, c.received_on, c.reported_on,"
            f" substr(c.created_at, 1, 10), c.risk_level FROM cases c WHERE {scope}", params):
        groups, (measure, decided, received, reported, created, risk) = rest[:len(bys)], rest[len(bys):]
        known = min(d for d in (decided, received, reported) if d) if (decided or received or reported) else created
        if known > e:
            continue  # not yet known at the end of the period
        group_of[cid] = tuple(groups)
        facts[cid] = {"measure": measure, "decided": decided, "received": received, "reported": reported,
                      "risk": risk, "status": "pending"}
    counts: dict[str, dict[str, Counter]] = {b: defaultdict(Counter) for b in bys}
    tables = [counts[b] for b in bys]

    def add(cid: int, key: str, n: int = 1) -> None:
        for table, group in zip(tables, group_of[cid]):
            table[group][key] += n

    # the status in force at the end of the period, and the changes within it
    for cid, status, changed_on in conn.execute(
            "SELECT case_id, status, changed_on FROM status_changes WHERE changed_on <= ? ORDER BY case_id, changed_on, id",
            [e]):
        if cid not in facts:
            continue
        facts[cid]["status"] = status
        if changed_on >= s:
            key = {"released": "released_in_period", "terminated": "terminated_in_period",
                   "suspended": "suspended_in_period"}.get(status)
            if key:
                add(cid, key)
    for cid, f in facts.items():
        status = f["status"]
        add(cid, "registered")
        if status == "active":
            add(cid, "status_active_treatment" if f["measure"] == "community_treatment" else "status_active_rehab")
            add(cid, "managed")
        else:
            add(cid, f"status_{status}")
        if status in ("active", "suspended"):
            add(cid, f"risk_{f['risk']}")
        if status not in ("clean", "deceased"):
            add(cid, "current_users")
        if status != "deceased":
            add(cid, "execution_base")
            reported_by_end = f["reported"] and f["reported"] <= e
            if settings["execution_rate"] == "reported":
                if reported_by_end:
                    add(cid, "executed")
            elif status in ("active", "suspended", "released", "clean") and reported_by_end:
                add(cid, "executed")
        if f["decided"] and s <= f["decided"] <= e:
            add(cid, "new_orders_treatment" if f["measure"] == "community_treatment" else "new_orders_rehab")
        if f["received"]:
            deadline = iso(date.fromisoformat(f["received"]) + timedelta(days=rules["report_in"]["days"]))
            if s <= deadline <= e:
                add(cid, "report_due")
                if f["reported"] and f["reported"] <= e:
                    add(cid, "reported")
                else:
                    add(cid, "report_overdue")
    # tests and visits in the period
    tested_people, relapsed = set(), set()
    for cid, result, n in conn.execute(
            "SELECT case_id, result, count(*) FROM drug_tests WHERE tested_on BETWEEN ? AND ? GROUP BY case_id, result",
            [s, e]):
        if cid not in facts:
            continue
        add(cid, "tests", n)
        if result == "positive":
            add(cid, "positives", n)
            relapsed.add(cid)
        if result in ("refused", "evaded"):
            add(cid, "refusals", n)
        if result in ("negative", "positive"):
            tested_people.add(cid)
    for cid in tested_people:
        add(cid, "tested_people")
    for cid in relapsed:
        add(cid, "relapsed")
    managed = {cid for cid, f in facts.items() if f["status"] == "active"}
    met_need = settings["face_to_face_per_month"] * period.months
    visit_need = settings["visits_per_month"] * period.months
    for cid, face, total in conn.execute(
            "SELECT case_id, sum(outcome = 'seen' AND kind != 'phone'), count(*) FROM visits"
            " WHERE visited_on BETWEEN ? AND ? GROUP BY case_id", [s, e]):
        if cid in managed:
            if face >= met_need:
                add(cid, "met")
            if total >= visit_need:
                add(cid, "visited")
    _testing_and_contact(conn, rules, facts, managed, add, start, end)
    _flags(conn, facts, add, start, end, rules["report_in"]["days"])
    return counts


def _testing_and_contact(conn, rules: Rules, facts: dict, managed: set[int], add, start: date, end: date) -> None:
    """按时检测 and 失联 need each person's clock: the cases in execution at the end, loaded whole."""
    from jindu_cli.domain import due

    if not managed:
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS report_ids (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.report_ids")
    conn.executemany("INSERT INTO temp.report_ids (id) VALUES (?)", [(i,) for i in managed])
    cases = {c.id: c for c in load_cases(conn, "c.id IN (SELECT id FROM temp.report_ids)")}
    s, e = iso(start), iso(end)
    rows = conn.execute(
        "SELECT r.id,"
        f" (SELECT tested_on FROM drug_tests t WHERE t.case_id = r.id AND t.specimen = 'urine' AND t.result IN {PERFORMED}"
        "   AND t.tested_on < ? ORDER BY tested_on DESC LIMIT 1),"
        f" (SELECT tested_on FROM drug_tests t WHERE t.case_id = r.id AND t.specimen = 'urine' AND t.result IN {PERFORMED}"
        "   AND t.tested_on BETWEEN ? AND ? ORDER BY tested_on LIMIT 1),"
        f" (SELECT tested_on FROM drug_tests t WHERE t.case_id = r.id AND t.result IN {PERFORMED} AND t.tested_on <= ?"
        "   ORDER BY tested_on DESC LIMIT 1),"
        " (SELECT visited_on FROM visits v WHERE v.case_id = r.id AND v.outcome = 'seen' AND v.visited_on <= ?"
        "   ORDER BY visited_on DESC LIMIT 1)"
        " FROM temp.report_ids r", [s, s, e, e, e]).fetchall()
    lost_days = rules["lost_contact"]["days"]
    for cid, before, first_in, last_test, last_visit in rows:
        case = cases[cid]
        if case.reported_on is None:
            continue
        anchor = date.fromisoformat(before) if before else case.reported_on
        item = due._urine(case, due.Anchors(urine=(anchor, 0)), rules, case.term_end(end), date.max)
        if item is not None and item.due_on <= end:
            add(cid, "test_due_people")
            if first_in and (date.fromisoformat(first_in) <= item.due_on or item.due_on < start):
                add(cid, "tested_on_time")
        contact = max([d for d in (last_test, last_visit, iso(case.reported_on)) if d])
        if (end - date.fromisoformat(contact)).days > lost_days:
            add(cid, "lost_contact")


def _flags(conn, facts: dict, add, start: date, end: date, report_days: int) -> None:
    """Flags that arose within the period. Only a case with a flagged test or an absence in the
    period, or one whose 报到 deadline passed in it, can have one."""
    from jindu_cli.storage.migrations import FLAGGED

    s, e = iso(start), iso(end)
    candidates = {cid for (cid,) in conn.execute(
        f"SELECT DISTINCT case_id FROM drug_tests WHERE tested_on BETWEEN ? AND ? AND {FLAGGED}"
        " UNION SELECT case_id FROM leaves WHERE kind = 'unreported' AND left_on <= ?"
        " AND (returned_on IS NULL OR returned_on >= ?)", [s, e, e, s]) if cid in facts}
    for cid, f in facts.items():
        if f["status"] == "pending" and f["received"]:
            arises = date.fromisoformat(f["received"]) + timedelta(days=report_days + 1)
            if start <= arises <= end:
                candidates.add(cid)
    candidates = sorted(candidates)
    if not candidates:
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS report_ids (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.report_ids")
    conn.executemany("INSERT INTO temp.report_ids (id) VALUES (?)", [(i,) for i in candidates])
    cases = load_cases(conn, "c.id IN (SELECT id FROM temp.report_ids)")
    found = flags_mod.load_facts(conn, candidates if len(candidates) <= 30000 else None, end)
    for case in cases:
        then = dataclasses.replace(case, status=facts[case.id]["status"])  # the status it had at the end
        for flag in flags_mod.derive(then, found.get(case.id, flags_mod.Facts()), end):
            if not start <= flag.triggered_on <= end:
                continue
            if flag.kind == "serious_violation":
                add(case.id, "serious_violations")
            add(case.id, "police_due")
            if flag.police_reported_on and flag.police_reported_on <= end:
                add(case.id, "police_reported")


def _months(conn, period: Period, street: str | None) -> list[dict]:
    """The twelve months up to the period's end: tests, positives, visits, caseload by status."""
    from jindu_cli.domain import reference

    last = date(period.end.year, period.end.month, 1)
    firsts = [last - relativedelta(months=11 - i) for i in range(12)]
    ends = [f + relativedelta(months=1) - timedelta(days=1) for f in firsts]
    join, params = "", []
    if street:
        join = " JOIN cases c ON c.id = x.case_id AND c.street = ?"
        params = [reference.streets(conn).resolve(street)]
    span = [iso(firsts[0]), iso(ends[-1])]
    tests = {m: (n, p) for m, n, p in conn.execute(
        f"SELECT substr(x.tested_on, 1, 7), count(*), sum(x.result = 'positive') FROM drug_tests x{join}"
        " WHERE x.tested_on BETWEEN ? AND ? GROUP BY 1", params + span)}
    visits = {m: n for m, n in conn.execute(
        f"SELECT substr(x.visited_on, 1, 7), count(*) FROM visits x{join} WHERE x.visited_on BETWEEN ? AND ? GROUP BY 1",
        params + span)}
    # each case's status at each month's end; a case known but without a status change is 未报到
    scope = " WHERE c.street = ?" if street else ""
    known = {cid: min(d for d in (a, b, c_) if d) if (a or b or c_) else created
             for cid, a, b, c_, created in conn.execute(
                 "SELECT c.id, c.decided_on, c.received_on, c.reported_on, substr(c.created_at, 1, 10) FROM cases c"
                 + scope, params)}
    histories: dict[int, list] = defaultdict(list)
    for cid, status, on in conn.execute(
            f"SELECT x.case_id, x.status, x.changed_on FROM status_changes x{join}"
            " WHERE x.changed_on <= ? ORDER BY x.case_id, x.changed_on, x.id", params + [iso(ends[-1])]):
        histories[cid].append((on, status))
    caseload = [Counter() for _ in ends]
    for cid, first in known.items():
        changes = histories.get(cid, [])
        index, current = 0, None
        for i, month_end in enumerate(ends):
            text = iso(month_end)
            while index < len(changes) and changes[index][0] <= text:
                current = changes[index][1]
                index += 1
            if current:
                caseload[i][current] += 1
            elif first <= text:
                caseload[i]["pending"] += 1
    return [{"month": f.strftime("%Y-%m"), "tests": tests.get(f.strftime("%Y-%m"), (0, 0))[0],
             "positives": tests.get(f.strftime("%Y-%m"), (0, 0))[1] or 0, "visits": visits.get(f.strftime("%Y-%m"), 0),
             "caseload": dict(caseload[i])} for i, f in enumerate(firsts)]
