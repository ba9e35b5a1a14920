"""Rendering: one emit() for table/json/csv, messages on stderr, and the error guard.

Personal data is masked here, in one place, for every format: any field named `id_number`
or `phone` is masked unless the command was given --reveal (which the command audits).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import shutil
import sqlite3
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import typer
from typer.exceptions import TyperException

from jindu_cli.domain.layout import width


def message(text: str) -> None:
    """A line for the person at the terminal (or cron's mail): always stderr, never data."""
    print(text, file=sys.stderr, flush=True)


def error(text: str) -> None:
    message(f"错误：{text}")


def maskers() -> dict[str, Callable[[str | None], str | None]]:
    """The fields that are masked unless revealed, and how."""
    from jindu_cli.domain.ids import mask_id, mask_phone

    return {"id_number": mask_id, "phone": mask_phone}


def masked(row: dict, reveal: bool) -> dict:
    if reveal:
        return row
    out = dict(row)
    for key, mask in maskers().items():
        if out.get(key):
            out[key] = mask(out[key])
    return out


def table_columns(rows: Sequence[dict], keys: Sequence[str], reveal: bool) -> list[list[str]]:
    """The rows as text for a plain table, column by column (several times faster than row by
    row for long lists), masked as `masked` does."""
    hide = {} if reveal else maskers()
    columns = []
    for key in keys:
        values = [r.get(key) for r in rows]
        if key in hide:
            values = list(map(hide[key], values))
        columns.append(values if set(map(type, values)) <= {str} else list(map(cell, values)))
    return columns


def cell(value) -> str:
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
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "、".join(csv_cell(v) for v in value)
    return str(value)


def local_time(at: str) -> str:
    """A UTC time stamp as jindu stores it (2026-11-29T07:34:34.245814Z), as the office's clock
    shows it: 2026-11-29 15:34:34 (the machine's time zone)."""
    from datetime import datetime

    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


RICH_MAX_ROWS = 500  # beyond this rich is too slow (seconds per thousand rows): plain text instead

def plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None,
                caption: str | None = None, header: bool = True) -> str:
    """The layout rich gives a simple table (columns three spaces apart, a rule under the
    header), written directly: fast for many rows, and the same bytes on every machine."""
    body = [list(c) for c in zip(*rows)] if rows else [[] for _ in columns]
    return plain_columns(columns, body, title=title, caption=caption, header=header)


def plain_columns(columns: Sequence[str], body: Sequence[Sequence[str]], *, title: str | None = None,
                  caption: str | None = None, header: bool = True) -> str:
    """plain_table for text given column by column. Each distinct value of a column is measured
    and padded once; the last column is not padded (lines end without spaces)."""
    widths = [width(c) if header else 0 for c in columns]
    padded = []
    for i, values in enumerate(body):
        distinct = list(set(values))
        if i == len(body) - 1:
            # the last column is not padded: only its widest value counts (for the rule), and
            # no value is wider than twice its length, so the longest are measured until then
            for v in sorted(distinct, key=len, reverse=True):
                if 2 * len(v) <= widths[i]:
                    break
                widths[i] = max(widths[i], width(v))
        else:
            measured = list(map(width, distinct))
            widths[i] = max([widths[i], *measured])
            pad = {v: v + " " * (widths[i] - w) for v, w in zip(distinct, measured)}
            values = list(map(pad.__getitem__, values))
        padded.append(values)
    lines = [title] if title else []
    if header:
        lines.append("   ".join(c + " " * (widths[i] - width(c)) for i, c in enumerate(columns)).rstrip())
        lines.append("─" * (sum(widths) + 3 * (len(widths) - 1)))
    lines.extend(map(str.rstrip, map("   ".join, zip(*padded))))
    if caption:
        lines.append(caption)
    return "\n".join(lines) + "\n"


def write_bytes(data: bytes) -> None:
    """Text already in UTF-8 (a table SQLite laid out) to stdout, after what was printed before."""
    import codecs

    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    if codecs.lookup(encoding).name != "utf-8" or not hasattr(sys.stdout, "buffer"):
        sys.stdout.write(data.decode())  # a GB18030 terminal, say: let the stream encode it
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def use_rich(rows: int) -> bool:
    return sys.stdout.isatty() and rows <= RICH_MAX_ROWS


