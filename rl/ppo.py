"""A PPO policy for gathering context: trained with stable-baselines3 on rl/gather_env.py's episodes, saved in the
user cache with a card, and run by the agent as a small numpy network (no torch at decision time).

The folder ``<user cache>/policies/context/`` holds ``policy.zip`` (stable-baselines3's own file, to train on),
``policy.npz`` (the actor's weights, what :class:`ContextPolicy` runs) and ``card.json`` (how it was made: the
feature layout's version and names, the actions, the reward's prices, the tasks, steps and seconds, the
device, and each file's SHA-256). A new policy is written aside and swapped in whole (index/rerank_models.py's
swap), so a run killed half way leaves the previous one. A policy whose card is missing, damaged, of another
feature version or whose files do not match is refused with :class:`PolicyFileError`, and the bandit is used.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specpilot.core.errors import SpecPilotError
from specpilot.core.paths import user_cache_dir
from specpilot.rl.gather import ACTIONS, FEATURE_NAMES, FEATURES_VERSION, Costs, Gathering, features

CARD_FILE = "card.json"
FILES = ("policy.zip", "policy.npz")
RETRAIN = "train one with `specpilot train policy`"


class PolicyFileError(SpecPilotError, ValueError):
    """A saved policy that cannot be used (missing, damaged, another feature version); the message says why."""


def policy_dir() -> Path:
    return user_cache_dir() / "policies" / "context"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True, slots=True)
class Curve:
    """The learning curve: after each ``steps`` of training, the success rate on the evaluation tasks."""

    steps: tuple[int, ...]
    success: tuple[float, ...]


def train(episodes: Sequence[Any], *, costs: Costs, steps: int = 60_000, seed: int = 0, device: str = "cpu",
          evaluate: Callable[[Any], float] | None = None, every: int = 10_000,
          progress: Callable[[int, int], None] | None = None, deadline_s: float | None = None) -> tuple[Any, Curve]:
    """A PPO model trained on ``episodes`` (rl/gather_env.py's) for ``steps`` environment steps (fewer when
    ``deadline_s`` passes), and its learning curve (``evaluate(model)`` every ``every`` steps, when given). With
    ``evaluate`` (validation tasks, never the held-out ones), the model kept is the one that scored best there
    (early stopping by checkpoint); without, the last."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    from specpilot.rl.gather_env import GatherEnv

    env = GatherEnv(episodes, costs)
    model = PPO("MlpPolicy", env, seed=seed, device=device, n_steps=1024, batch_size=256, n_epochs=6,
                learning_rate=3e-4, gamma=1.0, gae_lambda=0.95, ent_coef=0.01, verbose=0)
    points: list[tuple[int, float]] = []
    best: dict[str, Any] = {"score": -1.0, "state": None}
    started = time.monotonic()

    def score(at: int) -> None:
        assert evaluate is not None
        value = evaluate(model)
        points.append((at, value))
        if value > best["score"]:
            best.update(score=value, state=copy.deepcopy(model.policy.state_dict()))

    class Watch(BaseCallback):
        def _on_step(self) -> bool:
            done = self.num_timesteps
            if progress is not None and done % 1024 == 0:
                progress(done, steps)
            if evaluate is not None and done % every == 0:
                score(done)
            return deadline_s is None or time.monotonic() - started < deadline_s

    if evaluate is not None:
        score(0)
    model.learn(total_timesteps=steps, callback=Watch())
    if evaluate is not None and (not points or points[-1][0] != model.num_timesteps):
        score(model.num_timesteps)
    if best["state"] is not None:
        model.policy.load_state_dict(best["state"])
    return model, Curve(tuple(p[0] for p in points), tuple(p[1] for p in points))


