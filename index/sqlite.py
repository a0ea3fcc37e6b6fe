"""The one way the index opens its SQLite files (manifest, symbol graph, positions)."""

from __future__ import annotations

import sqlite3
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
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        if schema:
            db.executescript(schema)
    except BaseException:
        db.close()
        raise
    return db


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
