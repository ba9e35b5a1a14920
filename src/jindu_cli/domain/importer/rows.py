"""Converting and writing a file's rows: walking them in batches, turning what goes wrong into
rejected rows, and the fast path of a visit or test log, inserted in batches with its secondary
indexes rebuilt when that is cheaper."""

from __future__ import annotations

import contextlib
import functools
import gc
import operator
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date

from jindu_cli.domain import audit
from jindu_cli.domain.people import Case
from jindu_cli.domain.importer.headers import export_headers
from jindu_cli.domain.importer.people import People, Person
from jindu_cli.domain.importer.report import Options, Rejected, Report, RowProblem
from jindu_cli.domain.importer.sources import Source
from jindu_cli.domain.importer.values import Memo, as_id, cell_text, check_damage, damaged, joined, masked, same_name
from jindu_cli.domain.records import window_problems
from jindu_cli.domain.text import clean_text
from jindu_cli.errors import InvalidInput, JinduError
from jindu_cli.storage.db import set_cache_kib

# rows converted and inserted at a time: a larger batch goes into the indexes in longer sorted runs
# (25,000: a 500,000-row log 10 % faster than 10,000; 50,000 took the 2.3-million-row log past 200 MB)
BATCH = 25_000
REBUILD_MIN = 50_000  # rows below which an import never rebuilds indexes
CACHE_KIB, REBUILD_CACHE_KIB = 32 * 1024, 8 * 1024  # SQLite's page cache while importing rows, and rebuilding


def _labels_to_fields() -> dict[str, str]:
    """The field a message of the register's, a visit's or a test's own checks names by its label."""
    from jindu_cli.domain import drug_tests, visits
    from jindu_cli.domain.people import LABELS

    out = {label: name for labels in (drug_tests.LABELS, visits.LABELS, LABELS) for name, label in labels.items()}
    out.update({"性别": "sex", "出生日期": "birth_date", "措施": "measure", "风险等级": "risk_level"})
    return out


_FIELD_OF_LABEL = _labels_to_fields()


