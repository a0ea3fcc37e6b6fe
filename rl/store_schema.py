"""The feedback store's file: its errors, how a connection is opened and checked, the schema migrations, how
values are encoded in the rows, and the records read back from them (rl/store.py holds the store itself).

The store is one SQLite file in WAL mode (readers never wait for the writer), shared by every thread of a server
and by every SpecPilot process of the user (two editor windows): each thread has its own connection, every write
is one ``BEGIN IMMEDIATE`` transaction (it takes the write lock first, so two writers queue on ``busy_timeout``
instead of failing on a lock upgrade), and nothing is kept in memory that another process could make stale.

``meta.schema_version`` says which migrations a file has had. :data:`MIGRATIONS` lists them in order (version
``i + 1`` is ``MIGRATIONS[i]``); each runs in its own transaction with the version bump, so a crash leaves a file
at the last whole version. Version 2 is added by appending a function. A file whose version is newer than the
code knows is refused (:class:`StoreTooNew`) before anything is written to it.

Rows are kept small (1M decisions fit in well under 200 MB): every repeated text (decision point, bucket, arm,
policy name, workspace key, the feature names, the arms on offer, the outcome kind) is stored once in ``labels``
and referred to by its integer id; a UUID decision id is stored as 17 bytes (:func:`id_key`); times are integer
milliseconds; the feature values are a compact JSON list whose names are the label ``feature_keys``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specpilot.core.errors import SpecPilotError
from specpilot.core.paths import user_cache_dir
from specpilot.index.sqlite import enable_wal
from specpilot.rl.events import Context

RESET_HINT = "`specpilot learn reset` starts afresh"


def default_store_path() -> Path:
    """Where the store lives unless told otherwise: SpecPilot's folder in the user's cache."""
    return user_cache_dir() / "learning" / "feedback.sqlite3"


class FeedbackError(SpecPilotError, ValueError):
    """A feedback event or a store the learning loop refuses; the message says why, in a sentence."""


class InvalidFeedback(FeedbackError):
    """A value out of range: a reward outside [0, 1], a propensity outside (0, 1], an unknown outcome kind."""


class UnknownDecision(FeedbackError):
    """An outcome for a decision id the store never recorded."""


class DuplicateDecision(FeedbackError):
    """A decision id recorded a second time with different content (the same content is a no-op)."""


class DuplicateOutcome(FeedbackError):
    """A second, different verdict for a decision: the first one is kept (an identical one is a no-op)."""


class ExpiredDecision(FeedbackError):
    """An outcome for a decision past its expiry (it counts as ignored: no reward)."""


class StoreDamaged(FeedbackError):
    """The store's file is not a database, or fails its integrity check. It is left as it is."""


class StoreTooNew(FeedbackError):
    """The store was written by a newer SpecPilot (a schema version this code does not know). Left untouched."""


class StoreBusy(FeedbackError):
    """Another process held the store's write lock past the busy timeout; nothing written before is lost."""


def _v1(db: sqlite3.Connection) -> None:
    statements = [
        # Every repeated text, once; AUTOINCREMENT so an id is never reused after a reset (cached id -> text
        # mappings stay true in every process).
        "CREATE TABLE labels (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL UNIQUE)",
        """CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            decision_id TEXT NOT NULL UNIQUE,  -- id_key(): a UUID as a 17-byte blob, any other id as text
            point INTEGER NOT NULL REFERENCES labels(id),
            workspace INTEGER REFERENCES labels(id),
            bucket INTEGER NOT NULL REFERENCES labels(id),
            feature_keys INTEGER NOT NULL REFERENCES labels(id),
            feature_values TEXT NOT NULL,
            arms INTEGER NOT NULL REFERENCES labels(id),
            arm INTEGER NOT NULL REFERENCES labels(id),
            propensity REAL NOT NULL CHECK (propensity > 0 AND propensity <= 1),
            policy INTEGER NOT NULL REFERENCES labels(id),
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            reward REAL CHECK (reward IS NULL OR (reward >= 0 AND reward <= 1)),
            outcome INTEGER REFERENCES labels(id),
            rewarded_at INTEGER,
            note TEXT
        )""",
        # logged(): the rewarded decisions of a point, in time order.
        "CREATE INDEX decisions_rewarded ON decisions (point, created_at) WHERE reward IS NOT NULL",
        # expire() and pending(): only the decisions still waiting, a small index.
        "CREATE INDEX decisions_waiting ON decisions (expires_at) WHERE outcome IS NULL",
        """CREATE TABLE arm_stats (
            point INTEGER NOT NULL REFERENCES labels(id),
            arm INTEGER NOT NULL REFERENCES labels(id),
            pulls INTEGER NOT NULL DEFAULT 0,
            rewarded INTEGER NOT NULL DEFAULT 0,
            reward_sum REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (point, arm)
        ) WITHOUT ROWID""",
        """CREATE TABLE promotions (
            id INTEGER PRIMARY KEY,
            point TEXT NOT NULL,
            arm TEXT NOT NULL,
            previous TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('promote', 'rollback')),
            evidence TEXT NOT NULL,
            at INTEGER NOT NULL
        )""",
        "CREATE INDEX promotions_point ON promotions (point, id)",
        """CREATE TABLE bandit_state (
            point TEXT PRIMARY KEY,
            policy TEXT NOT NULL,
            state TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        )""",
    ]
    for statement in statements:
        db.execute(statement)


