"""Import the registers, visit logs and test logs street offices send: CSV in UTF-8 (with or
without BOM), GB18030/GBK or UTF-16, or .xlsx; headers that vary; values the way spreadsheets leave
them. Every good row goes in, every bad row is reported with its line, column, value and reason,
and nothing is imported twice.

A file is read twice as a stream (to fingerprint and check its encoding, then to import it), so
a file of millions of rows never sits in memory. All of a file's rows go in one transaction:
a crash or a kill leaves the database as it was before that file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import gc
import hashlib
import io
import itertools
import json
import operator
import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from jindu_cli.domain import audit, reference
from jindu_cli.domain.cases import Case
from jindu_cli.domain.dates import add_months, from_iso, parse_date
from jindu_cli.domain.enums import (
    ASSESSMENT_KIND, CLOSED_STATUSES, HELP_KIND, MEASURE, METHOD, OUTCOME, RESULT, RISK, SPECIMEN, STATUS,
    VISIT_KIND,
)
from jindu_cli.domain.ids import mask_id, mask_phone, parse_id_number
from jindu_cli.domain.records import window_problems
from jindu_cli.domain.text import FORMULA_START, clean_name, clean_text, without_invisible
from jindu_cli.errors import InvalidInput, JinduError
from jindu_cli.storage.db import atomic, set_cache_kib

KINDS = ("cases", "visits", "tests")
KIND_LABELS = {"cases": "登记表", "visits": "走访记录", "tests": "检测记录"}
REQUIRED = {
    "cases": ("id_number", "name", "street", "measure"),
    "visits": ("id_number", "visited_on", "kind"),
    "tests": ("id_number", "tested_on", "specimen", "result"),
}
# rows converted and inserted at a time: a larger batch goes into the indexes in longer sorted runs
# (25,000: a 500,000-row log 10 % faster than 10,000; 50,000 took the 2.3-million-row log past 200 MB)
BATCH = 25_000
KEEP_ERRORS = 1000  # rejected rows kept for the report; all of them go to --errors
csv.field_size_limit(16 * 1024 * 1024)


class FileProblem(JinduError):
    """The whole file cannot be imported (nothing of it was written)."""


class RowProblem(Exception):
    """A row refused: the field, its value and why. `outside_measure`: refused only for a date
    outside the person's measure, which a 强制记录 cell of 是 lets in."""

    def __init__(self, field: str, value: str, reason: str, outside_measure: bool = False,
                 unregistered: bool = False):
        super().__init__(reason)
        self.field = field
        self.value = value
        self.reason = reason
        self.outside_measure = outside_measure
        self.unregistered = unregistered  # a good ID of no one in the register


@dataclass
class Rejected:
    line: int
    column: str
    value: str
    reason: str
    outside_measure: bool = False
    unregistered: bool = False  # refused only because the register has no such person
    # the 18-character ID the row was refused for, as typed: never shown (the value is masked), only
    # matched across the files of one run (a log's unknown person, the register's refused row)
    typed_id: str = ""

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class Report:
    file: str
    kind: str
    encoding: str = ""
    sha256: str = ""
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    outside_measure: int = 0  # of the rejected rows, those refused only for a date outside the measure
    status: str = "imported"  # imported, duplicate, dry_run, strict_failed, failed
    message: str = ""
    unknown_columns: list[str] = field(default_factory=list)
    sheet: str = ""  # of an .xlsx file, the sheet read
    header_line: int = 0  # the line (of a CSV; the row of a sheet) the column names were read from
    above_header: int = 0  # rows that are not blank above it (a title, 填报单位...): not imported
    note_lines: int = 0  # the form's own lines among the rows (填表人：…, 合计): not imported, not counted in rows
    refused_before: int = 0  # of a repeat, the rows its last import refused
    updated_fields: Counter = field(default_factory=Counter)  # of a register: field -> people it changed for
    errors: list[Rejected] = field(default_factory=list)
    ledger_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("imported", "duplicate", "dry_run") and self.rejected == 0

    @property
    def all_in(self) -> bool:
        """Every row of the file is in the database: imported now without a refusal, or a repeat of
        an import that refused none."""
        return self.status == "imported" and self.rejected == 0 or self.status == "duplicate" and not self.refused_before

    def reject(self, problem: Rejected) -> None:
        self.rejected += 1
        self.outside_measure += problem.outside_measure
        if len(self.errors) < KEEP_ERRORS:
            self.errors.append(problem)

    def as_dict(self) -> dict:
        return {"file": self.file, "encoding": self.encoding, "rows": self.rows, "inserted": self.inserted,
                "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected,
                "outside_measure": self.outside_measure,
                "kind": self.kind, "status": self.status, "message": self.message, "sha256": self.sha256,
                "unknown_columns": self.unknown_columns, "sheet": self.sheet, "header_line": self.header_line,
                "above_header": self.above_header, "note_lines": self.note_lines,
                "updated_fields": dict(self.updated_fields.most_common()), "ledger_id": self.ledger_id,
                "errors": [e.as_dict() for e in self.errors]}


# --- reading files ------------------------------------------------------------------------

@dataclass
class Source:
    encoding: str
    sheet: str
    header: list[str]
    header_line: int
    rows: Iterator[tuple[int, list]]
    size: int  # what position() counts to: bytes of a text file, rows of a sheet
    position: Callable[[], int]
    close: Callable[[], None]
    suspect: Callable[[], bool]  # may a row read so far hold U+FFFD or NUL?
    above: int = 0  # rows that are not blank above the column names (a title): not imported


def fingerprint(path: Path) -> tuple[str, int, dict]:
    """SHA-256, size, and what the bytes say about the encoding, in one streaming pass."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, tail_cut, head, size, nul = True, False, b"", 0, 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            if not head:
                head = chunk[:8192]
            size += len(chunk)
            digest.update(chunk)
            nul += chunk.count(b"\x00")
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
        if utf8_ok:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                tail_cut = True  # a multibyte character cut off at the very end
    return digest.hexdigest(), size, {"utf8": utf8_ok, "tail_cut": tail_cut, "head": head, "nul": nul}


def choose_encoding(facts: dict, forced: str | None) -> tuple[str, str]:
    """(codec, name shown to the clerk)."""
    head = facts["head"]
    if forced:
        try:
            codecs.lookup(forced)
        except LookupError:
            raise InvalidInput("--encoding", f"“{forced}”不是可用的编码，可写 utf-8、gb18030、gbk") from None
        return forced, f"{forced}（指定）"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8（带 BOM）"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", "UTF-16"
    if facts["utf8"]:
        return "utf-8", "UTF-8"
    return "gb18030", "GB18030/GBK"


def _text_rows(path: Path, codec: str) -> tuple[Iterator[tuple[int, list]], Callable, Callable, Callable]:
    raw = open(path, "rb")
    sample = codecs.getincrementaldecoder(codec)(errors="replace").decode(raw.read(64 * 1024))
    raw.seek(0)
    text = _Decoded(raw, codec)
    reader = csv.reader(text, delimiter=sniff_delimiter(sample))

    def rows():
        done = 0  # the last line of the row before: a row may span lines (a quoted cell)
        try:
            for cells in reader:
                yield reader.line_num, cells
                done = reader.line_num
        except csv.Error as exc:
            raise FileProblem(_unreadable(str(exc), done + 1, reader.line_num)) from None

    return rows(), raw.tell, raw.close, text.suspect


def _unreadable(error: str, first: int, last: int) -> str:
    """What the csv module said (in English) of the row from line `first` to `last`, in Chinese."""
    if "field larger than field limit" in error:
        limit = csv.field_size_limit()
        if last > first:
            return (f"第 {first} 行起有一格超过 {limit} 个字符（到第 {last} 行还没有结束）：多半是这一格开头的引号（\"）"
                    "没有配对，把其后的行都并进了这一格；请改正这一格后再导入，这个文件一行也没有导入")
        return f"第 {first} 行有一格超过 {limit} 个字符，不像是表格的内容；请改正这一格后再导入，这个文件一行也没有导入"
    return f"第 {first} 行的格式无法解析；其后的行没有读取"


class _Decoded:
    """The lines of a file as text, with their endings (csv needs them for quoted newlines).

    A bad byte, or a character cut off at the end, becomes U+FFFD, so the row it sits in is
    reported rather than silently shortened. Lines end at \n, \r or \r\n only, also when a
    \r\n straddles two chunks. `suspect()` tells whether any text so far held U+FFFD or NUL:
    until then no row needs to be searched for them."""

    def __init__(self, raw, codec: str):
        self.raw = raw
        self.decoder = io.IncrementalNewlineDecoder(codecs.getincrementaldecoder(codec)(errors="replace"),
                                                    translate=False)
        self.seen_bad = False
        self.lines = self._lines()

    def __iter__(self):
        return self.lines

    def suspect(self) -> bool:
        return self.seen_bad

    def _chunks(self) -> Iterator[str]:
        while chunk := self.raw.read(1 << 16):
            yield self.decoder.decode(chunk)
        yield self.decoder.decode(b"", final=True)

    def _lines(self) -> Iterator[str]:
        buffer = ""
        for chunk in self._chunks():
            if not chunk:
                continue
            if "\ufffd" in chunk or "\x00" in chunk:
                self.seen_bad = True
            lines = io.StringIO(buffer + chunk, newline="").readlines()
            buffer = lines.pop() if not lines[-1].endswith(("\n", "\r")) else ""
            yield from lines
        if buffer:
            yield buffer


def sniff_delimiter(sample: str) -> str:
    """Comma, tab or semicolon: whichever splits the first lines most consistently."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delimiter in (",", "\t", ";"):
        counts = [line.count(delimiter) for line in lines]
        if not counts[0]:
            continue
        steady = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = steady * 100 + counts[0]
        if score > best_score:
            best, best_score = delimiter, score
    return best


