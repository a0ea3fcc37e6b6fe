"""The symbol graph beside the chunks: definitions, calls and imports per file.

Kept in SQLite (WAL) next to the LanceDB tables because graph questions are
point look-ups by name ("who calls parse_headers?"), which an indexed B-tree
answers in microseconds where a columnar scan would not.

Python calls carry a receiver (index/receivers.py): ``callers("C.m")`` returns the
calls resolved to ``C`` (or to a subclass of ``C`` that inherits ``m``), plus the
calls whose receiver is unknown, or is a base class of ``C`` through ``self`` or an
annotation (the call may run ``C``'s override), flagged ``ambiguous``; calls resolved
to another class are left out. Other languages are matched by name, as before.

Schema history: 2 added the ``receiver`` column (and ``class:`` targets on Python
class rows). The index self-check (index/health.py) compares the table's columns
with ``TABLE``, so a graph written by an older schema is rebuilt on open.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from specpilot.index.model import SymbolEntry
from specpilot.index.receivers import AMBIGUOUS, VIRTUAL, parse_class_target
from specpilot.index.sqlite import connect, transaction

SCHEMA_VERSION = 2  # see the module docstring

TABLE = """
CREATE TABLE IF NOT EXISTS symbols (
    path TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    line INTEGER NOT NULL, scope TEXT NOT NULL, target TEXT NOT NULL DEFAULT '',
    receiver TEXT NOT NULL DEFAULT ''
);
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS symbols_name ON symbols(name, kind);
CREATE INDEX IF NOT EXISTS symbols_scope ON symbols(scope, kind);
CREATE INDEX IF NOT EXISTS symbols_path ON symbols(path);
"""


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A definition site: ``qualified_name`` in ``path`` at ``line``. As a caller,
    ``ambiguous`` says the call's receiver is unknown (it may call another class's
    method of the same name) and ``callee`` names what it calls (``C.m``)."""

    path: str
    qualified_name: str
    line: int
    ambiguous: bool = False
    callee: str = ""


@dataclass(frozen=True, slots=True)
class CallEdge:
    """A call made inside a definition: at ``path:line``, of ``name``, resolved to
    ``callee`` (``C.m``, or just ``m``), and the callee's definitions in the workspace."""

    path: str
    line: int
    name: str
    callee: str
    ambiguous: bool
    definitions: tuple[GraphNode, ...] = ()