def _v2(db: sqlite3.Connection) -> None:
    # What a search showed and how it was fused (rl/search_clicks.py), one compact JSON text per search decision;
    # the click is the decision's outcome (rank:N). Deleted with its decision.
    db.execute("CREATE TABLE impressions (decision INTEGER PRIMARY KEY REFERENCES decisions(id) ON DELETE CASCADE, "
               "data TEXT NOT NULL)")


# Version i + 1 is MIGRATIONS[i]; append a function to add a version, never change one that shipped.
Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = [_v1, _v2]


def workspace_key(folder: Path | str) -> str:
    """The key a workspace is stored under: a hash of its folder's path, never the path itself."""
    text = str(Path(folder).expanduser().resolve())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def features_json(features: Mapping[str, float]) -> tuple[str, str]:
    """How a context's features are stored: their sorted names (a label) and their values, a compact JSON list."""
    names = sorted(features)
    values = []
    for name in names:
        value = float(features[name])
        if not math.isfinite(value):
            raise InvalidFeedback(f"feature {name!r} is {value!r}; features must be finite numbers")
        values.append(int(value) if value.is_integer() and abs(value) < 2**53 else value)
    compact = (",", ":")
    return json.dumps(names, separators=compact), json.dumps(values, separators=compact)


_HEX_ID = re.compile(r"[0-9a-f]{32}")
_UUID_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def id_key(decision_id: str) -> str | bytes:
    """How a decision id is stored: a UUID (32 hex digits, or the dashed form) as 17 bytes (a form byte and the 16
    bytes), half its text in the row and again in the unique index; any other id as its text."""
    if _HEX_ID.fullmatch(decision_id):
        return b"\x00" + bytes.fromhex(decision_id)
    if _UUID_ID.fullmatch(decision_id):
        return b"\x01" + bytes.fromhex(decision_id.replace("-", ""))
    return decision_id


def id_text(stored: str | bytes) -> str:
    """The decision id :func:`id_key` stored."""
    if isinstance(stored, str):
        return stored
    digits = stored[1:].hex()
    if stored[:1] == b"\x01":
        return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
    return digits


# -- the records read back --------------------------------------------------------------------------------

def _seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


@dataclass(frozen=True, slots=True)
class Decision:
    """One recorded decision and, once known, its outcome (``reward`` None: no outcome yet, or ignored)."""

    decision_id: str
    point: str
    arm: str
    propensity: float
    context: Context = field(default_factory=Context)
    arms: tuple[str, ...] = ()
    policy: str = ""
    workspace: str | None = None  # workspace_key() of the folder
    created_at: float = 0.0
    expires_at: float = 0.0
    reward: float | None = None
    outcome: str | None = None  # "accepted", "rejected", "rank:N", "ignored"; None while pending
    rewarded_at: float | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ArmSummary:
    point: str
    arm: str
    pulls: int  # decisions that chose the arm
    rewarded: int  # of them, those with a reward
    mean_reward: float | None  # None before the first reward


@dataclass(frozen=True, slots=True)
class Promotion:
    point: str
    arm: str
    previous: str | None
    kind: str  # "promote" | "rollback"
    evidence: dict[str, Any]
    at: float


@dataclass(frozen=True, slots=True)
class BanditState:
    point: str
    policy: str
    state: dict[str, Any]
    updated_at: float


DECISION_COLUMNS = ("d.decision_id, p.text, w.text, b.text, fk.text, d.feature_values, a.text, c.text, "
                     "d.propensity, pol.text, d.created_at, d.expires_at, d.reward, o.text, d.rewarded_at, d.note")
