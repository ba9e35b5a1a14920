"""The report's sections on 宣传, 入户调查, screening and 帮扶 counted the straightforward way, record by
record (report_reference calls these), and random ones of those records for the random districts."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path

from jindu_cli.domain.dates import iso

DATA = Path(__file__).resolve().parent.parent / "data"
HELP_KINDS = ("employment", "relief", "medical", "psychological", "legal", "other")
SCREENED_GROUPS = ("entertainment", "drivers", "other")  # the codes of data/screen_groups.toml
# every indicator of the section, written out (the report's own list is what is under test)
KEYS = ["publicity_events", "publicity_participants", "publicity_materials", "survey_households", "survey_clues",
        "survey_clues_referred", "screened", *(f"screened_{g}" for g in SCREENED_GROUPS), "screen_positives",
        *(f"screen_positives_{g}" for g in SCREENED_GROUPS), "screen_referred",
        *(f"screen_referred_{g}" for g in SCREENED_GROUPS), "help_visits", *(f"help_{k}" for k in HELP_KINDS),
        "employed", "aid_times", "aid_amount", "help_referrals"]


def _codes() -> dict[str, str]:
    with open(DATA / "screen_groups.toml", "rb") as fh:
        return {g["name"]: g["code"] for g in tomllib.load(fh)["groups"]}


def add_counts(conn, counts: dict, bys: list[str], street: str | None, start: date, end: date, add_person,
               people: dict[int, tuple]) -> None:
    """Add the section's figures to `counts` ({by: {group: Counter}}): activities and sessions in the
    groups of their own street, community and worker; 帮扶 through `add_person(case id, key, n)`."""
    from jindu_cli.domain import reference

    s, e = iso(start), iso(end)
    wanted = reference.streets(conn).resolve(street) if street else None

    def groups(where: str, community: str | None, worker: str | None) -> tuple:
        community, worker = community or "（未填社区）", worker or "（未填专干）"
        by = {"street": where, "community": community if street else f"{where} {community}",
              "worker": worker if street else f"{where} {worker}"}
        return tuple(by[b] for b in bys)

    def add(group: tuple, key: str, n) -> None:
        if n:
            for b, name in zip(bys, group):
                counts[b][name][key] += n

    for on, category, where, community, worker, participants, materials, households, clues, referred in conn.execute(
            "SELECT held_on, category, street, community, worker, participants, materials, households, clues,"
            " clues_referred FROM activities"):
        if not s <= on <= e or wanted and where != wanted:
            continue
        group = groups(where, community, worker)
        if category == "publicity":
            add(group, "publicity_events", 1)
            add(group, "publicity_participants", participants)
        for key, n in (("publicity_materials", materials), ("survey_households", households), ("survey_clues", clues),
                       ("survey_clues_referred", referred)):
            add(group, key, n)
    codes = _codes()
    for sid, on, where, community, worker, screened_group, tested, positives in conn.execute(
            "SELECT id, screened_on, street, community, worker, screened_group, tested, positives FROM screenings"):
        if not s <= on <= e or wanted and where != wanted:
            continue
        handed = sum(1 for (day,) in conn.execute(
            "SELECT referred_on FROM screening_referrals WHERE screening_id = ?", [sid]) if day <= e)
        group = groups(where, community, worker)
        for key, n in (("screened", tested), ("screen_positives", positives), ("screen_referred", handed)):
            add(group, key, n)
            if screened_group in codes:
                add(group, f"{key}_{codes[screened_group]}", n)
    placed: set[int] = set()
    for cid, sub, is_placed, granted, amount, referred_to in conn.execute(
            "SELECT case_id, sub_kind, placed, aid_granted, aid_amount, referred_to FROM visits"
            " WHERE kind = 'help' AND visited_on BETWEEN ? AND ?", [s, e]):
        if cid not in people:
            continue
        add_person(cid, "help_visits", 1)
        if sub:
            add_person(cid, f"help_{sub}", 1)
        if is_placed and cid not in placed:
            placed.add(cid)
            add_person(cid, "employed", 1)
        if granted:
            add_person(cid, "aid_times", 1)
        if referred_to:
            add_person(cid, "help_referrals", 1)
        add_person(cid, "aid_amount", amount or 0)


def add_months(conn, months: list[dict], street: str | None) -> None:
    """Each month's 宣传 (activities, participants) and screening (people, positives)."""
    from jindu_cli.domain import reference

    wanted = reference.streets(conn).resolve(street) if street else None
    for m in months:
        m.update(publicity=0, publicity_participants=0, screened=0, screen_positives=0)
        for on, category, where, participants in conn.execute(
                "SELECT held_on, category, street, participants FROM activities"):
            if on[:7] == m["month"] and category == "publicity" and (not wanted or where == wanted):
                m["publicity"] += 1
                m["publicity_participants"] += participants or 0
        for on, where, tested, positives in conn.execute("SELECT screened_on, street, tested, positives FROM screenings"):
            if on[:7] == m["month"] and (not wanted or where == wanted):
                m["screened"] += tested
                m["screen_positives"] += positives


