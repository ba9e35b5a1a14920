"""The due list: who must be tested, seen or reported on, and who has already slipped.

Worked out from the records each time it is asked for, nothing of it stored: the people in scope
are read with their register entries, the facts their clocks start from are read in a few
set-based queries (the latest record of each kind for each person, the flags' facts), and each
item is worked out by its own pure function (domain/due_items.py).

Narrowing: an item can fall due no earlier than its anchor plus the person's interval, so of the
people in execution only those whose latest records leave an item that can be due by the horizon
are read in full, and only those items worked out (domain/due_window.py). A test holds the
narrowed list to the list worked out for every person.
"""

from __future__ import annotations

import functools
import gc
import sqlite3
from collections import Counter
from datetime import date, timedelta
from collections.abc import Collection, Iterator, Sequence
from operator import attrgetter
from typing import NamedTuple

from jindu_cli.domain import clocks
from jindu_cli.domain import flags as flags_mod
from jindu_cli.domain import transfers
from jindu_cli.domain.people import Case, attach_history, clock_case, load_cases
from jindu_cli.domain.dates import add_months, iso
from jindu_cli.domain.due_items import BY_STATUS, ITEM_ORDER, Anchors, Dates, DueItem, items_for, lost_contact
from jindu_cli.domain.enums import PERFORMED_RESULTS
from jindu_cli.domain import due_window
from jindu_cli.domain.due_window import COLUMNS
from jindu_cli.domain.rules import ITEMS, Rules
from jindu_cli.storage.db import id_table, snapshot
from jindu_cli.storage.migrations import FAILED_CONTACT, FLAGGED

PERFORMED = "(" + ", ".join(f"'{r}'" for r in PERFORMED_RESULTS) + ")"  # as SQL
FACE_TO_FACE = "('talk', 'home_visit', 'help', 'assessment')"
HOME = "('home_visit', 'help')"
VISIT_LABELS = {"talk": "谈话", "home_visit": "入户走访", "help": "帮扶", "assessment": "评估", "phone": "电话联系"}


class DueRow(NamedTuple):
    """One line of the due list. Rows sort into the clerk's working order as tuples do: overdue, then
    due today, then due later (`group`); in each, the most overdue or soonest first, 高 risk first on
    the same day; then by person, item (its place in ITEMS) and `seq` (two flags arising on one day
    give two police_report items)."""

    group: int  # 0 overdue, 1 due today, 2 due later
    due_on: str  # ISO date
    low_risk: bool
    case_id: int
    order: int
    seq: int
    id_number: str
    name: str
    street: str
    worker: str | None
    item: str
    rule: str
    reason: str

    def as_dict(self, as_of: date) -> dict:
        return {
            "case_id": self.case_id, "id_number": self.id_number, "name": self.name, "street": self.street,
            "worker": self.worker, "item": self.item, "due_on": self.due_on,
            "days": (date.fromisoformat(self.due_on) - as_of).days, "rule": self.rule, "reason": self.reason,
        }


_row = functools.partial(tuple.__new__, DueRow)
_iso = functools.lru_cache(maxsize=8192)(date.isoformat)  # one text for each day, not one for each item  # (without NamedTuple's checks: a district has 300,000)


def rows_of(items: list[DueItem], as_of: date, texts: dict[str, str] | None = None) -> list[DueRow]:
    """One person's items as lines of the list; `texts` keeps one copy of each reason for a whole
    list (a district's 340,000 items have some 8,000 different reasons)."""
    out = []
    texts = {} if texts is None else texts
    seen: dict[date, int] = {}
    c = items[0].case if items else None
    low = c is not None and c.risk_level != "high"
    for d in items:
        seq = 0
        if d.item == "police_report":  # numbered among the person's police reports due on one day
            seen[d.due_on] = seq = seen.get(d.due_on, -1) + 1
        group = 0 if d.due_on < as_of else 1 if d.due_on == as_of else 2
        out.append(_row((group, _iso(d.due_on), low, c.id, ITEM_ORDER[d.item], seq, c.id_number, c.name,
                         c.street, c.worker, d.item, d.rule, texts.setdefault(reason := d.text(as_of), reason))))
    return out


# --- the facts the clocks start from ---------------------------------------------------------

