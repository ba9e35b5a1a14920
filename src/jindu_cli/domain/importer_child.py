"""A large visit or test log converted on the machine's other core.

Importing a large log is two kinds of work of about the same size: reading and converting its
rows (Python: decoding, parsing, every check), and inserting them (SQLite). They cannot share one
process's interpreter usefully (a thread inserting row by row waits for the interpreter lock after
every row), so a child process reads the file and converts its rows, batch by batch, while this
process inserts the batch before. Both see the database as of one moment: this process holds the
write lock from before the child starts until it commits, and the child only reads, through its
own connection, what was committed before (the register; the import itself writes only the
ledger row and the records).

The child is a fresh interpreter (`python -m jindu_cli.domain.importer_child`): a forked copy
would share this process's SQLite handles. It reads one job from stdin and writes pickled
messages to stdout:

    ("batch", rows read so far, note lines among them, position in the file, time stamp, plain rows, forced rows,
     [(cells, Rejected)...])    one per batch, in the file's order
    ("end", rows read, note lines)  the whole file converted
    ("problem", message)        the file cannot be imported (FileProblem in the child)
    ("crash", traceback)        anything else

Nothing is committed before the whole file is read, so a child that stops early (a kill, a crash)
leaves the transaction to be rolled back like any other failure. When this process is killed, the
child's next message meets a closed pipe, and it exits.
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
import traceback
from pathlib import Path

from jindu_cli.domain import importer
from jindu_cli.storage.db import open_db, readable_beside

# a smaller file is converted in this process: starting the child (an interpreter that imports the
# importer) took 0.15 to 0.17 s, and a log of 4 MB about 1.5 s to convert
CHILD_MIN_BYTES = 4 << 20


def wanted(conn, source: importer.Source, size: int, kind: str) -> Path | None:
    """The database file the child would read, when a child is worth starting for this file:
    a visit or test log in CSV, large enough, and a database another connection can read while
    this one writes. None otherwise."""
    if kind not in ("visits", "tests") or source.sheet or size < CHILD_MIN_BYTES or not sys.executable:
        return None
    return readable_beside(conn)


def job_for(conn, path: Path, facts: dict, size: int, opts, source: importer.Source, columns: dict,
            ledger_id: int) -> dict | None:
    """What the child needs to convert this file as this process would, or None when no child is
    wanted (see `wanted`)."""
    db_file = wanted(conn, source, size, opts.kind)
    if db_file is None:
        return None
    return {"db": str(db_file), "path": str(path), "facts": facts, "size": size, "opts": opts,
            "header": source.header, "columns": columns, "ledger_id": ledger_id, "batch": importer.BATCH}


def convert_beside(rows, job: dict, progress) -> None:
    """Have a child read and convert the file of `job` while `rows` (an importer._RecordRows)
    inserts each batch the child sends. Returns when the file is done; raises FileProblem when
    it cannot be imported (nothing is written by then that the caller's transaction keeps)."""
    package_root = str(Path(importer.__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p))
    child = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=env)
    try:
        try:
            pickle.dump(job, child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            child.stdin.close()
        except BrokenPipeError:
            pass  # it stopped at once: the read below says so
        while True:
            try:
                message = pickle.load(child.stdout)
            except EOFError:
                raise importer.FileProblem(f"读取这个文件的第二个 jindu 进程意外退出（退出码 {child.wait()}）："
                                           "这个文件一行也没有导入，可以再导入一次") from None
            if message[0] == "batch":
                _, rows.report.rows, rows.report.note_lines, position, now, plain, forced, rejects = message
                for cells, rejected in rejects:
                    rows.report.reject(rejected)
                    if rows.on_error:
                        rows.on_error(cells, rejected, rows.header)
                rows.write(now, plain, forced)
                if progress:
                    progress(position, job["size"])
            elif message[0] == "end":
                rows.report.rows, rows.report.note_lines = message[1:3]
                if progress:
                    progress(job["size"], job["size"])
                return
            elif message[0] == "problem":
                raise importer.FileProblem(message[1])
            else:
                last = message[1].strip().splitlines()[-1] if message[1].strip() else "?"
                raise importer.FileProblem(f"读取这个文件时出错（{last}）：这个文件一行也没有导入")
    finally:
        child.stdout.close()
        if child.poll() is None:
            child.kill()
        child.wait()


def _convert(job: dict, out) -> None:
    importer.BATCH = job["batch"]
    conn = open_db(Path(job["db"]), readonly=True)
    opts = job["opts"]
    source = importer.open_source(Path(job["path"]), job["facts"], job["size"], opts.encoding, opts.sheet,
                                  importer.header_score(conn, [opts.kind]))
    try:
        if source.header != job["header"]:
            raise importer.FileProblem("文件在导入过程中被改动了：请等文件写完后再导入")
        rejects: list = []
        report = importer.Report(file=job["path"], kind=opts.kind)
        rows = importer.RECORD_ROWS[opts.kind](conn, opts, report, job["columns"], source.header, job["ledger_id"],
                                               lambda cells, rejected, _header: rejects.append((cells, rejected)))
        rows.suspect = source.suspect
        gc.disable()  # as in importer._no_collector_passes: the rows make no reference cycles
        for batch in rows.batches(source):
            now, plain, forced = rows.prepare(batch)
            pickle.dump(("batch", report.rows, report.note_lines, source.position(), now, plain, forced, rejects), out,
                        protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            rejects.clear()
        pickle.dump(("end", report.rows, report.note_lines), out)
        out.flush()
    finally:
        source.close()
        conn.close()


def main() -> None:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever else prints goes to stderr, never into the messages
    try:
        try:
            _convert(pickle.load(sys.stdin.buffer), out)
        except importer.FileProblem as exc:
            pickle.dump(("problem", exc.message), out)
        except (BrokenPipeError, KeyboardInterrupt):
            raise
        except BaseException:  # noqa: BLE001 - handed to the parent, which reports the file as failed
            pickle.dump(("crash", traceback.format_exc()), out)
        out.flush()
    except (BrokenPipeError, KeyboardInterrupt):  # the parent is gone, or stopping: nobody to tell
        os._exit(1)


if __name__ == "__main__":
    main()
