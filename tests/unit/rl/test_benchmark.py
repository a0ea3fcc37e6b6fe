"""The learning benchmark's engine on small problems: a learner beats uniform random, a drift's recovery
is measured, off-policy checks and the policy's overhead run, and the faces' quick comparison writes its
files."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from specpilot.rl.benchmark import (
    WIDER,
    SlidingWindow,
    compare,
    drift,
    label,
    ope_check,
    overhead,
    recovery,
    simulate,
    simulation_lines,
)
from specpilot.rl.events import Context


def test_a_learning_bandit_ranks_above_uniform_random() -> None:
    rows = compare([("linucb", {"floor": 0.05})], rounds=600, seeds=2, users=WIDER)
    uniform, linucb = rows
    assert uniform.label == "uniform" and uniform.ratio == 1.0
    assert linucb.regret < uniform.regret and linucb.ratio < 0.8
    assert linucb.acceptance > uniform.acceptance
    assert len(linucb.curve) == 600 and np.all(np.diff(linucb.curve) >= 0)
    assert linucb.as_json()["bandit"] == "linucb floor=0.05" and linucb.seeds == (0, 1)


def test_recovery_is_found_on_a_toy_drift_and_not_where_there_is_none() -> None:
    before = np.full(500, 0.02)
    recovered = np.concatenate([before, np.full(60, 0.3), np.full(440, 0.02)])
    found = recovery(recovered, 500)
    assert found is not None and 60 < found < 400  # the trailing mean needs time to forget the bad rounds
    assert recovery(np.concatenate([before, np.full(500, 0.3)]), 500) is None
    flat = np.full(1000, 0.3)  # back at its level at once, but never learned: the ceiling says no
    assert recovery(flat, 500) == 1 and recovery(flat, 500, ceiling=0.1) is None


def test_drift_runs_and_forgetting_recovers_sooner_than_remembering() -> None:
    forgetful = drift(("thompson", {"discount": 0.9}), rounds=600, drift_at=300, seeds=1, users=WIDER, ceiling=1.0)
    assert len(forgetful.curve) == 600 and forgetful.before > 0 and forgetful.as_json()["bandit"] == label(
        ("thompson", {"discount": 0.9}))
    assert forgetful.recovery is not None
    # The fixed target (at most the ceiling, whatever the level before) is met no later than the recovery.
    assert forgetful.to_target is not None and forgetful.to_target <= forgetful.recovery
    assert forgetful.as_json()["to_target"] == forgetful.to_target


def test_a_sliding_window_forgets_old_outcomes() -> None:
    bandit = SlidingWindow("thompson", window=10, every=5, floor=0.05)
    context = Context("task=fix")
    for _ in range(40):
        bandit.choose(context, ("a", "b"), random.Random(0))
        bandit.learn(context, "a", 0.5, 1.0)
    counts = bandit.state()["inner"]["counts"]["task=fix"]["a"]
    assert counts[0] <= 15 and bandit.state()["window"] == 10


def test_ope_check_counts_each_candidate_of_each_run() -> None:
    rows = ope_check(("thompson", {"floor": 0.1}), rounds=300, seeds=2, bootstrap=100)
    assert [r.method for r in rows] == ["snips", "dr"]
    for row in rows:
        assert row.runs == 6 and 0.0 <= row.coverage <= 1.0 and row.width > 0


def test_overhead_measures_choose_and_update_through_a_real_store(tmp_path: Path) -> None:
    cost = overhead("thompson", calls=30, warm=25, folder=tmp_path)
    assert cost["calls"] == 30
    for part in ("choose", "update"):
        assert 0 < cost[part]["p50"] <= cost[part]["p95"] <= cost[part]["max"]


def test_simulate_writes_its_figure_and_table(tmp_path: Path) -> None:
    result = simulate(rounds=200, seeds=1, folder=tmp_path)
    assert [r["bandit"] for r in result["rows"]][0] == "uniform" and len(result["rows"]) == 6
    assert all(Path(p).stat().st_size > 0 for p in result["files"])
    assert json.loads((tmp_path / "simulation.json").read_text())["rounds"] == 200
    text = "\n".join(simulation_lines(result))
    assert "uniform" in text and "lowest regret:" in text
    with pytest.raises(ValueError, match="rounds must be between"):
        simulate(rounds=0)


def test_a_vw_configuration_is_labelled_by_its_extra_arguments() -> None:
    config = ("vw", {"args": "--cb_explore_adf -q SA --quiet --squarecb --power_t 0", "floor": 0.02})
    assert label(config) == "vw floor=0.02 args=--squarecb --power_t 0"