def _latest(table: str, condition: str, until: date | None = None) -> str:
    """SQL of the date of a person's (`c`) latest record that meets `condition` (and is dated by
    `until`): a walk back from the newest end of the person's records in the natural-key index, to
    the first that does."""
    day = "tested_on" if table == "drug_tests" else "visited_on"
    bound = f" AND r.{day} <= '{iso(until)}'" if until else ""
    return f"(SELECT {day} FROM {table} r WHERE r.case_id = c.id AND {condition}{bound} ORDER BY {day} DESC LIMIT 1)"


RECORDS = {
    "urine": ("drug_tests", f"r.specimen = 'urine' AND r.result IN {PERFORMED}"),
    "hair": ("drug_tests", f"r.specimen = 'hair' AND r.result IN {PERFORMED}"),
    "other_test": ("drug_tests", f"r.specimen IN ('blood', 'saliva') AND r.result IN {PERFORMED}"),
    "face_to_face": ("visits", f"r.outcome = 'seen' AND r.kind IN {FACE_TO_FACE}"),
    "home": ("visits", f"r.outcome = 'seen' AND r.kind IN {HOME}"),
    "assessment": ("visits", "r.outcome = 'seen' AND r.kind = 'assessment'"),
    "phone": ("visits", "r.outcome = 'reached' AND r.kind = 'phone'"),
}
LATEST = {kind: _latest(*found) for kind, found in RECORDS.items()}
LATEST["positive"] = (f"(SELECT max(tested_on) FROM drug_tests r WHERE r.case_id = c.id AND {FLAGGED}"
                      " AND r.result = 'positive')")
# what a successful contact was, by the kind of its record (a tie goes to the greater word, as `max`
# of (date, word) gives it)
CONTACT_WORDS = {"urine": "尿检", "hair": "毛发检测", "other_test": "检测", "face_to_face": "见面", "phone": "电话联系"}
# the kinds of record the clocks of the people in execution start from
KINDS = ("urine", "hair", "face_to_face", "home", "assessment")


class Scope(NamedTuple):
    """The people a list is of: SQL of a condition on the case `c`, with its parameters."""

    sql: str
    params: list | dict


_DAYS: dict[str, date] = {}  # ISO text -> date: a district's records fall on a few thousand days


def _day(text: str | None) -> date | None:
    if not text:
        return None
    found = _DAYS.get(text)
    if found is None:
        found = _DAYS[text] = date.fromisoformat(text)
    return found


def _latest_of(conn: sqlite3.Connection, kinds: tuple[str, ...], where: str, params,
               until: date | None = None) -> dict[int, list]:
    """{case id: [the date of the latest record of each of `kinds` (dated by `until`), or None]} of
    the people `where` says (SQL on the case `c`)."""
    latest = [_latest(*RECORDS[k], until) if until else LATEST[k] for k in kinds]
    sql = f"SELECT c.id, {', '.join(latest)} FROM cases c WHERE {where}"
    known = _DAYS.get
    return {cid: [known(v) or _day(v) for v in values] for cid, *values in conn.execute(sql, params)}


def load_anchors(conn: sqlite3.Connection, rules: Rules, cases: list[Case], scope: Scope, items: tuple[str, ...],
                 as_of: date) -> dict[int, tuple[Anchors, Collection[str]]]:
    """Each person's facts, and the items to work out for them: every item of `items` their status
    can have."""
    active = _latest_of(conn, KINDS, f"{scope.sql} AND c.status = 'active' AND c.reported_on IS NOT NULL",
                        scope.params)
    held = frozenset(n for n in BY_STATUS["active"] if n in items)
    out: dict[int, tuple[Anchors, Collection[str]]] = {}
    for case in cases:
        latest = active.get(case.id)
        if latest is not None:
            out[case.id] = (_anchors(latest), held)
        elif wanted := _others_wanted(rules, items, None, case):
            out[case.id] = (Anchors(), wanted)
    return _complete(conn, rules, cases, out, items, as_of)


