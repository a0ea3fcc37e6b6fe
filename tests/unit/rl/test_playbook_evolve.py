"""Prompt evolution: scores, votes, triggers, approval, the evidence gate and rollback."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from specpilot.core.config import LearningSettings
from specpilot.rl.curator import Op, apply
from specpilot.rl.playbook import PlaybookError
from specpilot.rl.playbook_evolve import MIN_ARM, MIN_EXPERIENCES, Evolver, Experience, score
from specpilot.rl.playbook_store import PlaybookStore
from specpilot.rl.reflector import Reflection, ReflectionError

SETTINGS = LearningSettings(prompt_evolve_every=10, prompt_approval="never")


def _evolver(tmp_path: Path, settings: LearningSettings = SETTINGS, **kwargs: object) -> Evolver:
    return Evolver(PlaybookStore(tmp_path), "coder", settings, tmp_path / "exp.jsonl", rng=random.Random(0),
                   **kwargs)  # type: ignore[arg-type]


def _run(version: int, ok: bool, shown: tuple[str, ...] = ()) -> Experience:
    return Experience(version, float(ok), float(ok), 1000, float(ok), shown, "task", "answer")


def test_the_score_weighs_success_quality_tokens_and_acceptance() -> None:
    settings = LearningSettings(prompt_budget=8000)
    assert score(Experience(1, 1.0, 1.0, 0, 1.0), settings) == pytest.approx(1.0)
    assert score(Experience(1, 1.0, 0.0, 8000, 0.0), settings) == pytest.approx(0.4)
    unknown = score(Experience(1, 1.0, 1.0, 0, None), settings)  # acceptance's weight goes to the others
    assert unknown == pytest.approx(1.0)


def test_without_a_model_shown_entries_share_the_outcome_and_harmful_ones_are_pruned(tmp_path: Path) -> None:
    evolver = _evolver(tmp_path)
    for _ in range(MIN_EXPERIENCES - 1):
        assert evolver.record(_run(1, False, ("bp-2",))) == []  # bp-2 shown only in failed runs
    assert evolver.record(_run(1, False, ("bp-2",))) == ["v2 written (10 runs since the last update)"]
    assert evolver.store.counters("coder") == {"bp-2": [0, 10]}
    store = evolver.store
    new = store.read("coder", 2)
    assert "bp-2" not in new.entries() and store.current_version("coder") == 1  # a candidate, not yet current
    assert evolver.arms() == [1, 2]
    assert store.events("coder")[0]["kind"] == "prompt_updated"


def test_the_gate_promotes_a_better_candidate_and_drops_a_worse_one(tmp_path: Path) -> None:
    evolver = _evolver(tmp_path, LearningSettings(prompt_evolve_every=10_000, prompt_approval="never"))
    store = evolver.store
    book, _ = store.current("coder")
    store.write(apply(book, [Op("add", section="learned patterns", text="Read the tests first.")], reason="t"),
                reason="t")
    happened = []
    for n in range(MIN_ARM):
        happened += evolver.record(_run(1, n % 4 == 0))
        happened += evolver.record(_run(2, n % 8 != 0))
    assert happened == ["v2 promoted over v1"] and store.current_version("coder") == 2
    store.write(apply(store.current("coder")[0], [Op("add", section="learned patterns", text="Guess.")],
                      reason="t"), reason="t")
    happened = []
    for n in range(MIN_ARM):
        happened += evolver.record(_run(3, n % 8 == 0))
        happened += evolver.record(_run(2, n % 8 != 0))
    assert "v3 dropped: worse than v2" in happened and store.current_version("coder") == 2
    assert evolver.candidate() is None


def test_a_current_version_its_predecessor_beats_is_rolled_back(tmp_path: Path) -> None:
    evolver = _evolver(tmp_path, LearningSettings(prompt_evolve_every=10_000))
    store = evolver.store
    bad = apply(store.current("coder")[0], [Op("add", section="best practices", text="Never test.")], reason="t")
    store.write(bad, reason="by hand", make_current=True)
    assert evolver.arms() == [2, 1]  # on probation: the version it replaced is still tried
    happened = []
    for n in range(MIN_ARM):
        happened += evolver.record(_run(2, n % 5 == 0))
        happened += evolver.record(_run(1, n % 5 != 0))
    assert "v2 rolled back to v1" in happened and store.current_version("coder") == 1


def test_a_risky_change_waits_for_approval(tmp_path: Path) -> None:
    ops = [Op("add", section="learned patterns", text=f"Pattern number {n} about files.") for n in range(4)]
    evolver = _evolver(tmp_path, LearningSettings(prompt_evolve_every=10, prompt_approval="risky"),
                       reflect=lambda book, e: Reflection((), (), tuple(ops)))
    for _ in range(MIN_EXPERIENCES):
        evolver.record(_run(1, True))
    store = evolver.store
    waiting = store.read("coder", 2)
    assert waiting.change["pending_approval"] and len(waiting.section("learned patterns").entries) == 4  # type: ignore
    assert evolver.arms() == [1] and evolver.choose() == 1  # not tried until a person says yes
    store.approve("coder", 2)
    assert evolver.arms() == [1, 2]
    with pytest.raises(PlaybookError, match="does not wait for approval"):
        store.approve("coder", 1)


def test_an_unusable_reflection_counts_nothing(tmp_path: Path) -> None:
    def broken(book: object, experience: Experience) -> Reflection:
        raise ReflectionError("the reflector's answer holds no JSON object")

    evolver = _evolver(tmp_path, reflect=broken)
    evolver.record(_run(1, False, ("bp-1",)))
    assert evolver.store.counters("coder") == {}
    (tmp_path / "exp.jsonl").write_text((tmp_path / "exp.jsonl").read_text() + "{torn")
    assert len(evolver.history()) == 1


def test_experiences_are_kept_short_and_the_file_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import specpilot.rl.playbook_evolve as evolve

    monkeypatch.setattr(evolve, "KEEP_EXPERIENCES", 10)
    seen: list[Experience] = []

    def reflect(book: object, experience: Experience) -> Reflection:
        seen.append(experience)
        return Reflection((), (), ())

    evolver = _evolver(tmp_path, LearningSettings(prompt_evolve_every=10, prompt_approval="never"), reflect=reflect)
    for n in range(25):
        evolver.record(Experience(1, 1.0, 1.0, 10, 1.0, (), f"task {n} " + "t" * 1000, "a" * 5000 + f"end {n}"))
    assert len(seen[-1].answer) > 5000  # the reflector reads the whole answer
    kept = evolver.history()
    assert 10 <= len(kept) <= 20 and kept[-1].answer.endswith("end 24") and kept[-1].task.startswith("task 24")
    assert max(len(e.answer) for e in kept) == evolve.CLIP and max(len(e.task) for e in kept) == evolve.CLIP
