"""Rendering: one emit() for table/json/csv, messages on stderr, and the error guard.

Personal data is masked here, in one place, for every format: any field named `id_number`
or `phone` is masked unless the command was given --reveal (which the command audits).
"""

from __future__ import annotations

import csv
import functools
import json
import os
import sqlite3
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import typer
from typer.exceptions import TyperException

from jindu_cli.cli.table import fitted, plain_columns
from jindu_cli.domain.text import spreadsheet_safe


def message(text: str) -> None:
    """A line for the person at the terminal (or cron's mail): always stderr, never data. Written
    to a file or a pipe (cron, a log), each line carries the date and time it was written."""
    if not sys.stderr.isatty():
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        text = "\n".join(f"{stamp} {line}" for line in text.split("\n"))
    print(text, file=sys.stderr, flush=True)


def encodable_streams() -> None:
    """stdout and stderr that can write every name. Written to a file or a pipe (Task Scheduler's
    log, `jindu due > 清单.txt`), Python on a Chinese Windows encodes in the ANSI code page, GBK,
    which lacks the rarer characters of names (𠮷) and would stop the command half-way: GB18030
    writes every character, and every character of GBK as GBK does. Any other encoding that is not
    UTF-8 writes ? for what it cannot. (A console takes UTF-8, as do pipes elsewhere.)"""
    import codecs

    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        if not encoding or not hasattr(stream, "reconfigure"):
            continue
        name = codecs.lookup(encoding).name
        if name in ("gbk", "gb2312"):
            stream.reconfigure(encoding="gb18030")
        elif not name.startswith("utf"):
            stream.reconfigure(errors="replace")


def error(text: str) -> None:
    message(f"错误：{text}")


def maskers() -> dict[str, Callable[[str | None], str | None]]:
    """The fields that are masked unless revealed, and how."""
    from jindu_cli.domain.ids import mask_id, mask_phone

    return {"id_number": mask_id, "phone": mask_phone}


def masked(row: dict, reveal: bool) -> dict:
    return row if reveal else _masking(maskers())(row)


def _masking(hide: dict[str, Callable]) -> Callable[[dict], dict]:
    """A function giving a row with the fields of `hide` masked."""
    def mask(row: dict) -> dict:
        if not any(row.get(key) for key in hide):
            return row
        out = dict(row)
        for key, masker in hide.items():
            if out.get(key):
                out[key] = masker(out[key])
        return out
    return mask


def table_columns(rows: Iterable[dict], keys: Sequence[str], reveal: bool) -> list[list[str]]:
    """The rows as text for a table, column by column, masked as `masked` does."""
    hide = {} if reveal else maskers()
    columns: list[list[str]] = [[] for _ in keys]
    for row in rows:
        for values, key in zip(columns, keys):
            value = row.get(key)
            if key in hide and value:
                value = hide[key](value)
            values.append(value if type(value) is str else cell(value))
    return columns


def cell(value) -> str:
    """A value as a table shows it."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:g}"
    return str(value)


def csv_cell(value) -> str:
    """A value as a CSV file carries it; text a spreadsheet would take for a formula neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return spreadsheet_safe("、".join(csv_cell(v) for v in value))
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return str(value)


def local_time(at: str) -> str:
    """A UTC time stamp as jindu stores it (2026-11-29T07:34:34.245814Z), as the office's clock
    shows it: 2026-11-29 15:34:34 (the machine's time zone)."""
    from datetime import datetime

    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None,
                caption: str | None = None, header: bool = True) -> str:
    """A table of text given row by row, in full (see table.plain_columns)."""
    body = [list(c) for c in zip(*rows)] if rows else [[] for _ in columns]
    return "".join(plain_columns(columns, body, title=title, caption=caption, header=header))


def terminal_width() -> int | None:
    """The width a table is fitted to: the terminal's, when stdout is one; None for a file or a pipe,
    which get every column in full."""
    if not sys.stdout.isatty():
        return None
    import shutil

    return shutil.get_terminal_size(fallback=(120, 24)).columns


def _colours() -> bool:
    """Whether tables may be coloured: at a terminal, unless NO_COLOR is set; on Windows, at a
    console that takes the colour codes."""
    if not sys.stdout.isatty() or os.environ.get("NO_COLOR"):
        return False
    return sys.platform != "win32" or _windows_colours()


