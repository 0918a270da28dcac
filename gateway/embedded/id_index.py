"""Make FerretDB v1.24.2 (SQLite) answer ``{_id: value}`` from an index, as it means to.

FerretDB creates each collection's unique ``_id_`` index on the expression
``_ferretdb_sjson->"_id"`` but pushes an ``{_id: value}`` filter down as
``WHERE _ferretdb_sjson->'$._id' = ?``. SQLite matches index expressions by their text, so
it never uses that index: every point read, update and delete by ``_id`` scans the whole
table (measured on 20,000 small documents: 80 ms per read of a late or missing ``_id``,
160 ms per update; with the index below, about 1 ms each). This is the root of most FerretDB
slowness we saw (updates that grow with collection size, 100-statement batches that never
finish, missing-``_id`` reads as full scans).

The workaround lives here and only here: add an index on the exact pushed-down expression,
``"<table>_lg_id"``, to every collection table of the embedded FerretDB's SQLite files.
FerretDB does not know about it (``listIndexes`` does not show it; dropping the collection
drops it with the table); SQLite just uses it. :class:`IdIndexKeeper` does a pass every
``interval`` seconds in a daemon thread, so collections created at any time get it soon.
It is never used against MongoDB, which indexes ``_id`` itself.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path
from types import TracebackType

INDEX_SUFFIX = "_lg_id"
PUSHED_DOWN_ID = "_ferretdb_sjson->'$._id'"
_COLLECTIONS_TABLE = "_ferretdb_collections"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _index_file(path: Path) -> list[str]:
    """Create the missing ``_id`` lookup indexes in one database file; returns their names."""
    created = []
    with contextlib.closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as connection:
        try:
            tables = [row[0] for row in connection.execute(
                f"SELECT table_name FROM {_COLLECTIONS_TABLE}")]
        except sqlite3.OperationalError:
            return created
        existing = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        for table in tables:
            name = table + INDEX_SUFFIX
            if name in existing:
                continue
            try:
                connection.execute(f"CREATE INDEX IF NOT EXISTS {_quoted(name)} "
                                   f"ON {_quoted(table)} ({PUSHED_DOWN_ID})")
            except sqlite3.OperationalError:
                continue
            created.append(name)
    return created


def index_id_lookups(data_dir: Path) -> list[str]:
    """One pass over every database file under ``data_dir``; returns the indexes created.

    A file or table dropped while the pass runs is skipped, not an error.
    """
    created = []
    for path in sorted(data_dir.glob("*.sqlite")):
        try:
            created += _index_file(path)
        except sqlite3.DatabaseError:
            continue
    return created


class IdIndexKeeper:
    """Runs :func:`index_id_lookups` every ``interval`` seconds until stopped.

    Use as a context manager around the time a process works with the embedded FerretDB.
    """

    def __init__(self, data_dir: Path, interval: float = 0.5) -> None:
        self.data_dir, self.interval = data_dir, interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ferretdb-id-index",
                                        daemon=True)

    def _run(self) -> None:
        while not self._stopped.is_set():
            index_id_lookups(self.data_dir)
            self._stopped.wait(self.interval)

    def start(self) -> IdIndexKeeper:
        index_id_lookups(self.data_dir)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def __enter__(self) -> IdIndexKeeper:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
