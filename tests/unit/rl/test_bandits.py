"""rl/bandits.py: the properties every learner keeps (through make_bandit), UniformRandom, Fixed and
BucketThompson. The linear learners and Vowpal Wabbit have their own files; here they only take part in
the shared properties."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping

import pytest

from specpilot.rl.bandits import (
    BANDITS,
    BucketThompson,
    Fixed,
    UniformRandom,
    bandit_from_state,
    make_bandit,
)
from specpilot.rl.events import Bandit, Context

ARMS = ("a", "b", "c")
RATES = {"a": 0.2, "b": 0.3, "c": 0.45}
CONTEXT = Context("task=fix|lang=python", {"query_length": 0.4, "repo_size": 1.0})


def build(name: str, **options: object) -> Bandit:
    return make_bandit(name, **({"arm": "a"} | options if name == "fixed" else options))


World = list[tuple[Context, Mapping[str, float]]]  # contexts and the true acceptance rate of each arm in them


def simulate(bandit: Bandit, world: World, rounds: int, seed: int = 0) -> list[tuple[Context, str, float]]:
    """Each round: a context at random, the bandit's choice, a Bernoulli reward at the arm's true rate."""
    rng = random.Random(seed)
    log = []
    for _ in range(rounds):
        context, rates = rng.choice(world)
        arm, propensity = bandit.choose(context, list(rates), rng)
        bandit.learn(context, arm, propensity, float(rng.random() < rates[arm]))
        log.append((context, arm, propensity))
    return log


@pytest.mark.parametrize("name", BANDITS)
def test_every_bandit_gives_probabilities_that_sum_to_1_none_below_the_floor(name: str) -> None:
    bandit = build(name, floor=0.1) if name != "uniform" else build(name)
    simulate(bandit, [(CONTEXT, RATES)], 200)
    for arms in (ARMS, ("a", "b", "c", "d")):
        probabilities = bandit.probabilities(CONTEXT, arms)
        assert list(probabilities) == list(arms)
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-9)
        assert min(probabilities.values()) >= 0.1 / len(arms) - 1e-12


@pytest.mark.parametrize("name", BANDITS)
def test_the_logged_propensity_is_the_probability_of_the_drawn_arm_and_draws_follow_it(name: str) -> None:
    bandit = build(name)
    simulate(bandit, [(CONTEXT, RATES)], 100)
    probabilities = bandit.probabilities(CONTEXT, ARMS)
    rng = random.Random(7)
    drawn: Counter[str] = Counter()
    for _ in range(2000):
        arm, propensity = bandit.choose(CONTEXT, ARMS, rng)
        assert propensity == probabilities[arm]
        drawn[arm] += 1
    for arm in ARMS:
        assert drawn[arm] / 2000 == pytest.approx(probabilities[arm], abs=0.04)


@pytest.mark.parametrize("name", BANDITS)
def test_probabilities_are_deterministic_and_survive_a_state_round_trip(name: str) -> None:
    bandit = build(name)
    other = Context("task=explain|lang=go", {"query_length": 0.9, "new_feature": 2.0})
    simulate(bandit, [(CONTEXT, RATES), (other, {"a": 0.6, "b": 0.2, "c": 0.1})], 300)
    state = json.loads(json.dumps(bandit.state()))  # JSON-serialisable
    restored = bandit_from_state(state)
    assert type(restored) is type(bandit) and restored.name == name
    for context in (CONTEXT, other, Context("unseen", {"other": 1.0})):
        first = bandit.probabilities(context, ARMS)
        assert bandit.probabilities(context, ARMS) == first
        assert restored.probabilities(context, ARMS) == first
    assert json.loads(json.dumps(restored.state())).keys() == state.keys()
    if name != "vw":  # VW's model bytes may differ in padding; its probabilities are compared above
        assert restored.state() == state
    # the restored one goes on learning the same way
    simulate(bandit, [(CONTEXT, RATES)], 50, seed=3)
    simulate(restored, [(CONTEXT, RATES)], 50, seed=3)
    assert restored.probabilities(CONTEXT, ARMS) == bandit.probabilities(CONTEXT, ARMS)


@pytest.mark.parametrize("name", BANDITS)
def test_bad_input_gives_a_clear_value_error(name: str) -> None:
    bandit = build(name)
    with pytest.raises(ValueError, match="no arms"):
        bandit.probabilities(CONTEXT, [])
    with pytest.raises(ValueError, match="duplicate arms"):
        bandit.probabilities(CONTEXT, ["a", "a"])
    bandit.probabilities(CONTEXT, ARMS)
    with pytest.raises(ValueError, match="unknown arm 'z'"):
        bandit.learn(CONTEXT, "z", 0.5, 1.0)
    with pytest.raises(ValueError, match="reward"):
        bandit.learn(CONTEXT, "a", 0.5, 1.5)
    with pytest.raises(ValueError, match="reward"):
        bandit.learn(CONTEXT, "a", 0.5, -0.1)
    with pytest.raises(ValueError, match="propensity"):
        bandit.learn(CONTEXT, "a", 0.0, 1.0)
    with pytest.raises(ValueError, match="propensity"):
        bandit.learn(CONTEXT, "a", 1.2, 1.0)
    if name != "uniform":
        with pytest.raises(ValueError, match="floor"):
            build(name, floor=0.0)


def test_make_bandit_refuses_unknown_names_options_and_states() -> None:
    with pytest.raises(ValueError, match="unknown bandit 'ppo'.*uniform, fixed, thompson, linucb, lints, vw"):
        make_bandit("ppo")
    with pytest.raises(ValueError, match="bandit 'thompson'.*flor"):
        make_bandit("thompson", flor=0.1)
    with pytest.raises(ValueError, match="not one of"):
        bandit_from_state({"name": "nope"})
    with pytest.raises(ValueError, match="discount"):
        BucketThompson(discount=0.0)
    with pytest.raises(ValueError, match="prior"):
        BucketThompson(prior=(0.0, 1.0))


def test_no_bandit_module_imports_vowpalwabbit_until_one_is_built() -> None:
    code = ("import sys; import specpilot.rl.bandits, specpilot.rl.linear_bandits, specpilot.rl.vw_bandit; "
            "print('vowpalwabbit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_uniform_random_spreads_evenly_and_learns_nothing() -> None:
    bandit = UniformRandom()
    simulate(bandit, [(CONTEXT, RATES)], 100)
    assert bandit.probabilities(CONTEXT, ARMS) == {arm: 1 / 3 for arm in ARMS}
    assert bandit.probabilities(CONTEXT, ["a", "b"]) == {"a": 0.5, "b": 0.5}


def test_fixed_keeps_its_arm_and_spreads_the_floor_over_the_others() -> None:
    bandit = Fixed("b", floor=0.1)
    assert bandit.probabilities(CONTEXT, ARMS) == pytest.approx({"a": 0.05, "b": 0.9, "c": 0.05})
    assert bandit.probabilities(CONTEXT, ["b"]) == {"b": 1.0}
    assert bandit.probabilities(CONTEXT, ["c", "d"]) == pytest.approx({"c": 0.9, "d": 0.1})  # first stands in
    simulate(bandit, [(CONTEXT, RATES)], 100)
    assert bandit.probabilities(CONTEXT, ARMS)["b"] == pytest.approx(0.9)


def test_bucket_thompson_finds_the_best_arm_of_a_stationary_problem_within_1000_rounds() -> None:
    bandit = BucketThompson(floor=0.05)
    log = simulate(bandit, [(CONTEXT, RATES)], 1000)
    assert min(propensity for _, _, propensity in log) >= 0.05 / 3 - 1e-12
    late = Counter(arm for _, arm, _ in log[-300:])
    assert late["c"] / 300 > 0.7
    assert max(bandit.probabilities(CONTEXT, ARMS), key=bandit.probabilities(CONTEXT, ARMS).__getitem__) == "c"
    alpha, beta = bandit.posterior(CONTEXT.bucket, "c")
    assert alpha / (alpha + beta) == pytest.approx(0.45, abs=0.07)


def test_bucket_thompson_learns_a_different_best_arm_in_each_bucket() -> None:
    fix, explain = Context("task=fix"), Context("task=explain")
    bandit = BucketThompson()
    simulate(bandit, [(fix, {"a": 0.6, "b": 0.3, "c": 0.2}), (explain, {"a": 0.2, "b": 0.3, "c": 0.6})], 1000)
    assert bandit.probabilities(fix, ARMS)["a"] > 0.7
    assert bandit.probabilities(explain, ARMS)["c"] > 0.7


def test_discount_decays_a_bucket_towards_the_prior_at_each_update() -> None:
    bandit = BucketThompson(discount=0.5, prior=(2.0, 3.0))
    for _ in range(2):
        bandit.probabilities(CONTEXT, ARMS)
        bandit.learn(CONTEXT, "a", 0.5, 1.0)
    bandit.learn(CONTEXT, "b", 0.5, 0.0)
    assert bandit.posterior(CONTEXT.bucket, "a") == (2.0 + 0.75, 3.0)  # (1 * 0.5 + 1) * 0.5
    assert bandit.posterior(CONTEXT.bucket, "b") == (2.0, 4.0)
    assert bandit.posterior("other", "a") == (2.0, 3.0)  # other buckets keep their counts


def test_a_discounted_thompson_moves_to_the_new_best_arm_after_a_swap_faster() -> None:
    before = {"a": 0.7, "b": 0.3, "c": 0.2}
    after = {"a": 0.3, "b": 0.7, "c": 0.2}

    def share_of_new_best_after_swap(discount: float, seed: int) -> float:
        bandit = BucketThompson(discount=discount)
        simulate(bandit, [(CONTEXT, before)], 600, seed=seed)
        log = simulate(bandit, [(CONTEXT, after)], 300, seed=seed + 100)
        return sum(arm == "b" for _, arm, _ in log) / len(log)

    for seed in (1, 2):
        forgetting, remembering = share_of_new_best_after_swap(0.97, seed), share_of_new_best_after_swap(1.0, seed)
        assert forgetting > 0.5
        assert forgetting > remembering + 0.2


def test_numpy_numbers_are_accepted_as_rewards_and_propensities() -> None:
    import numpy as np

    bandit = BucketThompson()
    bandit.probabilities(CONTEXT, ARMS)
    bandit.learn(CONTEXT, "a", np.float32(0.5), np.float64(1.0))  # type: ignore[arg-type]
    assert bandit.posterior(CONTEXT.bucket, "a") == (2.0, 1.0)
    with pytest.raises(ValueError, match="reward"):
        bandit.learn(CONTEXT, "a", 0.5, float("nan"))
