"""The one way the index opens its SQLite files (manifest, symbol graph, positions)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def connect(path: Path, schema: str = "") -> sqlite3.Connection:
    """An autocommit connection that any thread may use (callers keep their own lock),
    in WAL mode so readers never wait for a writer, with ``schema`` applied.

    Raises ``sqlite3.DatabaseError`` for a file that is not a database.
    """
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        enable_wal(db)
        db.execute("PRAGMA synchronous=NORMAL")
        if schema:
            db.executescript(schema)
    except BaseException:
        db.close()
        raise
    return db


def enable_wal(db: sqlite3.Connection) -> None:
    """Put the file behind ``db`` in WAL mode (nothing to do when it is). SQLite refuses the switch at once, without
    waiting, while another process writes to the file (two processes opening a new file together), so the switch is
    tried again until the connection's busy timeout has passed; then the last "database is locked" is raised."""
    deadline = time.monotonic() + db.execute("PRAGMA busy_timeout").fetchone()[0] / 1000
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One transaction on an autocommit connection: committed at the end, rolled
    back if the block raises (the caller holds its lock)."""
    db.execute("BEGIN")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