@contextlib.contextmanager
def _no_collector_passes() -> Iterator[None]:
    """Visit and test rows make no reference cycles (refcounting frees them, and the exceptions of
    bad values are raised without a traceback that points back at them), but a million rows of
    small lists and tuples set off the cycle collector's passes over every object held: about a
    fifth of a large import's time. They wait until the rows are done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Rows:
    """Shared by the three kinds: walk the rows, `batch` at a time, turn problems into rejected rows.
    (`rebuild_min`: see import_file.)"""

    kind = ""

    def __init__(self, conn, opts: Options, report: Report, columns: dict[str, int], header: list[str],
                 ledger_id: int, on_error, batch: int = BATCH, rebuild_min: int = REBUILD_MIN):
        self.conn, self.opts, self.report, self.columns = conn, opts, report, columns
        self.header, self.ledger_id, self.on_error = header, ledger_id, on_error
        self.batch, self.rebuild_min = batch, rebuild_min
        self.labels = export_headers(self.kind)

    def cell(self, cells: list, name: str):
        index = self.columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    def run(self, source: Source, progress) -> None:
        for batch in self.batches(source):
            self.flush(batch)
            if progress:
                progress(source.position(), source.size)
        if progress:
            progress(source.size, source.size)

    def batches(self, source: Source) -> Iterator[list[tuple[int, list]]]:
        """The rows that are not blank, `self.batch` at a time, counted as they are read."""
        batch: list[tuple[int, list]] = []
        for number, cells in source.rows:
            try:
                blank = not "".join(cells).strip()
            except TypeError:  # an .xlsx row
                blank = not any(cell_text(c) for c in cells)
            if blank:
                continue  # blank rows are skipped
            self.report.rows += 1
            batch.append((number, cells))
            if len(batch) >= self.batch:
                yield batch
                batch = []
        if batch:
            yield batch

    def flush(self, batch: list[tuple[int, list]]) -> None:
        raise NotImplementedError

    def problem(self, number: int, cells: list, exc: Exception) -> None:
        if note_line(cells):  # not a row of data that went wrong: the form's own line
            self.report.rows -= 1
            self.report.note_lines += 1
            return
        outside = unregistered = False
        if isinstance(exc, RowProblem):
            name, value, reason, outside = exc.field, exc.value, exc.reason, exc.outside_measure
            unregistered = exc.unregistered
        elif isinstance(exc, InvalidInput):
            name = _FIELD_OF_LABEL.get(exc.field, "")
            value = cell_text(self.cell(cells, name)) if name else ""
            reason = exc.reason if name in self.columns else f"{exc.field}：{exc.reason}"
        elif isinstance(exc, JinduError):
            name, value, reason = "", "", exc.message
        else:
            name, value, reason = "", "", f"无法处理这一行（{type(exc).__name__}）"
        column = self.header[self.columns[name]] if name in self.columns else ""
        typed = cell_text(self.cell(cells, "id_number")).upper()
        rejected = Rejected(number, column, masked(name, value), reason, outside, unregistered,
                            typed if len(typed) == 18 and typed[:17].isdigit() else "")
        self.report.reject(rejected)
        if self.on_error:
            self.on_error(cells, rejected, self.header)

    def window(self, case: Case, day: date, field: str, raw, forced: bool) -> list[str]:
        problems = window_problems(case, day, self.opts.as_of)
        if problems and not forced:
            # (a date after today is a mistake to correct, not a record to force in)
            raise RowProblem(field, cell_text(raw), "；".join(problems), outside_measure=day <= self.opts.as_of)
        return problems

    def forced(self, cells: list) -> bool:
        return cell_text(self.cell(cells, "forced")) in ("是", "true", "1", "yes", "强制")


# how the lines a form carries under (or between) its rows begin: who filled it in, the totals
NOTE_WORDS = ("填表人", "填报人", "制表人", "审核人", "审批人", "负责人", "联系人", "联系电话", "填表日期", "填报日期",
              "制表日期", "合计", "总计", "小计", "备注", "说明", "注:")


def note_line(cells: list) -> bool:
    """A line of the form rather than a row of data: its first cell that is not empty begins with
    one of NOTE_WORDS (填表人：张三, 合计：12 人), and no cell holds an ID's run of 15 digits or more.
    Only a row that failed conversion is asked, so a good row never pays for this."""
    texts = [cell_text(c) for c in cells]
    first = next((t for t in texts if t), "")
    return (unicodedata.normalize("NFKC", first).replace(" ", "").startswith(NOTE_WORDS)
            and not re.search(r"\d{15}", "".join(texts)))


class Slow(Exception):
    """A row the fast path leaves to the full conversion."""


class RecordRows(Rows):
    """Visits and tests: converted with remembered parsers, inserted in batches.

    This is the hot loop of a million-row import, written for speed. Every row is padded with
    one empty cell past its last column, and a column the file lacks points at that cell. A row
    all of whose values were seen (and found good) before takes the fast path of `convert_all`:
    a few dictionary look-ups. Any other row goes through `convert`, with every check and
    message. Both give the same row; tests compare them."""

    table = entity = ""
    COLUMNS: tuple[str, ...] = ()  # the table's columns a row fills, before forced, import_id, created_at, updated_at
    ABSENT: dict[str, object] = {}  # what a column the file lacks gives every row
    TEXTS = (("worker", 100), ("place", 100), ("tester", 100), ("sample_number", 100), ("notes", 2000))

    def __init__(self, *args, **sizes):
        super().__init__(*args, **sizes)
        self.people = People(self.conn, self.opts.as_of)
        self.width = len(self.header)
        self.ix = {name: self.columns.get(name, self.width) for name in export_headers(self.kind)}
        self.id_number = Memo(as_id, "id_number", 250_000)
        # notes are mostly unique: remembering them would only take memory
        self.texts = {name: Memo(functools.partial(self._clean, name, limit), name,
                                 0 if name == "notes" else 20_000, empty=None)
                      for name, limit in self.TEXTS}
        self.suspect: Callable[[], bool] = lambda: True
        # the columns every row brings go in as parameters; the rest are the same for all rows
        self.bound = [i for i, name in enumerate(self.COLUMNS) if name not in self.ABSENT or name in self.columns]
        self.pick = operator.itemgetter(*self.bound)
        self.dropped: list[tuple[str, str]] | None = None
        self.existing = _max_id(self.conn, self.table)

    def _clean(self, name: str, limit: int, raw) -> str | None:
        return clean_text(cell_text(raw), self.labels.get(name, name), limit)

    def get(self, cells: list, name: str):
        return cells[self.ix[name]]

    def needed(self, cells: list, name: str, parse: Callable):
        raw = cells[self.ix[name]]
        if raw == "" or raw is None:
            raise RowProblem(name, "", "不能为空")
        return parse(raw)

    def text(self, cells: list, name: str) -> str | None:
        raw = cells[self.ix[name]]
        return None if raw == "" or raw is None else self.texts[name](raw)

    def person_of(self, cells: list) -> Person:
        raw = cells[self.ix["id_number"]]
        if raw == "" or raw is None:
            raise RowProblem("id_number", "", "不能为空")
        case = self.people.get(self.id_number(raw))
        if case is None:
            raise RowProblem("id_number", cell_text(raw),
                             "这个身份证号不在登记表中：请先导入或登记这个人（jindu import cases）", unregistered=True)
        if type(raw) is str:
            self.people.by_cell[raw] = case  # (an ID written otherwise than in the register: its next rows are fast)
        name = cells[self.ix["name"]]
        if name and name != case.name and not same_name(name, case.name):
            raise RowProblem("name", cell_text(name), f"与登记表中这个身份证号的姓名“{case.name}”不符")
        return case

    def in_window(self, person: Person, day: date, field: str, cells: list) -> list[str]:
        """The window guards: most rows fall inside their person's plain bounds."""
        if person.plain and person.lo is not None and person.lo <= day <= person.hi:
            return []
        return self.window(self.people.case(person), day, field, self.get(cells, field), self.forced(cells))

    def forced(self, cells: list) -> bool:
        return cell_text(cells[self.ix["forced"]]) in ("是", "true", "1", "yes", "强制")

    def run(self, source: Source, progress) -> None:
        self.suspect = source.suspect
        with _no_collector_passes():
            super().run(source, progress)
        self.people = People(self.conn, self.opts.as_of)  # let the rows' people go before SQLite sorts indexes
        self.restore_indexes()

    def convert(self, cells: list) -> tuple:
        """(person, window problems overridden, the row: COLUMNS then forced, import_id, created_at, updated_at)."""
        raise NotImplementedError

    def quick_reader(self) -> Callable[[list], tuple] | None:
        """The fast path: a function giving a row's COLUMNS from the values seen before, raising Slow
        (or KeyError, RowProblem) for a row to convert in full; None: every row in full."""
        return None

    def convert_all(self, batch: list[tuple[int, list]], plain: list, forced: list) -> None:
        quick, pick, slow = self.quick_reader(), self.pick, self.convert_one
        if quick is None:
            for number, cells in batch:
                slow(number, cells, plain, forced)
            return
        for number, cells in batch:
            try:
                row = quick(cells)
            except (KeyError, RowProblem, Slow):
                slow(number, cells, plain, forced)
            else:
                plain.append(pick(row))

    def person_and_day(self, date_field: str) -> Callable[[list], tuple[Person, date]]:
        """For the fast path: a row's person (by a 身份证号 seen before, its 姓名 the same or empty) and
        day (a date not seen before, and a district's log holds thousands, read where it is met), or
        Slow for a row that may be damaged or whose day is outside the person's measure."""
        suspect, people, days, new_day = self.suspect(), self.people.by_cell, self.day.good, self.day
        i_id, i_name, i_day = self.ix["id_number"], self.ix["name"], self.ix[date_field]

        def person_of(cells: list) -> tuple[Person, date]:
            if suspect and damaged(joined(cells)):
                raise Slow
            person = people[cells[i_id]]
            name = cells[i_name]
            if name and name != person.name:
                raise Slow
            try:
                day = days[cells[i_day]]
            except KeyError:
                day = new_day(cells[i_day])
            span = person.span
            if span is None or not span[0] <= day <= span[1]:
                raise Slow
            return person, day
        return person_of

    def convert_one(self, number: int, cells: list, plain: list, forced: list) -> None:
        """The full conversion of one row: every check, every message."""
        try:
            check_damage(cells)
            case, overridden, row = self.convert(cells)
        except Exception as exc:  # noqa: BLE001 - every failure of a row is that row's problem
            self.problem(number, cells, exc)
            return
        if overridden:
            forced.append((case.id, overridden, row))
        else:
            plain.append(self.pick(row))

    def flush(self, batch) -> None:
        """Convert a batch and insert it: the plain rows, and the rows forced in past a window guard
        as (case id, problems overridden, row). Bad rows are reported as they are met."""
        blanks = [""] * (self.width + 1)
        for _, cells in batch:
            cells += blanks[len(cells):]
        if not self.people.whole:  # (once it is, everyone's ID as registered is in by_cell)
            index = self.ix["id_number"]
            self.people.look_up({cells[index] for _, cells in batch}, self.id_number)
        self.now = audit.utc_now()
        plain: list[tuple] = []
        forced: list[tuple] = []
        self.convert_all(batch, plain, forced)
        self.write(self.now, plain, forced)

    def write(self, now: str, plain: list[tuple], forced: list[tuple]) -> None:
        """Insert a converted batch; a row already there is counted unchanged."""
        self.make_room()
        sql = (f"INSERT OR IGNORE INTO {self.table} ({', '.join(self.COLUMNS)}, forced, import_id, created_at,"
               f" updated_at) VALUES ")
        constants = [_literal(self.ABSENT[name]) if i not in self.bound else "?" for i, name in enumerate(self.COLUMNS)]
        before = self.conn.total_changes
        # by person, the natural-key index's first column: neighbouring rows touch neighbouring pages
        plain.sort(key=_by_person)
        self.conn.executemany(sql + f"({', '.join(constants)}, 0, {_literal(self.ledger_id)},"
                                    f" {_literal(now)}, {_literal(now)})", plain)
        inserted = self.conn.total_changes - before
        for case_id, overridden, row in forced:
            cur = self.conn.execute(sql + f"({', '.join('?' for _ in row)})", row)
            if cur.rowcount:  # forced in through the window guard: each one audited
                inserted += 1
                audit.record(self.conn, self.opts.operator, "add", self.entity, cur.lastrowid, case_id,
                             {"import_id": self.ledger_id, "forced": overridden})
        self.report.inserted += inserted
        self.report.unchanged += len(plain) + len(forced) - inserted

    def make_room(self) -> None:
        """Once a file has brought more rows than the table held, building the secondary indexes
        afresh at the end is cheaper than updating them row by row: drop them, in this transaction,
        so a crash or a rollback leaves them as they were. The unique index stays: it de-duplicates."""
        if self.dropped is not None or self.opts.dry_run or self.report.rows < max(self.rebuild_min, self.existing):
            return
        self.dropped = secondary_indexes(self.conn, self.table)
        for name, _ in self.dropped:
            self.conn.execute(f'DROP INDEX "{name}"')

    def restore_indexes(self) -> None:
        if self.dropped:
            # CREATE INDEX sorts in as much memory as the page cache holds: with a small cache the
            # rebuild stays within the memory the rows took, and took about as long when measured
            set_cache_kib(self.conn, REBUILD_CACHE_KIB)
        for _, sql in self.dropped or ():
            self.conn.execute(sql)
        self.dropped = None


_by_person = operator.itemgetter(0)


def _max_id(conn: sqlite3.Connection, table: str) -> int:
    """The table's largest id: at least its number of rows, found without counting them."""
    return conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0


def secondary_indexes(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes made by CREATE INDEX on `table` that are not unique."""
    made = {row[1] for row in conn.execute(f"PRAGMA index_list({table})") if row[2] == 0 and row[3] == "c"}
    return [(name, sql) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
        [table]) if name in made]


def _literal(value) -> str:
    """A value written into SQL: the constants of one batch, made by jindu itself."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"
