"""rl/drift_detect.py: LinUCB restarted when its rewards drop below the usual. The properties every learner
keeps (probabilities, propensities, state, bad input) are also checked for it in test_bandits.py."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from specpilot.rl.bandits import bandit_from_state, make_bandit
from specpilot.rl.benchmark import WIDER
from specpilot.rl.drift_detect import DriftDetecting
from specpilot.rl.events import Context
from specpilot.rl.simulate import realistic_users, run
from tests.unit.rl.test_bandits import simulate

ARMS = ("a", "b", "c")
FIX = Context("task=fix|lang=python", {"task=fix": 1.0, "lang=python": 1.0})
BEFORE = {"a": 0.2, "b": 0.3, "c": 0.6}
AFTER = {"a": 0.6, "b": 0.3, "c": 0.1}  # the best and the worst arm swap


def test_after_a_drift_it_loses_far_less_than_linucb_and_before_it_chooses_exactly_as_linucb() -> None:
    drift_at, rounds = 800, 1600
    plain, detecting = [], []
    for seed in range(4):
        users = realistic_users(seed=seed, drift_at=drift_at, **WIDER)
        linucb = run(make_bandit("linucb"), users, rounds, seed=seed)
        bandit = make_bandit("linucb-detect")
        trace = run(bandit, users, rounds, seed=seed)
        assert isinstance(bandit, DriftDetecting) and bandit.restarts >= 1
        # no false alarm before the drift: the same choices, so the same regret, as plain LinUCB
        assert trace.arm[:drift_at] == linucb.arm[:drift_at]
        plain.append(linucb.regret[drift_at:].sum())
        detecting.append(trace.regret[drift_at:].sum())
    assert np.mean(detecting) < 0.7 * np.mean(plain)


@pytest.mark.parametrize("users", [{}, WIDER], ids=["default", "wider"])
def test_stationary_users_raise_no_restart(users: dict[str, object]) -> None:
    for seed in range(3):
        bandit = DriftDetecting()
        run(bandit, realistic_users(seed=seed, **users), 1500, seed=seed)
        assert bandit.restarts == 0 and bandit.seen == 1500


def test_a_drop_restarts_the_learner_on_the_outcomes_since_the_change_and_it_moves_to_the_new_best_arm() -> None:
    bandit = DriftDetecting(floor=0.06)
    log = simulate(bandit, [(FIX, BEFORE)], 400)
    assert bandit.restarts == 0 and max(bandit.probabilities(FIX, ARMS).items(), key=lambda kv: kv[1])[0] == "c"
    log += simulate(bandit, [(FIX, AFTER)], 600, seed=1)
    assert bandit.restarts >= 1
    assert len(bandit.recent) <= bandit.memory and bandit.seen == 1000
    assert max(bandit.probabilities(FIX, ARMS).items(), key=lambda kv: kv[1])[0] == "a"
    assert min(propensity for _, _, propensity in log) >= 0.06 / 3 - 1e-12  # the floor held through the restart


def test_the_restart_keeps_only_outcomes_after_the_estimated_change_point() -> None:
    bandit = DriftDetecting(warmup=5, threshold=3.0, slack=0.0, memory=50)
    for _ in range(40):
        bandit.probabilities(FIX, ARMS)
        bandit.learn(FIX, "c", 0.9, 1.0)  # always accepted ...
    rejects = 0
    while not bandit.restarts and rejects < 20:
        bandit.learn(FIX, "c", 0.9, 0.0)  # ... then always rejected: the drop passes 3 after the 4th reject
        rejects += 1
    assert bandit.restarts == 1 and rejects == 4
    assert [reward for _, _, _, reward in bandit.recent] == [0.0] * 4
    assert bandit.drop == 0.0 and bandit.usual == {FIX.bucket: [0.0, 4.0]}


def test_state_round_trip_mid_test_continues_identically() -> None:
    bandit = DriftDetecting(threshold=8.0)
    simulate(bandit, [(FIX, BEFORE)], 300)
    simulate(bandit, [(FIX, AFTER)], 30, seed=1)
    state = json.loads(json.dumps(bandit.state()))
    restored = bandit_from_state(state)
    assert isinstance(restored, DriftDetecting) and restored.state() == state
    assert bandit.drop > 0 and restored.drop == bandit.drop
    simulate(bandit, [(FIX, AFTER)], 300, seed=2)
    simulate(restored, [(FIX, AFTER)], 300, seed=2)
    assert restored.restarts == bandit.restarts >= 1
    assert restored.state() == bandit.state()


def test_it_is_deterministic_for_a_seed_and_wraps_other_learners() -> None:
    runs = [run(make_bandit("linucb-detect"), realistic_users(seed=1, drift_at=300), 600, seed=5) for _ in range(2)]
    assert runs[0].arm == runs[1].arm and np.array_equal(runs[0].propensity, runs[1].propensity)
    thompson = DriftDetecting(kind="thompson", floor=0.1)
    log = simulate(thompson, [(FIX, BEFORE)], 300) + simulate(thompson, [(FIX, AFTER)], 500, seed=1)
    assert thompson.state()["inner"]["name"] == "thompson" and thompson.restarts >= 1
    assert min(propensity for _, _, propensity in log) >= 0.1 / 3 - 1e-12
    rng = random.Random(3)
    probabilities = thompson.probabilities(FIX, ARMS)
    arm, propensity = thompson.choose(FIX, ARMS, rng)
    assert propensity == probabilities[arm]


@pytest.mark.parametrize("options, message", [
    ({"threshold": 0.0}, "threshold"), ({"slack": -0.1}, "slack"), ({"warmup": 0}, "warmup"),
    ({"memory": True}, "memory"), ({"kind": "linucb-detect"}, "inner bandit"), ({"kind": "ppo"}, "unknown bandit"),
    ({"floor": 0.0}, "floor"), ({"alpah": 1.0}, "alpah"),
])
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_bandit("linucb-detect", **options)
