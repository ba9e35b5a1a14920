"""Reading the files offices send: CSV in UTF-8 (with or without BOM), GB18030/GBK or UTF-16, or
the sheets of an .xlsx workbook, as a stream of rows below their column names; which kind of file,
and which of a workbook's sheets, to import."""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from jindu_cli.domain.importer.headers import AUTO_KINDS, find_header, first_rows, header_score, kind_of
from jindu_cli.domain.importer.report import FileProblem
from jindu_cli.errors import InvalidInput

csv.field_size_limit(16 * 1024 * 1024)
BLANK_FILE = "文件里没有任何内容（只有空行）"


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
        codec, shown = _text_encoding(facts, encoding)
        rows, position, close, suspect = _text_rows(path, codec)
    try:
        lead = first_rows(rows, known)
    except BaseException:  # (a row among the first that cannot be read: the file is not kept open)
        close()
        raise
    if not lead:
        close()
        raise FileProblem(BLANK_FILE)
    chosen, header, above = find_header(lead, known)
    if len(lead) > chosen + 1:  # the rows read past the column names are the first rows of data
        rows = itertools.chain(lead[chosen + 1:], rows)
    return Source(shown, sheet_name, header, lead[chosen][0], rows, size, position, close, suspect, above)


def _text_encoding(facts: dict, forced: str | None) -> tuple[str, str]:
    """A text file's encoding, as choose_encoding gives it, once its first bytes read as text in it."""
    codec, shown = choose_encoding(facts, forced)
    sample = facts["head"].decode(codec if codec != "utf-8-sig" else "utf-8", errors="replace")
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n") or ch == "\ufffd")
    if facts["nul"] and not codec.startswith("utf-16") and controls > len(sample) * 0.05:
        raise FileProblem("这不是文本表格文件（内容是二进制的）；请导入 CSV 或 .xlsx")
    if not facts["utf8"] and codec == "gb18030" and controls > len(sample) * 0.05:
        raise FileProblem("无法识别文件的编码（既不是 UTF-8 也不是 GB18030/GBK）；请另存为 UTF-8 的 CSV 后再导入，"
                          "或用 --encoding 指定")
    if facts["tail_cut"]:
        shown += "，末尾有不完整的字符"
    return codec, shown


def detect_kind(conn, path: Path, encoding: str | None = None, sheet: str | None = None,
                kinds: tuple[str, ...] = AUTO_KINDS) -> tuple[str | None, str]:
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
    return kind_of(conn, source.header, kinds)


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
            lead = first_rows(_sheet_rows(ws), known)
            found.append((ws.title, find_header(lead, known)[1] if lead else None))
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
    kinds = AUTO_KINDS if kind == "auto" else (kind,)
    sheets = None if sheet else sheet_headers(path, header_score(conn, kinds))
    if not sheets or len(sheets) == 1:
        if kind != "auto":
            return [(kind, sheet, "")], []
        found, why = detect_kind(conn, path, encoding, sheet)
        return [(found, sheet, why)], []
    items, passed, first = [], [], None
    for name, header in sheets:
        found, why = kind_of(conn, header, kinds) if header is not None else (None, BLANK_FILE)
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