def console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Records are data, never markup: a name or note holding "[/b]" or ":ok:" prints as typed.
    if stream.isatty():
        return Console(file=stream, highlight=False, markup=False, emoji=False)
    # Not a terminal (a pipe, a file, cron): never colour, and do not squeeze wide tables
    # into 80 columns.
    width = shutil.get_terminal_size(fallback=(160, 24)).columns
    return Console(file=stream, width=width, color_system=None, highlight=False, soft_wrap=False, markup=False,
                   emoji=False)


def show(renderable, stderr: bool = False) -> None:
    """Print a rich renderable; off a terminal, without the padding rich adds at line ends."""
    con = console(stderr)
    if con.is_terminal:
        con.print(renderable)
        return
    with con.capture() as captured:
        con.print(renderable)
    text = "\n".join(line.rstrip() for line in captured.get().splitlines())
    (sys.stderr if stderr else sys.stdout).write(text + "\n")


def to_json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def emit(
    rows: Sequence[dict],
    columns: Sequence[tuple[str, str]],
    fmt: str,
    *,
    reveal: bool = False,
    title: str | None = None,
    caption: str | None = None,
    styles: Callable[[dict], str | None] | None = None,
) -> None:
    """Print records. `columns` [(key, Chinese label)] are the table's; json and csv carry
    every field of each row under its English key."""
    if fmt == "table" and not use_rich(len(rows)):
        keys = [k for k, _ in columns]
        sys.stdout.write(plain_columns([label for _, label in columns], table_columns(rows, keys, reveal),
                                       title=title, caption=caption))
        return
    shown = [masked(r, reveal) for r in rows]
    if fmt == "json":
        sys.stdout.write(to_json(shown) + "\n")
    elif fmt == "csv":
        keys = list(shown[0].keys()) if shown else [k for k, _ in columns]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(keys)
        for r in shown:
            writer.writerow([csv_cell(r.get(k)) for k in keys])
        sys.stdout.write(buf.getvalue())
    else:
        from rich import box
        from rich.table import Table

        table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, title_justify="left",
                      caption_justify="left", show_edge=False, pad_edge=False)
        for _, label in columns:
            table.add_column(label, overflow="fold")
        for r in shown:
            table.add_row(*(cell(r.get(k)) for k, _ in columns), style=styles(r) if styles else None)
        show(table)


def emit_record(record: dict, labels: Iterable[tuple[str, str]], fmt: str, *, reveal: bool = False,
                title: str | None = None) -> None:
    """One record: a two-column table for people, an object in json, one row in csv."""
    shown = masked(record, reveal)
    if fmt == "json":
        sys.stdout.write(to_json(shown) + "\n")
    elif fmt == "csv":
        emit([shown], [], "csv", reveal=True)
    elif not use_rich(0):
        sys.stdout.write(plain_table(["", ""], [[label, cell(shown.get(key))] for key, label in labels],
                                     title=title, header=False))
    else:
        from rich import box
        from rich.table import Table

        table = Table(title=title, box=box.SIMPLE, show_header=False, title_justify="left",
                      show_edge=False, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for key, label in labels:
            table.add_row(label, cell(shown.get(key)))
        show(table)


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
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return str(path)
    except OSError:
        return "（无法写入崩溃报告）"


def os_reason(exc: OSError) -> str:
    """Why a file could not be read or written, in Chinese for the usual reasons."""
    import errno

    reasons = {errno.ENOENT: "文件或文件夹不存在", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
               errno.ENOSPC: "磁盘空间不足", errno.EROFS: "这个磁盘是只读的", errno.EISDIR: "这是一个文件夹，不是文件",
               errno.ENOTDIR: "路径里有一段不是文件夹", errno.ENAMETOOLONG: "文件名太长"}
    return reasons.get(exc.errno) or exc.strerror or str(exc)


def write_atomic(path: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """Write a file in one step: a private temporary file beside it, flushed, then renamed.
    `data`: the bytes, or what writes them to the file it is given (a long export, written as it
    is read). A failure names the file asked for, not the temporary one, and leaves no file."""
    import tempfile

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
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not exc.filename:  # (the disk filled up: name the file)
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
