"""The schema, as named migrations of the sqlite-utils set "jindu". Never edit a released step:
add a new one. `PRAGMA user_version` holds the number of steps applied, so opening an
up-to-date file costs one PRAGMA and no import of sqlite_utils (storage/db.py applies them).
"""

from __future__ import annotations

from collections.abc import Callable

STEPS: list[Callable] = []


def step(fn: Callable) -> Callable:
    STEPS.append(fn)
    return fn


def one_of(column: str, values: tuple[str, ...]) -> str:
    """`column = 'a' OR column = 'b' ...`: SQLite checks this far faster than `IN (...)`, which
    matters on tables that take millions of imported rows."""
    return "(" + " OR ".join(f"{column} = '{v}'" for v in values) + ")"


# the status changes that begin or end a 中止, in the words of the partial index that finds the
# latest of them (domain/due.py: the kept due list holds from that day on)
SUSPENSION_CHANGE = "(status = 'suspended' OR previous_status = 'suspended')"

# the tests that raise flags (R7, R8); queries must say it in these very words for SQLite to
# use the partial index drug_tests_flagged
FLAGGED = one_of("result", ("positive", "refused", "evaded"))

# the visits that tried and failed to reach the person (R22's failed contacts), in the words of the
# partial index visits_failed
FAILED_CONTACT = one_of("outcome", ("not_seen", "refused", "unreached"))


def names() -> list[str]:
    return [fn.__name__ for fn in STEPS]