def _windows_colours() -> bool:
    """Ask the Windows console to read colour codes (Windows 10 and later do when asked; a console
    left as it starts in cmd.exe prints them as text): whether it will."""
    try:
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.GetStdHandle(-11)  # (standard output)
        mode = ctypes.c_uint32()
        return bool(kernel32.GetConsoleMode(handle, ctypes.byref(mode))
                    and kernel32.SetConsoleMode(handle, mode.value | 0x0004))  # (virtual terminal processing)
    except (AttributeError, OSError):
        return False


COLOURS = {"red": "31", "yellow": "33"}


def console(stderr: bool = False):
    """A rich console for progress bars on stderr: records are data, never markup."""
    from rich.console import Console

    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, markup=False, emoji=False)


def progress_bar():
    """A progress bar on stderr when a person is watching; None for cron and pipes."""
    if not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    # a file's name is shown as it is, never read as rich markup
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                    TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(), transient=True,
                    console=console(stderr=True))


def _write(chunks: Iterable[str]) -> None:
    """Text to stdout, in pieces of a few thousand lines (a district's list is 100 MB of JSON)."""
    out = sys.stdout
    batch: list[str] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) >= 4096:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch))


def json_text(rows: Iterable[dict]) -> Iterator[str]:
    """An array of objects in the bytes `json.dumps(list(rows), ensure_ascii=False, indent=2)`
    gives, written an object at a time: Python's encoder writes indented JSON in Python, several
    times slower than each value through its C encoder as here (a test holds the two equal)."""
    first = True
    for row in rows:
        yield ("[\n" if first else ",\n") + _json_object(row)
        first = False
    yield "[]\n" if first else "\n]\n"


_SCALARS = (str, int, float, bool, type(None))


def _json_object(row: dict) -> str:
    """One object of an array indented by two, as json.dumps(indent=2) writes it."""
    if not row or any(not isinstance(v, _SCALARS) for v in row.values()):
        return "  " + json.dumps(row, ensure_ascii=False, indent=2).replace("\n", "\n  ")
    # (flat: the C encoder, the items set apart as indent=2 would set them)
    return "  {\n    " + _FLAT(row)[1:-1] + "\n  }"


_FLAT = json.JSONEncoder(ensure_ascii=False, separators=(",\n    ", ": ")).encode


def to_json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def emit(
    rows: Iterable[dict],
    columns: Sequence[tuple[str, str]],
    fmt: str,
    *,
    reveal: bool = False,
    title: str | None = None,
    caption: str | None = None,
    styles: Callable[[dict], str | None] | None = None,
    fields: Sequence[str] | None = None,
    sections: Callable[[int, dict], str | None] | None = None,
) -> None:
    """Print records, the one way every listing is printed. `columns` [(key, Chinese label)] are the
    table's; json and csv carry every field of each row under its English key (`fields` names them
    for the header of an empty csv). Rows may be a generator: json and csv are written as they come."""
    if fmt == "json":
        _write(json_text(rows if reveal else map(_masking(maskers()), rows)))
    elif fmt == "csv":
        _csv(rows if reveal else map(_masking(maskers()), rows), fields or [k for k, _ in columns])
    else:
        keys = [k for k, _ in columns]
        painted: list | None = [] if styles is not None and _colours() else None
        heads: dict | None = {} if sections else None

        def noted(rows: Iterable[dict]) -> Iterator[dict]:
            """The rows, each one's colour and section heading noted on the way (the rows themselves
            are not kept: a district's whole list is 340,000 of them)."""
            for i, row in enumerate(rows):
                if painted is not None:
                    painted.append(COLOURS.get(styles(row) or ""))
                if heads is not None and (head := sections(i, row)):
                    heads[i] = head
                yield row

        body = table_columns(noted(rows), keys, reveal)
        labels = [label for _, label in columns]
        limit = terminal_width()
        if limit is None:
            _write(plain_columns(labels, body, title=title, caption=caption, styles=painted, sections=heads))
        else:
            _write(fitted(keys, labels, body, limit, title=title, caption=caption, styles=painted, sections=heads))


