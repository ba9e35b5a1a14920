"""SQLite's memory statistics are off in a jindu process, so that two threads reading at once do not
wait on the one mutex every allocation takes (storage/engine.py)."""

import subprocess
import sys

import pytest

from jindu_cli.storage import engine

PROBE = """
import ctypes, sys
import jindu_cli.cli
from jindu_cli.storage import engine
import _sqlite3, sqlite3
library = ctypes.CDLL(_sqlite3.__file__)
library.sqlite3_memory_used.restype = ctypes.c_int64
conn = sqlite3.connect(":memory:")
conn.execute("CREATE TABLE t (x)")
conn.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1000)])
print(engine.state["memstatus"], library.sqlite3_memory_used())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the SQLite library is reached this way on Linux")
def test_a_jindu_process_starts_sqlite_without_memory_statistics():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["off", "0"]  # SQLite counts no memory: the statistics (and their mutex) are off
    # and a process that does not ask for it keeps SQLite's default
    plain = PROBE.replace("import jindu_cli.cli\nfrom jindu_cli.storage import engine\n", "").replace(
        'engine.state["memstatus"], ', "")
    used = subprocess.run([sys.executable, "-c", plain], capture_output=True, text=True, check=True).stdout
    assert int(used) > 0


def test_once_sqlite_has_started_it_is_left_as_it_is(monkeypatch):
    import sqlite3  # noqa: F401  (this process started SQLite long ago)

    monkeypatch.setattr(engine, "state", {})
    engine.configure()
    assert engine.state == {"memstatus": "on (SQLite was started before)"}
    engine.configure()  # once is enough
    assert engine.state == {"memstatus": "on (SQLite was started before)"}
