"""The gymnasium environment the PPO learner trains on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gymnasium.utils.env_checker import check_env

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gather_data import episodes  # noqa: E402

from specpilot.rl.gather import ACTIONS, Costs  # noqa: E402
from specpilot.rl.gather_env import GatherEnv  # noqa: E402


def test_the_environment_follows_the_gymnasium_api() -> None:
    check_env(GatherEnv(episodes(4)), skip_render_check=True)


def test_the_reward_pays_success_minus_tokens_and_steps() -> None:
    env = GatherEnv(episodes(2), Costs(lam=0.1, mu=0.02))
    env.reset(seed=0, options={"episode": 1, "budget": 4000})  # the answer is a graph neighbour of hybrid's best
    total = 0.0
    for action in ("hybrid", "graph", "stop"):
        _, reward, done, truncated, info = env.step(ACTIONS.index(action))
        total += reward
    assert done and not truncated and info["success"] and info["tokens"] == 550 and info["steps"] == 3
    assert total == pytest.approx(1.0 - 0.1 * 0.55 - 3 * 0.02)
    env.reset(seed=0, options={"episode": 1, "budget": 4000})
    _, reward, done, _, info = env.step(ACTIONS.index("stop"))
    assert done and not info["success"] and reward == pytest.approx(-0.02)


def test_no_tasks_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no tasks"):
        GatherEnv([])
