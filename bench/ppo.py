"""PPO over context gathering against fixed strategies and the bandit, on tasks from repositories not used in training.

Usage::

    python bench/ppo.py [--train-tasks 500] [--heldout-tasks 250] [--steps 100000] [--write]

Tasks are docstring -> function queries over copies of the code with every docstring removed (bench/retrieval_data.py):

- training: the standard-library packages of the public retrieval benchmark, split 80/20 into training and
  validation tasks (validation: the reward prices lam and mu and the learning curve);
- held out: flask and werkzeug (the tool library's mirrors, as bench/rerank_quality.py reads them), scored at
  the end of each run; they decide the promotion.
- sealed (``--sealed``): tornado, scored once with the saved policy after every decision was made (the training
  length was raised from 100,000 to 200,000 steps and the best-on-validation checkpoint kept after the held-out
  repositories had been seen once, so they are no longer untouched; tornado is).

Every outcome each task's episodes can reach is recorded once from the real index (rl/gather_sources.py:
searches, graph neighbours, files, callers, the trained reranker's scores when one exists) and cached in the
work folder; training and scoring replay them. Figures: success at token budgets 1k, 2k and 4k for each fixed
strategy, the bandit's choice (trained on the training tasks) and PPO; the learning curve; the policy's
decision overhead per step (features + network, on replayed states). The plots go to bench/ppo_*.png and
``--write`` rewrites the ``ppo`` section of bench/RESULTS.md and saves the policy in the user cache (with its
promotion verdict on the card).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("LANCEDB_LOG", "error")
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import retrieval_data  # noqa: E402
from rerank_quality import MIRRORS, REPOS, extract  # noqa: E402
from results import machine_info, pct, write_section  # noqa: E402
from retrieval import DEFAULT_WORKDIR, log, open_index, update_index  # noqa: E402

from specpilot.rl import ppo, ppo_eval  # noqa: E402
from specpilot.rl.gather import BUDGETS, STRATEGIES, Costs, Gathering  # noqa: E402
from specpilot.rl.gather_sources import ReplaySource  # noqa: E402
from specpilot.rl.ppo_jobs import cached_records, record_all, sample_tasks, save_records  # noqa: E402

WORKDIR = BENCH / ".work" / "ppo"
HELDOUT = ("flask", "werkzeug")
SWEEP = ((0.0, 0.0), (0.02, 0.01), (0.05, 0.02), (0.1, 0.05))  # (lam, mu) pairs tried on the validation tasks
SEED = 7


def recorded(name: str, ws: Path, workdir: Path, queries: list[dict[str, str]], limit: int) -> list[Any]:
    """(task, record) for up to ``limit`` of ``queries`` (a seeded sample), from the cache or the live index."""
    tasks = sample_tasks(queries, limit, name)
    cache = WORKDIR / f"{name}-{limit}.jsonl.gz"
    records = cached_records(cache, len(tasks))
    if records is None:
        index = open_index(ws, workdir)
        started = time.perf_counter()

        def progress(stage: str, fraction: float) -> None:
            done = round(fraction * len(tasks))
            if done % 50 == 0 or done == len(tasks):
                log(f"{name}: recorded {done}/{len(tasks)} ({(time.perf_counter() - started) / done:.2f} s a task)")

        try:
            update_index(index)
            started = time.perf_counter()
            records = record_all(index, tasks, progress, name)
        finally:
            index.close()
        save_records(cache, records)
    return list(zip(tasks, records, strict=True))


def episodes(pairs: list[Any], *, rerank: bool = True) -> list[Any]:
    return [(task, ReplaySource(data, rerank=rerank)) for task, data in pairs]


def success_of(model: Any, eps: list[Any]) -> float:
    policy = ppo.ContextPolicy(ppo.actor_weights(model), {})
    return statistics.mean(ppo_eval.score_actor(policy.act, eps, b).rate for b in BUDGETS)


def overhead(policy: ppo.ContextPolicy, eps: list[Any], samples: int = 3_000) -> tuple[float, float]:
    """Milliseconds a decision takes (features of the state + the network), p50 and p95."""
    rng = random.Random(SEED)
    times: list[float] = []
    while len(times) < samples:
        task, source = rng.choice(eps)
        state = Gathering(task.query, source, rng.choice(BUDGETS))
        while not state.finished and len(times) < samples:
            started = time.perf_counter()
            action = policy.act(state)
            times.append(1000 * (time.perf_counter() - started))
            state.step(action)
    return pct(times, 0.5), pct(times, 0.95)


def habits(policy: ppo.ContextPolicy, eps: list[Any], budget: int) -> str:
    """The policy's most common action sequence on ``eps`` at ``budget`` and its share of the tasks."""
    from collections import Counter

    seen: Counter[str] = Counter()
    for task, source in eps:
        state = Gathering(task.query, source, budget)
        actions = []
        while not state.finished:
            actions.append(policy.act(state))
            state.step(actions[-1])
        seen[" ".join(actions)] += 1
    top, count = seen.most_common(1)[0]
    return f"{budget} tokens: `{top}` ({100 * count / len(eps):.0f} %, {len(seen)} distinct sequences)"