def _narrowed(conn: sqlite3.Connection, rules: Rules, scope: Scope, items: tuple[str, ...], as_of: date,
              horizon: date) -> tuple[list[Case], dict[int, tuple[Anchors, Collection[str]]]]:
    """The people of a list by `horizon` who can have an item due by then, with their facts and the
    items worth working out (see due_window): of the people in execution, only those their latest
    records leave any to, read in the same pass."""
    moved = transfers.unfinished(conn) if {"agreement", "transfer_report"} & set(items) else {}
    among = None if scope.sql == "1 = 1" else (f"SELECT c.id FROM cases c WHERE {scope.sql}", scope.params)
    window = due_window.window(conn, rules, items, as_of, horizon, set(moved), among)
    kept: list[Case] = []
    out: dict[int, tuple[Anchors, Collection[str]]] = {}
    for row in conn.execute(f"SELECT {COLUMNS}, {', '.join(LATEST[k] for k in KINDS)} FROM cases c"
                            f" WHERE {scope.sql} AND c.status = 'active' AND c.reported_on IS NOT NULL", scope.params):
        if wanted := window.wanted(row):
            case = clock_case(row)
            kept.append(case)
            out[case.id] = (_anchors([_day(v) for v in row[-len(KINDS):]]), set(wanted))
    attach_history(conn, [c for c in kept if c.id in window.paused])
    others = load_cases(conn, f"{scope.sql} AND {_statuses(rules, items, horizon, True)}"
                        " AND NOT (c.status = 'active' AND c.reported_on IS NOT NULL)", scope.params, clocks_only=True)
    after = {cid for (cid,) in conn.execute(f"SELECT c.id FROM cases c WHERE {scope.sql} AND c.status IN ('released',"
                                            f" 'clean') AND {POSITIVE_AFTER}", scope.params)}
    for case in others:
        if wanted := _others_wanted(rules, items, horizon, case, after):
            out[case.id] = (Anchors(), wanted)
    cases = sorted([*kept, *others], key=attrgetter("id"))
    return cases, _complete(conn, rules, cases, out, items, as_of, moved)


def _complete(conn: sqlite3.Connection, rules: Rules, cases: list[Case], out: dict[int, tuple[Anchors, Collection[str]]],
              items: tuple[str, ...], as_of: date, moved: dict | None = None
              ) -> dict[int, tuple[Anchors, Collection[str]]]:
    """The rest of the facts of the people in `out`, each read for those whose items need it."""
    _contacts(conn, out, rules["lost_contact"]["calls_count"])
    _positives(conn, out)
    if {"agreement", "transfer_report"} & set(items):
        for cid, transfer in (transfers.unfinished(conn) if moved is None else moved).items():
            if cid in out:  # (few: a 报到 or agreement still to record)
                out[cid][0].transfer = transfer
    _flags(conn, rules, [c for c in cases if c.id in out and set(FROM_FLAGS) & set(out[c.id][1])], out, as_of)
    return out


def _others_wanted(rules: Rules, items: tuple[str, ...], horizon: date | None, case: Case,
                   after: set[int] | None = None) -> list[str]:
    """The items worth working out for a person not in execution: R21 (three years after the
    measure's end at the earliest, a positive test later only moving it on) only when it can be due
    by the `horizon`; with `after`, the people with a positive test after the measure (§9.9), a
    police report after the measure only for them."""
    closed = after is not None and case.status in ("released", "clean") and case.id not in after
    return [n for n in BY_STATUS.get(case.status, ()) if n in items and not (closed and n == "police_report")
            and (n != "three_year_clean" or _clean_could_be_due(rules, horizon, case))]


def _clean_could_be_due(rules: Rules, horizon: date | None, case: Case) -> bool:
    if horizon is None:
        return True
    base = clocks.milestone_base(case, None)
    return base is not None and add_months(base, 12 * rules["three_year_clean"]["years"]) <= horizon


def _anchors(latest: Sequence[date | None]) -> Anchors:
    """A person's anchors from their latest records of KINDS."""
    urine, hair, seen, home, assessed = latest
    return Anchors(urine=(urine, 0) if urine else None, hair=(hair, 0) if hair else None,
                   face_to_face=(seen, 0, "") if seen else None, home=(home, 0, "") if home else None,
                   assessment=(assessed, 0, "") if assessed else None)


