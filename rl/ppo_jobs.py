"""``specpilot train policy``: learn to gather context, judge the result, save it with its verdict.

1. Tasks: the public retrieval benchmark's docstring -> function set (rl/docstring_set.py), built once per machine
   in the user cache (``policy-data/``) and indexed there; plus, when a workspace is given and indexed, its own
   commit, spec-task and accepted-run tasks (rl/gather_tasks.py), which only train.
2. The benchmark's last packages (a quarter of them: ``importlib`` and ``concurrent`` by default) are held out:
   no training or tuning step sees them; they judge the policy at the end. The other tasks split 85/15 into
   training and validation (the learning curve).
3. Every reachable outcome of each task is recorded from the real index once (rl/gather_sources.py; cached by
   the feature version and whether a reranker was there), then PPO trains on the replays (rl/ppo.py) for
   ``steps`` or ``max_minutes``, whichever comes first.
4. The promotion rule (rl/ppo_eval.py) on the held-out tasks decides whether the agent may use it; the card says
   which, with the figures. The policy is saved either way (``specpilot learn status`` shows it), and used
   only when promoted.
"""

from __future__ import annotations

import gzip
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from specpilot.core.config import Settings
from specpilot.core.errors import SpecPilotError
from specpilot.core.paths import user_cache_dir
from specpilot.rl import docstring_set, ppo, ppo_eval
from specpilot.rl.gather import BUDGETS, FEATURES_VERSION, Costs, Task
from specpilot.rl.gather_sources import LiveSource, ReplaySource, record
from specpilot.rl.gather_tasks import commit_tasks, docstring_tasks, spec_tasks, trajectory_tasks

Progress = Callable[[str, float], None]
DEFAULT_TASKS = 600
MIN_TASKS = 20
SEED = 7


class NotEnoughTasks(SpecPilotError):
    """Too few tasks to learn from or to judge with; the message says how many there were."""


@dataclass(frozen=True)
class PolicyResult:
    folder: Path
    promoted: bool
    message: str
    card: dict[str, Any]


def data_dir() -> Path:
    return user_cache_dir() / "policy-data"


