"""A gymnasium environment of context-gathering episodes (rl/gather.py), replayed from recordings
(rl/gather_sources.py), for stable-baselines3's PPO.

Each episode draws a task and a token budget (1k, 2k or 4k); the observation is rl/gather.py's ``features``,
the action one of its ``ACTIONS``. The reward is paid as it goes: minus ``mu`` a step and ``lam`` per 1,000
tokens gathered, plus 1 at the end when a target is in the context.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from specpilot.rl.gather import ACTIONS, BUDGETS, FEATURE_NAMES, Costs, Gathering, Task, features
from specpilot.rl.gather_sources import ReplaySource

Episode = tuple[Task, ReplaySource]


class GatherEnv(gym.Env[np.ndarray, np.int64]):
    """Episodes over ``episodes`` (a task and its replayed source), budgets drawn from ``budgets``."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, episodes: Sequence[Episode], costs: Costs | None = None,
                 budgets: Sequence[int] = BUDGETS) -> None:
        if not episodes:
            raise ValueError("no tasks to learn from")
        self.episodes = list(episodes)
        self.costs = costs or Costs()
        self.budgets = tuple(budgets)
        self.observation_space = gym.spaces.Box(low=-1.0, high=2.0, shape=(len(FEATURE_NAMES),), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(len(ACTIONS))
        self.task: Task | None = None
        self.state: Gathering | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        chosen = (options or {}).get("episode")
        index = int(chosen) if chosen is not None else int(self.np_random.integers(len(self.episodes)))
        budget = int((options or {}).get("budget") or self.budgets[int(self.np_random.integers(len(self.budgets)))])
        self.task, source = self.episodes[index]
        self.state = Gathering(self.task.query, source, budget)
        return features(self.state), {"task": self.task.id, "budget": budget}

    def step(self, action: np.int64 | int) -> tuple[np.ndarray, float, bool, bool, dict]:
        if self.state is None or self.task is None:
            raise RuntimeError("reset() first")
        before = self.state.tokens
        self.state.step(ACTIONS[int(action)])
        reward = self.costs.step_reward(self.state.tokens - before)
        info: dict[str, Any] = {}
        if self.state.finished:
            success = self.state.success(self.task)
            reward += self.costs.final(success)
            info = {"success": success, "tokens": self.state.tokens, "steps": self.state.steps}
        return features(self.state), float(reward), self.state.finished, False, info