DECISION_JOINS = ("FROM decisions d JOIN labels p ON p.id = d.point LEFT JOIN labels w ON w.id = d.workspace "
                   "JOIN labels b ON b.id = d.bucket JOIN labels fk ON fk.id = d.feature_keys "
                   "JOIN labels a ON a.id = d.arms JOIN labels c ON c.id = d.arm "
                   "JOIN labels pol ON pol.id = d.policy LEFT JOIN labels o ON o.id = d.outcome")


@functools.lru_cache(maxsize=4096)
def names_of(text: str) -> tuple[str, ...]:
    """A label holding a JSON list of names (feature names, arms on offer), decoded once."""
    return tuple(json.loads(text))


def decision_of(row: Sequence[Any]) -> Decision:
    (decision_id, point, workspace, bucket, keys, values, arms, arm, propensity, policy, created, expires, reward,
     outcome, rewarded_at, note) = row
    context = Context(bucket, dict(zip(names_of(keys), (float(v) for v in json.loads(values)))))
    return Decision(id_text(decision_id), point, arm, propensity, context, names_of(arms), policy, workspace,
                    created / 1000, expires / 1000, reward, outcome, _seconds(rewarded_at), note or "")


def schema_version(db: sqlite3.Connection) -> int:
    """The file's schema version: 0 for a new (empty) database."""
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
    if found is None:
        return 0
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _error_code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def translate(exc: sqlite3.Error, path: Path) -> FeedbackError:
    """The user's message for a SQLite failure on the store at ``path``."""
    code = _error_code(exc)
    text = str(exc)
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in text:
        return StoreBusy(f"the learning store {path} is busy: another SpecPilot process held its write lock too "
                         "long; nothing already recorded is lost, try again")
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "malformed" in text or "not a database" in text:
        return StoreDamaged(f"the learning store {path} is damaged ({text}); it was left as it is, and "
                            f"{RESET_HINT}")
    return FeedbackError(f"the learning store {path} failed: {text}")


@contextmanager
def translated(path: Path) -> Iterator[None]:
    """Run a block, turning SQLite's failures into :class:`FeedbackError` subclasses with a message."""
    try:
        yield
    except sqlite3.Error as exc:
        if isinstance(exc, sqlite3.ProgrammingError):
            raise
        raise translate(exc, path) from exc


@contextmanager
def write(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction that takes the write lock at once (waiting up to the busy timeout)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode (transactions are explicit), with the busy timeout and foreign
    keys on. It writes nothing: :func:`prepare` checks and migrates the file."""
    db = sqlite3.connect(str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        db.close()
        raise
    return db


SQLITE_MAGIC = b"SQLite format 3\x00"


def prepare(db: sqlite3.Connection, path: Path) -> None:
    """Check the file behind ``db`` and bring it to the newest schema.

    :class:`StoreDamaged` when it is not a database or fails SQLite's quick check, :class:`StoreTooNew` when a newer
    SpecPilot wrote it; in both cases nothing is written to it. A file already at the newest version is only read.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError:
        head = b""
    if head and head != SQLITE_MAGIC[: len(head)]:
        raise StoreDamaged(f"the learning store {path} is not a SQLite database; it was left as it is, and "
                           f"{RESET_HINT}")
    with translated(path):
        version = schema_version(db)
        if version > len(MIGRATIONS):
            raise StoreTooNew(f"the learning store {path} was written by a newer SpecPilot (schema version "
                              f"{version}; this one knows up to {len(MIGRATIONS)}); it was left untouched: "
                              f"update SpecPilot, or {RESET_HINT}")
        if version:
            problems = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise StoreDamaged(f"the learning store {path} fails its integrity check ({'; '.join(problems)}); "
                                   f"it was left as it is, and {RESET_HINT}")
        if version < len(MIGRATIONS):
            enable_wal(db)
            migrate(db)


def migrate(db: sqlite3.Connection) -> None:
    """Apply the missing migrations, each in its own transaction with its version bump. The version is read again
    under the write lock, so two processes opening a new store at once migrate it once."""
    while True:
        with write(db):
            version = schema_version(db)
            if version >= len(MIGRATIONS):
                return
            if version == 0:
                db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            MIGRATIONS[version](db)
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(version + 1),))


def discard_store(path: Path | None = None) -> bool:
    """Delete the store's file and its WAL files (what ``specpilot learn reset`` does when the store is damaged or
    too new to open); whether there was a file. Only for a store no process has open."""
    target = path if path is not None else default_store_path()
    existed = target.exists()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    return existed
