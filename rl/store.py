"""The learning loop's feedback store: every decision SpecPilot made that a user can take or leave, its outcome,
the per-arm counts, the bandits' learned state and the record of promotions and rollbacks.

One SQLite file in the user's cache (``user_cache_dir() / "learning" / "feedback.sqlite3"``), local to the
machine; rl/store_schema.py says how it is opened, checked and migrated, and lists the errors.

A decision is recorded when it is made (:meth:`FeedbackStore.record_decision`) and gets one outcome later
(:meth:`FeedbackStore.record_outcome`: a reward in [0, 1] and its kind) or expires (:meth:`FeedbackStore.expire`:
marked ``ignored``, with no reward, never fed to a learner: a proposal left alone is not a reject). Every write
updates ``arm_stats`` in the same transaction, so :meth:`FeedbackStore.summary` reads a few rows however many
decisions there are.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from specpilot.core.events import emit
from specpilot.rl.events import Context, Logged
from specpilot.rl.store_schema import (
    DECISION_COLUMNS,
    DECISION_JOINS,
    ArmSummary,
    BanditState,
    Decision,
    DuplicateDecision,
    DuplicateOutcome,
    ExpiredDecision,
    FeedbackError,
    InvalidFeedback,
    Promotion,
    StoreBusy,
    StoreDamaged,
    StoreTooNew,
    UnknownDecision,
    connect,
    decision_of,
    default_store_path,
    discard_store,
    features_json,
    id_key,
    names_of,
    prepare,
    translated,
    workspace_key,
    write,
)

__all__ = [
    "ArmSummary", "BanditState", "Decision", "DuplicateDecision", "DuplicateOutcome", "ExpiredDecision",
    "FeedbackError", "FeedbackStore", "InvalidFeedback", "Promotion", "StoreBusy", "StoreDamaged", "StoreTooNew",
    "UnknownDecision", "default_store_path", "discard_store", "workspace_key",
]

DEFAULT_TTL_S = 30 * 60.0  # a proposal nobody answered within half an hour counts as ignored
NOTE_MAX = 200
KEEP_IMPRESSIONS = 5_000  # the newest searches' impressions kept (rl/search_clicks.py reads at most REPLAY)
IGNORED = "ignored"
_KIND = re.compile(r"accepted|rejected|rank:[1-9][0-9]*")


def _ms(at: float | None) -> int:
    return int(round((time.time() if at is None else at) * 1000))


def _check_propensity(propensity: float) -> None:
    if not (isinstance(propensity, int | float) and 0.0 < propensity <= 1.0):
        raise InvalidFeedback(f"propensity {propensity!r} is not in (0, 1]: every policy keeps an exploration floor")


def _check_reward(reward: float) -> None:
    if not (isinstance(reward, int | float) and 0.0 <= reward <= 1.0):
        raise InvalidFeedback(f"reward {reward!r} is not in [0, 1] (1: accepted, 0: rejected)")


class FeedbackStore:
    """The feedback store at ``path`` (default :func:`default_store_path`), created on first use.

    Safe for several threads (each gets its own connection) and several processes (WAL, ``busy_timeout`` seconds
    of waiting for the write lock, then :class:`StoreBusy`). Opening a damaged file raises :class:`StoreDamaged`,
    one from a newer SpecPilot :class:`StoreTooNew`; neither is changed.
    """

    def __init__(self, path: Path | None = None, *, busy_timeout: float = 5.0) -> None:
        self.path = path if path is not None else default_store_path()
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[weakref.ref[threading.Thread], sqlite3.Connection]] = []
        self._closed = False
        self._label_texts: dict[int, str] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self._db()
        try:
            prepare(db, self.path)
        except BaseException:
            self.close()
            raise

    # -- connections ----------------------------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        """This thread's connection, opened on its first call; those of threads that ended are closed then."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None and not self._closed:
            return db
        with self._lock:
            if self._closed:
                raise FeedbackError(f"the learning store {self.path} is closed")
            ended = [(thread, old) for thread, old in self._connections if not _alive(thread)]
            for entry in ended:
                self._connections.remove(entry)
                entry[1].close()
            with translated(self.path):
                db = connect(self.path, self.busy_timeout)
            self._connections.append((weakref.ref(threading.current_thread()), db))
        self._local.db = db
        return db

    def close(self) -> None:
        """Close every thread's connection (call it once no thread uses the store any more)."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for _, db in connections:
            db.close()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @staticmethod
    def _label(db: sqlite3.Connection, text: str) -> int:
        row = db.execute("SELECT id FROM labels WHERE text = ?", (text,)).fetchone()
        if row is not None:
            return int(row[0])
        cursor = db.execute("INSERT INTO labels (text) VALUES (?)", (text,))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _get(self, db: sqlite3.Connection, decision_id: str) -> Decision | None:
        row = db.execute(f"SELECT {DECISION_COLUMNS} {DECISION_JOINS} WHERE d.decision_id = ?",
                         (id_key(decision_id),)).fetchone()
        return decision_of(row) if row is not None else None

    # -- decisions and outcomes -----------------------------------------------------------------------------------

    def record_decision(self, decision_id: str, point: str, arm: str, propensity: float, *,
                        context: Context | None = None, arms: Sequence[str] = (), policy: str = "",
                        workspace: Path | str | None = None, ttl: float = DEFAULT_TTL_S,
                        at: float | None = None, impression: Mapping[str, Any] | None = None) -> Decision:
        """Record that at ``point`` (e.g. ``prompt.coder``, ``search_click``) the arm ``arm`` was chosen among
        ``arms`` with probability ``propensity``, in ``context``, by ``policy``; it expires ``ttl`` seconds after
        ``at`` (default now). ``workspace``: the folder, stored only as :func:`workspace_key`.

        The same decision id recorded again with the same content is a no-op (the first row is returned); with
        different content it raises :class:`DuplicateDecision`. :class:`InvalidFeedback` for a propensity outside
        (0, 1], an arm not among ``arms``, an empty id or point, or a non-finite feature. ``impression``: what a
        search showed (JSON data, rl/search_clicks.py), kept with a new decision, read back by :meth:`impressions`.
        """
        _check_propensity(propensity)
        if not decision_id or not point or not arm:
            raise InvalidFeedback("a decision needs a decision id, a decision point and an arm")
        if arms and arm not in arms:
            raise InvalidFeedback(f"arm {arm!r} is not among the arms on offer {list(arms)}")
        if ttl <= 0:
            raise InvalidFeedback(f"ttl {ttl!r} must be positive (seconds)")
        context = context or Context()
        keys, values = features_json(context.features)
        arms_json = json.dumps(list(arms), separators=(",", ":"))
        key = workspace_key(workspace) if workspace is not None else None
        created = _ms(at)
        try:
            shown = None if impression is None else json.dumps(dict(impression), separators=(",", ":"),
                                                                 allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidFeedback(f"the impression of {decision_id!r} is not JSON data: {exc}") from None
        db = self._db()
        with translated(self.path), write(db):
            existing = self._get(db, decision_id)
            if existing is None:
                label = self._label
                cursor = db.execute(
                    "INSERT INTO decisions (decision_id, point, workspace, bucket, feature_keys, feature_values, "
                    "arms, arm, propensity, policy, created_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (id_key(decision_id), label(db, point), label(db, key) if key is not None else None,
                     label(db, context.bucket), label(db, keys), values, label(db, arms_json), label(db, arm),
                     float(propensity), label(db, policy), created, created + int(round(ttl * 1000))))
                if shown is not None:
                    db.execute("INSERT INTO impressions (decision, data) VALUES (?, ?)", (cursor.lastrowid, shown))
                    if (cursor.lastrowid or 0) % 100 == 0:  # keep the newest KEEP_IMPRESSIONS: the store stays small
                        db.execute("DELETE FROM impressions WHERE decision < (SELECT decision FROM impressions "
                                   "ORDER BY decision DESC LIMIT 1 OFFSET ?)", (KEEP_IMPRESSIONS,))
                db.execute("INSERT INTO arm_stats (point, arm, pulls) VALUES (?, ?, 1) "
                           "ON CONFLICT (point, arm) DO UPDATE SET pulls = pulls + 1",
                           (label(db, point), label(db, arm)))
                found = self._get(db, decision_id)
                assert found is not None
                return found
        ours = (point, arm, float(propensity), context.bucket, dict(context.features), tuple(arms), policy, key)
        theirs = (existing.point, existing.arm, existing.propensity, existing.context.bucket,
                  dict(existing.context.features), existing.arms, existing.policy, existing.workspace)
        if ours != theirs:
            raise DuplicateDecision(f"decision {decision_id!r} was already recorded with different content "
                                    f"(point {existing.point!r}, arm {existing.arm!r}); the first record is kept")
        return existing

    def decision(self, decision_id: str) -> Decision | None:
        """The decision recorded under ``decision_id``, or None."""
        with translated(self.path):
            return self._get(self._db(), decision_id)

    def record_outcome(self, decision_id: str, reward: float, kind: str, note: str = "",
                       at: float | None = None) -> Decision:
        """Record the user's verdict on a decision: ``reward`` in [0, 1] and ``kind`` (``accepted``, ``rejected``,
        or ``rank:N`` for a search result opened at rank N), with a short ``note``.

        :class:`UnknownDecision` for an id never recorded; :class:`ExpiredDecision` when the decision expired
        (``at`` past its expiry, or already marked ignored); :class:`DuplicateOutcome` for a second, different
        verdict (the first is kept; an identical one is a no-op); :class:`InvalidFeedback` for a reward outside
        [0, 1] or an unknown kind.
        """
        _check_reward(reward)
        if not _KIND.fullmatch(kind or ""):
            raise InvalidFeedback(f"outcome kind {kind!r} is not one of accepted, rejected, rank:N")
        note = (note or "")[:NOTE_MAX]
        when = _ms(at)
        db = self._db()
        with translated(self.path), write(db):
            found = self._get(db, decision_id)
            if found is None:
                raise UnknownDecision(f"no decision {decision_id!r} was recorded (or the learning store was reset)")
            if found.outcome == IGNORED or (found.outcome is None and when > round(found.expires_at * 1000)):
                raise ExpiredDecision(f"decision {decision_id!r} expired; it counts as ignored, with no reward")
            if found.outcome is not None:
                if (found.reward, found.outcome, found.note) == (float(reward), kind, note):
                    return found
                raise DuplicateOutcome(f"decision {decision_id!r} already has an outcome ({found.outcome}, reward "
                                       f"{found.reward}); the first verdict is kept")
            point, arm = self._label(db, found.point), self._label(db, found.arm)
            db.execute("UPDATE decisions SET reward = ?, outcome = ?, rewarded_at = ?, note = ? "
                       "WHERE decision_id = ?",
                       (float(reward), self._label(db, kind), when, note or None, id_key(decision_id)))
            db.execute("UPDATE arm_stats SET rewarded = rewarded + 1, reward_sum = reward_sum + ? "
                       "WHERE point = ? AND arm = ?", (float(reward), point, arm))
            updated = self._get(db, decision_id)
            assert updated is not None
            return updated

    def expire(self, now: float | None = None) -> int:
        """Mark the decisions past their expiry that have no outcome as ``ignored`` (no reward); how many."""
        db = self._db()
        with translated(self.path), write(db):
            ignored = self._label(db, IGNORED)
            cursor = db.execute("UPDATE decisions SET outcome = ? WHERE outcome IS NULL AND expires_at < ?",
                                (ignored, _ms(now)))
            return cursor.rowcount

    def logged(self, point: str, since: float | None = None, bucket: str | None = None,
               limit: int | None = None) -> list[Logged]:
        """The rewarded decisions at ``point`` (made at or after ``since``; in ``bucket``; the newest ``limit``),
        oldest first, for the learners and the off-policy estimators. Ignored and pending decisions are not among
        them."""
        sql = ("SELECT bucket, feature_keys, feature_values, arm, propensity, reward, arms FROM decisions "
               "WHERE point = (SELECT id FROM labels WHERE text = ?) AND reward IS NOT NULL AND created_at >= ?")
        params: list[Any] = [point, _ms(since) if since is not None else 0]
        if bucket is not None:
            sql += " AND bucket = (SELECT id FROM labels WHERE text = ?)"
            params.append(bucket)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        db = self._db()
        with translated(self.path):
            rows = db.execute(sql, params).fetchall()
            text = self._texts(db, {label for row in rows for label in (row[0], row[1], row[3], row[6])})
        contexts: dict[tuple[int, int, str], Context] = {}
        result = []
        for bucket_id, keys, values, arm, propensity, reward, arms in reversed(rows):
            context = contexts.get((bucket_id, keys, values))
            if context is None:
                features = dict(zip(names_of(text[keys]), (float(v) for v in json.loads(values))))
                context = contexts[(bucket_id, keys, values)] = Context(text[bucket_id], features)
            result.append(Logged(context, text[arm], propensity, reward, names_of(text[arms])))
        return result

    def impressions(self, point: str, limit: int | None = None) -> list[tuple[Decision, dict[str, Any]]]:
        """The decisions at ``point`` that carry an impression and have an outcome (a verdict, or ignored), with
        the impression's data; the newest ``limit``, oldest first."""
        sql = (f"SELECT {DECISION_COLUMNS}, i.data {DECISION_JOINS} JOIN impressions i ON i.decision = d.id "
               "WHERE p.text = ? AND d.outcome IS NOT NULL ORDER BY i.decision DESC")
        params: list[Any] = [point]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        with translated(self.path):
            rows = self._db().execute(sql, params).fetchall()
        return [(decision_of(row[:-1]), json.loads(row[-1])) for row in reversed(rows)]

    def _texts(self, db: sqlite3.Connection, ids: set[int]) -> dict[int, str]:
        """The labels' texts, from memory where known (a label id is never reused, even after a reset)."""
        missing = [i for i in ids if i not in self._label_texts]
        for start in range(0, len(missing), 500):
            part = missing[start:start + 500]
            found = db.execute(f"SELECT id, text FROM labels WHERE id IN ({','.join('?' * len(part))})", part)
            self._label_texts.update(found.fetchall())
        return self._label_texts

    def pending(self, point: str | None = None, now: float | None = None) -> list[Decision]:
        """The decisions still waiting for an outcome (not expired at ``now``), oldest first."""
        sql = f"SELECT {DECISION_COLUMNS} {DECISION_JOINS} WHERE d.outcome IS NULL AND d.expires_at >= ?"
        params: list[Any] = [_ms(now)]
        if point is not None:
            sql += " AND p.text = ?"
            params.append(point)
        with translated(self.path):
            rows = self._db().execute(sql + " ORDER BY d.created_at, d.id", params).fetchall()
        return [decision_of(row) for row in rows]

    def summary(self, point: str | None = None) -> list[ArmSummary]:
        """Each (point, arm)'s pulls, rewarded decisions and mean reward, sorted by point and arm."""
        sql = ("SELECT p.text, a.text, s.pulls, s.rewarded, s.reward_sum FROM arm_stats s "
               "JOIN labels p ON p.id = s.point JOIN labels a ON a.id = s.arm")
        params: tuple[str, ...] = ()
        if point is not None:
            sql += " WHERE p.text = ?"
            params = (point,)
        with translated(self.path):
            rows = self._db().execute(sql + " ORDER BY p.text, a.text", params).fetchall()
        return [ArmSummary(p, a, pulls, rewarded, reward_sum / rewarded if rewarded else None)
                for p, a, pulls, rewarded, reward_sum in rows]

    # -- learned state and promotions -----------------------------------------------------------------------------

    def save_state(self, point: str, policy: str, state: Mapping[str, Any], at: float | None = None) -> None:
        """Keep a bandit's learned ``state`` (JSON-serialisable) for ``point``, replacing the previous one."""
        try:
            text = json.dumps(state, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidFeedback(f"the state of {point!r} is not JSON data: {exc}") from None
        db = self._db()
        with translated(self.path), write(db):
            db.execute("INSERT OR REPLACE INTO bandit_state (point, policy, state, updated_at) VALUES (?,?,?,?)",
                       (point, policy, text, _ms(at)))

    def load_state(self, point: str) -> BanditState | None:
        """The state last saved for ``point``, or None."""
        with translated(self.path):
            row = self._db().execute("SELECT policy, state, updated_at FROM bandit_state WHERE point = ?",
                                     (point,)).fetchone()
        return BanditState(point, row[0], json.loads(row[1]), row[2] / 1000) if row else None

    def record_promotion(self, point: str, arm: str, *, kind: str = "promote", previous: str | None = None,
                         evidence: Mapping[str, Any] | None = None, at: float | None = None) -> Promotion:
        """Record that ``arm`` became the default at ``point`` (``kind="promote"``) or was rolled back
        (``kind="rollback"``: ``arm`` is the promoted arm withdrawn), with its ``evidence`` (JSON data).
        A rollback of an arm that is not standing as a promotion is refused (:class:`InvalidFeedback`)."""
        if kind not in ("promote", "rollback"):
            raise InvalidFeedback(f"promotion kind {kind!r} is not 'promote' or 'rollback'")
        try:
            text = json.dumps(dict(evidence or {}), separators=(",", ":"), allow_nan=False, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise InvalidFeedback(f"the evidence is not JSON data: {exc}") from None
        when = _ms(at)
        db = self._db()
        with translated(self.path), write(db):
            if kind == "rollback" and arm not in _standing(self._promotions(db, point)):
                raise InvalidFeedback(f"{arm!r} is not a standing promotion at {point!r}; nothing to roll back")
            db.execute("INSERT INTO promotions (point, arm, previous, kind, evidence, at) VALUES (?,?,?,?,?,?)",
                       (point, arm, previous, kind, text, when))
        emit("promotion", point=point, arm=arm, previous=previous, promotion=kind)
        return Promotion(point, arm, previous, kind, json.loads(text), when / 1000)

    @staticmethod
    def _promotions(db: sqlite3.Connection, point: str | None) -> list[Promotion]:
        sql = "SELECT point, arm, previous, kind, evidence, at FROM promotions"
        params: tuple[str, ...] = ()
        if point is not None:
            sql += " WHERE point = ?"
            params = (point,)
        rows = db.execute(sql + " ORDER BY id", params).fetchall()
        return [Promotion(p, a, prev, k, json.loads(e), at / 1000) for p, a, prev, k, e, at in rows]

    def promotions(self, point: str | None = None) -> list[Promotion]:
        """Every promotion and rollback (at ``point``), oldest first."""
        with translated(self.path):
            return self._promotions(self._db(), point)

    def current_default(self, point: str) -> str | None:
        """The arm of the last promotion at ``point`` that was not rolled back, or None."""
        standing = _standing(self.promotions(point))
        return standing[-1] if standing else None

    def reset(self) -> None:
        """Forget everything learned and recorded (``specpilot learn reset``); the schema stays."""
        db = self._db()
        with translated(self.path):
            with write(db):
                for table in ("impressions", "decisions", "arm_stats", "promotions", "bandit_state", "labels"):
                    db.execute(f"DELETE FROM {table}")
        try:  # give the space back; another process reading the store may keep it for now
            db.execute("VACUUM")
        except sqlite3.OperationalError:
            pass


def _alive(thread: weakref.ref[threading.Thread]) -> bool:
    found = thread()
    return found is not None and found.is_alive()


def _standing(promotions: Sequence[Promotion]) -> list[str]:
    """The promoted arms still standing, in order: each rollback withdraws the latest promotion of its arm."""
    standing: list[str] = []
    for promotion in promotions:
        if promotion.kind == "promote":
            standing.append(promotion.arm)
        elif promotion.arm in standing:
            del standing[len(standing) - 1 - standing[::-1].index(promotion.arm)]
    return standing