def _contacts(conn: sqlite3.Connection, out: dict[int, tuple[Anchors, Collection[str]]], calls: bool) -> None:
    """R22's last successful contact (domain.md §9.6) and failed contacts, for the people whose
    lost_contact is worked out: the latest performed test, or visit that saw them (the urine, hair
    and face-to-face anchors read already, the rarer kinds here); a call that reached them only where
    the rules count calls."""
    ids = [cid for cid, (_, wanted) in out.items() if "lost_contact" in wanted]
    if not ids:
        return
    where = f"c.id IN ({id_table(conn, ids, 'due_ids')})"
    rarer = _latest_of(conn, ("other_test", "phone") if calls else ("other_test",), where, {})
    failed = _failed_contacts(conn, Scope(where, {}))
    for cid in ids:
        a = out[cid][0]
        a.failed_contacts = failed.get(cid, ())
        other, *phone = rarer.get(cid, (None, None))
        a.contact = _last_contact(a.urine and a.urine[0], a.hair and a.hair[0], other,
                                  a.face_to_face and a.face_to_face[0], phone[0] if phone else None)


def _last_contact(*found: date | None) -> tuple[date, str] | None:
    """The latest of the dates of CONTACT_WORDS' kinds, in their order, with what it was."""
    return max(((d, word) for d, word in zip(found, CONTACT_WORDS.values()) if d), default=None)


def _positives(conn: sqlite3.Connection, out: dict[int, tuple[Anchors, Collection[str]]]) -> None:
    """R21's last positive test, for the people whose three_year_clean is worked out."""
    ids = [cid for cid, (_, wanted) in out.items() if "three_year_clean" in wanted]
    if ids:
        for cid, day in conn.execute(f"SELECT c.id, {LATEST['positive']} AS day FROM cases c"
                                     f" WHERE c.id IN ({id_table(conn, ids, 'due_ids')}) AND day IS NOT NULL"):
            out[cid][0].last_positive = _day(day)


def _failed_contacts(conn: sqlite3.Connection, scope: Scope, until: date | None = None) -> dict[int, list[date]]:
    """R22's failed contacts (visits that did not see the person, dated by `until`) of the people in
    `scope`, in date order."""
    found: dict[int, list[date]] = {}
    bound = f" AND v.visited_on <= '{iso(until)}'" if until else ""
    for cid, day in conn.execute(
            "SELECT v.case_id, v.visited_on FROM visits v JOIN cases c ON c.id = v.case_id"
            f" WHERE {FAILED_CONTACT}{bound} AND {scope.sql} ORDER BY v.case_id, v.visited_on", scope.params):
        found.setdefault(cid, []).append(_day(day))
    return found


FROM_FLAGS = ("police_report", "hair_review", "leave_return")  # the items worked out from the flags' facts


def _flags(conn: sqlite3.Connection, rules: Rules, cases: list[Case], out: dict[int, tuple[Anchors, Collection[str]]],
           as_of: date) -> None:
    """The flags and open 外出报告 of the people whose items of FROM_FLAGS are worked out."""
    if not cases:
        return
    facts = flags_mod.load_facts(conn, [c.id for c in cases], as_of)
    windows = flags_mod.windows_of(rules)
    for case in cases:
        found = facts.get(case.id)
        anchors = out[case.id][0]
        if found is not None:
            anchors.leaves_out = found.leaves_out
        # (without facts, only 逾期未报到 can arise: still pending, or reported late)
        if case.status == "pending" or case.reported_late or (found is not None and not flags_mod.answered(found)):
            anchors.flags = flags_mod.derive(case, found or flags_mod.Facts(), as_of, windows)


# --- the list ----------------------------------------------------------------------------------

def _scope(conn: sqlite3.Connection, street: str | None, worker: str | None) -> Scope:
    from jindu_cli.domain.filters import Filter
    from jindu_cli.domain.find import require_people

    require_people(conn, street, worker)
    f = Filter(conn).by(street=street, worker=worker)
    return Scope(f.sql, f.params)


# a positive test after the term's end (the clerk's date, else no earlier than a month before the
# end the term gives): what a released person's police report rests on (§9.9)
POSITIVE_AFTER = (f"EXISTS (SELECT 1 FROM drug_tests t WHERE t.case_id = c.id AND {FLAGGED} AND t.result = 'positive'"
                  " AND t.tested_on > coalesce(c.term_end_override,"
                  " date(c.reported_on, '+' || (c.term_months - 1) || ' months')))")


