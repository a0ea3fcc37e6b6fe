"""rl/linear_bandits.py: LinUCB and linear Thompson sampling over a context's features."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest

from specpilot.rl.events import Bandit, Context
from specpilot.rl.linear_bandits import LinearThompson, LinUCB
from tests.unit.rl.test_bandits import simulate

ARMS = ("a", "b", "c")


LEARNERS = [lambda: LinUCB(alpha=1.0, floor=0.05), lambda: LinearThompson(v=0.5, floor=0.05)]


@pytest.mark.parametrize("make", LEARNERS, ids=["linucb", "lints"])
def test_each_finds_the_best_arm_of_a_stationary_problem_within_1000_rounds(make: Callable[[], Bandit]) -> None:
    bandit = make()
    context = Context("task=fix", {"query_length": 0.5})
    log = simulate(bandit, [(context, {"a": 0.2, "b": 0.3, "c": 0.45})], 1000)
    assert min(propensity for _, _, propensity in log) >= 0.05 / 3 - 1e-12
    assert Counter(arm for _, arm, _ in log[-300:])["c"] / 300 > 0.7
    probabilities = bandit.probabilities(context, ARMS)
    assert max(probabilities, key=probabilities.__getitem__) == "c"


@pytest.mark.parametrize("make", LEARNERS, ids=["linucb", "lints"])
def test_each_learns_different_best_arms_from_a_numeric_feature_and_from_the_bucket(make: Callable[[], Bandit]) -> None:
    python, go = Context("", {"python": 1.0, "size": 0.3}), Context("", {"python": 0.0, "size": 0.3})
    bandit = make()
    simulate(bandit, [(python, {"a": 0.7, "b": 0.3, "c": 0.2}), (go, {"a": 0.2, "b": 0.3, "c": 0.7})], 1000)
    assert bandit.probabilities(python, ARMS)["a"] > 0.7
    assert bandit.probabilities(go, ARMS)["c"] > 0.7
    fix, explain = Context("task=fix|lang=go"), Context("task=explain|lang=go")
    bandit = make()
    simulate(bandit, [(fix, {"a": 0.2, "b": 0.7, "c": 0.2}), (explain, {"a": 0.7, "b": 0.2, "c": 0.2})], 1000)
    assert bandit.probabilities(fix, ARMS)["b"] > 0.7
    assert bandit.probabilities(explain, ARMS)["a"] > 0.7


def test_linucb_gives_the_ucb_arm_all_but_the_floor() -> None:
    bandit = LinUCB(alpha=0.0, floor=0.3)
    context = Context("", {"x": 1.0})
    bandit.probabilities(context, ARMS)
    bandit.learn(context, "b", 0.1, 1.0)
    assert bandit.probabilities(context, ARMS) == pytest.approx({"a": 0.1, "b": 0.8, "c": 0.1})
    assert LinUCB(alpha=0.0).probabilities(context, ["a"]) == {"a": 1.0}


def test_an_unseen_feature_extends_the_dimension_keeping_the_index_stable() -> None:
    bandit = LinUCB()
    first = Context("task=fix", {"x": 1.0})
    bandit.probabilities(first, ARMS)
    bandit.learn(first, "a", 0.5, 1.0)
    assert bandit.features == ["x", "bucket:task=fix"]
    assert bandit.state()["models"]["a"]["A"] == [[2.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 2.0]]
    later = Context("task=fix", {"y": 2.0, "x": 1.0})
    before = json.dumps(bandit.state())
    bandit.probabilities(later, ARMS)  # a feature not learned from: no change to the state
    assert json.dumps(bandit.state()) == before
    bandit.learn(later, "a", 0.5, 0.0)
    assert bandit.features == ["x", "bucket:task=fix", "y"]
    a = np.array(bandit.state()["models"]["a"]["A"])
    assert a.shape == (4, 4) and a[3, 3] == 5.0 and a[1, 3] == 2.0  # 1 (prior) + 2 * 2; x * y
    assert LinUCB.from_state(bandit.state()).state() == bandit.state()


def test_an_unseen_feature_scores_as_the_model_extended_with_it_would() -> None:
    bandit = LinearThompson()
    seen = Context("", {"x": 1.0})
    simulate(bandit, [(seen, {"a": 0.6, "b": 0.3, "c": 0.2})], 200)
    novel = Context("", {"x": 1.0, "z": 0.7})
    state = bandit.state()
    state["features"].append("z")  # what learning from z would add: an identity row and column, a zero in b
    for model in state["models"].values():
        model["A"] = [row + [0.0] for row in model["A"]] + [[0.0] * len(model["b"]) + [1.0]]
        model["b"].append(0.0)
    extended = LinearThompson.from_state(state)
    means, spreads = bandit.estimates(novel, ARMS)
    extended_means, extended_spreads = extended.estimates(novel, ARMS)
    assert means == pytest.approx(extended_means) and spreads == pytest.approx(extended_spreads)
    assert spreads == pytest.approx(bandit.estimates(seen, ARMS)[1] + 0.49)


def test_bad_settings_and_states_are_refused() -> None:
    with pytest.raises(ValueError, match="alpha"):
        LinUCB(alpha=-1.0)
    with pytest.raises(ValueError, match="v "):
        LinearThompson(v=0.0)
    with pytest.raises(ValueError, match="not a finite number"):
        LinUCB().probabilities(Context("", {"x": float("nan")}), ARMS)