def _csv(rows: Iterable[dict], fields: Sequence[str]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    keys = None
    for row in rows:
        if keys is None:
            keys = list(row)
            writer.writerow(keys)
        writer.writerow([csv_cell(row.get(k)) for k in keys])
    if keys is None:
        writer.writerow(fields)


def emit_record(record: dict, labels: Iterable[tuple[str, str]], fmt: str, *, reveal: bool = False,
                title: str | None = None) -> None:
    """One record: a two-column table for people, an object in json, one row in csv."""
    shown = masked(record, reveal)
    if fmt == "json":
        sys.stdout.write(to_json(shown) + "\n")
    elif fmt == "csv":
        emit([shown], [], "csv", reveal=True)
    else:
        pairs = [(label, cell(shown.get(key))) for key, label in labels]
        limit = terminal_width()
        if limit is None:
            sys.stdout.write(plain_table(["", ""], [list(p) for p in pairs], title=title, header=False))
        else:
            body = [[label for label, _ in pairs], [value for _, value in pairs]]
            _write(fitted(["label", "value"], ["", ""], body, limit, title=title, header=False))


def guard(fn: Callable) -> Callable:
    """Expected failures become one line on stderr and an exit code, never a traceback;
    an unexpected one (a bug) is written to a crash file and named briefly."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from jindu_cli.cli.options import OPEN, close_all
        from jindu_cli.errors import JinduError

        depth = len(OPEN)
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except JinduError as exc:
            error(exc.message)
            raise typer.Exit(exc.exit_code) from None
        except sqlite3.Error as exc:
            from jindu_cli.storage.db import translate_sqlite_error

            error(translate_sqlite_error(exc).message)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            error("已中断；没有完成的写入已经撤销")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # the reader (head, less) went away: not an error of ours
            try:
                sys.stdout = open(os.devnull, "w")
            except OSError:
                pass
            raise typer.Exit(0) from None
        except OSError as exc:
            name = f"{exc.filename}：" if exc.filename else ""
            error(f"文件操作失败：{name}{os_reason(exc)}")
            raise typer.Exit(1) from None
        except Exception:
            path = _write_crash_report()
            error(f"jindu 内部错误（这是程序的缺陷，不是你的操作问题）。详情已写入 {path}，请交给维护人员")
            if os.environ.get("JINDU_DEBUG"):
                traceback.print_exc()
            raise typer.Exit(70) from None
        finally:
            if depth == 0:
                close_all()

    return wrapper


def _write_crash_report() -> str:
    from jindu_cli import __version__
    from jindu_cli.storage.db import default_data_dir, make_private_dir

    text = f"jindu {__version__} {datetime.now().isoformat()}\n{' '.join(sys.argv)}\n{traceback.format_exc()}"
    folder = default_data_dir() / "crash"
    try:
        make_private_dir(folder)
        path = folder / f"crash-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.txt"
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return str(path)
    except OSError:
        return "（无法写入崩溃报告）"


def os_reason(exc: OSError) -> str:
    """Why a file could not be read or written, in Chinese for the usual reasons."""
    import errno

    if exc.errno in (errno.EACCES, errno.EPERM) and sys.platform == "win32":
        # (Windows refuses a file another program holds open, as Excel and WPS hold the files they show)
        return "没有权限，或者文件正在别的程序（如 Excel、WPS）里打开；关掉它再试"
    reasons = {errno.ENOENT: "文件或文件夹不存在", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
               errno.ENOSPC: "磁盘空间不足", errno.EROFS: "这个磁盘是只读的", errno.EISDIR: "这是一个文件夹，不是文件",
               errno.ENOTDIR: "路径里有一段不是文件夹", errno.ENAMETOOLONG: "文件名太长"}
    return reasons.get(exc.errno) or exc.strerror or str(exc)


def write_atomic(path: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """Write a file in one step: a private temporary file beside it, flushed, then renamed.
    `data`: the bytes, or what writes them to the file it is given (a long export, written as it
    is read). A failure names the file asked for, not the temporary one, and leaves no file."""
    import tempfile

    from jindu_cli.storage.db import owner_only

    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if callable(data):
                data(fh)
            else:
                fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        owner_only(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not exc.filename:  # (the disk filled up: name the file)
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
