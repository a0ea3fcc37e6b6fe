"""rl/vw_bandit.py: Vowpal Wabbit's cb_explore_adf behind the Bandit protocol."""

from __future__ import annotations

from collections import Counter

import pytest

from specpilot.rl.events import Context
from specpilot.rl.vw_bandit import VowpalBandit
from tests.unit.rl.test_bandits import World, simulate

ARMS = ("a", "b", "c")


def test_the_example_is_vw_adf_text_with_the_label_on_the_chosen_arm() -> None:
    with VowpalBandit(arms=["plain", "step by:step"]) as bandit:
        context = Context("task=fix|lang=python", {"query length": 3.0})
        assert bandit.example(context, ["plain", "step by:step"], "plain", 0.0, 0.25) == (
            "shared |S bucket=task=fix_lang=python task=fix lang=python query_length:3.0\n"
            "0:0.0:0.25 |A arm=plain\n"
            "|A arm=step_by_step")
        with pytest.raises(ValueError, match="read the same"):
            bandit.probabilities(context, ["plain", "step by_step"])


def test_it_finds_the_best_arm_of_a_stationary_problem_within_1000_rounds() -> None:
    with VowpalBandit(floor=0.05) as bandit:
        context = Context("task=fix", {"query_length": 0.5})
        log = simulate(bandit, [(context, {"a": 0.2, "b": 0.3, "c": 0.45})], 1000)
        assert min(propensity for _, _, propensity in log) >= 0.05 / 3 - 1e-12
        assert Counter(arm for _, arm, _ in log[-300:])["c"] / 300 > 0.6
        probabilities = bandit.probabilities(context, ARMS)
        assert max(probabilities, key=probabilities.__getitem__) == "c"


def test_with_q_sa_it_learns_a_context_dependent_best_arm_and_without_it_cannot() -> None:
    fix, explain = Context("task=fix"), Context("task=explain")
    world: World = [(fix, {"a": 0.9, "b": 0.3}), (explain, {"a": 0.5, "b": 0.7})]  # a is better on average
    with VowpalBandit() as crossed:
        simulate(crossed, world, 1000)
        assert crossed.probabilities(fix, ["a", "b"])["a"] > 0.7
        assert crossed.probabilities(explain, ["a", "b"])["b"] > 0.7
    with VowpalBandit("--cb_explore_adf --squarecb --quiet") as flat:  # the context only shifts every arm alike
        simulate(flat, world, 1000)
        assert flat.probabilities(fix, ["a", "b"])["a"] > 0.5
        assert flat.probabilities(explain, ["a", "b"])["b"] < 0.5


def test_state_reloads_the_model_and_the_arms() -> None:
    context = Context("task=fix", {"x": 1.0})
    with VowpalBandit(floor=0.1) as bandit:
        simulate(bandit, [(context, {"a": 0.2, "b": 0.8, "c": 0.1})], 300)
        state = bandit.state()
        with VowpalBandit.from_state(state) as restored:
            assert restored.arms == ["a", "b", "c"] and restored.floor == 0.1
            assert restored.probabilities(context, ARMS) == bandit.probabilities(context, ARMS)
            restored.learn(context, "b", 0.5, 1.0)  # learns on without being offered again
        with pytest.raises(ValueError, match="no readable model"):
            VowpalBandit.from_state({**state, "model": "not base64!"})
        with pytest.raises(ValueError, match="could not load"):
            VowpalBandit.from_state({**state, "model": "AAAA"})


def test_close_is_idempotent() -> None:
    bandit = VowpalBandit()
    bandit.close()
    bandit.close()