def _statuses(rules: Rules, items: tuple[str, ...], horizon: date, narrow: bool) -> str:
    """SQL of the people whose status can have one of `items` due (`c` the case). With `narrow`, a
    released person is left out unless a positive after the measure can be due (§9.9), or R21
    (three years after the measure ended at the earliest, a few days' margin for month ends)."""
    statuses = [s for s, names in BY_STATUS.items() if set(names) & set(items)]
    held = f"c.status IN ({', '.join(repr(s) for s in statuses if s not in ('released', 'clean'))})"
    if not narrow:
        return f"c.status IN ({', '.join(repr(s) for s in statuses)})"
    after = []
    if "police_report" in items:
        after.append(f"(c.status IN ('released', 'clean') AND {POSITIVE_AFTER})")
    if "three_year_clean" in items:
        edge = iso(add_months(horizon, -12 * rules["three_year_clean"]["years"]) + timedelta(days=3))
        after.append("(c.status = 'released' AND (EXISTS (SELECT 1 FROM status_changes s WHERE s.case_id = c.id"
                     f" AND s.status = 'released' AND s.changed_on <= '{edge}') OR NOT EXISTS (SELECT 1"
                     " FROM status_changes s WHERE s.case_id = c.id AND s.status = 'released')))")
    return f"({' OR '.join([held, *after])})"


def due_items(conn: sqlite3.Connection, rules: Rules, as_of: date, within: int = 7, street: str | None = None,
              worker: str | None = None, item: str | None = None, *, narrow: bool = True
              ) -> Iterator[list[DueItem]]:
    """Every item due by as_of + within (overdue included) of the people in scope, a list for each
    person who has any."""
    if within < 0:
        from jindu_cli.errors import InvalidInput

        raise InvalidInput("--within", "天数不能为负")
    items = (item,) if item else ITEMS
    horizon = as_of + timedelta(days=within)
    scope = _scope(conn, street, worker)
    with snapshot(conn):  # one moment of the database, even while another process writes
        if narrow:
            cases, found = _narrowed(conn, rules, scope, items, as_of, horizon)
        else:
            cases = load_cases(conn, f"{scope.sql} AND {_statuses(rules, items, horizon, False)}", scope.params,
                               clocks_only=True)
            found = load_anchors(conn, rules, cases, scope, items, as_of)
    cases.reverse()
    while cases:  # (each person let go once worked out)
        case = cases.pop()
        if case.id in found:
            anchors, wanted = found.pop(case.id)
            made = items_for(case, anchors, rules, as_of, wanted, horizon)
            if made:
                yield made


def due_list(conn: sqlite3.Connection, rules: Rules, as_of: date, within: int = 7, street: str | None = None,
             worker: str | None = None, item: str | None = None, *, narrow: bool = True) -> list[DueRow]:
    """The list in the clerk's working order (see DueRow)."""
    rows: list[DueRow] = []
    texts: dict[str, str] = {}
    collecting = gc.isenabled()
    # What the list is worked out from and what it holds makes no reference cycles: Python's collector,
    # run over them again and again as they grow, only took time (a quarter of a district's list).
    gc.disable()
    try:
        for made in due_items(conn, rules, as_of, within, street, worker, item, narrow=narrow):
            rows.extend(rows_of(made, as_of, texts))
    finally:
        if collecting:
            gc.enable()
    rows.sort()
    return rows


def counts(rows: list[DueRow]) -> dict:
    """Overdue, due today and due later in the window (each row's group, from the day the list was
    worked out for): in all and by street."""
    keys = ("overdue", "today", "soon")  # (by DueRow.group)
    total = dict.fromkeys(keys, 0)
    by_street: dict[str, dict] = {}
    for (street, group), n in Counter((r.street, r.group) for r in rows).items():
        total[keys[group]] += n
        by_street.setdefault(street, dict.fromkeys(keys, 0))[keys[group]] += n
    return {"total": total, "by_street": dict(sorted(by_street.items()))}


# --- one person -----------------------------------------------------------------------------------

