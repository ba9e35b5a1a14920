"""SQLite's own settings for the process, made before SQLite starts.

The one set here: no memory statistics (SQLITE_CONFIG_MEMSTATUS off). With them on, as Debian's
and most builds of SQLite have it, every allocation SQLite makes takes one mutex shared by the
whole process, and two threads reading at once (the report's two connections, the due list's)
spend their time waiting for each other: on the development machine, two threads each gathering
the district's people took 1.46 s to 1.54 s together, against 1.07 s to 1.16 s without the
statistics (and 0.8 s to 1.2 s for one alone). SQLite's documentation recommends them off
(SQLITE_DEFAULT_MEMSTATUS=0 among its recommended compile-time options); jindu reads none of them
(sqlite3_memory_used, the soft heap limit).

Python's sqlite3 module has no call for it, and its import starts SQLite, after which the setting
can no longer change: so `configure` must run before anything imports sqlite3, and it reaches the
very library that module will use by loading its extension module's file (without importing it)
through ctypes. Where that cannot be done (another build, another platform), nothing changes but
the speed of two threads.
"""

from __future__ import annotations

SQLITE_CONFIG_MEMSTATUS = 9  # sqlite3.h
SQLITE_OK = 0

state: dict[str, object] = {}  # what configure did: "memstatus" -> "off", or why not


def configure() -> None:
    """Turn SQLite's memory statistics off, if SQLite has not started yet (once per process)."""
    import sys

    if state:
        return
    if "_sqlite3" in sys.modules:
        state["memstatus"] = "on (SQLite was started before)"
        return
    try:
        import ctypes
        import importlib.util

        spec = importlib.util.find_spec("_sqlite3")
        if spec is None or not spec.origin:
            state["memstatus"] = "on (no _sqlite3 module)"
            return
        library = ctypes.CDLL(spec.origin)  # (dlopen: the module is not imported, its library loaded)
        config = library.sqlite3_config
    except (ImportError, OSError, AttributeError) as exc:
        state["memstatus"] = f"on ({type(exc).__name__})"
        return
    result = config(SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0))
    state["memstatus"] = "off" if result == SQLITE_OK else f"on (sqlite3_config gave {result})"