def held_out_packages(packages: Sequence[str]) -> tuple[str, ...]:
    """The packages that only judge: the last quarter of ``packages`` (at least one)."""
    return tuple(packages[-max(1, len(packages) // 4):])


def record_all(index: Any, tasks: Sequence[Task], progress: Progress | None, stage: str) -> list[dict[str, Any]]:
    """Every task's reachable outcomes recorded from ``index`` (rl/gather_sources.py), ``progress`` every 10."""
    out = []
    for n, task in enumerate(tasks, start=1):
        out.append(record(LiveSource(index, task.query)))
        if progress is not None and (n % 10 == 0 or n == len(tasks)):
            progress(stage, n / len(tasks))
    return out


def sample_tasks(queries: Sequence[dict[str, str]], limit: int, prefix: str) -> list[Task]:
    """Docstring tasks for up to ``limit`` of ``queries``: a seeded sample, the same every run."""
    chosen = list(queries) if len(queries) <= limit else random.Random(SEED).sample(list(queries), limit)
    return docstring_tasks(chosen, prefix=prefix)


def cached_records(cache: Path, count: int) -> list[dict[str, Any]] | None:
    """The records kept in ``cache`` when it holds ``count`` of them; None when absent, torn or of another size."""
    if not cache.is_file():
        return None
    try:
        with gzip.open(cache, "rt", encoding="utf-8") as stream:
            records = [json.loads(line) for line in stream]
    except (OSError, ValueError, EOFError):
        return None  # a torn cache is recorded again
    return records if len(records) == count else None


def save_records(cache: Path, records: Sequence[dict[str, Any]]) -> None:
    """Keep ``records`` in ``cache`` (written aside, then moved in place: a run killed half way leaves none)."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    temporary = cache.with_suffix(".part")
    with gzip.open(temporary, "wt", encoding="utf-8") as stream:
        for data in records:
            stream.write(json.dumps(data) + "\n")
    temporary.replace(cache)


def benchmark_records(packages: Sequence[str], limit: int, progress: Progress | None = None,
                      settings: Settings | None = None) -> list[tuple[Task, dict[str, Any]]]:
    """(task, record) for up to ``limit`` docstring tasks of ``packages`` (a seeded sample), from the cache or
    recorded against the benchmark's index in the user cache."""
    from specpilot.index.engine import WorkspaceIndex
    from specpilot.index.reranker import find_model

    workdir = data_dir() / ("stdlib-" + "-".join(packages))
    ws, queries = docstring_set.build(workdir, tuple(packages))
    tasks = sample_tasks(queries, limit, "stdlib")
    rerank = "rerank" if find_model(None) is not None else "plain"
    cache = workdir / f"records-v{FEATURES_VERSION}-{limit}-{rerank}.jsonl.gz"
    records = cached_records(cache, len(tasks))
    if records is None:
        index = WorkspaceIndex(ws, replace(settings or Settings(), cache_path=str(workdir / "cache")))
        try:
            index.update(None if progress is None else lambda p: progress(f"indexing the benchmark ({p.stage})",
                                                                          p.done / max(p.total, 1)))
            records = record_all(index, tasks, progress, "recording the benchmark's episodes")
        finally:
            index.close()
        save_records(cache, records)
    return list(zip(tasks, records, strict=True))


def workspace_records(root: Path, settings: Settings,
                      progress: Progress | None = None) -> tuple[list[tuple[Task, dict[str, Any]]], str]:
    """The workspace's own commit and accepted-run tasks recorded against its index; and a note when there are
    none (no index yet, no history)."""
    from specpilot.agents.session import trajectory_dir
    from specpilot.core.paths import cache_dir
    from specpilot.index.engine import WorkspaceIndex

    if not (cache_dir(root, settings.cache_path) / "index").exists():
        return [], "the workspace has no index yet (run `specpilot index`): its own tasks were not used"
    index = WorkspaceIndex(root, settings)
    try:
        indexed = set(index.manifest.files)
        tasks = (commit_tasks(root, indexed) + spec_tasks(root, indexed)
                 + trajectory_tasks(trajectory_dir(root, settings), indexed))
        if not tasks:
            return [], "the workspace has no commit or accepted agent run to learn from"
        records = record_all(index, tasks, progress, "recording the workspace's episodes")
    finally:
        index.close()
    return list(zip(tasks, records, strict=True)), ""


def train_policy(root: Path | None, settings: Settings, *, steps: int = 200_000, max_minutes: float = 10.0,
                 limit: int = DEFAULT_TASKS, packages: Sequence[str] = docstring_set.PACKAGES,
                 progress: Progress | None = None, target: Path | None = None) -> PolicyResult:
    """Train, judge and save the context policy (module docstring); :class:`NotEnoughTasks` when the tasks are
    too few."""
    began = time.perf_counter()
    held = held_out_packages(packages)
    bench = benchmark_records(packages, limit, progress, settings)
    judge = [(t, ReplaySource(d)) for t, d in bench if t.targets[0][0].split("/", 1)[0] in held]
    rest = [(t, ReplaySource(d)) for t, d in bench if t.targets[0][0].split("/", 1)[0] not in held]
    notes: list[str] = []
    own: list[tuple[Task, ReplaySource]] = []
    if root is not None:
        recorded, note = workspace_records(root, settings, progress)
        own = [(t, ReplaySource(d)) for t, d in recorded]
        if note:
            notes.append(note)
    random.Random(SEED).shuffle(rest)
    cut = int(0.85 * len(rest))
    train_eps, valid_eps = rest[:cut] + own, rest[cut:] or rest[:cut]
    if len(train_eps) < MIN_TASKS or len(judge) < MIN_TASKS // 2:
        raise NotEnoughTasks(f"too few tasks to learn a context policy: {len(train_eps)} to train on and "
                             f"{len(judge)} held out (at least {MIN_TASKS} and {MIN_TASKS // 2}); raise --limit")
    costs = Costs(settings.learning.ppo_lambda, settings.learning.ppo_mu)
    recorded_s = time.perf_counter() - began

    def valid_success(model: Any) -> float:
        actor = ppo.ContextPolicy(ppo.actor_weights(model), {}).act
        return statistics.mean(ppo_eval.score_actor(actor, valid_eps, b).rate for b in BUDGETS)

    def step_progress(done: int, total: int) -> None:
        if progress is not None:
            progress("training the policy (PPO)", done / max(total, 1))

    started = time.perf_counter()
    model, curve = ppo.train(train_eps, costs=costs, steps=steps, seed=SEED, evaluate=valid_success,
                             every=max(steps // 10, 1024), progress=step_progress, deadline_s=60.0 * max_minutes)
    train_s = time.perf_counter() - started
    actor = ppo.ContextPolicy(ppo.actor_weights(model), {}).act
    best = ppo_eval.best_strategy(train_eps)
    bandit = ppo_eval.train_bandit(train_eps, kind=settings.learning.bandit, floor=settings.learning.floor, seed=SEED)
    mine = {b: ppo_eval.score_actor(actor, judge, b) for b in BUDGETS}
    fixed = {b: ppo_eval.score_strategy(best, judge, b) for b in BUDGETS}
    chosen = {b: ppo_eval.score_bandit(bandit, judge, b) for b in BUDGETS}
    verdict = ppo_eval.promotion(mine, fixed, chosen)
    card = {"costs": {"lam": costs.lam, "mu": costs.mu}, "steps": int(model.num_timesteps),
            "seconds": round(train_s, 1), "recording_seconds": round(recorded_s, 1), "device": "cpu",
            "tasks": {"train": len(train_eps), "workspace": len(own), "validation": len(valid_eps),
                      "held_out": len(judge)},
            "held_out_packages": list(held), "best_fixed": best, "promoted": verdict.promoted,
            "verdict": verdict.reason,
            "held_out_success": {"policy": {str(b): round(s.rate, 4) for b, s in mine.items()},
                                 "best_fixed": {str(b): round(s.rate, 4) for b, s in fixed.items()},
                                 "bandit": {str(b): round(s.rate, 4) for b, s in chosen.items()}},
            "curve": {"steps": list(curve.steps), "validation_success": [round(v, 4) for v in curve.success]},
            "notes": notes, "source": "specpilot train policy"}
    folder = ppo.save(model, target or ppo.policy_dir(), card)
    message = (f"context policy trained on {len(train_eps)} tasks ({model.num_timesteps:,} steps, {train_s:.0f} s); "
               f"{verdict.reason}")
    return PolicyResult(folder, verdict.promoted, message, ppo.read_card(folder))