def _detail(conn: sqlite3.Connection, case_id: int, kind: str) -> tuple | None:
    """The latest record of a kind with its number and type, for explaining one case."""
    if kind in ("urine", "hair"):
        row = conn.execute(f"SELECT tested_on, id FROM drug_tests WHERE case_id = ? AND specimen = ?"
                           f" AND result IN {PERFORMED} ORDER BY tested_on DESC, id DESC LIMIT 1",
                           [case_id, kind]).fetchone()
        return (date.fromisoformat(row[0]), row[1]) if row else None
    kinds = {"face_to_face": FACE_TO_FACE, "home": HOME, "assessment": "('assessment')"}[kind]
    row = conn.execute(f"SELECT visited_on, id, kind FROM visits WHERE case_id = ? AND outcome = 'seen'"
                       f" AND kind IN {kinds} ORDER BY visited_on DESC, id DESC LIMIT 1", [case_id]).fetchone()
    return (date.fromisoformat(row[0]), row[1], VISIT_LABELS.get(row[2], row[2])) if row else None


def explain(conn: sqlite3.Connection, case: Case, rules: Rules, as_of: date) -> list[DueItem]:
    """Every item of one case, whatever its date, with the records its dates were worked out from."""
    found = load_anchors(conn, rules, [case], Scope("c.id = :id", {"id": case.id}), ITEMS, as_of)
    anchors = found[case.id][0] if case.id in found else Anchors()
    for kind in ("urine", "hair", "face_to_face", "home", "assessment"):
        if getattr(anchors, kind):
            setattr(anchors, kind, _detail(conn, case.id, kind))
    items = sorted(items_for(case, anchors, rules, as_of), key=lambda d: (d.due_on, ITEM_ORDER[d.item]))
    goal = rules.urine[rules.urine_variant(case.measure, case.term_months)]["unannounced"]
    for item in items:
        if item.item == "urine_test" and goal:  # R12: counted against its goal, never made due
            done = conn.execute(f"SELECT count(*) FROM drug_tests WHERE case_id = ? AND unannounced AND result IN {PERFORMED}"
                                " AND tested_on >= ?", [case.id, iso(case.reported_on)]).fetchone()[0]
            item.notes.append(f"突击检测 {done}/{goal} 次（R12：期限内的目标，只计数，不列入到期）")
    return items


# --- on a day gone by (the report) ---------------------------------------------------------------

CONTACTS = tuple(CONTACT_WORDS)


def lost_on(conn: sqlite3.Connection, rules: Rules, day: date, ids: list[int]) -> dict[int, DueItem]:
    """R22 as the due list had it on `day`, from the records dated by then: of the people `ids` (in
    execution that day), those whose 失联 had fallen due, with its item. Worked out only for those
    who could be: not seen in R22's days before `day`, or with its failed contacts in them."""
    if not ids:
        return {}
    r = rules["lost_contact"]
    since, until = iso(day - timedelta(days=r["days"])), iso(day)
    # who was seen in those days: reported, a test performed (of any specimen), a visit that saw the
    # person, a call that reached them where calls count (ranges of the date indexes)
    visits = f"outcome = 'seen' AND kind IN {FACE_TO_FACE}"
    if r["calls_count"]:
        visits = f"({visits} OR (outcome = 'reached' AND kind = 'phone'))"
    seen = {cid for (cid,) in conn.execute(
        "SELECT id FROM cases WHERE reported_on > :since AND reported_on <= :until"
        f" UNION SELECT case_id FROM drug_tests WHERE tested_on > :since AND tested_on <= :until AND result IN {PERFORMED}"
        f" UNION SELECT case_id FROM visits WHERE visited_on > :since AND visited_on <= :until AND {visits}",
        {"since": since, "until": until})}
    failed = Counter(cid for (cid,) in conn.execute(
        f"SELECT case_id FROM visits WHERE visited_on > ? AND visited_on <= ? AND {FAILED_CONTACT}", [since, until]))
    wanted = r["failed_contacts"]
    could = [cid for cid in ids if cid not in seen or (wanted and failed[cid] >= wanted)]
    where = f"c.id IN ({id_table(conn, could, 'lost_could')})"
    latest = _latest_of(conn, CONTACTS, where, [], until=day)
    fails = _failed_contacts(conn, Scope(where, []), until=day)
    out = {}
    for case in load_cases(conn, where, clocks_only=True):
        urine, hair, other, seen_on, phone = latest[case.id]
        a = Anchors(urine=(urine, 0) if urine else None, failed_contacts=fails.get(case.id, ()),
                    contact=_last_contact(urine, hair, other, seen_on, phone if r["calls_count"] else None))
        item = lost_contact(case, a, rules, Dates(day, case.reported_on, case.term_end(day), day))
        if item is not None:
            out[case.id] = item
    return out