def random_month_work(conn, rng, as_of: date) -> None:
    """Activities, screening sessions with referrals, and 帮扶 results, written straight into the
    schema, over the streets, communities and workers the district's people have (and a screened
    group no longer on the pick-list)."""
    streets = [s for (s,) in conn.execute("SELECT DISTINCT street FROM cases ORDER BY 1")]
    with open(DATA / "activity_kinds.toml", "rb") as fh:
        kinds = [(k["name"], "publicity" if k["category"] == "宣传" else "survey") for k in tomllib.load(fh)["kinds"]]
    groups = [*_codes(), "旧的筛查对象"]

    def some(n: int):
        return rng.choice([None, *range(n)])

    for _ in range(300):
        on = as_of - timedelta(days=rng.randrange(0, 4 * 365))
        kind, category = rng.choice(kinds)
        publicity = category == "publicity"
        clues = some(4) if not publicity else None
        conn.execute(
            "INSERT OR IGNORE INTO activities (held_on, category, kind, street, community, worker, participants,"
            " materials, households, clues, clues_referred, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '')",
            [iso(on), category, kind, rng.choice(streets), rng.choice([None, "一社区", "二社区"]),
             rng.choice([None, "甲", "乙"]), some(300) if publicity else None, some(500),
             None if publicity else some(60), clues, rng.randrange(0, clues + 1) if clues else None])
    for _ in range(150):
        on = as_of - timedelta(days=rng.randrange(0, 4 * 365))
        tested = rng.randrange(1, 200)
        positives = rng.choice([0, 0, 0, 1, 2, 3])
        cur = conn.execute(
            "INSERT OR IGNORE INTO screenings (screened_on, street, community, worker, screened_group, specimen,"
            " tested, positives, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '')",
            [iso(on), rng.choice(streets), rng.choice([None, "一社区"]), rng.choice([None, "甲"]), rng.choice(groups),
             rng.choice(["hair", "urine"]), tested, positives])
        for n in range(rng.randrange(0, positives + 1) if cur.rowcount else 0):
            conn.execute("INSERT INTO screening_referrals (screening_id, id_number, name, referred_on, created_at)"
                         " VALUES (?, ?, ?, ?, '')", [cur.lastrowid, f"R{cur.lastrowid}-{n}", "某",
                                                      iso(on + timedelta(days=rng.randrange(0, 20)))])
    helped = [vid for (vid,) in conn.execute("SELECT id FROM visits WHERE kind = 'help'")]
    for vid in rng.sample(helped, len(helped) * 2 // 3):
        sub = rng.choice([None, "employment", "relief", "medical", "psychological", "legal", "other"])
        granted = sub in ("relief", "medical") and rng.random() < 0.7
        conn.execute("UPDATE visits SET sub_kind = ?, placed = ?, aid_granted = ?, aid_amount = ?, referred_to = ?"
                     " WHERE id = ?",
                     [sub, int(sub == "employment" and rng.random() < 0.5), int(granted),
                      rng.choice([None, 500, 800, 1234]) if granted else None,
                      rng.choice([None, None, "区法律援助中心"]), vid])