def plots(curve: ppo.Curve, table: dict[str, dict[int, float]]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(curve.steps, curve.success, marker="o")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("validation success (mean of 1k/2k/4k)")
    ax.set_title("PPO learning curve (context gathering)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(BENCH / "ppo_curve.png", dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    names = list(table)
    width = 0.8 / len(BUDGETS)
    for n, budget in enumerate(BUDGETS):
        ax.bar([i + n * width for i in range(len(names))], [table[name][budget] for name in names], width,
               label=f"{budget} tokens")
    ax.set_xticks([i + width for i in range(len(names))], names, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("held-out success")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(BENCH / "ppo_success.png", dpi=110)
    plt.close(fig)
    return ["ppo_curve.png", "ppo_success.png"]


def sealed(args: argparse.Namespace) -> int:
    """The saved policy, the best fixed strategy and the bandit (both from the training tasks, as the policy's
    card names them) on tornado: a repository no training, tuning or promotion decision looked at, run once."""
    ws, queries = retrieval_data.build(DEFAULT_WORKDIR)
    stdlib = recorded("stdlib", ws, DEFAULT_WORKDIR, queries, args.train_tasks)
    random.Random(SEED).shuffle(stdlib)
    train_eps = episodes(stdlib[:int(0.8 * len(stdlib))])
    repo, folder, package = REPOS["tornado"]
    root, commit = extract("tornado", repo, folder, package, args.mirrors)
    workdir = WORKDIR / "tornado"
    hws, hqueries = retrieval_data.build(workdir, (package,), root=root)
    eps = episodes(recorded("tornado", hws, workdir, hqueries, args.heldout_tasks))
    policy = ppo.load()
    best = ppo_eval.best_strategy(train_eps)
    bandit = ppo_eval.train_bandit(train_eps, seed=SEED)
    mine = {b: ppo_eval.score_actor(policy.act, eps, b) for b in BUDGETS}
    fixed = {b: ppo_eval.score_strategy(best, eps, b) for b in BUDGETS}
    chosen = {b: ppo_eval.score_bandit(bandit, eps, b) for b in BUDGETS}
    verdict = ppo_eval.promotion(mine, fixed, chosen)
    lines = [f"Machine: {machine_info()}. `python bench/ppo.py --sealed --write`, run once after every decision.", "",
             f"tornado ({commit[:10]}), {len(eps)} docstring tasks; the policy saved by the run above "
             f"({policy.card.get('date')}), unchanged.", "",
             "| | " + " | ".join(f"{b} tokens" for b in BUDGETS) + " |", "|---|" + "---|" * len(BUDGETS),
             "| PPO | " + " | ".join(f"{mine[b].rate:.3f} ({mine[b].tokens.mean():.0f})" for b in BUDGETS) + " |",
             f"| {best} (best fixed on training) | "
             + " | ".join(f"{fixed[b].rate:.3f} ({fixed[b].tokens.mean():.0f})" for b in BUDGETS) + " |",
             "| bandit's choice | " + " | ".join(f"{chosen[b].rate:.3f} ({chosen[b].tokens.mean():.0f})"
                                                 for b in BUDGETS) + " |", "",
             f"By the promotion rule on this set alone: {verdict.reason}."]
    print("\n".join(lines))
    if args.write:
        write_section("ppo_sealed", "## PPO on the sealed repository (bench/ppo.py --sealed)\n\n" + "\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-tasks", type=int, default=500)
    parser.add_argument("--heldout-tasks", type=int, default=250)
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--sweep-steps", type=int, default=40_000)
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds the final training may take")
    parser.add_argument("--mirrors", type=Path, default=MIRRORS)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--sealed", action="store_true", help="score the saved policy on tornado, once, at the end")
    args = parser.parse_args(argv)
    if args.sealed:
        return sealed(args)

    ws, queries = retrieval_data.build(DEFAULT_WORKDIR)
    stdlib = recorded("stdlib", ws, DEFAULT_WORKDIR, queries, args.train_tasks)
    random.Random(SEED).shuffle(stdlib)
    cut = int(0.8 * len(stdlib))
    train_eps, valid_eps = episodes(stdlib[:cut]), episodes(stdlib[cut:])
    heldout: dict[str, list[Any]] = {}
    for name in HELDOUT:
        repo, folder, package = REPOS[name]
        root, commit = extract(name, repo, folder, package, args.mirrors)
        workdir = WORKDIR / name
        hws, hqueries = retrieval_data.build(workdir, (package,), root=root)
        heldout[name] = episodes(recorded(name, hws, workdir, hqueries, args.heldout_tasks))
    rerank_on = any(data.get("rerank") for _, data in stdlib)

    sweep: list[tuple[float, float, float, float]] = []  # lam, mu, validation success, mean tokens
    for lam, mu in SWEEP:
        model, _ = ppo.train(train_eps, costs=Costs(lam, mu), steps=args.sweep_steps, seed=SEED)
        policy = ppo.ContextPolicy(ppo.actor_weights(model), {})
        scores = [ppo_eval.score_actor(policy.act, valid_eps, b) for b in BUDGETS]
        sweep.append((lam, mu, statistics.mean(s.rate for s in scores),
                      statistics.mean(float(s.tokens.mean()) for s in scores)))
        log(f"sweep lam={lam} mu={mu}: validation success {sweep[-1][2]:.3f}, tokens {sweep[-1][3]:.0f}")
    top = max(s[2] for s in sweep)
    lam, mu = min((s for s in sweep if s[2] >= top - 0.01), key=lambda s: s[3])[:2]  # within 1 point: fewer tokens

    started = time.perf_counter()
    model, curve = ppo.train(train_eps, costs=Costs(lam, mu), steps=args.steps, seed=SEED,
                             evaluate=lambda m: success_of(m, valid_eps), every=10_000, deadline_s=args.deadline)
    train_s = time.perf_counter() - started
    policy = ppo.ContextPolicy(ppo.actor_weights(model), {})

    best = ppo_eval.best_strategy(train_eps)
    bandit = ppo_eval.train_bandit(train_eps, seed=SEED)
    everything = [ep for name in HELDOUT for ep in heldout[name]]
    rows: dict[str, dict[int, float]] = {}
    tokens: dict[str, dict[int, float]] = {}
    per_repo: dict[str, dict[str, float]] = {}
    scores_at: dict[str, dict[int, ppo_eval.Scores]] = {"ppo": {}, "best": {}, "bandit": {}}
    for budget in BUDGETS:
        for name in STRATEGIES:
            s = ppo_eval.score_strategy(name, everything, budget)
            rows.setdefault(name, {})[budget], tokens.setdefault(name, {})[budget] = s.rate, float(s.tokens.mean())
            if name == best:
                scores_at["best"][budget] = s
        s = ppo_eval.score_bandit(bandit, everything, budget)
        rows.setdefault("bandit's choice", {})[budget] = s.rate
        tokens.setdefault("bandit's choice", {})[budget] = float(s.tokens.mean())
        scores_at["bandit"][budget] = s
        s = ppo_eval.score_actor(policy.act, everything, budget)
        rows.setdefault("PPO", {})[budget], tokens.setdefault("PPO", {})[budget] = s.rate, float(s.tokens.mean())
        scores_at["ppo"][budget] = s
        for name in HELDOUT:
            per_repo.setdefault(name, {})[f"PPO {budget}"] = ppo_eval.score_actor(policy.act, heldout[name],
                                                                                   budget).rate
            per_repo[name][f"bandit {budget}"] = ppo_eval.score_bandit(bandit, heldout[name], budget).rate
    verdict = ppo_eval.promotion(scores_at["ppo"], scores_at["best"], scores_at["bandit"])
    p50, p95 = overhead(policy, everything)
    log(verdict.reason)
    pictures = plots(curve, rows)
    kept = curve.steps[curve.success.index(max(curve.success))]

    lines = [f"Machine: {machine_info()}. `python bench/ppo.py --write`.", "",
             f"Tasks: docstring -> function (docstrings stripped). Training: {cut} standard-library tasks, "
             f"validation {len(stdlib) - cut} (the prices and the curve). Held out, scored once at the end: "
             + ", ".join(f"{name} {len(heldout[name])}" for name in HELDOUT) + ". Outcomes recorded from the real "
             f"index; the reranker action {'uses the trained base reranker' if rerank_on else 'has no model'}.", "",
             f"Reward prices chosen on validation (highest success, ties within 1 point to fewer tokens): lam "
             f"{lam} per 1k tokens, mu {mu} a step.", "",
             "| lam | mu | validation success | mean tokens |", "|---|---|---|---|",
             *[f"| {a} | {b} | {c:.3f} | {d:.0f} |" for a, b, c, d in sweep], "",
             f"PPO (stable-baselines3, MlpPolicy 64x64, CPU): {curve.steps[-1]:,} steps in {train_s:.0f} s.", "",
             "Held-out success at a token budget (mean tokens gathered in brackets):", "",
             "| strategy | " + " | ".join(f"{b} tokens" for b in BUDGETS) + " |",
             "|---|" + "---|" * len(BUDGETS)]
    for name in rows:
        mark = " (best fixed on training)" if name == best else ""
        lines.append(f"| {name}{mark} | " + " | ".join(f"{rows[name][b]:.3f} ({tokens[name][b]:.0f})"
                                                        for b in BUDGETS) + " |")
    lines += ["", "Per held-out repository: " + "; ".join(
        f"{name}: " + ", ".join(f"{k} {v:.3f}" for k, v in per_repo[name].items()) for name in HELDOUT), "",
        f"Promotion: {verdict.reason}.", "",
        f"Decision overhead per step (features + network, numpy): p50 {p50:.3f} ms, p95 {p95:.3f} ms.", "",
        "What PPO does on the held-out tasks (its most common sequence): "
        + "; ".join(habits(policy, everything, b) for b in BUDGETS) + ".", "",
        f"The checkpoint kept is the one best on validation (step {kept:,}). "
        "Learning curve (validation success, mean over budgets): " + ", ".join(
            f"{s:,}: {v:.3f}" for s, v in zip(curve.steps, curve.success, strict=True)) + ".", "",
        *[f"![{p}]({p})" for p in pictures]]
    print("\n".join(lines))
    if args.write:
        write_section("ppo", "## PPO over context gathering (bench/ppo.py)\n\n" + "\n".join(lines))
        folder = ppo.save(model, ppo.policy_dir(), {
            "costs": {"lam": lam, "mu": mu}, "steps": int(curve.steps[-1]), "seconds": round(train_s, 1),
            "device": "cpu", "tasks": {"train": cut, "validation": len(stdlib) - cut},
            "heldout": {name: len(heldout[name]) for name in HELDOUT}, "promoted": verdict.promoted,
            "verdict": verdict.reason, "validation_success": max(curve.success), "source": "bench/ppo.py"})
        log(f"policy saved in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