_KEPT: dict[tuple, object] | None = None  # workbooks kept open inside keeping_workbooks()


@contextlib.contextmanager
def keeping_workbooks() -> Iterator[None]:
    """Inside, a workbook is opened once for all its sheets (looked over, then each imported), and
    closed at the end. Opening one costs more than its sheets' column names: openpyxl reads the
    shared strings, and a workbook whose sheets lack a <dimension> has every sheet read through."""
    global _KEPT
    _KEPT = {}
    try:
        yield
    finally:
        kept, _KEPT = _KEPT, None
        for book in kept.values():
            book.close()


def _workbook(path: Path):
    """(a read-only workbook, its close): kept open inside keeping_workbooks(). Raises as openpyxl does."""
    from openpyxl import load_workbook

    if _KEPT is None:
        book = load_workbook(path, read_only=True, data_only=True)
        return book, book.close
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _KEPT:
        _KEPT[key] = load_workbook(path, read_only=True, data_only=True)
    return _KEPT[key], (lambda: None)


def _xlsx_rows(path: Path, sheet: str | None):
    try:
        workbook, close = _workbook(path)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileProblem(f"无法打开这个 Excel 文件（{type(exc).__name__}）：文件可能已损坏；可在 Excel 中另存为 .xlsx 或 CSV") from None
    if sheet:
        if sheet not in workbook.sheetnames:
            close()
            raise FileProblem(f"没有名为“{sheet}”的工作表；有：{'、'.join(workbook.sheetnames)}")
        ws = workbook[sheet]
    else:
        ws = workbook.worksheets[0]

    at = [0]  # the row read last: the progress through a sheet whose rows are counted (<dimension>)
    return _sheet_rows(ws, at), (lambda: at[0]), close, ws.title, ws.max_row or 0


def _sheet_rows(ws, at: list[int] | None = None) -> Iterator[tuple[int, list]]:
    """A sheet's rows as (row number, cells), noting in `at` the number of the row read last."""
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if at is not None:
            at[0] = number
        yield number, list(values)


def open_source(path: Path, facts: dict, size: int, encoding: str | None, sheet: str | None,
                known: Callable[[list[str]], int] | None = None) -> Source:
    """The file's rows, once its column names are found: in its first row that is not blank or, with
    `known` (see header_score), in whichever of its first rows names the most known columns."""
    head = facts["head"]
    if size == 0 or not head.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise FileProblem("文件是空的")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("这是旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx 或 CSV 后再导入")
    sheet_name = ""
    if head.startswith(b"PK\x03\x04"):
        rows, position, close, sheet_name, counted = _xlsx_rows(path, sheet)
        if counted:  # the progress of a sheet is told in rows, not bytes
            size = counted
        suspect = (lambda: True)  # cells are not only text: every row is searched
        shown = "xlsx"
    else:
        if sheet:
            raise InvalidInput("--sheet", "只对 .xlsx 文件有用")
        codec, shown = choose_encoding(facts, encoding)
        sample = head.decode(codec if codec != "utf-8-sig" else "utf-8", errors="replace")
        controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n") or ch == "\ufffd")
        if facts["nul"] and not codec.startswith("utf-16") and controls > len(sample) * 0.05:
            raise FileProblem("这不是文本表格文件（内容是二进制的）；请导入 CSV 或 .xlsx")
        if not facts["utf8"] and codec == "gb18030" and controls > len(sample) * 0.05:
            raise FileProblem("无法识别文件的编码（既不是 UTF-8 也不是 GB18030/GBK）；请另存为 UTF-8 的 CSV 后再导入，"
                              "或用 --encoding 指定")
        if facts["tail_cut"]:
            shown += "，末尾有不完整的字符"
        rows, position, close, suspect = _text_rows(path, codec)
    try:
        lead = _lead(rows, known)
    except BaseException:  # (a row among the first that cannot be read: the file is not kept open)
        close()
        raise
    if not lead:
        close()
        raise FileProblem(BLANK_FILE)
    chosen, header, above = _header_row(lead, known)
    if len(lead) > chosen + 1:  # the rows read past the column names are the first rows of data
        rows = itertools.chain(lead[chosen + 1:], rows)
    return Source(shown, sheet_name, header, lead[chosen][0], rows, size, position, close, suspect, above)


HEADER_SEARCH = 10  # how many rows that are not blank may come before (and with) the column names


def _lead(rows: Iterator[tuple[int, list]], known: Callable[[list[str]], int] | None) -> list[tuple[int, list]]:
    """A file's first rows that are not blank, among which its column names are: the first alone
    without `known`, else up to HEADER_SEARCH."""
    lead: list[tuple[int, list]] = []
    for number, cells in rows:
        if any(_text(c) for c in cells):
            lead.append((number, cells))
            if known is None or len(lead) >= HEADER_SEARCH:
                break
    return lead


def _header_row(lead: list[tuple[int, list]], known: Callable[[list[str]], int] | None
                ) -> tuple[int, list[str], int]:
    """Where in a file's first rows (line number, cells) the column names are: (the index of their
    last row, the names, how many rows are above them). The first row, unless a later one names
    more of the columns jindu knows, and at least two: an office's export often starts with a title,
    such as 某某街道社区戒毒人员花名册, and a line of 填报单位 and date. Two rows on adjacent lines are
    read as one when together they name more than either: a heading over several columns (检测情况
    over 检测日期, 检测结果) leaves its other columns' names in the row above."""
    rows = [(number, [_text(c) for c in cells]) for number, cells in lead]
    if known is None or len(rows) < 2:
        return 0, rows[0][1], 0
    candidates = [(known(cells), -i, i, cells, i) for i, (_, cells) in enumerate(rows)]
    for i in range(len(rows) - 1):
        (line, upper), (below, lower) = rows[i], rows[i + 1]
        if below == line + 1:
            both = [b or a for a, b in itertools.zip_longest(upper, lower, fillvalue="")]
            score = known(both)
            if score > max(known(upper), known(lower)):
                candidates.append((score, -i, i + 1, both, i))
    score, _, index, header, above = max(candidates)
    first = known(rows[0][1])
    return (index, header, above) if score >= 2 and score > first else (0, rows[0][1], 0)


