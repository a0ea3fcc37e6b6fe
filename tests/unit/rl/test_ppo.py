"""The PPO context policy: it learns what no fixed strategy does, is saved with a card, and a file that cannot be
trusted is refused with a message."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gather_data import episodes  # noqa: E402

from specpilot.rl import ppo, ppo_eval  # noqa: E402
from specpilot.rl.gather import BUDGETS, FEATURES_VERSION, Costs  # noqa: E402


@pytest.fixture(scope="module")
def trained() -> Any:
    model, curve = ppo.train(episodes(40), costs=Costs(), steps=15_000, seed=0,
                             evaluate=lambda m: ppo_eval.score_actor(
                                 ppo.ContextPolicy(ppo.actor_weights(m), {}).act, episodes(20, 100), 2000).rate,
                             every=5_000)
    return model, curve


def test_the_policy_learns_to_choose_by_the_query(trained: Any) -> None:
    model, curve = trained
    policy = ppo.ContextPolicy(ppo.actor_weights(model), {})
    held_out = episodes(20, start=100)
    best = ppo_eval.best_strategy(episodes(40))
    for budget in BUDGETS:
        assert ppo_eval.score_strategy(best, held_out, budget).rate == 0.5
        assert ppo_eval.score_actor(policy.act, held_out, budget).rate >= 0.95
    assert curve.steps[0] == 0 and curve.success[-1] > curve.success[0]


def test_the_numpy_actor_chooses_as_stable_baselines_does(trained: Any) -> None:
    model, _ = trained
    policy = ppo.ContextPolicy(ppo.actor_weights(model), {})
    rng = np.random.default_rng(0)
    for _ in range(50):
        observation = rng.random(len(ppo.FEATURE_NAMES)).astype(np.float32)
        action, _ = model.predict(observation, deterministic=True)
        assert int(np.argmax(policy.logits(observation))) == int(action)


def test_a_saved_policy_loads_with_its_card(trained: Any, tmp_path: Path) -> None:
    model, _ = trained
    folder = ppo.save(model, tmp_path / "context", {"promoted": True, "costs": {"lam": 0.05, "mu": 0.02}})
    loaded = ppo.load(folder)
    assert loaded.card["features_version"] == FEATURES_VERSION and loaded.card["promoted"] is True
    state_actions = [loaded.act(ppo_eval.play(lambda s: "stop", *episodes(1)[0], 1000))]
    assert state_actions[0] in ppo.ACTIONS
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no work folder left behind


def _saved(trained: Any, tmp_path: Path) -> Path:
    return ppo.save(trained[0], tmp_path / "context", {})


def test_a_policy_of_another_feature_version_is_refused(trained: Any, tmp_path: Path) -> None:
    folder = _saved(trained, tmp_path)
    card = json.loads((folder / "card.json").read_text())
    card["features_version"] = FEATURES_VERSION + 1
    (folder / "card.json").write_text(json.dumps(card))
    with pytest.raises(ppo.PolicyFileError, match="features version"):
        ppo.load(folder)


@pytest.mark.parametrize("damage", ["no card", "bad card", "weights changed", "weights missing"])
def test_a_damaged_policy_is_refused_with_a_hint(trained: Any, tmp_path: Path, damage: str) -> None:
    folder = _saved(trained, tmp_path)
    if damage == "no card":
        (folder / "card.json").unlink()
    elif damage == "bad card":
        (folder / "card.json").write_text("{not json")
    elif damage == "weights changed":
        with (folder / "policy.npz").open("ab") as stream:
            stream.write(b"x")
    else:
        (folder / "policy.npz").unlink()
    with pytest.raises(ppo.PolicyFileError, match="specpilot train policy"):
        ppo.load(folder)


def test_a_new_policy_replaces_the_old_one_whole(trained: Any, tmp_path: Path) -> None:
    first = ppo.save(trained[0], tmp_path / "context", {"run": 1})
    ppo.save(trained[0], tmp_path / "context", {"run": 2})
    assert ppo.load(first).card["run"] == 2
    # a run killed between the two renames leaves the previous policy parked: it comes back
    (tmp_path / "context").rename(tmp_path / ".context.previous")
    assert ppo.load(tmp_path / "context").card["run"] == 2
