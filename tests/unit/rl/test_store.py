"""The feedback store on real SQLite files: what a user of the learning loop would notice."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from specpilot.core.errors import SpecPilotError
from specpilot.rl.events import Context, Logged
from specpilot.rl.store import (
    ArmSummary,
    Decision,
    DuplicateDecision,
    DuplicateOutcome,
    ExpiredDecision,
    FeedbackError,
    FeedbackStore,
    InvalidFeedback,
    StoreBusy,
    UnknownDecision,
    default_store_path,
    workspace_key,
)
from tests.sqlite_lock import open_while_write_locked

ARMS = ("plain", "stepwise")
CONTEXT = Context("task=fix|lang=python", {"query_length": 7.0, "repo_size": 2.0, "ratio": 0.125})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FeedbackStore]:
    opened = FeedbackStore(tmp_path / "feedback.sqlite3")
    yield opened
    opened.close()


def decide(store: FeedbackStore, decision_id: str, arm: str = "plain", at: float = 1000.0,
           workspace: Path | None = None, ttl: float = 1800.0) -> Decision:
    return store.record_decision(decision_id, "prompt.coder", arm, 0.5, context=CONTEXT, arms=ARMS,
                                 policy="thompson", workspace=workspace, ttl=ttl, at=at)


def test_the_default_store_is_in_the_user_cache_and_a_decision_round_trips(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_store_path() == tmp_path / "specpilot" / "learning" / "feedback.sqlite3"
    with FeedbackStore() as store:
        made = decide(store, "d1", workspace=tmp_path / "project", ttl=60)
        assert made.outcome is None and made.reward is None
        done = store.record_outcome("d1", 1.0, "accepted", note="applied", at=1010.0)
    assert (tmp_path / "specpilot" / "learning" / "feedback.sqlite3").is_file()
    with FeedbackStore() as again:
        found = again.decision("d1")
    assert found == done
    assert (found.point, found.arm, found.propensity, found.arms, found.policy) == (
        "prompt.coder", "plain", 0.5, ARMS, "thompson")
    assert found.context == CONTEXT
    assert (found.created_at, found.expires_at, found.rewarded_at) == (1000.0, 1060.0, 1010.0)
    assert (found.reward, found.outcome, found.note) == (1.0, "accepted", "applied")
    # The folder is stored as a hash, never as its path.
    assert found.workspace == workspace_key(tmp_path / "project")
    assert str(tmp_path).encode() not in (tmp_path / "specpilot" / "learning" / "feedback.sqlite3").read_bytes()


def test_the_store_is_in_wal_mode(store: FeedbackStore) -> None:
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_an_outcome_for_an_unknown_decision_is_refused(store: FeedbackStore) -> None:
    with pytest.raises(UnknownDecision, match="no decision 'nope'"):
        store.record_outcome("nope", 1.0, "accepted")
    assert issubclass(UnknownDecision, SpecPilotError) and issubclass(UnknownDecision, ValueError)


def test_a_duplicated_decision_is_a_no_op_with_the_same_content_and_an_error_with_other_content(
        store: FeedbackStore) -> None:
    first = decide(store, "d1")
    assert decide(store, "d1", at=2000.0) == first  # a retried request: the first record stands
    with pytest.raises(DuplicateDecision, match="different content"):
        decide(store, "d1", arm="stepwise")
    assert [s.pulls for s in store.summary("prompt.coder")] == [1]


def test_a_second_verdict_keeps_the_first_and_an_identical_one_is_a_no_op(store: FeedbackStore) -> None:
    decide(store, "d1")
    store.record_outcome("d1", 0.0, "rejected", at=1001.0)
    assert store.record_outcome("d1", 0.0, "rejected", at=1002.0).rewarded_at == 1001.0
    with pytest.raises(DuplicateOutcome, match="first verdict is kept"):
        store.record_outcome("d1", 1.0, "accepted", at=1003.0)
    found = store.decision("d1")
    assert found is not None and (found.reward, found.outcome) == (0.0, "rejected")
    assert store.summary() == [ArmSummary("prompt.coder", "plain", 1, 1, 0.0)]


def test_an_outcome_after_the_expiry_is_refused(store: FeedbackStore) -> None:
    decide(store, "late", ttl=60)
    with pytest.raises(ExpiredDecision, match="ignored"):
        store.record_outcome("late", 1.0, "accepted", at=1061.0)
    assert store.expire(now=2000.0) == 1
    with pytest.raises(ExpiredDecision):
        store.record_outcome("late", 1.0, "accepted", at=1001.0)


@pytest.mark.parametrize("reward", [-0.1, 1.5, float("nan")])
def test_a_reward_outside_0_1_is_refused(store: FeedbackStore, reward: float) -> None:
    decide(store, "d1")
    with pytest.raises(ValueError, match="reward"):
        store.record_outcome("d1", reward, "accepted", at=1001.0)
    assert store.decision("d1").outcome is None  # type: ignore[union-attr]


@pytest.mark.parametrize("propensity", [0.0, -0.5, 1.01])
def test_a_propensity_outside_0_1_is_refused_and_nothing_is_written(store: FeedbackStore, propensity: float) -> None:
    with pytest.raises(ValueError, match="propensity"):
        store.record_decision("d1", "tool", "search-first", propensity)
    assert store.decision("d1") is None and store.summary() == []


def test_bad_arms_and_kinds_are_refused_with_a_message(store: FeedbackStore) -> None:
    with pytest.raises(InvalidFeedback, match="not among the arms"):
        store.record_decision("d1", "tool", "graph-first", 0.5, arms=("search-first", "read-first"))
    decide(store, "d2")
    with pytest.raises(InvalidFeedback, match="outcome kind"):
        store.record_outcome("d2", 1.0, "liked", at=1001.0)
    assert store.record_outcome("d2", 1.0, "rank:3", at=1001.0).outcome == "rank:3"


def test_expired_decisions_are_ignored_with_no_reward_and_never_logged(store: FeedbackStore) -> None:
    for i in range(4):
        decide(store, f"d{i}", arm=ARMS[i % 2], ttl=60)
    store.record_outcome("d0", 1.0, "accepted", at=1010.0)
    store.record_outcome("d1", 0.0, "rejected", at=1010.0)
    assert [d.decision_id for d in store.pending(now=1030.0)] == ["d2", "d3"]
    assert store.expire(now=1030.0) == 0
    assert store.expire(now=1061.0) == 2
    assert store.expire(now=1061.0) == 0
    assert store.pending(now=1000.0) == []
    ignored = store.decision("d2")
    assert ignored is not None and (ignored.outcome, ignored.reward) == ("ignored", None)
    logged = store.logged("prompt.coder")
    assert logged == [Logged(CONTEXT, "plain", 0.5, 1.0, ARMS), Logged(CONTEXT, "stepwise", 0.5, 0.0, ARMS)]
    # Ignored is not a reject: no reward counted for it.
    assert store.summary() == [ArmSummary("prompt.coder", "plain", 2, 1, 1.0),
                               ArmSummary("prompt.coder", "stepwise", 2, 1, 0.0)]


def test_logged_filters_by_time_and_bucket(store: FeedbackStore) -> None:
    other = Context("task=explain|lang=go", {"query_length": 3.0})
    decide(store, "old", at=100.0)
    decide(store, "new", at=200.0)
    store.record_decision("go", "prompt.coder", "stepwise", 0.25, context=other, arms=ARMS, at=300.0)
    for decision_id in ("old", "new", "go"):
        store.record_outcome(decision_id, 1.0, "accepted", at=100.0 + (decision_id == "go") * 200)
    assert len(store.logged("prompt.coder")) == 3
    assert [item.propensity for item in store.logged("prompt.coder", since=150.0)] == [0.5, 0.25]
    assert store.logged("prompt.coder", bucket="task=explain|lang=go") == [Logged(other, "stepwise", 0.25, 1.0,
                                                                                  ARMS)]
    assert store.logged("context") == []
    assert [item.propensity for item in store.logged("prompt.coder", limit=2)] == [0.5, 0.25]  # the newest two
    assert store.logged("prompt.coder", limit=0) == []


def test_the_summary_matches_the_rows(store: FeedbackStore) -> None:
    rewards = {"plain": [1.0, 0.0, 1.0, None], "stepwise": [0.5, None]}
    n = 0
    for arm, values in rewards.items():
        for reward in values:
            decide(store, f"d{n}", arm=arm)
            if reward is not None:
                store.record_outcome(f"d{n}", reward, "accepted" if reward else "rejected", at=1001.0)
            n += 1
    store.record_decision("t", "tool", "read-first", 1.0, at=1000.0)
    assert store.summary() == [ArmSummary("prompt.coder", "plain", 4, 3, 2 / 3),
                               ArmSummary("prompt.coder", "stepwise", 2, 1, 0.5),
                               ArmSummary("tool", "read-first", 1, 0, None)]
    assert store.summary("tool") == [ArmSummary("tool", "read-first", 1, 0, None)]


def test_promotions_and_the_current_default_with_a_rollback(store: FeedbackStore) -> None:
    assert store.current_default("prompt.coder") is None
    store.record_promotion("prompt.coder", "plain", evidence={"lower": 0.31}, at=10.0)
    store.record_promotion("prompt.coder", "stepwise", previous="plain", evidence={"lower": 0.35, "n": 400}, at=20.0)
    assert store.current_default("prompt.coder") == "stepwise"
    store.record_promotion("prompt.coder", "stepwise", kind="rollback", previous="plain",
                           evidence={"reason": "acceptance fell"}, at=30.0)
    assert store.current_default("prompt.coder") == "plain"
    assert store.current_default("tool") is None
    history = store.promotions("prompt.coder")
    assert [(p.kind, p.arm, p.previous, p.at) for p in history] == [
        ("promote", "plain", None, 10.0), ("promote", "stepwise", "plain", 20.0),
        ("rollback", "stepwise", "plain", 30.0)]
    assert history[1].evidence == {"lower": 0.35, "n": 400}
    with pytest.raises(InvalidFeedback, match="nothing to roll back"):
        store.record_promotion("prompt.coder", "stepwise", kind="rollback")
    with pytest.raises(InvalidFeedback):
        store.record_promotion("prompt.coder", "plain", kind="demote")


def test_a_bandit_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    with FeedbackStore(path) as store:
        assert store.load_state("fusion") is None
        store.save_state("fusion", "linucb", {"A": [[1.0, 0.0], [0.0, 1.0]], "n": 3}, at=5.0)
        store.save_state("fusion", "linucb", {"A": [[2.0, 0.0], [0.0, 2.0]], "n": 4}, at=6.0)
        with pytest.raises(InvalidFeedback, match="JSON"):
            store.save_state("tool", "x", {"bad": float("inf")})
    with FeedbackStore(path) as store:
        state = store.load_state("fusion")
    assert state is not None and (state.policy, state.state, state.updated_at) == (
        "linucb", {"A": [[2.0, 0.0], [0.0, 2.0]], "n": 4}, 6.0)


def test_reset_forgets_everything_and_the_store_keeps_working(store: FeedbackStore) -> None:
    decide(store, "d1")
    store.record_outcome("d1", 1.0, "accepted", at=1001.0)
    store.save_state("prompt.coder", "thompson", {"a": 1})
    store.record_promotion("prompt.coder", "plain")
    store.reset()
    assert store.decision("d1") is None and store.summary() == [] and store.logged("prompt.coder") == []
    assert store.load_state("prompt.coder") is None and store.promotions() == []
    assert store.current_default("prompt.coder") is None
    with pytest.raises(UnknownDecision):
        store.record_outcome("d1", 1.0, "accepted")
    decide(store, "d1")
    assert store.summary() == [ArmSummary("prompt.coder", "plain", 1, 0, None)]


def test_a_lock_held_by_another_connection_gives_store_busy_and_the_write_succeeds_after(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(path, busy_timeout=0.2)
    decide(store, "before")
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreBusy, match="busy") as raised:
            decide(store, "during")
        assert isinstance(raised.value, FeedbackError)
        assert store.decision("before") is not None  # reads go on in WAL mode
    finally:
        other.execute("ROLLBACK")
        other.close()
    decide(store, "during")
    assert [s.pulls for s in store.summary()] == [2]
    store.close()


def test_threads_each_write_through_their_own_connection(store: FeedbackStore) -> None:
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for i in range(50):
                decide(store, f"t{thread}-{i}", arm=ARMS[i % 2])
                store.record_outcome(f"t{thread}-{i}", float(i % 2), "accepted" if i % 2 else "rejected",
                                     at=1001.0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.summary() == [ArmSummary("prompt.coder", "plain", 100, 100, 0.0),
                               ArmSummary("prompt.coder", "stepwise", 100, 100, 1.0)]


def test_connections_of_threads_that_ended_are_closed_and_a_closed_store_says_so(store: FeedbackStore) -> None:
    for n in range(20):
        thread = threading.Thread(target=decide, args=(store, f"short-lived-{n}"))
        thread.start()
        thread.join()
    decide(store, "main")
    assert len(store._connections) <= 2  # this thread's and at most the last ended thread's
    assert [s.pulls for s in store.summary()] == [21]
    store.close()
    with pytest.raises(FeedbackError, match="closed"):
        store.summary()


def test_a_new_store_waits_for_another_process_writing_to_it_instead_of_failing(tmp_path: Path) -> None:
    # SQLite refuses the switch to WAL at once, without waiting, while another connection holds the write lock:
    # two windows opening a new store together made one of them fail with "busy".
    path = tmp_path / "feedback.sqlite3"

    def open_store() -> list[ArmSummary]:
        with FeedbackStore(path, busy_timeout=10.0) as store:
            decide(store, "after-wait")
            return store.summary()

    summary = open_while_write_locked(path, open_store)
    assert isinstance(summary, list), summary
    assert [s.pulls for s in summary] == [1]


def test_a_store_locked_past_the_busy_timeout_says_busy(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusy, match="busy"):
            FeedbackStore(path, busy_timeout=0.3)
    finally:
        other.execute("ROLLBACK")
        other.close()


def write_decisions(path: str, prefix: str, count: int) -> None:
    """One 'editor window': its own process and store, writing decisions and their outcomes."""
    with FeedbackStore(Path(path), busy_timeout=30.0) as store:
        for i in range(count):
            decision_id = f"{prefix}-{i}"
            store.record_decision(decision_id, "code_action", ARMS[i % 2], 0.5, context=CONTEXT, arms=ARMS,
                                  at=1000.0)
            store.record_outcome(decision_id, float(i % 2), "accepted" if i % 2 else "rejected", at=1001.0)


def test_two_processes_writing_at_once_lose_nothing_and_do_not_corrupt_the_store(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=write_decisions, args=(str(path), name, 500)) for name in ("left", "right")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(180)
    assert [worker.exitcode for worker in workers] == [0, 0]
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT decision_id) FROM decisions").fetchone() == (1000, 1000)
        assert db.execute("SELECT COUNT(*) FROM decisions WHERE reward IS NOT NULL").fetchone() == (1000,)
    finally:
        db.close()
    with FeedbackStore(path) as store:
        assert store.summary() == [ArmSummary("code_action", "plain", 500, 500, 0.0),
                                   ArmSummary("code_action", "stepwise", 500, 500, 1.0)]
        assert len(store.logged("code_action")) == 1000


def test_only_the_newest_search_impressions_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from specpilot.rl import store as store_module

    monkeypatch.setattr(store_module, "KEEP_IMPRESSIONS", 10)
    with FeedbackStore(tmp_path / "feedback.sqlite3") as store:
        for i in range(250):
            store.record_decision(f"search-{i:04d}", "search", "hybrid@0.7", 1.0, impression={"n": i}, at=1000.0 + i)
            store.record_outcome(f"search-{i:04d}", 1.0, "rank:1", at=1000.0 + i)
        kept = [data["n"] for _, data in store.impressions("search")]
        assert len(store.logged("search")) == 250  # the decisions and verdicts all stay
    assert kept == list(range(kept[0], 250)) and len(kept) < 10 + 100 and 249 in kept
    with pytest.raises(InvalidFeedback, match="not JSON data"):
        FeedbackStore(tmp_path / "other.sqlite3").record_decision("x", "search", "a", 1.0,
                                                                  impression={"bad": float("nan")})