def header_score(conn: sqlite3.Connection | None, kinds: Iterable[str]) -> Callable[[list[str]], int]:
    """How many of the columns of these kinds a row names (a row of column names names several)."""
    fields: dict[str, str] = {}
    for kind in kinds:
        aliases, _ = header_aliases(conn, kind)
        fields.update((fold_header(title), f"{kind}.{name}") for name, titles in aliases.items() for title in titles)
    return lambda row: len({_known_as(fields, key) for key in map(fold_header, row)} - {None})


# --- headers ------------------------------------------------------------------------------

def fold_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    text = re.sub(r"\((必填|选填|必须|可选)\)|[*\s]", "", text)
    return text.rstrip(":")


def _known_as(lookup: dict[str, str], key: str) -> str | None:
    """What a folded column name stands for: itself, or without a closing note in brackets
    (身份证号码（18位）, 报到日期(年月日)) when the name with the note is not known as such."""
    found = lookup.get(key)
    if found is None and key.endswith(")") and "(" in key:
        found = lookup.get(key[:key.rindex("(")])
        if found is not None and found.endswith("term_months"):
            return None  # the note may be a unit: 期限(年) is not a number of months
    return found


@functools.lru_cache(maxsize=8)
def _header_table(path: Path, _mtime: float) -> dict:
    return reference.load_toml(path)


def header_aliases(conn: sqlite3.Connection | None, kind: str) -> tuple[dict[str, list[str]], set[str]]:
    path = reference.data_file("headers.toml", conn)
    data = _header_table(path, path.stat().st_mtime)
    return data[kind], {fold_header(h) for h in data.get("ignore", [])}


def map_header(conn, kind: str, header: list[str]) -> tuple[dict[str, int], list[str]]:
    aliases, ignored = header_aliases(conn, kind)
    lookup = {fold_header(alias): name for name, names in aliases.items() for alias in names}
    found: dict[str, int] = {}
    unknown: list[str] = []
    for index, title in enumerate(header):
        key = fold_header(title)
        if not key or key in ignored:
            continue
        name = _known_as(lookup, key)
        if name is None:
            unknown.append(title)
        elif name in found:
            raise FileProblem(f"列“{header[found[name]]}”和“{title}”都表示{aliases[name][0]}，请删去一列")
        else:
            found[name] = index
    missing = [name for name in REQUIRED[kind] if name not in found]
    if missing:
        name = missing[0]
        raise FileProblem(
            f"缺少必需的列“{aliases[name][0]}”（可以写作：{'、'.join(aliases[name][:5])}）；"
            f"文件里的列是：{'、'.join(h for h in header if h) or '（没有列名）'}")
    return found, unknown


def detect_kind(conn, path: Path, encoding: str | None = None, sheet: str | None = None,
                kinds: tuple[str, ...] = ("tests", "visits", "cases")) -> tuple[str | None, str]:
    """Which of `kinds` this file is, from its column names alone (the file's first 64 KiB, or its
    sheet's first rows): (kind, "") or (None, why not). A visit or test log may also carry a
    register's columns (街道, 措施), so a record's own columns decide over the register's."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except FileNotFoundError:
        return None, "找不到这个文件"
    except OSError as exc:
        return None, f"无法读取这个文件（{exc.strerror or exc}）"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)  # (a character cut at 64 KiB is fine)
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    facts = {"utf8": utf8, "tail_cut": False, "head": head[:8192], "nul": head.count(b"\x00")}
    try:
        source = open_source(path, facts, size, encoding, sheet, header_score(conn, kinds))
    except FileProblem as exc:
        return None, exc.message
    source.close()
    return _kind_of(conn, source.header, kinds)


def _kind_of(conn, header: list[str], kinds: tuple[str, ...]) -> tuple[str | None, str]:
    """Which of `kinds` these column names fit (see detect_kind): (kind, "") or (None, why not)."""
    fits = []
    for kind in kinds:
        try:
            map_header(conn, kind, header)
            fits.append(kind)
        except FileProblem:
            pass
    records = [k for k in fits if k != "cases"]
    if len(records) > 1:
        return None, "既有走访记录的列，也有检测记录的列，看不出是哪一种：请用 jindu import visits 或 jindu import tests 导入"
    if fits:
        return (records or fits)[0], ""
    shown = "、".join(h for h in header if h) or "（没有列名）"
    return None, (f"看不出是登记表、走访记录还是检测记录（文件里的列是：{shown}）；"
                  "请用 jindu import cases、visits 或 tests 指定")


BLANK_FILE = "文件里没有任何内容（只有空行）"


def sheet_headers(path: Path, known: Callable[[list[str]], int]) -> list[tuple[str, list[str] | None]] | None:
    """Each sheet of an .xlsx file with its column names, found as its import would find them (None
    for a blank sheet), reading the workbook once; None for any other file, or a workbook that
    cannot be opened (its import says why)."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                return None
        book, close = _workbook(path)
    except Exception:  # noqa: BLE001 - a damaged workbook: the import reports it
        return None
    try:
        found = []
        for ws in book.worksheets:
            lead = _lead(_sheet_rows(ws), known)
            found.append((ws.title, _header_row(lead, known)[1] if lead else None))
        return found
    finally:
        close()


# a sheet whose name says its rows are not the office's current records (people transferred out or
# released, void or old records, a template) is not imported unless named with --sheet
NOT_CURRENT_SHEET = ("删除", "调出", "迁出", "转出", "注销", "作废", "历史", "备份", "模板", "样表", "示例", "解除",
                     "死亡", "已故", "旧")


def plan_sheets(conn, path: Path, kind: str, encoding: str | None, sheet: str | None
                ) -> tuple[list[tuple[str | None, str | None, str]], list[tuple[str, str]]]:
    """What to import of one file, as [(kind, sheet, why not)], and the sheets passed over, as
    (sheet, "fit" when its columns fit no kind, or "name" when its name says it is not current).

    A CSV, a workbook of one sheet, or a workbook with `sheet` named, is one item (a file given is
    imported as it is, whatever its sheet's name). Of a workbook with several sheets, each
    sheet whose column names fit `kind` is imported (a month, or a community, to a sheet: none is
    left out unseen); with kind "auto", each sheet as the kind its names show. A sheet that fits
    no kind (填表说明, a chart), or whose name says its rows are not current (调出人员, 已解除, 作废),
    is passed over and named; a blank one silently. When no sheet is left, the first is imported,
    and reported as it would be alone. `kind` None: not told (see `why`)."""
    kinds = ("tests", "visits", "cases") if kind == "auto" else (kind,)
    sheets = None if sheet else sheet_headers(path, header_score(conn, kinds))
    if not sheets or len(sheets) == 1:
        if kind != "auto":
            return [(kind, sheet, "")], []
        found, why = detect_kind(conn, path, encoding, sheet)
        return [(found, sheet, why)], []
    items, passed, first = [], [], None
    for name, header in sheets:
        found, why = _kind_of(conn, header, kinds) if header is not None else (None, BLANK_FILE)
        first = first or (found if kind == "auto" else kind, name, why)
        if found is not None and any(word in name for word in NOT_CURRENT_SHEET):
            passed.append((name, "name"))
        elif found is not None:
            items.append((found, name, ""))
        elif header is not None:
            passed.append((name, "fit"))
    if items:
        return items, passed
    flagged = [name for name, why in passed if why == "name"]
    if flagged:  # what fits is all named as not current: nothing is imported, and the file says why
        return [(None, None, f"列名对得上的工作表（{'、'.join(flagged)}），名字都像是调出、解除、作废或旧的记录，"
                             "没有导入；确实要导入，用 --sheet 指定")], passed
    return [first], []


