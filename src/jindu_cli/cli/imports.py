"""jindu import: street offices' registers, visit logs and test logs, and the log of what came in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from jindu_cli.cli.common import LimitOpt
from jindu_cli.cli.options import AsOfOpt, DbOpt, FormatOpt, Fmt, OperatorOpt, as_of_date, open_conn, operator_name
from jindu_cli.cli.output import emit, guard, message

app = typer.Typer(help="导入街道报来的登记表、走访记录、检测记录和街道自己的宣传台账、筛查台账（CSV 或 .xlsx），以及查看导入记录。\n\n"
                       "文件照各街道的样子导入即可：列名可以在标题、填报单位几行的下面，也可以占两行；"
                       "表尾的填表人、合计等行会跳过；.xlsx 里列名对得上的每一张工作表都会导入。", no_args_is_help=True)

FilesArg = Annotated[list[Path], typer.Argument(metavar="文件...", show_default=False,
                                                help="一个或多个文件：CSV（UTF-8、带 BOM 的 UTF-8、GB18030/GBK）或 .xlsx；"
                                                     "给文件夹时导入其中所有的 CSV 和 .xlsx 文件")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="只检查、报告会发生什么，不写入任何东西")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="只要有一行有错，这个文件就一行也不导入")]
ErrorsOpt = Annotated[Optional[Path], typer.Option("--errors", metavar="OUT.csv", show_default=False,
                                                   help="把被拒绝的行按原来的列写进这个文件，加一列“错误原因”，改好后可再导入")]
EncodingOpt = Annotated[Optional[str], typer.Option("--encoding", metavar="编码", show_default=False,
                                                    help="文件编码（默认自动识别：UTF-8、带 BOM 的 UTF-8、GB18030/GBK、UTF-16）")]
AgainOpt = Annotated[bool, typer.Option("--again", help="内容完全相同的文件也再导入一次（上次有行被拒绝，补登了人员或改正了登记表以后用）；"
                                                  "已经导入的行不会重复")]
DoneOpt = Annotated[Optional[Path], typer.Option("--done", metavar="文件夹", show_default=False,
                                                 help="每个文件的所有行都导入了（或是导入过的重复文件），就把它移到这个文件夹"
                                                      "（没有就新建）；有行被拒绝、导入失败的文件留在原处等人处理。"
                                                      "适合计划任务每天导入一个收件文件夹")]
StreetOpt = Annotated[Optional[str], typer.Option("--street", show_default=False,
                                                 help="宣传台账、筛查台账没有“街道”列时，所有行记为这个街道（只用于台账：import activities、import screenings，和 import auto 认出的台账）")]
SheetOpt = Annotated[Optional[str], typer.Option("--sheet", metavar="工作表", show_default=False, help=".xlsx 文件只导入这一张工作表（默认：列名对得上的每一张）")]

STATUS_LABELS = {"imported": "已导入", "duplicate": "重复文件，未改动", "dry_run": "试运行，未写入",
                 "strict_failed": "有错，整个文件未导入（--strict）", "failed": "未导入"}
SUMMARY = [("file", "文件"), ("encoding", "编码"), ("rows", "行数"), ("inserted", "新增"), ("updated", "更新"),
           ("unchanged", "未变"), ("rejected", "拒绝"), ("status_label", "结果")]


class ErrorsNotWritten(Exception):
    """The errors file `path` could not be written (the disk full): its temporary file is gone."""

    def __init__(self, path: Path, error: OSError, written: list[Path] | None = None):
        super().__init__(str(path))
        self.path, self.error, self.written = path, error, written or []


class ErrorsFile:
    """Rejected rows in their original columns plus 错误原因, one file per input, written atomically."""

    def __init__(self, target: Path | None, many: bool):
        self.target, self.many = target, many
        self.open: dict[str, tuple] = {}

    def check(self) -> None:
        """Before any file is read: the folder the rejected rows are to be written to is there."""
        import os

        from jindu_cli.errors import InvalidInput

        if self.target is None:
            return
        folder = self.target.parent
        if self.target.is_dir():
            raise InvalidInput("--errors", f"{self.target} 是一个文件夹；请给一个文件名，如 {self.target / '错误.csv'}")
        if not folder.is_dir():
            raise InvalidInput("--errors", f"文件夹 {folder} 不存在")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InvalidInput("--errors", f"没有权限在文件夹 {folder} 里写文件")

    def path_for(self, source: Path, sheet: str | None = None) -> Path:
        """The errors file of one input: --errors itself, or with several inputs one beside it per
        input (each sheet of a workbook an input), named after it (错误-盐务街.csv, 错误-检测-3月.csv),
        and numbered when two inputs share a name."""
        if not self.many:
            return self.target
        taken = {final for _, _, _, final in self.open.values()}
        path, number = None, 1
        named = f"{source.stem}-{sheet}" if sheet else source.stem
        while path is None or path in taken:
            suffix = f"-{number}" if number > 1 else ""
            path = self.target.with_name(f"{self.target.stem}-{named}{suffix}{self.target.suffix or '.csv'}")
            number += 1
        return path

    def sink(self, source: Path, sheet: str | None = None):
        if self.target is None:
            return None
        key = f"{source}\x00{sheet or ''}"

        def write(cells, rejected, header):
            import csv
            import os
            import tempfile

            from jindu_cli.domain.exporter import csv_cell
            from jindu_cli.domain.importer import cell_text

            if key not in self.open:
                final = self.path_for(source, sheet)
                try:
                    fd, tmp = tempfile.mkstemp(dir=final.parent or Path("."), prefix=f".{final.name}.",
                                               suffix=".tmp")
                except OSError as exc:
                    raise ErrorsNotWritten(final, exc) from None
                fh = os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
                self.open[key] = (fh, csv.writer(fh), tmp, final)
                self._row(key, header + ["错误原因"])
            where = f"第 {rejected.line} 行" + (f"“{rejected.column}”" if rejected.column else "")
            cells = [csv_cell(cell_text(c)) for c in cells[:len(header)]] + [""] * max(0, len(header) - len(cells))
            self._row(key, [*cells, f"{where}：{rejected.reason}"])

        return write

    def _row(self, key: str, cells: list) -> None:
        _, writer, _, final = self.open[key]
        try:
            writer.writerow(cells)
        except OSError as exc:  # (the disk filled up: a buffer full of rows could not be written out)
            raise ErrorsNotWritten(final, exc) from None

    def finish(self) -> list[Path]:
        """Each errors file in place; on a failure, those not yet in place are removed, none is
        left half-written."""
        import os

        from jindu_cli.storage.db import owner_only

        done = []
        for key, (fh, _, tmp, final) in list(self.open.items()):
            try:
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
                owner_only(tmp)
                os.replace(tmp, final)
            except OSError as exc:
                self.abandon()
                raise ErrorsNotWritten(final, exc, done) from None
            del self.open[key]
            done.append(final)
        return done

    def abandon(self) -> None:
        """Every temporary file removed, also when closing it fails (its buffer could not be written)."""
        import os

        for fh, _, tmp, _ in self.open.values():
            try:
                fh.close()
            except OSError:
                pass
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self.open.clear()


def _progress():
    """A progress bar on stderr when a person is watching; None for cron and pipes."""
    import sys

    if not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from jindu_cli.cli.output import console

    # a file's name is shown as it is, never read as rich markup
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                    TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(), transient=True,
                    console=console(stderr=True))


def _advance(bar, task, name: str):
    """The progress of one file: its rows read, then (a large file's indexes rebuilt, the whole
    file committed: a few seconds with nothing read) that it is being saved."""
    def progress(done: int, total: int) -> None:
        saving = done >= total
        bar.update(task, completed=done, total=max(1, total),
                   description=f"正在保存 {name}（写入数据库）" if saving else f"导入 {name}")
    return progress


IMPORTABLE = (".csv", ".xlsx", ".txt", ".tsv")


def expand_folders(files: list[Path], empty_ok: bool = False) -> list[Path]:
    """The files given, a folder standing for the CSV and .xlsx files in it (by name; hidden files
    and Excel's ~$ lock files left out). A folder without any is an error naming it, or with
    `empty_ok` (a drop folder emptied by --done) is said to have nothing new."""
    from jindu_cli.errors import InvalidInput

    out: list[Path] = []
    for path in files:
        if not path.is_dir():
            out.append(path)
            continue
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMPORTABLE
                       and not p.name.startswith((".", "~$")))
        if not found and empty_ok:
            message(f"文件夹 {path} 里没有要导入的新文件")
        elif not found:
            raise InvalidInput("文件", f"文件夹 {path} 里没有可导入的文件（.csv、.xlsx、.txt、.tsv）")
        out.extend(found)
    return out


def run_import(kind: str, files: list[Path], dry_run: bool, strict: bool, errors: Path | None, fmt: Fmt,
               encoding: str | None, sheet: str | None, as_of: str | None, db: str | None,
               operator: str | None, again: bool = False, done: Path | None = None, street: str | None = None) -> None:
    """Import each file as `kind`, or with kind "auto" as the kind its header shows (registers
    first, so that the logs find the people they name). With `done`, each file all of whose rows
    went in is moved there afterwards."""
    from jindu_cli.domain import importer
    from jindu_cli.errors import InvalidInput

    today = as_of_date(as_of)
    if street is not None and kind not in (*LEDGERS, "auto"):
        raise InvalidInput("--street", "只用于 import activities、import screenings 和 import auto 里的台账"
                                       "（登记表、走访和检测记录的街道是人员的）")
    if done is not None and done.exists() and not done.is_dir():
        raise InvalidInput("--done", f"{done} 不是文件夹")
    files = expand_folders(files, empty_ok=done is not None)
    if not files:  # a drop folder that --done has emptied, and nothing new in it: nothing to do
        return
    sink = ErrorsFile(errors, len(files) > 1)
    sink.check()
    conn = open_conn(db)
    if street is not None:  # (checked before any file is read: a wrong one is one message, not one per row)
        from jindu_cli.domain import reference

        street = reference.streets(conn).resolve(street, "--street")
    opts = importer.Options(kind, today, operator_name(operator), dry_run, strict, encoding, sheet, again, street)
    with importer.keeping_workbooks(), importer.rehearsal(conn, dry_run):
        reports, passed = _import_each(conn, files, kind, encoding, sheet, opts, sink)
    failed = None
    try:
        written = sink.finish()
    except ErrorsNotWritten as exc:
        failed, written = exc, exc.written
    _show(reports, fmt, kind)
    _passed_over(passed, kind)
    for path in written:
        message(f"被拒绝的行已写入 {path}（原来的列加“错误原因”；改好后可再导入）")
    if failed is not None:
        raise _not_written(failed, "被拒绝的行" if dry_run else "导入已经完成，但被拒绝的行",
                           "再试一次" if dry_run else AGAIN)
    moved_all = _move_done(done, files, reports, passed) if done is not None and not dry_run else True
    if not all(r.ok for r in reports) or not moved_all:
        raise typer.Exit(1)


def _passed_over(passed: list, kind: str) -> None:
    """Each sheet of a workbook that was not imported, and why."""
    from jindu_cli.domain import importer

    for path, name, why in passed:
        if why == "name":
            message(f"{path.name}：工作表“{name}”的名字像是调出、解除、作废或旧的记录，没有导入；"
                    f"确实要导入，用 --sheet {name} 单独导入这一张")
        elif kind == "auto":
            message(f"{path.name}：工作表“{name}”看不出是{importer.AUTO_CHOICES}，没有导入")
        else:
            message(f"{path.name}：工作表“{name}”缺少{importer.KIND_LABELS[kind]}必需的列，没有导入")


def _import_each(conn, files: list[Path], kind: str, encoding: str | None, sheet: str | None, opts,
                 sink: ErrorsFile) -> tuple[list, list]:
    """Import each file, or each sheet of a workbook, as the kind it is to be read as: (the
    reports, the sheets passed over as (file, sheet, why: see importer.plan_sheets))."""
    import dataclasses

    from jindu_cli.domain import importer

    reports, untold, work, passed = [], [], [], []
    for path in files:
        items, skipped = importer.plan_sheets(conn, path, kind, encoding, sheet)
        for found, name, why in items:
            if found is None:
                untold.append(importer.Report(file=str(path), kind="", status="failed", message=why, sheet=name or ""))
            else:
                work.append((found, path, name))
        passed += [(path, name, why) for name, why in skipped]
    if kind == "auto":
        work.sort(key=lambda item: item[0] != "cases")  # (a stable sort: otherwise in the order given)
    sink.many = len(work) > 1
    bar = _progress()
    try:
        for each, path, name in work:
            progress = None
            shown = f"{path.name}（{name}）" if name else path.name
            if bar is not None:
                bar.start()
                task = bar.add_task(f"导入 {shown}", total=max(1, path.stat().st_size if path.exists() else 1))
                progress = _advance(bar, task, shown)
            try:
                reports.append(importer.import_file(conn, path, dataclasses.replace(opts, kind=each, sheet=name),
                                                    sink.sink(path, name), progress))
            finally:
                if bar is not None:
                    bar.stop()
                    bar.remove_task(task)  # (or each next file's bar would show the ones before it again)
    except ErrorsNotWritten as exc:
        sink.abandon()
        name = f"{path.name}（{name}）" if name else path.name
        if opts.dry_run:
            raise _not_written(exc, f"{name} 被拒绝的行", "再试一次") from None
        went_in = sum(r.status == "imported" for r in reports)  # (each file is committed as it is done)
        raise _not_written(exc, f"{name} 没有导入" + (f"（在它之前的 {went_in} 个文件已经导入）" if went_in else "")
                           + "：它被拒绝的行", AGAIN if went_in else "再导入一次") from None
    except BaseException:
        sink.abandon()
        raise
    return reports + untold, passed


AGAIN = "加 --again 再导入一次（已经导入的行不会重复）"


def _not_written(exc: ErrorsNotWritten, what: str, then: str):
    """The errors file asked for could not be written: which, why, what of the import stands, and
    how to have the file after all."""
    from jindu_cli.cli.output import os_reason
    from jindu_cli.errors import JinduError

    return JinduError(f"{what}没能写入 {exc.path}（{os_reason(exc.error)}），没有留下不完整的文件；"
                      f"腾出磁盘空间后{then}，就能得到这个文件")


def _move_done(done: Path, files: list[Path], reports: list, passed: list) -> bool:
    """Move each file every row of which is in (each sheet, for a workbook; a repeat counts when its
    last import refused no row) into `done`, named as it was (numbered when the name is taken).
    Files with a refused row, a failure, or a sheet passed over stay where they are. True when every
    file given has moved: what stays is for a person to look at, so the exit code says so."""
    import shutil

    from jindu_cli.cli.output import os_reason
    from jindu_cli.storage.db import make_private_dir

    left = {str(path) for path, _, _ in passed} | {r.file for r in reports if not r.all_in}
    given = list(dict.fromkeys(files))
    ready = [path for path in given if str(path) not in left and any(r.file == str(path) for r in reports)]
    if len(ready) < len(given):
        message(f"留在原处、等人处理的文件：{'、'.join(p.name for p in given if p not in ready)}")
    if not ready:
        return False
    try:
        make_private_dir(done)
    except OSError as exc:
        message(f"无法建立文件夹 {done}（{os_reason(exc)}），导入过的文件留在原处")
        return False
    moved, ok = [], True
    for path in ready:
        target, number = done / path.name, 2
        while target.exists():
            target, number = done / f"{path.stem}-{number}{path.suffix}", number + 1
        try:
            shutil.move(str(path), str(target))
            moved.append(target.name)
        except OSError as exc:
            message(f"无法把 {path.name} 移到 {done}（{os_reason(exc)}）；它已经导入，留在原处")
            ok = False
    if moved:
        message(f"已移到 {done}：{'、'.join(moved)}")
    return ok and len(ready) == len(given)


def _show(reports, fmt: Fmt, kind: str) -> None:
    from collections import Counter

    from jindu_cli.domain.importer import KIND_LABELS

    if fmt is Fmt.json:
        emit([r.as_dict() for r in reports], SUMMARY, "json", reveal=True)
        return
    sheets = Counter(r.file for r in reports if r.sheet)  # a workbook of several sheets names each
    names = [f"{Path(r.file).name}（{r.sheet}）" if sheets[r.file] > 1 else Path(r.file).name for r in reports]
    rows = [dict(r.as_dict(), status_label=STATUS_LABELS[r.status], file=name) for r, name in zip(reports, names)]
    if fmt is Fmt.csv:
        emit([{k: v for k, v in r.items() if k != "errors"} for r in rows], SUMMARY, "csv", reveal=True)
        return
    if kind == "auto":  # each file's kind as it was told from its header
        for row in rows:
            row["kind_label"] = KIND_LABELS.get(row["kind"], "看不出")
        emit(rows, SUMMARY[:1] + [("kind_label", "类型")] + SUMMARY[1:], "table", title="导入（按列名识别类型）")
    else:
        emit(rows, SUMMARY, "table", title=f"导入{KIND_LABELS[kind]}")
    for r, name in zip(reports, names):
        for line in _notes(r):
            message(f"{name}：{line}")
    _show_refused(reports, names)
    _refused_in_the_register(reports, names)
    for r, name in zip(reports, names):
        if r.outside_measure:
            message(f"{name}：{r.outside_measure} 行只因日期不在措施期内被拒绝（早于报到、中止期间、期满或结案以后）。"
                    "确实要记录的，在文件里加一列“强制记录”填“是”，再导入（每一行都记入审计）")


def _show_refused(reports, names: list[str]) -> None:
    """The refused rows, alike ones together, the first 50 of them; those of a masked ID are told
    once above (`_notes`), not one a person."""
    from jindu_cli.domain.importer.report import MASKED_ID

    problems = _alike([dict(e.as_dict(), file=name) for r, name in zip(reports, names) for e in r.errors
                       if e.reason != MASKED_ID])
    if problems:
        shown = problems[:50]
        more = sum(r.rejected - r.masked_ids for r in reports) - sum(p["count"] for p in shown)
        emit(shown, [("file", "文件"), ("line", "行"), ("column", "列"), ("value", "值"), ("reason", "原因")], "table",
             title="被拒绝的行", caption=f"另有 {more} 行未列出（用 --errors 导出全部，或 -f json）" if more > 0 else None)


# what to export instead of a masked file, by kind
EXPORTED = {"cases": "登记表", "visits": "走访记录", "tests": "检测记录"}


def _notes(r) -> list[str]:
    """What a file's import has to say besides its counts."""
    notes = [r.message] if r.message else []
    if r.masked_ids:  # nothing to be done row by row: said once, with how to export the numbers in full
        which = "这是脱敏导出的文件：每一行的身份证号" if r.masked_ids == r.rows else f"{r.masked_ids} 行的身份证号"
        kind = r.kind if r.kind in EXPORTED else "cases"
        notes.insert(0, f"{which}中间 8 位是 *（jindu 导出时不加 --reveal 就是这样），无法还原，这些行没有导入。"
                        f"请在原来的数据库导出完整号码再导入：jindu export {kind} --reveal -o {EXPORTED[kind]}.csv")
    if r.above_header:
        notes.append(f"列名在第 {r.header_line} 行；其上 {r.above_header} 行（标题、填报单位等）不是数据，没有导入")
    if r.note_lines:
        notes.append(f"{r.note_lines} 行是表格自带的说明（填表人、审核人、合计等），不是数据，没有导入")
    if r.unknown_columns:
        notes.append(f"不认识的列已忽略：{'、'.join(r.unknown_columns)}")
    if r.transfers:
        undated = r.transfers - r.transfers_dated
        how = "，".join(part for part in (f"{r.transfers_dated} 人按“变更日期”列" if r.transfers_dated else "",
                                          f"{undated} 人文件没有变更日期，按导入当天记" if undated else "") if part)
        notes.append(f"{r.transfers} 名在执行人员的街道与登记不同，记为变更执行地（{how}）；"
                     "应在 15 日内到新街道报到，已列入到期清单")
    if r.referrals_linked:
        notes.append(f"新登记的人中有 {r.referrals_linked} 人次曾在筛查中阳性并移交公安，移交记录已关联到他们的案件"
                     "（jindu screen referrals 可查）")
    if r.referrals_untold:
        notes.append(f"“已移交公安人数”比登记的移交人员多 {r.referrals_untold} 人：移交公安的人要逐个登记"
                     "（jindu screen refer 筛查编号 --id 身份证号 --name 姓名），报表按登记的人数计")
    if r.updated_fields:  # what a street's register (or ledger) changed, at a glance (each change is audited)
        from jindu_cli.domain import activities, screenings
        from jindu_cli.domain.people import LABELS

        labels, unit = {"activities": (activities.LABELS, "条"), "screenings": (screenings.LABELS, "条")}.get(
            r.kind, (LABELS, "人"))
        notes.append(f"更新了 {r.updated} {unit}：" + "，".join(f"{labels.get(key, key)} {n} {unit}"
                                                            for key, n in r.updated_fields.most_common())
                     + "（每一处改动都记入审计，jindu audit list 可查）")
    return notes


def _refused_in_the_register(reports: list, names: list[str]) -> None:
    """When a log's rows name someone the register does not have, and the register imported in the
    same run refused a row of the same ID, or of an ID that differs only in its check digit (the
    last), say so: the register's row is the one to fix first."""
    refused: dict[str, tuple[str, object]] = {}
    for r, name in zip(reports, names):
        if r.kind == "cases":
            for e in r.errors:
                if e.typed_id:
                    refused.setdefault(e.typed_id[:17], (name, e))
    if not refused:
        return
    for r, name in zip(reports, names):
        met: dict[str, list[int]] = {}
        for e in r.errors:
            if e.unregistered and e.typed_id[:17] in refused:
                met.setdefault(e.typed_id, []).append(e.line)
        for typed, lines in met.items():
            where, row = refused[typed[:17]]
            same = "同一个号码" if row.typed_id == typed else "只差最后一位（校验位）的号码"
            message(f"{name}：第 {_lines_text(lines, counted=False)} 行的身份证号，{where} 第 {row.line} 行登记了{same}，"
                    "那一行被拒绝了"
                    f"（{row.reason}）。先改正登记表的那一行并重新导入，再加 --again 导入 {name}")


def _alike(problems: list[dict]) -> list[dict]:
    """The rejected rows as the table shows them: rows of one file refused in the same column, for
    the same value and reason (the whole log of one person not in the register), are one line
    naming their lines, in the order of their first."""
    groups: dict[tuple, dict] = {}
    for p in problems:
        key = (p["file"], p["column"], p["value"], p["reason"])
        if key in groups:
            groups[key]["lines"].append(p["line"])
        else:
            groups[key] = dict(p, lines=[p["line"]])
    for group in groups.values():
        group["count"] = len(group["lines"])
        group["line"] = _lines_text(group["lines"])
    return list(groups.values())


def _lines_text(lines: list[int], counted: bool = True) -> str:
    """12, or 12–15、40 (with `counted`, and how many: （5 行）), or, for many, the first few and
    how many in all."""
    runs: list[list[int]] = []
    for line in sorted(lines):
        if runs and line == runs[-1][1] + 1:
            runs[-1][1] = line
        else:
            runs.append([line, line])
    parts = [str(a) if a == b else f"{a}–{b}" for a, b in runs]
    text = "、".join(parts[:3]) + (f" 等，共 {len(lines)} 行" if len(parts) > 3 else "")
    return text + (f"（{len(lines)} 行）" if counted and len(parts) <= 3 and len(lines) > 1 else "")


LEDGERS = ("activities", "screenings")  # a street office's own ledgers (a street for rows that name none)


def _command(kind: str, doc: str):
    def command(files: FilesArg, dry_run: DryRunOpt = False, strict: StrictOpt = False, errors: ErrorsOpt = None,
                again: AgainOpt = False, done: DoneOpt = None, fmt: FormatOpt = Fmt.table,
                encoding: EncodingOpt = None, sheet: SheetOpt = None, street: StreetOpt = None,
                as_of: AsOfOpt = None, db: DbOpt = None, operator: OperatorOpt = None):
        run_import(kind, files, dry_run, strict, errors, fmt, encoding, sheet, as_of, db, operator, again, done,
                   street)

    command.__doc__ = doc
    command.__name__ = f"import_{kind}"
    return guard(command)


app.command("auto")(_command("auto", """导入一批文件，每个文件按列名识别是登记表、走访记录、检测记录、宣传台账还是筛查台账；先导入登记表。

    台账里没有“街道”列时，用 --street 指明是哪个街道的。可以给文件夹：导入其中所有的 CSV 和 .xlsx 文件，已经导入过的文件自动跳过，适合每天由计划任务运行。
    看不出类型的文件会说明原因，其余文件照常导入。例：jindu import auto 收到的文件/
    """))
app.command("cases")(_command("cases", """导入登记表：按身份证号新增或更新（改动的字段记入审计，没有变化的计为未变）。

    空格子不会清空已有的内容。例：jindu import cases 盐务街登记表.csv --errors 错误.csv
    """))
app.command("visits")(_command("visits", """导入走访记录：同一人、同一天、同一方式只记一次，再导入同样的行不会重复。

    登记表里没有的人、日期不在措施期内的行会被拒绝并说明原因。例：jindu import visits 走访.xlsx
    """))
app.command("tests")(_command("tests", """导入检测记录：同一人、同一天、同一样本和结果只记一次。

    例：jindu import tests 尿检记录.csv --dry-run
    """))
app.command("activities")(_command("activities", """导入宣传台账（禁毒宣传和入户调查）：日期、活动名称或类别、地点、对象、参加人数、发放资料份数、合作单位、备注……

    同一天、同一街道、同一类别、名称和地点的活动只记一次；再导入时有改动的按文件更新（记入审计）。
    例：jindu import activities 盐务街宣传台账.xlsx --street 盐务街
    """))
app.command("screenings")(_command("screenings", """导入筛查台账：筛查日期、筛查对象、检测样本、筛查人数、阳性人数……

    同一天、同一街道、同一对象和地点的筛查只记一次。阳性人员移交公安用 jindu screen refer 逐一记录。
    例：jindu import screenings 筛查台账.csv --street 盐务街
    """))


@app.command("log")
@guard
def import_log(limit: LimitOpt = None,
               fmt: FormatOpt = Fmt.table, db: DbOpt = None):
    """导入记录：每个导入过的文件的名称和所在文件夹、SHA-256、时间、操作员和各项行数。"""
    from jindu_cli.cli.output import local_time
    from jindu_cli.domain.import_log import import_log as logged
    from jindu_cli.domain.importer import KIND_LABELS

    rows = logged(open_conn(db), limit)
    if fmt is Fmt.table:  # the office's clock, the kind in words, a workbook's sheet beside its name, its folder
        for r in rows:
            r.update(sha_short=r["sha256"][:12], time=local_time(r["imported_at"]),
                     kind_label=KIND_LABELS.get(r["kind"], r["kind"]),
                     file=(f"{r['file']}（{r['sheet']}）" if r["sheet"] else r["file"])
                     + (f"，在 {r['folder']}" if r["folder"] else ""))
    # the file last: its name and folder are the long text of this table
    emit(rows, [("import_id", "编号"), ("time", "时间"), ("operator", "操作员"), ("kind_label", "类型"),
                ("sha_short", "SHA-256"), ("encoding", "编码"), ("rows", "行数"), ("inserted", "新增"),
                ("updated", "更新"), ("unchanged", "未变"), ("rejected", "拒绝"), ("file", "文件")], fmt.value)
    if not rows:
        message("还没有导入过文件")