def actor_weights(model: Any) -> dict[str, np.ndarray]:
    """The deterministic actor of a stable-baselines3 PPO MlpPolicy as numpy arrays (``w0, b0, ...``)."""
    import torch

    layers = [m for m in model.policy.mlp_extractor.policy_net if isinstance(m, torch.nn.Linear)]
    layers.append(model.policy.action_net)
    out: dict[str, np.ndarray] = {}
    for n, layer in enumerate(layers):
        out[f"w{n}"] = layer.weight.detach().cpu().numpy().astype(np.float32)
        out[f"b{n}"] = layer.bias.detach().cpu().numpy().astype(np.float32)
    return out


class ContextPolicy:
    """The saved actor: the action with the highest logit (tanh hidden layers, as stable-baselines3's
    MlpPolicy)."""

    def __init__(self, weights: dict[str, np.ndarray], card: dict[str, Any]) -> None:
        count = len([k for k in weights if k.startswith("w")])
        self.layers = [(weights[f"w{n}"], weights[f"b{n}"]) for n in range(count)]
        self.card = card
        if self.layers[0][0].shape[1] != len(FEATURE_NAMES) or self.layers[-1][0].shape[0] != len(ACTIONS):
            raise PolicyFileError("the policy's network does not fit this version's features and actions; " + RETRAIN)

    def logits(self, observation: np.ndarray) -> np.ndarray:
        x = observation.astype(np.float32)
        for n, (w, b) in enumerate(self.layers):
            x = w @ x + b
            if n < len(self.layers) - 1:
                x = np.tanh(x)
        return x

    def act(self, state: Gathering) -> str:
        return ACTIONS[int(np.argmax(self.logits(features(state))))]


def save(model: Any, target: Path, card: dict[str, Any]) -> Path:
    """Write ``model`` with its card beside ``target`` and swap it in whole; the folder."""
    from specpilot.index.rerank_models import swap_in

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    model.save(work / "policy.zip")
    np.savez(work / "policy.npz", **actor_weights(model))  # type: ignore[arg-type]
    full = {**card, "features_version": FEATURES_VERSION, "features": list(FEATURE_NAMES), "actions": list(ACTIONS),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": platform.processor()
            or platform.machine(), "files": {name: _sha256(work / name) for name in FILES}}
    (work / CARD_FILE).write_text(json.dumps(full, indent=2), encoding="utf-8")
    swap_in(work, target)
    return target


def read_card(folder: Path) -> dict[str, Any]:
    """The card of the policy in ``folder``, checked against its files and this version's features."""
    path = folder / CARD_FILE
    if not path.is_file():
        raise PolicyFileError(f"no context policy at {folder}; {RETRAIN}")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
        files = dict(card["files"])
        version = int(card["features_version"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PolicyFileError(f"the context policy's card {path} is damaged ({exc}); {RETRAIN}") from None
    if version != FEATURES_VERSION or list(card.get("features", [])) != list(FEATURE_NAMES) \
            or list(card.get("actions", [])) != list(ACTIONS):
        raise PolicyFileError(f"the context policy at {folder} was trained on features version {version}; this "
                              f"SpecPilot uses version {FEATURES_VERSION}, so the bandit chooses; {RETRAIN}")
    for name in FILES:
        file = folder / name
        if not file.is_file() or _sha256(file) != files.get(name):
            raise PolicyFileError(f"the context policy's {name} in {folder} is missing or damaged; {RETRAIN}")
    return card


def load(folder: Path | None = None) -> ContextPolicy:
    """The saved policy, checked (:func:`read_card`); :class:`PolicyFileError` when it cannot be used."""
    from specpilot.index.reranker import recover

    folder = folder or policy_dir()
    recover(folder)
    card = read_card(folder)
    try:
        with np.load(folder / "policy.npz") as data:
            weights = {key: np.asarray(data[key]) for key in data.files}
    except (OSError, ValueError, KeyError) as exc:
        raise PolicyFileError(f"the context policy's weights in {folder} cannot be read ({exc}); {RETRAIN}") from None
    return ContextPolicy(weights, card)