def export_headers(kind: str) -> dict[str, str]:
    aliases, _ = header_aliases(None, kind)
    return {name: names[0] for name, names in aliases.items()}


# --- values -------------------------------------------------------------------------------

def _text(value) -> str:
    """A cell as text: spreadsheet leftovers removed (a formula guard, a .0 on whole numbers)."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = without_invisible(value).strip()
        if len(text) > 2 and text.startswith('="') and text.endswith('"'):
            text = text[2:-1].strip()  # ="520103..." : how many systems' CSV keep a long number as text in Excel
        if len(text) > 1 and text[0] == "'" and (text[1] in FORMULA_START or text[1].isdigit()):
            text = text[1:]  # the guard jindu's own exports put before = + - @, or a clerk's before a number
        return text
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


EXCEL_EPOCH = date(1899, 12, 30)


# an Excel day number written out as text (a CSV saved from a sheet whose date column lost its
# format): five digits, 1982 to 2119 (no date form of design.md has five digits; an older day, or a
# date typed short such as 20260, is reported as not understood rather than read as 1955)
SERIAL_TEXT = re.compile(r"[3-7]\d{4}(?:\.0+)?")


def excel_date(value) -> date | None:
    """An Excel serial day number (a date cell without a date format)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 80000:
        return EXCEL_EPOCH + timedelta(days=int(value))
    return None


@functools.lru_cache(maxsize=8)
def _synonym_table(path: Path, _mtime: float) -> dict:
    return reference.load_toml(path)


def vocabulary(conn, name: str, enum) -> Callable[[str], str]:
    """raw text -> code, through the enumeration's own spellings and data/synonyms.toml."""
    path = reference.data_file("synonyms.toml", conn)
    extra = {reference.fold(k): v for k, v in _synonym_table(path, path.stat().st_mtime).get(name, {}).items()}

    def one(raw: str) -> str | None:
        code = enum.lookup(raw)
        if code is None and reference.fold(raw) in extra:
            code = enum.lookup(extra[reference.fold(raw)])
        return code

    @functools.lru_cache(maxsize=4096)
    def parse(raw: str) -> str:
        code = one(raw)
        if code is None and (m := _BRACKETED.fullmatch(unicodedata.normalize("NFKC", raw).strip())):
            # a value with its sign or code in brackets, as labs write them: 阴性(-), (+), 阳性（+）;
            # the parts must agree (阴性(+) is refused)
            codes = {one(part.strip()) for part in m.groups() if part.strip()}
            code = codes.pop() if len(codes) == 1 else None
        if code is None:
            raise InvalidInput(enum.field, f"“{raw}”不是可选的值；可选：{enum.choices()}")
        return code

    return parse


_BRACKETED = re.compile(r"([^()]*)\(([^()]*)\)")


@functools.lru_cache(maxsize=65536)
def _id(raw: str) -> str:
    return parse_id_number(raw)


@functools.lru_cache(maxsize=65536)
def _date(raw: str) -> date | None:
    return parse_date(raw)


def as_date(value, label: str) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    serial = excel_date(value)
    if serial is not None:
        return serial
    text = _text(value)
    if not text:
        return None
    if SERIAL_TEXT.fullmatch(text):  # a date cell saved without its date format: Excel's day number
        return excel_date(int(float(text)))
    try:
        return _date(text)
    except InvalidInput as exc:
        raise InvalidInput(label, exc.reason) from None


def as_day(value, label: str) -> str:
    """The date a visit or test needs, as ISO text: a cell of spaces is as empty as an empty one."""
    day = as_date(value, label)
    if day is None:
        raise InvalidInput(label, "不能为空")
    return day.isoformat()