@step
def m001_cases_and_audit(db) -> None:
    db.execute(
        """
        CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            id_number TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            name_pinyin TEXT NOT NULL DEFAULT '',
            name_initials TEXT NOT NULL DEFAULT '',
            phone TEXT,
            household_address TEXT,
            residence_address TEXT,
            street TEXT NOT NULL,
            community TEXT,
            measure TEXT NOT NULL CHECK (measure IN ('community_treatment', 'community_rehab')),
            term_months INTEGER NOT NULL CHECK (term_months BETWEEN 1 AND 36),
            decision_authority TEXT,
            decision_number TEXT,
            decided_on TEXT,
            received_on TEXT,
            reported_on TEXT,
            agreement_on TEXT,
            term_end_override TEXT,
            status TEXT NOT NULL CHECK (status IN
                ('pending', 'active', 'suspended', 'terminated', 'released', 'deceased', 'clean')),
            risk_level TEXT NOT NULL DEFAULT 'medium' CHECK (risk_level IN ('high', 'medium', 'low')),
            risk_color TEXT,
            drugs TEXT NOT NULL DEFAULT '[]',
            worker TEXT,
            notes TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX cases_street ON cases (street, status)")
    db.execute("CREATE INDEX cases_status ON cases (status)")
    db.execute("CREATE INDEX cases_worker ON cases (worker)")
    db.execute("CREATE INDEX cases_last4 ON cases (substr(id_number, 15))")
    db.execute(
        """
        CREATE TABLE status_changes (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases (id),
            previous_status TEXT,
            status TEXT NOT NULL,
            changed_on TEXT NOT NULL,
            reason TEXT,
            created_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX status_changes_case ON status_changes (case_id, changed_on)")
    db.execute(
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            operator TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id INTEGER,
            case_id INTEGER,
            changes TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX audit_log_case ON audit_log (case_id)")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT")


@step
def m002_visits_tests_leave(db) -> None:
    db.execute(
        f"""
        CREATE TABLE visits (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases (id),
            visited_on TEXT NOT NULL,
            kind TEXT NOT NULL CHECK {one_of("kind", ("talk", "home_visit", "phone", "help", "assessment"))},
            sub_kind TEXT,
            outcome TEXT NOT NULL CHECK {one_of("outcome", ("seen", "not_seen", "refused"))},
            worker TEXT,
            place TEXT,
            notes TEXT,
            forced INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT
        """
    )
    # the natural key (one person, one date, one kind is one visit), also a case's visits in date
    # order; and the visits of a period, covering what the due list and reports ask of them
    db.execute("CREATE UNIQUE INDEX visits_natural ON visits (case_id, visited_on, kind)")
    db.execute("CREATE INDEX visits_by_date ON visits (visited_on, kind, outcome, case_id)")
    db.execute(
        f"""
        CREATE TABLE drug_tests (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases (id),
            tested_on TEXT NOT NULL,
            specimen TEXT NOT NULL CHECK {one_of("specimen", ("urine", "hair", "blood", "saliva"))},
            method TEXT NOT NULL CHECK {one_of("method", ("field", "lab", "recheck"))},
            result TEXT NOT NULL CHECK {one_of("result", ("negative", "positive", "refused", "evaded", "invalid"))},
            substances TEXT NOT NULL DEFAULT '[]',
            sample_number TEXT,
            place TEXT,
            tester TEXT,
            notes TEXT,
            forced INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX drug_tests_natural ON drug_tests (case_id, tested_on, specimen, result)")
    db.execute("CREATE INDEX drug_tests_by_date ON drug_tests (tested_on, specimen, result, case_id)")
    db.execute(
        """
        CREATE TABLE leaves (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases (id),
            kind TEXT NOT NULL CHECK (kind IN ('reported', 'unreported')),
            left_on TEXT NOT NULL,
            return_due TEXT,
            returned_on TEXT,
            days INTEGER CHECK (days IS NULL OR days >= 1),
            destination TEXT,
            reason TEXT,
            approved_by TEXT,
            notes TEXT,
            forced INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX leaves_case ON leaves (case_id, left_on)")
    db.execute(
        """
        CREATE TABLE police_reports (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases (id),
            reported_on TEXT NOT NULL,
            matter TEXT,
            reference TEXT,
            notes TEXT,
            created_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX police_reports_case ON police_reports (case_id, reported_on)")


@step
def m003_due_list(db) -> None:
    # one case's own urine-test cadence (R13), e.g. "1m" for a high-risk person
    db.execute("ALTER TABLE cases ADD COLUMN test_every TEXT")
    # the few tests that raise flags (R7, R8), found without reading the negative ones
    db.execute(f"CREATE INDEX drug_tests_flagged ON drug_tests (case_id, result) WHERE {FLAGGED}")
    db.execute(
        """
        CREATE TABLE draws (
            id INTEGER PRIMARY KEY,
            drawn_on TEXT NOT NULL,
            seed INTEGER NOT NULL,
            street TEXT,
            pool_size INTEGER NOT NULL,
            count INTEGER NOT NULL,
            pool_digest TEXT NOT NULL,
            case_ids TEXT NOT NULL,
            operator TEXT NOT NULL,
            created_at TEXT NOT NULL
        ) STRICT
        """
    )


@step
def m004_import_ledger(db) -> None:
    db.execute(
        """
        CREATE TABLE import_files (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('cases', 'visits', 'tests')),
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            sheet TEXT NOT NULL DEFAULT '',
            encoding TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            rows_read INTEGER NOT NULL,
            inserted INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            unchanged INTEGER NOT NULL,
            rejected INTEGER NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX import_files_sha ON import_files (sha256)")
    db.execute("ALTER TABLE visits ADD COLUMN import_id INTEGER REFERENCES import_files (id)")
    db.execute("ALTER TABLE drug_tests ADD COLUMN import_id INTEGER REFERENCES import_files (id)")
    db.execute("ALTER TABLE cases ADD COLUMN import_id INTEGER REFERENCES import_files (id)")


# the tables whose rows the due list is worked out from, and the case id column of each
DUE_SOURCES = {"cases": "id", "status_changes": "case_id", "drug_tests": "case_id", "visits": "case_id",
               "leaves": "case_id", "police_reports": "case_id"}


@step
def m005_due_items(db) -> None:
    """The due list kept worked out (domain/due.py): each case's next date for every item,
    recomputed for the cases whose records changed since.

    A change to a case, its status history, absences or police reports marks the case by trigger.
    Tests and visits, which arrive by the hundred thousand in imports, are not slowed by a trigger
    on insert (one measured 8 µs a row): rows with an id above the last one seen (`tests_seen`,
    `visits_seen`) are the new ones. Their corrections and deletions mark the case, and a deletion
    moves the mark back so that a reused id is seen."""
    db.execute(
        """
        CREATE TABLE due_items (
            listed_on TEXT NOT NULL,
            case_id INTEGER NOT NULL,
            item TEXT NOT NULL,
            seq INTEGER NOT NULL,
            sort_key TEXT NOT NULL,
            due_on TEXT NOT NULL,
            rule TEXT NOT NULL,
            reason TEXT NOT NULL,
            late_from TEXT,
            reason_late TEXT,
            id_number TEXT NOT NULL,
            name TEXT NOT NULL,
            street TEXT NOT NULL,
            worker TEXT,
            risk_level TEXT,
            PRIMARY KEY (listed_on, case_id, item, seq)
        ) STRICT, WITHOUT ROWID
        """
    )
    # stored in the order the list is read (by the day an item is listed), with what is shown of
    # the person: the list of a district is one range of the table. `seq` numbers a case's items
    # of one kind due on one day (police_report: one for each flag not yet reported).
    db.execute("CREATE INDEX due_items_case ON due_items (case_id)")
    # the flagged tests with their dates, read without visiting the table (police_report)
    db.execute("DROP INDEX drug_tests_flagged")
    db.execute(f"CREATE INDEX drug_tests_flagged ON drug_tests (case_id, result, tested_on) WHERE {FLAGGED}")
    db.execute("CREATE TABLE due_dirty (case_id INTEGER PRIMARY KEY) STRICT")
    db.execute(
        """
        CREATE TABLE due_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            fingerprint TEXT,
            tests_seen INTEGER NOT NULL DEFAULT 0,
            visits_seen INTEGER NOT NULL DEFAULT 0
        ) STRICT
        """
    )
    db.execute("INSERT INTO due_state (id) VALUES (1)")
    mark = "INSERT OR IGNORE INTO due_dirty (case_id) VALUES"
    for table, column in DUE_SOURCES.items():
        events = ["UPDATE", "DELETE"] if table in ("drug_tests", "visits") else ["INSERT", "UPDATE", "DELETE"]
        for event in events:
            body = []
            if event != "DELETE":
                body.append(f"{mark} (NEW.{column});")
            if event != "INSERT":
                body.append(f"{mark} (OLD.{column});")
            if event == "DELETE" and table in ("drug_tests", "visits"):
                seen = "tests_seen" if table == "drug_tests" else "visits_seen"
                body.append(f"UPDATE due_state SET {seen} = OLD.id - 1 WHERE {seen} >= OLD.id;")
            db.execute(f"CREATE TRIGGER due_mark_{table}_{event.lower()} AFTER {event} ON {table}"
                       f" BEGIN {' '.join(body)} END")


@step
def m006_due_items_as_shown(db) -> None:
    """The kept due list also holds what its lines show, measured once when an item is kept: the
    due day as a day number, the masked ID number, and the width in terminal columns of each
    Chinese text, so that SQLite lays out a district's list (domain/layout.py). The table holds
    only what follows from the records: it is emptied, and the next `jindu due` fills it again.
    And an index of the status changes that begin or end a 中止, the latest of which `jindu due`
    reads every time."""
    db.execute("DROP TABLE due_items")
    db.execute(
        """
        CREATE TABLE due_items (
            listed_on TEXT NOT NULL,
            case_id INTEGER NOT NULL,
            item TEXT NOT NULL,
            seq INTEGER NOT NULL,
            sort_key TEXT NOT NULL,
            due_on TEXT NOT NULL,
            due_day INTEGER NOT NULL,
            rule TEXT NOT NULL,
            reason TEXT NOT NULL,
            reason_w INTEGER NOT NULL,
            late_from TEXT,
            reason_late TEXT,
            reason_late_w INTEGER,
            id_number TEXT NOT NULL,
            id_masked TEXT NOT NULL,
            name TEXT NOT NULL,
            name_w INTEGER NOT NULL,
            street TEXT NOT NULL,
            street_w INTEGER NOT NULL,
            worker TEXT,
            worker_w INTEGER NOT NULL,
            risk_level TEXT,
            PRIMARY KEY (listed_on, case_id, item, seq)
        ) STRICT, WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX due_items_case ON due_items (case_id)")
    # partial, so that it costs nothing on the other status changes, and is never the index an
    # import's look-ups by status pick (see test_storage_db)
    db.execute(f"CREATE INDEX status_changes_suspension ON status_changes (changed_on) WHERE {SUSPENSION_CHANGE}")
    db.execute("DELETE FROM due_dirty")
    db.execute("UPDATE due_state SET fingerprint = NULL")


@step
def m007_status_at_a_date(db) -> None:
    """A person's status on a date is the latest status change by then: the index of a case's
    status changes also holds their order and the status, so that SQLite finds it in the index
    alone (a report reads it for every person, twice over), with no look-up in the table."""
    db.execute("DROP INDEX status_changes_case")
    # id, the rowid, written out so that the index is in the order "latest by then" asks for
    db.execute("CREATE INDEX status_changes_case ON status_changes (case_id, changed_on, id, status)")


@step
def m008_due_lines_laid_out_ahead(db) -> None:
    """The kept due list also holds each line's leading columns laid out (domain/due.py: `head`,
    the person, the item and its date, padded to the widths in `due_state.head_layout`), so
    that SQLite pads only what depends on the day. The table holds only what follows from the
    records: the next `jindu due` fills it again."""
    db.execute("ALTER TABLE due_items ADD COLUMN head TEXT")
    db.execute("ALTER TABLE due_state ADD COLUMN head_layout TEXT")
    db.execute("DELETE FROM due_items")
    db.execute("DELETE FROM due_dirty")
    db.execute("UPDATE due_state SET fingerprint = NULL")


@step
def m009_due_list_worked_out(db) -> None:
    """The due list is worked out from the records each time it is asked for (domain/due.py):
    the kept list, its marks and its triggers go. The failed contacts (R22) get an index of their
    own, so that they are read without the visits that saw the person."""
    for table, _ in DUE_SOURCES.items():
        for event in ("insert", "update", "delete"):
            db.execute(f"DROP TRIGGER IF EXISTS due_mark_{table}_{event}")
    for table in ("due_items", "due_dirty", "due_state"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    db.execute("CREATE INDEX visits_failed ON visits (case_id, visited_on) WHERE outcome != 'seen'")


@step
def m010_the_law_completed(db) -> None:
    """What domain.md §9.6-9.14 decide: a phone call has the outcomes of a call (已接通, 未接通: the
    calls recorded as 见到本人 or 未见到本人 become them); a late 报到's good reason; an unannounced
    test (R12); the changes of 执行地 (R4); the answer to a hair positive that cannot show use during
    the measure (§9.8)."""
    # a CHECK cannot change in place: the visits are copied into a table with the new one
    outcomes = one_of("outcome", ("seen", "not_seen", "refused", "reached", "unreached"))
    db.execute(
        f"""
        CREATE TABLE visits_new (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases (id),
            visited_on TEXT NOT NULL,
            kind TEXT NOT NULL CHECK {one_of("kind", ("talk", "home_visit", "phone", "help", "assessment"))},
            sub_kind TEXT,
            outcome TEXT NOT NULL CHECK {outcomes},
            worker TEXT,
            place TEXT,
            notes TEXT,
            forced INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            import_id INTEGER REFERENCES import_files (id)
        ) STRICT
        """
    )
    call = ("CASE WHEN kind = 'phone' AND outcome = 'seen' THEN 'reached'"
            " WHEN kind = 'phone' AND outcome = 'not_seen' THEN 'unreached' ELSE outcome END")
    kept = "id, case_id, visited_on, kind, sub_kind, {outcome}, worker, place, notes, forced, created_at, updated_at, import_id"
    db.execute(f"INSERT INTO visits_new ({kept.format(outcome='outcome')}) SELECT {kept.format(outcome=call)} FROM visits")
    db.execute("DROP TABLE visits")
    db.execute("ALTER TABLE visits_new RENAME TO visits")
    db.execute("CREATE UNIQUE INDEX visits_natural ON visits (case_id, visited_on, kind)")
    db.execute("CREATE INDEX visits_by_date ON visits (visited_on, kind, outcome, case_id)")
    db.execute(f"CREATE INDEX visits_failed ON visits (case_id, visited_on) WHERE {FAILED_CONTACT}")
    db.execute("ALTER TABLE cases ADD COLUMN late_reason TEXT")
    db.execute("ALTER TABLE drug_tests ADD COLUMN unannounced INTEGER NOT NULL DEFAULT 0")
    db.execute(
        """
        CREATE TABLE transfers (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases (id),
            moved_on TEXT NOT NULL,
            from_street TEXT NOT NULL,
            to_street TEXT NOT NULL,
            reason TEXT,
            reported_on TEXT,
            agreement_on TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX transfers_case ON transfers (case_id, moved_on)")
    db.execute(
        """
        CREATE TABLE hair_reviews (
            id INTEGER PRIMARY KEY,
            test_id INTEGER NOT NULL UNIQUE REFERENCES drug_tests (id),
            case_id INTEGER NOT NULL REFERENCES cases (id),
            answer TEXT NOT NULL CHECK (answer = 'confirmed' OR answer = 'dismissed'),
            reason TEXT,
            answered_on TEXT NOT NULL,
            created_at TEXT NOT NULL
        ) STRICT
        """
    )


# the kinds of file the ledger of imported files takes (the registers and logs, and issue 26's ledgers)
IMPORT_KINDS = ("cases", "visits", "tests", "activities", "screenings")


@step
def m011_the_rest_of_the_month(db) -> None:
    """The rest of a 禁毒专干's month: 禁毒宣传 and 入户调查 (activities), screening sessions of groups
    outside the register and the positives handed to the police from them (referrals), what a 帮扶
    achieved (on the visit), and the ledgers of both kinds of session as imported files."""
    db.execute(
        f"""
        CREATE TABLE activities (
            id INTEGER PRIMARY KEY,
            held_on TEXT NOT NULL,
            category TEXT NOT NULL CHECK {one_of("category", ("publicity", "survey"))},
            kind TEXT NOT NULL,
            title TEXT,
            street TEXT NOT NULL,
            community TEXT,
            place TEXT,
            audience TEXT NOT NULL DEFAULT '[]',
            participants INTEGER CHECK (participants >= 0),
            materials INTEGER CHECK (materials >= 0),
            households INTEGER CHECK (households >= 0),
            clues INTEGER CHECK (clues >= 0),
            clues_referred INTEGER CHECK (clues_referred >= 0 AND clues_referred <= clues),
            partners TEXT,
            worker TEXT,
            notes TEXT,
            import_id INTEGER REFERENCES import_files (id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT
        """
    )
    # one activity of a kind, a name and a place on one day in one street (a ledger sent again, or a
    # month's ledger and the quarter's that repeats it, adds nothing)
    db.execute("CREATE UNIQUE INDEX activities_natural ON activities"
               " (held_on, street, kind, coalesce(title, ''), coalesce(place, ''))")
    db.execute(
        """
        CREATE TABLE screenings (
            id INTEGER PRIMARY KEY,
            screened_on TEXT NOT NULL,
            street TEXT NOT NULL,
            community TEXT,
            place TEXT,
            screened_group TEXT NOT NULL,
            specimen TEXT NOT NULL CHECK (specimen IN ('urine', 'hair', 'blood', 'saliva')),
            tested INTEGER NOT NULL CHECK (tested >= 1),
            positives INTEGER NOT NULL DEFAULT 0 CHECK (positives >= 0 AND positives <= tested),
            organiser TEXT,
            worker TEXT,
            notes TEXT,
            import_id INTEGER REFERENCES import_files (id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX screenings_natural ON screenings"
               " (screened_on, street, screened_group, coalesce(place, ''))")
    db.execute(
        """
        CREATE TABLE screening_referrals (
            id INTEGER PRIMARY KEY,
            screening_id INTEGER NOT NULL REFERENCES screenings (id),
            id_number TEXT NOT NULL,
            name TEXT NOT NULL,
            referred_on TEXT NOT NULL,
            police_unit TEXT,
            notes TEXT,
            case_id INTEGER REFERENCES cases (id),
            created_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX screening_referrals_natural ON screening_referrals (screening_id, id_number)")
    db.execute("CREATE INDEX screening_referrals_id_number ON screening_referrals (id_number)")
    db.execute("ALTER TABLE visits ADD COLUMN placed INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE visits ADD COLUMN aid_granted INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE visits ADD COLUMN aid_amount INTEGER CHECK (aid_amount >= 0)")  # 元
    db.execute("ALTER TABLE visits ADD COLUMN referred_to TEXT")
    # import_files' CHECK on its kind takes the two new ledgers. It is the parent of three tables'
    # import_id: copied into a new table it could only be dropped with foreign keys off, which cannot
    # be switched inside the migration's transaction. SQLite's documented way to loosen a CHECK
    # (lang_altertable.html, "other kinds of table schema changes") rewrites its text in place;
    # every row kept satisfies the wider one.
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    db.execute("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'import_files'",
               ["CHECK (kind IN ('cases', 'visits', 'tests'))",
                f"CHECK (kind IN ({', '.join(repr(k) for k in IMPORT_KINDS)}))"])
    db.execute(f"PRAGMA schema_version = {version + 1}")
    db.execute("PRAGMA writable_schema = OFF")
    kept = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'import_files'").fetchone()[0]
    if "'activities'" not in kept:  # (the text was not as m004 wrote it: never go on with the old CHECK)
        raise RuntimeError("import_files: CHECK (kind IN ...) not found as m004 wrote it")


# m012 follows m011 (the activity and screening records, added by a change made at the same time)
@step
def m012_import_folder(db) -> None:
    """The folder each imported file was read from (`import log` shows it); files imported before
    this step have none."""
    db.execute("ALTER TABLE import_files ADD COLUMN folder TEXT")