def qualify(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


def split_qualified(symbol: str) -> tuple[str, str]:
    scope, _, name = symbol.rpartition(".")
    return scope, name


class GraphStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = connect(path, TABLE + INDEXES)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Bulk loading into an empty graph: indexes are built once at the end,
        not updated row by row (measured: 10 s -> 2 s for the standard library)."""
        with self._lock:
            empty = self._db.execute("SELECT 1 FROM symbols LIMIT 1").fetchone() is None
            if empty:
                self._db.executescript("DROP INDEX IF EXISTS symbols_name; DROP INDEX IF EXISTS symbols_scope;"
                                       "DROP INDEX IF EXISTS symbols_path;")
        try:
            yield
        finally:
            if empty:
                with self._lock:
                    self._db.executescript(INDEXES)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def replace_files(self, symbols_by_path: dict[str, list[SymbolEntry]],
                      existing: set[str] | None = None) -> None:
        """Replace each file's rows; ``existing`` (default: all) names files that may have rows."""
        with self._lock:
            with transaction(self._db):
                for path, symbols in symbols_by_path.items():
                    if existing is None or path in existing:
                        self._db.execute("DELETE FROM symbols WHERE path = ?", (path,))
                    self._db.executemany(
                        "INSERT INTO symbols(path, name, kind, line, scope, target, receiver) VALUES (?,?,?,?,?,?,?)",
                        symbols,
                    )

    def delete_paths(self, paths: Iterable[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM symbols WHERE path = ?", [(p,) for p in paths])

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM symbols")

    def _query(self, sql: str, args: tuple[object, ...]) -> list[tuple]:  # type: ignore[type-arg]
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def definitions(self, symbol: str) -> list[GraphNode]:
        """Where ``symbol`` (``name`` or ``Scope.name``) is defined."""
        scope, name = split_qualified(symbol)
        if scope:
            rows = self._query("SELECT path, scope, name, line FROM symbols WHERE name=? AND kind='def' "
                               "AND (scope=? OR scope LIKE ?)", (name, scope, f"%.{scope}"))
        else:
            rows = self._query("SELECT path, scope, name, line FROM symbols WHERE name=? AND kind='def'",
                               (name,))
        return [GraphNode(path, qualify(sc, nm), line) for path, sc, nm, line in rows]

    def _classes(self) -> dict[str, list[str]]:
        """Python classes of the workspace (simple name -> bases)."""
        classes: dict[str, list[str]] = {}
        for name, target in self._query("SELECT name, target FROM symbols WHERE kind='def' AND target LIKE "
                                        "'class:%'", ()):
            bases = parse_class_target(target) or []
            classes.setdefault(name, []).extend(b for b in bases if b not in classes.get(name, []))
        return classes

    def _definers(self, name: str) -> set[str]:
        """Simple names of the scopes that define ``name`` (for a method: its classes)."""
        return {split_qualified(sc)[1] for (sc,) in self._query(
            "SELECT DISTINCT scope FROM symbols WHERE kind='def' AND name=?", (name,)) if sc}

    @staticmethod
    def _owner(receiver: str, classes: dict[str, list[str]], definers: set[str]) -> str:
        """The class whose method a call on ``receiver`` reaches: the receiver or the first
        base (breadth first) that defines it; the receiver itself when none in the workspace does."""
        queue, seen = [receiver], set()
        while queue:
            cls = queue.pop(0)
            if cls in seen:
                continue
            seen.add(cls)
            if cls in definers:
                return cls
            queue.extend(classes.get(cls, []))
        return receiver

    @staticmethod
    def _ancestors(cls: str, classes: dict[str, list[str]]) -> set[str]:
        found: set[str] = set()
        queue = list(classes.get(cls, []))
        while queue:
            base = queue.pop()
            if base not in found:
                found.add(base)
                queue.extend(classes.get(base, []))
        return found

    def _callee(self, name: str, receiver: str, classes: dict[str, list[str]], definers: set[str]) -> str:
        receiver = receiver.removesuffix(VIRTUAL)
        if receiver in ("", AMBIGUOUS):
            return name
        if receiver.startswith("mod:"):
            return f"{receiver[4:]}.{name}"
        return f"{self._owner(receiver, classes, definers)}.{name}"

    def callers(self, symbol: str, limit: int = 200) -> list[GraphNode]:
        """Definitions whose bodies call ``symbol``. For ``C.m`` with ``C`` a Python class:
        the calls resolved to ``C.m`` and, flagged ambiguous, those whose receiver is unknown;
        otherwise every call of the simple name (ambiguous ones flagged)."""
        scope, name = split_qualified(symbol)
        rows = self._query("SELECT path, scope, line, receiver FROM symbols WHERE name=? AND kind='call' "
                           "ORDER BY path, line", (name,))
        classes = self._classes()
        definers = self._definers(name)
        cls = split_qualified(scope)[1] if scope else ""
        by_class = cls in classes
        ancestors = self._ancestors(cls, classes) if by_class else set()
        found: dict[tuple[str, str, str], GraphNode] = {}
        for path, caller, line, receiver in rows:
            ambiguous = receiver == AMBIGUOUS
            callee = self._callee(name, receiver, classes, definers)
            if by_class:
                exact = receiver.removesuffix(VIRTUAL)
                if not ambiguous and exact and receiver.endswith(VIRTUAL) and exact in ancestors:
                    ambiguous = True  # self.m() in a base class: may run this subclass's override
                elif not ambiguous and (not exact or self._owner(exact, classes, definers) != cls):
                    continue  # a bare call, or a call resolved to another class
                callee = symbol
            key = (path, caller, callee)
            known = found.get(key)
            if known is None or (known.ambiguous and not ambiguous):
                found[key] = GraphNode(path, caller or "<module>", line, ambiguous, callee)
        # One edge per caller and callee, resolved when any of its calls is.
        return sorted(found.values(), key=lambda n: (n.path, n.line))[:limit]

    def callees(self, symbol: str, path: str | None = None, limit: int = 200) -> list[CallEdge]:
        """Calls made inside ``symbol``'s body (optionally in one file), first call site of
        each callee, with the callee's definitions in the workspace."""
        sql = ("SELECT path, MIN(line), name, receiver FROM symbols WHERE scope=? AND kind='call'")
        args: tuple[object, ...] = (symbol,)
        if path:
            sql += " AND path=?"
            args += (path,)
        rows = self._query(sql + " GROUP BY path, name, receiver ORDER BY path, MIN(line) LIMIT ?", args + (limit,))
        classes = self._classes() if rows else {}
        edges: list[CallEdge] = []
        for call_path, line, name, receiver in rows:
            definers = self._definers(name)
            callee = self._callee(name, receiver, classes, definers)
            if receiver in ("", AMBIGUOUS):
                defs = self.definitions(name)
                if receiver == "":  # a bare call reaches functions, not methods, where the file is Python
                    defs = [d for d in defs if split_qualified(split_qualified(d.qualified_name)[0])[1]
                            not in classes] or defs
            else:
                defs = self.definitions(callee)
            edges.append(CallEdge(call_path, line, name, callee, receiver == AMBIGUOUS, tuple(defs)))
        return edges

    def neighbours(self, symbol: str, path: str | None = None, limit: int = 50) -> list[GraphNode]:
        """Definitions ``symbol`` calls, then definitions that call it (an ambiguous call
        counts only where it has a single candidate definition)."""
        found: dict[tuple[str, str], GraphNode] = {}
        for edge in self.callees(symbol, path):
            if edge.ambiguous and len(edge.definitions) != 1:
                continue
            for node in edge.definitions:
                found.setdefault((node.path, node.qualified_name), node)
        for node in self.callers(symbol):
            if node.qualified_name != "<module>":
                found.setdefault((node.path, node.qualified_name), node)
        return list(found.values())[:limit]

    def imports_of(self, path: str) -> list[tuple[str, str]]:
        return [(n, t) for n, t in self._query(
            "SELECT name, target FROM symbols WHERE path=? AND kind='import'", (path,))]

    def count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM symbols", ())[0][0])