def as_id(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = _text(value)
        if len(text) == 15 and text.isdigit():
            return _id(text)
        raise InvalidInput("身份证号", "被电子表格存成了数字，末尾的几位已经丢失；请在原表中把这一列设为“文本”后重新填写完整号码")
    return _id(_text(value))


# --- the person a visit or test belongs to ------------------------------------------------

@dataclass(slots=True)
class Person:
    """What a visit or test row needs of its person: kept small, a log may name 100,000 people."""

    id: int
    name: str
    worker: str | None
    lo: date | None  # the 报到 date
    hi: date  # the last day a record may carry: term end, today or the closing date
    plain: bool  # no 中止 ever: the bounds alone decide the window guards
    span: tuple[str, str] | None  # (lo, hi) as ISO text when a date inside them needs no other check


class People:
    """The register, read lazily: the people a file refers to, fetched in batches, and only the
    fields a row needs (the whole case is read for the rare row whose date needs the full check)."""

    REMEMBER = 250_000  # how many of those are remembered
    # a batch naming this share of the register reads the whole register in one pass instead:
    # looking people up by number costs some ten index seeks each, and a district's test log
    # names nearly everyone
    WHOLE = 0.1

    def __init__(self, conn: sqlite3.Connection, as_of: date):
        self.conn = conn
        self.as_of = as_of
        self.by_id_number: dict[str, Person | None] = {}
        self.by_cell: dict[str, Person] = {}  # an ID cell's text -> its person, for the fast path
        self.nobody: set = set()  # ID cells looked up that the fast path cannot use: naming no one, or not text
        self.cases: dict[int, Case] = {}
        self.size: int | None = None  # of the register
        self.whole = False  # everyone in the register is read
        self.bounds: dict[tuple, tuple] = {}  # (报到, term, end set, closed) -> (lo, hi, span)

    def look_up(self, cells: set, parse: Callable) -> None:
        """Fetch the people these ID cells name. A cell is first looked for as it stands (the
        register holds each ID in its one canonical form, so a cell equal to it needs no parsing),
        then as `parse` reads it (15 digits, a lower-case x, spaces, full-width digits...)."""
        cells = cells - self.by_cell.keys() - self.nobody
        self._fetch([c for c in cells if type(c) is str], as_typed=True)
        numbers = {}
        for cell in cells:
            if type(cell) is str and self.by_id_number.get(cell) is not None:
                self.by_cell[cell] = self.by_id_number[cell]
                continue
            try:
                numbers[cell] = parse(cell)
            except RowProblem:
                pass
        self._fetch(numbers.values())
        for cell, number in numbers.items():
            person = self.by_id_number[number]
            if person is not None and type(cell) is str:
                self.by_cell[cell] = person
        if len(self.nobody) < self.REMEMBER:
            self.nobody.update(c for c in cells if c not in self.by_cell)

    def _fetch(self, id_numbers, as_typed: bool = False) -> None:
        """Read these people into by_id_number; an ID found nowhere is remembered as None, unless
        it is a cell `as_typed`, which may be any text (the cells of a bad file are not kept)."""
        missing = [n for n in set(id_numbers) if n not in self.by_id_number]
        if missing and not self.whole and len(missing) >= self.WHOLE * self._register_size():
            self._fetch_whole()
        if self.whole:  # everyone is read: a number not among them names no one
            if not as_typed:
                for number in missing:
                    self.by_id_number.setdefault(number, None)
            return
        closed = ", ".join("?" for _ in CLOSED_STATUSES)
        for start in range(0, len(missing), 900):
            chunk = missing[start:start + 900]
            # what load_cases works out from the status changes: ever in 中止, and the closing date
            for row in self.conn.execute(
                    "SELECT id, id_number, name, worker, reported_on, term_months, term_end_override,"
                    " EXISTS (SELECT 1 FROM status_changes s WHERE s.case_id = c.id AND s.status = 'suspended'),"
                    f" CASE WHEN status IN ({closed}) THEN (SELECT changed_on FROM status_changes s"
                    "  WHERE s.case_id = c.id AND s.status = c.status ORDER BY changed_on DESC, s.id DESC LIMIT 1) END"
                    f" FROM cases c WHERE id_number IN ({', '.join('?' for _ in chunk)})", [*CLOSED_STATUSES, *chunk]):
                self.by_id_number[row[1]] = self._person(row)
            if not as_typed:
                for number in chunk:
                    self.by_id_number.setdefault(number, None)

    def _register_size(self) -> int:
        if self.size is None:
            self.size = self.conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        return self.size

    def _fetch_whole(self) -> None:
        """Everyone in the register, in one pass: the same fields as the look-ups by number, with
        the status changes read once for all (a test compares the two ways)."""
        closed = ", ".join("?" for _ in CLOSED_STATUSES)
        for row in self.conn.execute(
                "SELECT c.id, c.id_number, c.name, c.worker, c.reported_on, c.term_months, c.term_end_override,"
                " p.case_id IS NOT NULL, z.closed_on FROM cases c"
                " LEFT JOIN (SELECT DISTINCT case_id FROM status_changes WHERE status = 'suspended') p ON p.case_id = c.id"
                " LEFT JOIN (SELECT case_id, status, max(changed_on) AS closed_on FROM status_changes"
                f"  WHERE status IN ({closed}) GROUP BY case_id, status) z ON z.case_id = c.id AND z.status = c.status",
                CLOSED_STATUSES):
            person = self.by_id_number.setdefault(row[1], self._person(row))
            self.by_cell.setdefault(row[1], person)
        self.whole = True

    def _person(self, row: tuple) -> Person:
        """A case row as a Person: the bounds Case.term_end and load_cases give, worked out without
        building the whole case (a test compares them), once for each 报到 date, term, end date set
        by the clerk and closing date. `hi` only counts when `plain`: a case ever in 中止 has each of
        its rows checked against the whole case."""
        case_id, _, name, worker, reported, months, override, suspended, closed = row
        bounds = self.bounds.get(key := (reported, months, override, closed))
        if bounds is None:
            lo, override, closed_on = from_iso(reported), from_iso(override), from_iso(closed)
            end = override or (add_months(lo, months) - timedelta(days=1) if lo else None)
            hi = min(d for d in (end, self.as_of, closed_on) if d is not None)
            bounds = self.bounds[key] = (lo, hi, (lo.isoformat(), hi.isoformat()) if lo is not None else None)
        lo, hi, span = bounds
        plain = not suspended
        return Person(case_id, name, worker, lo, hi, plain, span if plain and not _damaged(name) else None)

    def get(self, id_number: str) -> Person | None:
        if id_number not in self.by_id_number:
            self._fetch([id_number])
        return self.by_id_number[id_number]

    def case(self, person: Person) -> Case:
        """The whole case, for the rare row whose date needs the full window check."""
        if person.id not in self.cases:
            from jindu_cli.domain.cases import get_case

            self.cases[person.id] = get_case(self.conn, person.id)
        return self.cases[person.id]


def _same_name(cell, registered: str) -> bool:
    """Whether a row's name is the register's, spaced out or not (张　伟 is 张伟)."""
    try:
        return clean_name(_text(cell)) == clean_name(registered)
    except InvalidInput:  # (control characters, or too long: no name)
        return False


def _masked(field: str, value: str) -> str:
    if field == "id_number":
        return mask_id(value) if len(value) >= 10 else value
    if field == "phone":
        return mask_phone(value)
    return value if len(value) <= 60 else value[:57] + "……"


# --- the import ---------------------------------------------------------------------------

class _Rollback(Exception):
    pass


def _labels_to_fields() -> dict[str, str]:
    from jindu_cli.domain.cases import LABELS

    out = {label: name for name, label in LABELS.items()}
    out.update({"性别": "sex", "出生日期": "birth_date", "措施": "measure", "风险等级": "risk_level"})
    return out


_FIELD_OF_LABEL = _labels_to_fields()


@dataclass
class Options:
    kind: str
    as_of: date
    operator: str
    dry_run: bool = False
    strict: bool = False
    encoding: str | None = None
    sheet: str | None = None
    again: bool = False  # import a file even when the same bytes were imported before


def previous_import(conn: sqlite3.Connection, sha256: str, sheet: str, kind: str) -> tuple | None:
    """The latest import of the same bytes (and sheet) as the same kind of file: id, time,
    operator, kind, file name, rows rejected. (A register given to `import visits` by mistake is
    not a repeat of its import as a register: it is refused for its columns.)"""
    return conn.execute("SELECT id, imported_at, operator, kind, file_name, rejected FROM import_files"
                        " WHERE sha256 = ? AND sheet = ? AND kind = ? ORDER BY id DESC LIMIT 1",
                        [sha256, sheet, kind]).fetchone()


@contextlib.contextmanager
def rehearsal(conn: sqlite3.Connection, dry_run: bool) -> Iterator[None]:
    """Around the files of one run: with `dry_run`, one transaction rolled back at the end. Each
    file is imported as for real inside it, so each meets the register as the files before it in
    the run left it (a log, the people of the register given with it), as in the real run."""
    if not dry_run:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def import_file(conn: sqlite3.Connection, path: Path, opts: Options,
                on_error: Callable[[list, Rejected, list[str]], None] | None = None,
                progress: Callable[[int, int], None] | None = None) -> Report:
    """Import one file; never raises for bad content: the report says what happened. A dry run
    inside a transaction (see `rehearsal`) leaves what it wrote for that transaction to undo."""
    path = Path(path)
    enclosed = conn.in_transaction
    report = Report(file=str(path), kind=opts.kind, sheet=opts.sheet or "")
    try:
        report.sha256, size, facts = fingerprint(path)
    except FileNotFoundError:
        return _failed(report, "找不到这个文件")
    except IsADirectoryError:
        return _failed(report, "这是一个文件夹，不是文件")
    except PermissionError:
        return _failed(report, "没有权限读取这个文件")
    try:
        source = open_source(path, facts, size, opts.encoding, opts.sheet, header_score(conn, [opts.kind]))
    except FileProblem as exc:
        return _failed(report, exc.message)
    report.header_line, report.above_header, report.sheet = source.header_line, source.above, source.sheet
    seen = previous_import(conn, report.sha256, source.sheet, opts.kind)
    if seen and not opts.again:
        source.close()
        report.status = "duplicate"
        on = datetime.fromisoformat(seen[1].replace("Z", "+00:00")).astimezone().date()  # the office's day
        report.message = (f"与 {on} 由 {seen[2]} 导入的文件（导入记录 #{seen[0]}，{seen[4]}）内容完全相同，"
                          "没有做任何改动")
        if seen[5]:  # rows refused then (a person not yet registered) may go in now
            report.message += (f"。那次有 {seen[5]} 行被拒绝：补登了那些人、改正了登记表以后，加 --again 再导入这个文件，"
                               "已经导入的行不会重复")
        report.ledger_id, report.refused_before = seen[0], seen[5]
        return report
    if seen:
        report.message = f"与导入记录 #{seen[0]} 内容完全相同；按 --again 再次导入"
    report.encoding = source.encoding
    try:
        try:
            columns, report.unknown_columns = map_header(conn, opts.kind, source.header)
        except FileProblem as exc:
            if sum(1 for h in source.header if h) <= 1:  # one cell: a title, with no line of names below it
                exc.message += (f"。第 {source.header_line} 行只有一格，像是标题：在它下面的 {HEADER_SEARCH} 行里没有找到"
                                "列名（身份证号、姓名……）那一行")
            raise
        # a large import touches pages of several indexes at random: give them room in memory
        set_cache_kib(conn, CACHE_KIB)
        with atomic(conn):
            ledger_id = conn.execute(
                "INSERT INTO import_files (kind, file_name, sha256, sheet, encoding, imported_at, operator, rows_read,"
                " inserted, updated, unchanged, rejected) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0)",
                [opts.kind, path.name, report.sha256, source.sheet, source.encoding, audit.utc_now(),
                 opts.operator]).lastrowid
            rows = (RECORD_ROWS.get(opts.kind) or _CaseRows)(conn, opts, report, columns, source.header, ledger_id,
                                                             on_error)
            rows.run(source, progress)
            conn.execute("UPDATE import_files SET rows_read = ?, inserted = ?, updated = ?, unchanged = ?,"
                         " rejected = ? WHERE id = ?",
                         [report.rows, report.inserted, report.updated, report.unchanged, report.rejected, ledger_id])
            audit.record(conn, opts.operator, "import", "file", ledger_id, None,
                         {"file": path.name, "kind": opts.kind, "sha256": report.sha256,
                          "rows": report.rows, "inserted": report.inserted, "updated": report.updated,
                          "unchanged": report.unchanged, "rejected": report.rejected})
            report.ledger_id = ledger_id
            if opts.strict and report.rejected:
                report.status = "strict_failed"
                raise _Rollback
            if opts.dry_run:
                report.status, report.ledger_id = "dry_run", None
                if not enclosed:
                    raise _Rollback
    except _Rollback:
        report.ledger_id = None
    except FileProblem as exc:
        report.ledger_id = None
        return _failed(report, exc.message)
    finally:
        source.close()
    return report


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


def _failed(report: Report, message: str) -> Report:
    report.status = "failed"
    report.message = message
    report.inserted = report.updated = report.unchanged = 0
    return report


class _Rows:
    """Shared by the three kinds: walk the rows, turn problems into rejected rows."""

    kind = ""

    def __init__(self, conn, opts: Options, report: Report, columns: dict[str, int], header: list[str],
                 ledger_id: int, on_error):
        self.conn, self.opts, self.report, self.columns = conn, opts, report, columns
        self.header, self.ledger_id, self.on_error = header, ledger_id, on_error
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
        """The rows that are not blank, BATCH at a time, counted as they are read."""
        batch: list[tuple[int, list]] = []
        for number, cells in source.rows:
            try:
                blank = not "".join(cells).strip()
            except TypeError:  # an .xlsx row
                blank = not any(_text(c) for c in cells)
            if blank:
                continue  # blank rows are skipped
            self.report.rows += 1
            batch.append((number, cells))
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def flush(self, batch: list[tuple[int, list]]) -> None:
        raise NotImplementedError

    def problem(self, number: int, cells: list, exc: Exception) -> None:
        if _note_line(cells):  # not a row of data that went wrong: the form's own line
            self.report.rows -= 1
            self.report.note_lines += 1
            return
        outside = unregistered = False
        if isinstance(exc, RowProblem):
            name, value, reason, outside = exc.field, exc.value, exc.reason, exc.outside_measure
            unregistered = exc.unregistered
        elif isinstance(exc, InvalidInput):
            name = _FIELD_OF_LABEL.get(exc.field, "")
            value = _text(self.cell(cells, name)) if name else ""
            reason = exc.reason if name in self.columns else f"{exc.field}：{exc.reason}"
        elif isinstance(exc, JinduError):
            name, value, reason = "", "", exc.message
        else:
            name, value, reason = "", "", f"无法处理这一行（{type(exc).__name__}）"
        column = self.header[self.columns[name]] if name in self.columns else ""
        typed = _text(self.cell(cells, "id_number")).upper()
        rejected = Rejected(number, column, _masked(name, value), reason, outside, unregistered,
                            typed if len(typed) == 18 and typed[:17].isdigit() else "")
        self.report.reject(rejected)
        if self.on_error:
            self.on_error(cells, rejected, self.header)

    def window(self, case: Case, day: date, field: str, raw, forced: bool) -> list[str]:
        problems = window_problems(case, day, self.opts.as_of)
        if problems and not forced:
            # (a date after today is a mistake to correct, not a record to force in)
            raise RowProblem(field, _text(raw), "；".join(problems), outside_measure=day <= self.opts.as_of)
        return problems

    def forced(self, cells: list) -> bool:
        return _text(self.cell(cells, "forced")) in ("是", "true", "1", "yes", "强制")


_NO_ANSWER = object()


class Memo:
    """`convert` with its answers remembered (bad values too): a log of a million rows holds a few
    thousand distinct dates, spellings and testers. A failure becomes a RowProblem on `field`.

    `good` maps the text cells seen so far to their answers, for the fast path of _RecordRows;
    `empty` is the answer for an empty cell where the caller never converts one."""

    def __init__(self, convert: Callable, field: str, limit: int = 50_000, empty=_NO_ANSWER):
        self.convert, self.field, self.limit = convert, field, limit
        self.good: dict = {} if empty is _NO_ANSWER else {"": empty}
        self.bad: dict = {}

    def __call__(self, raw):
        key = raw if type(raw) is str else (type(raw), raw)
        try:
            return self.good[key]
        except KeyError:
            pass
        problem = self.bad.get(key)
        if problem is None:
            try:
                value = self.convert(raw)
            except RowProblem as exc:
                problem = exc.with_traceback(None)
            except InvalidInput as exc:
                problem = RowProblem(self.field, _text(raw), exc.reason)
            else:
                if len(self.good) < self.limit:
                    self.good[key] = value
                return value
            if len(self.bad) < self.limit:
                self.bad[key] = problem
        # a new one each time: the remembered one never holds a traceback, nor a frame that holds it
        raise RowProblem(problem.field, problem.value, problem.reason)


def _damaged(text: str) -> bool:
    return "\x00" in text or "\ufffd" in text


def _joined(cells: list) -> str:
    try:
        return "\x1f".join(cells)
    except TypeError:  # an .xlsx row: numbers and dates among the text
        return "\x1f".join(c for c in cells if isinstance(c, str))


def _check_damage(cells: list) -> None:
    joined = _joined(cells)
    if "\x00" in joined:
        raise RowProblem("", "", "含有空字符（NUL），这一行已损坏")
    if "\ufffd" in joined:
        raise RowProblem("", "", "含有无法识别的字符：文件可能被截断，或混用了编码")


# how the lines a form carries under (or between) its rows begin: who filled it in, the totals
NOTE_WORDS = ("填表人", "填报人", "制表人", "审核人", "审批人", "负责人", "联系人", "联系电话", "填表日期", "填报日期",
              "制表日期", "合计", "总计", "小计", "备注", "说明", "注:")


def _note_line(cells: list) -> bool:
    """A line of the form rather than a row of data: its first cell that is not empty begins with
    one of NOTE_WORDS (填表人：张三, 合计：12 人), and no cell holds an ID's run of 15 digits or more.
    Only a row that failed conversion is asked, so a good row never pays for this."""
    texts = [_text(c) for c in cells]
    first = next((t for t in texts if t), "")
    return (unicodedata.normalize("NFKC", first).replace(" ", "").startswith(NOTE_WORDS)
            and not re.search(r"\d{15}", "".join(texts)))


class _Slow(Exception):
    """A row the fast path leaves to the full conversion."""


class _RecordRows(_Rows):
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

    def __init__(self, *args):
        super().__init__(*args)
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
        return clean_text(_text(raw), self.labels.get(name, name), limit)

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
            raise RowProblem("id_number", _text(raw), "这个身份证号不在登记表中：请先导入或登记这个人（jindu import cases）",
                             unregistered=True)
        if type(raw) is str:
            self.people.by_cell[raw] = case  # (an ID written otherwise than in the register: its next rows are fast)
        name = cells[self.ix["name"]]
        if name and name != case.name and not _same_name(name, case.name):
            raise RowProblem("name", _text(name), f"与登记表中这个身份证号的姓名“{case.name}”不符")
        return case

    def in_window(self, person: Person, day: date, field: str, cells: list) -> list[str]:
        """The window guards: most rows fall inside their person's plain bounds."""
        if person.plain and person.lo is not None and person.lo <= day <= person.hi:
            return []
        return self.window(self.people.case(person), day, field, self.get(cells, field), self.forced(cells))

    def forced(self, cells: list) -> bool:
        return _text(cells[self.ix["forced"]]) in ("是", "true", "1", "yes", "强制")

    def run(self, source: Source, progress) -> None:
        self.suspect = source.suspect
        with _no_collector_passes():
            super().run(source, progress)
        self.people = People(self.conn, self.opts.as_of)  # let the rows' people go before SQLite sorts indexes
        self.restore_indexes()

    def convert(self, cells: list) -> tuple:
        """(person, window problems overridden, the row: COLUMNS then forced, import_id, created_at, updated_at)."""
        raise NotImplementedError

    def convert_all(self, batch: list[tuple[int, list]], plain: list, forced: list) -> None:
        for number, cells in batch:
            self.convert_one(number, cells, plain, forced)

    def convert_one(self, number: int, cells: list, plain: list, forced: list) -> None:
        """The full conversion of one row: every check, every message."""
        try:
            _check_damage(cells)
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
        if self.dropped is not None or self.opts.dry_run or self.report.rows < max(REBUILD_MIN, self.existing):
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
REBUILD_MIN = 50_000  # rows below which an import never rebuilds indexes
CACHE_KIB, REBUILD_CACHE_KIB = 32 * 1024, 8 * 1024  # SQLite's page cache while importing rows, and rebuilding


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


class _TestRows(_RecordRows):
    kind, table, entity = "tests", "drug_tests", "drug_test"
    COLUMNS = ("case_id", "tested_on", "specimen", "method", "result", "substances", "sample_number", "place",
               "tester", "notes")
    ABSENT = {"method": "field", "substances": "[]", "sample_number": None, "place": None, "tester": None,
              "notes": None}

    def __init__(self, *args):
        super().__init__(*args)
        specimen = vocabulary(self.conn, "specimen", SPECIMEN)
        method = vocabulary(self.conn, "method", METHOD)
        result = vocabulary(self.conn, "result", RESULT)
        drugs = reference.drugs(self.conn)
        self.day = Memo(lambda v: as_day(v, "检测日期"), "tested_on")
        self.specimen = Memo(lambda v: specimen(_text(v)), "specimen")
        self.method = Memo(lambda v: method(_text(v)), "method", empty="field")
        self.result = Memo(lambda v: result(_text(v)), "result")
        self.substances = Memo(lambda v: json.dumps(drugs.resolve_many([_text(v)]), ensure_ascii=False),
                               "substances", empty="[]")

    def convert(self, cells: list):
        case = self.person_of(cells)
        day = self.needed(cells, "tested_on", self.day)
        specimen = self.needed(cells, "specimen", self.specimen)
        result = self.needed(cells, "result", self.result)
        raw = cells[self.ix["method"]]
        method = self.method(raw) if raw else "field"
        raw = cells[self.ix["substances"]]
        found = self.substances(raw) if raw else "[]"
        if found != "[]" and result != "positive":
            raise RowProblem("substances", _text(raw), f"只有阳性结果才有检出毒品，这一行的结果是{RESULT.label(result)}")
        overridden = self.in_window(case, date.fromisoformat(day), "tested_on", cells)
        text = self.text
        return case, overridden, (case.id, day, specimen, method, result, found, text(cells, "sample_number"),
                                  text(cells, "place"), text(cells, "tester"), text(cells, "notes"),
                                  1 if overridden else 0, self.ledger_id, self.now, self.now)

    def convert_all(self, batch, plain, forced) -> None:
        ix, pick, slow, suspect = self.ix, self.pick, self.convert_one, self.suspect()
        i_id, i_name, i_day, i_specimen, i_method, i_result, i_found, i_sample, i_place, i_tester, i_notes = (
            ix[name] for name in ("id_number", "name", "tested_on", "specimen", "method", "result", "substances",
                                  "sample_number", "place", "tester", "notes"))
        new_day = self.day
        people, days, specimens, methods, results, substances = (
            self.people.by_cell, self.day.good, self.specimen.good, self.method.good, self.result.good,
            self.substances.good)
        samples, places, testers = (self.texts[name].good for name in ("sample_number", "place", "tester"))
        notes = self.texts["notes"]
        for number, cells in batch:
            try:
                if suspect and _damaged(_joined(cells)):
                    raise _Slow
                person = people[cells[i_id]]
                name = cells[i_name]
                if name and name != person.name:
                    raise _Slow
                try:
                    day = days[cells[i_day]]
                except KeyError:  # a date not seen before (a district's log holds thousands): read here
                    day = new_day(cells[i_day])
                span = person.span
                if span is None or not span[0] <= day <= span[1]:
                    raise _Slow
                result = results[cells[i_result]]
                found = substances[cells[i_found]]
                if found != "[]" and result != "positive":
                    raise _Slow
                raw = cells[i_notes]
                row = (person.id, day, specimens[cells[i_specimen]], methods[cells[i_method]], result, found,
                       samples[cells[i_sample]], places[cells[i_place]], testers[cells[i_tester]],
                       notes(raw) if raw else None)
            except (KeyError, RowProblem, _Slow):
                slow(number, cells, plain, forced)
            else:
                plain.append(pick(row))


class _VisitRows(_RecordRows):
    kind, table, entity = "visits", "visits", "visit"
    COLUMNS = ("case_id", "visited_on", "kind", "sub_kind", "outcome", "worker", "place", "notes")
    ABSENT = {"sub_kind": None, "outcome": "seen", "place": None, "notes": None}

    def __init__(self, *args):
        super().__init__(*args)
        kinds = vocabulary(self.conn, "kind", VISIT_KIND)
        outcome = vocabulary(self.conn, "outcome", OUTCOME)
        help_kind = vocabulary(self.conn, "help_kind", HELP_KIND)
        assessment_kind = vocabulary(self.conn, "assessment_kind", ASSESSMENT_KIND)
        self.day = Memo(lambda v: as_day(v, "走访日期"), "visited_on")
        self.visit_kind = Memo(lambda v: kinds(_text(v)), "kind")
        self.outcome = Memo(lambda v: outcome(_text(v)), "outcome", empty="seen")
        self.sub_kinds = {"help": Memo(lambda v: help_kind(_text(v)), "sub_kind"),
                          "assessment": Memo(lambda v: assessment_kind(_text(v)), "sub_kind")}

    def convert(self, cells: list):
        case = self.person_of(cells)
        day = self.needed(cells, "visited_on", self.day)
        kind = self.needed(cells, "kind", self.visit_kind)
        raw = cells[self.ix["outcome"]]
        outcome = self.outcome(raw) if raw else "seen"
        sub = None
        raw = cells[self.ix["sub_kind"]]
        if _text(raw):
            if kind not in self.sub_kinds:
                raise RowProblem("sub_kind", _text(raw), f"只有帮扶和评估有类别，{VISIT_KIND.label(kind)}没有")
            sub = self.sub_kinds[kind](raw)
        overridden = self.in_window(case, date.fromisoformat(day), "visited_on", cells)
        text = self.text
        return case, overridden, (case.id, day, kind, sub, outcome, text(cells, "worker") or case.worker,
                                  text(cells, "place"), text(cells, "notes"), 1 if overridden else 0,
                                  self.ledger_id, self.now, self.now)

    def convert_all(self, batch, plain, forced) -> None:
        ix, pick, slow, suspect = self.ix, self.pick, self.convert_one, self.suspect()
        i_id, i_name, i_day, i_kind, i_sub, i_outcome, i_worker, i_place, i_notes = (
            ix[name] for name in ("id_number", "name", "visited_on", "kind", "sub_kind", "outcome", "worker",
                                  "place", "notes"))
        new_day = self.day
        people, days, kinds, outcomes = (self.people.by_cell, self.day.good, self.visit_kind.good,
                                         self.outcome.good)
        workers, places = self.texts["worker"].good, self.texts["place"].good
        notes = self.texts["notes"]
        for number, cells in batch:
            try:
                if suspect and _damaged(_joined(cells)):
                    raise _Slow
                person = people[cells[i_id]]
                name = cells[i_name]
                if name and name != person.name or cells[i_sub] != "":
                    raise _Slow
                try:
                    day = days[cells[i_day]]
                except KeyError:  # a date not seen before (a district's log holds thousands): read here
                    day = new_day(cells[i_day])
                span = person.span
                if span is None or not span[0] <= day <= span[1]:
                    raise _Slow
                raw = cells[i_notes]
                row = (person.id, day, kinds[cells[i_kind]], None, outcomes[cells[i_outcome]],
                       workers[cells[i_worker]] or person.worker, places[cells[i_place]],
                       notes(raw) if raw else None)
            except (KeyError, RowProblem, _Slow):
                slow(number, cells, plain, forced)
            else:
                plain.append(pick(row))


RECORD_ROWS: dict[str, type[_RecordRows]] = {"visits": _VisitRows, "tests": _TestRows}


class _CaseRows(_Rows):
    """Cases upsert by 身份证号 through the register's own add and update (validated, audited)."""

    kind = "cases"
    FIELDS = ("id_number", "name", "sex", "birth_date", "phone", "household_address", "residence_address",
              "street", "community", "measure", "term_months", "decision_authority", "decision_number",
              "decided_on", "received_on", "reported_on", "agreement_on", "risk_level", "risk_color", "drugs",
              "worker", "notes", "test_every", "term_end_override")
    DATES = ("birth_date", "decided_on", "received_on", "reported_on", "agreement_on", "term_end_override")

    def __init__(self, *args):
        super().__init__(*args)
        self.measure = vocabulary(self.conn, "measure", MEASURE)
        self.risk = vocabulary(self.conn, "risk_level", RISK)

    def flush(self, batch) -> None:
        for number, cells in batch:
            try:
                if any(isinstance(c, str) and ("\x00" in c or "\ufffd" in c) for c in cells):
                    raise RowProblem("", "", "含有空字符或无法识别的字符：这一行已损坏，或文件混用了编码")
                self.upsert(cells)
            except Exception as exc:  # noqa: BLE001
                self.problem(number, cells, exc)

    def raw(self, cells: list) -> dict:
        raw: dict = {}
        for name in self.FIELDS:
            if name not in self.columns:
                continue
            value = self.cell(cells, name)
            if name == "id_number":
                raw[name] = as_id(value)
                continue
            if name in self.DATES:
                value = as_date(value, self.labels[name])
                if value is not None:
                    raw[name] = value
                continue
            text = _text(value)
            if not text:
                continue  # an empty cell tells nothing: it never clears a field
            if name == "measure":
                text = self.measure(text)
            elif name == "risk_level":
                text = self.risk(text)
            raw[name] = text
        return raw

    def upsert(self, cells: list) -> None:
        from jindu_cli.domain import cases

        raw = self.raw(cells)
        existing = self.conn.execute("SELECT id FROM cases WHERE id_number = ?", [raw["id_number"]]).fetchone()
        status = _text(self.cell(cells, "status"))
        history = _text(self.cell(cells, "status_history"))
        with atomic(self.conn):
            if existing is None:
                case = cases.add_case(self.conn, raw, self.opts.as_of, self.opts.operator)
                self.conn.execute("UPDATE cases SET import_id = ? WHERE id = ?", [self.ledger_id, case.id])
                if history:
                    replay_history(self.conn, case, history, self.opts.as_of, self.opts.operator)
                    case = cases.get_case(self.conn, case.id)
                if status and STATUS.lookup(status) not in (case.status, None) and \
                        cases.status_label(case.status, case.measure) != status:
                    raise RowProblem("status", status, f"新登记的人状态是{cases.status_label(case.status, case.measure)}；"
                                                       "其他状态要附上“状态记录”列，或登记后用 jindu case update 修改")
                self.report.inserted += 1
                return
            case = cases.get_case(self.conn, existing[0])
            if history and history_text(self.conn, case) != normalize_history(history):
                raise RowProblem("status_history", history, "与现有的状态记录不同；状态请用 jindu case update 修改")
            if status and status not in (cases.status_label(case.status, case.measure), STATUS.label(case.status)) \
                    and STATUS.lookup(status) != case.status:
                raise RowProblem("status", status, f"与现有状态“{cases.status_label(case.status, case.measure)}”不同；"
                                                   "状态请用 jindu case update 修改")
            _, changes = cases.update_case(self.conn, case, {k: v for k, v in raw.items() if k != "id_number"},
                                           self.opts.as_of, self.opts.operator)
            if changes:
                self.report.updated += 1
                self.report.updated_fields.update(changes.keys())
            else:
                self.report.unchanged += 1


# --- status history as one cell -----------------------------------------------------------

_ENTRY = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*([^（(]+?)\s*(?:[（(](.*)[）)])?$")


def history_text(conn: sqlite3.Connection, case: Case) -> str:
    """A case's status changes as one cell: `2025-01-10 在执行（报到）；2026-03-01 中止（拘留）`."""
    return history_texts(conn, [case.id]).get(case.id, "")


def history_texts(conn: sqlite3.Connection, case_ids: list[int]) -> dict[int, str]:
    """`history_text` of each of the cases (at most a few thousand: one query), by case id."""
    parts: dict[int, list[str]] = {}
    for case_id, status, on, reason in conn.execute(
            "SELECT case_id, status, changed_on, reason FROM status_changes"
            f" WHERE case_id IN ({', '.join('?' for _ in case_ids)}) ORDER BY case_id, changed_on, id", case_ids):
        parts.setdefault(case_id, []).append(f"{on} {STATUS.label(status)}" + (f"（{reason}）" if reason else ""))
    return {case_id: "；".join(found) for case_id, found in parts.items()}


def normalize_history(text: str) -> str:
    entries = [e.strip() for e in re.split(r"[；;]", unicodedata.normalize("NFKC", text)) if e.strip()]
    out = []
    for entry in entries:
        m = _ENTRY.match(entry)
        if not m:
            raise RowProblem("status_history", text, f"“{entry}”看不懂：应写成“2026-03-01 中止（拘留）”，多条用分号隔开")
        on, label, reason = m.groups()
        code = STATUS.lookup(label)
        if code is None:
            raise RowProblem("status_history", text, f"“{label}”不是状态")
        out.append(f"{on} {STATUS.label(code)}" + (f"（{reason.strip()}）" if reason and reason.strip() else ""))
    return "；".join(out)


def replay_history(conn: sqlite3.Connection, case: Case, text: str, as_of: date, operator: str) -> None:
    """Apply the status changes of a history cell to a case just registered, through the lifecycle."""
    from jindu_cli.domain import cases

    entries = normalize_history(text).split("；")
    first = _ENTRY.match(entries[0]).groups()
    if STATUS.lookup(first[1]) == "active":
        if case.reported_on is None or first[0] != case.reported_on.isoformat():
            raise RowProblem("status_history", text, "第一条应是报到那天的“在执行（报到）”，与报到日期一致")
        entries = entries[1:]
    for entry in entries:
        on, label, reason = _ENTRY.match(entry).groups()
        current = cases.get_case(conn, case.id)
        try:
            cases.update_case(conn, current, {}, as_of, operator,
                              cases.StatusChange(label, date.fromisoformat(on), reason))
        except JinduError as exc:
            raise RowProblem("status_history", text, f"“{entry}”：{exc.message}") from None
