"""The learning loop's feedback store (rl/store.py) at 1M decisions: size on disk and the cost of a write.

Usage::

    python bench/learning_store.py [--count 1000000] [--calls 1000] [--no-write]

Fills a store in a temporary folder with ``--count`` decisions shaped like the server's (a 22-character id,
eight decision points with two to four arms, about 100 context buckets, six numeric features, five workspaces;
30% accepted, 45% rejected, 15% expired as ignored, search clicks rewarded by rank, the rest still pending),
written with ``executemany`` in transactions of 100,000 rows, with the per-arm aggregates the store keeps. Then,
through the store's own API on the filled file, it measures:

* the file's size (goal < 200 MB) and the time to open it (the integrity quick check runs on open);
* one ``record_decision`` and one ``record_outcome`` call, p50/p95 over ``--calls`` calls each (goal ≤ 2 ms p95);
* ``summary()`` (what ``specpilot learn status`` reads; goal ≤ 1 s), and for information ``logged()`` of one
  point (all of it, and the newest 2,000) and ``expire()``.

Writes the ``learning_store`` section of RESULTS.md (not with ``--no-write``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from results import machine_info, pct, write_section  # noqa: E402

from specpilot.rl.events import Context  # noqa: E402
from specpilot.rl.search_clicks import REPLAY  # noqa: E402
from specpilot.rl.store import KEEP_IMPRESSIONS, FeedbackStore, workspace_key  # noqa: E402
from specpilot.rl.store_schema import features_json, id_key, write  # noqa: E402

POINTS = {
    "prompt.planner": ("plain-v1", "stepwise-v1"), "prompt.coder": ("plain-v1", "stepwise-v1", "tests-first-v1"),
    "context": ("mix-kw", "mix-vec", "mix-graph", "mix-even"), "tool": ("search-first", "read-first", "graph-first"),
    "fusion": ("w-0.3", "w-0.5", "w-0.7"), "code_action": ("quickfix", "refactor"),
    "search_click": ("fused", "bm25-heavy", "vector-heavy"), "stage_draft": ("terse-v1", "detailed-v1"),
}
TASKS = ("fix", "feature", "refactor", "explain", "test")
LANGS = ("python", "typescript", "go", "rust", "java")
SIZES = ("s", "m", "l", "xl")
BATCH = 100_000
HOUR_MS = 3_600_000


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)



def decision_id(rng: random.Random) -> str:
    """An id as rl/policy.py makes them: ``d-`` and 20 hex digits of a UUID (stored as text, 22 bytes)."""
    return f"d-{uuid.UUID(int=rng.getrandbits(128)).hex[:20]}"


def context(rng: random.Random) -> Context:
    task, lang, size = rng.choice(TASKS), rng.choice(LANGS), rng.choice(SIZES)
    files = rng.randint(5, 20_000)
    return Context(f"task={task}|lang={lang}|size={size}", {
        "query_length": float(rng.randint(1, 40)), "repo_files_log": math.log1p(files),
        "spec_profile": float(rng.randint(0, 2)), "open_files": float(rng.randint(0, 12)),
        "hour": float(rng.randint(0, 23)), "recent_accept": round(rng.random(), 3)})


def fill(store: FeedbackStore, count: int, seed: int = 7) -> int:
    """``count`` decisions with their outcomes written straight into the store's tables (what a year of use
    would leave); returns how many are still pending."""
    rng = random.Random(seed)
    workspaces = [workspace_key(f"/home/user/projects/repo{i}") for i in range(5)]
    db = store._db()  # the store's own connection and label table: the rows are what its API would write
    with write(db):
        label = {}
        texts = {*POINTS, *workspaces, "thompson", "accepted", "rejected", "ignored", "",
                 *(f"rank:{r}" for r in range(1, 11))}
        for arms in POINTS.values():
            texts |= {*arms, json.dumps(list(arms), separators=(",", ":"))}
        for task in TASKS:
            for lang in LANGS:
                for size in SIZES:
                    texts.add(f"task={task}|lang={lang}|size={size}")
        keys, _ = store_features(context(rng))
        texts.add(keys)
        for text in sorted(texts):
            label[text] = store._label(db, text)
    stats: dict[tuple[int, int], list[float]] = {}
    start_ms = 1_750_000_000_000
    pending = 0
    done = 0
    points = list(POINTS)
    while done < count:
        rows = []
        for i in range(done, min(count, done + BATCH)):
            point = points[i % len(points)]
            arms = POINTS[point]
            arm = rng.choice(arms)
            ctx = context(rng)
            keys, values = store_features(ctx)
            created = start_ms + i * 30_000  # one decision every 30 s: about a year for 1M
            draw = rng.random()
            reward: float | None
            if i >= count - 500:  # the newest are still waiting
                reward, outcome, rewarded_at = None, None, None
                pending += 1
            elif draw < 0.15:
                reward, outcome, rewarded_at = None, label["ignored"], None
            elif point == "search_click":
                rank = rng.randint(1, 10)
                reward, outcome, rewarded_at = 1.0 / rank, label[f"rank:{rank}"], created + 20_000
            else:
                accepted = draw < 0.55
                reward = 1.0 if accepted else 0.0
                outcome, rewarded_at = label["accepted" if accepted else "rejected"], created + 15_000
            rows.append((id_key(decision_id(rng)), label[point], label[rng.choice(workspaces)],
                         label[ctx.bucket], label[keys], values, label[json.dumps(list(arms), separators=(",", ":"))],
                         label[arm], round(rng.uniform(0.05, 1.0), 4), label["thompson"], created,
                         created + HOUR_MS // 2, reward, outcome, rewarded_at, None))
            entry = stats.setdefault((label[point], label[arm]), [0, 0, 0.0])
            entry[0] += 1
            if reward is not None:
                entry[1] += 1
                entry[2] += reward
        with write(db):
            db.executemany(
                "INSERT INTO decisions (decision_id, point, workspace, bucket, feature_keys, feature_values, arms, "
                "arm, propensity, policy, created_at, expires_at, reward, outcome, rewarded_at, note) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        done += len(rows)
        log(f"{done:,} decisions written")
    with write(db):
        db.executemany("INSERT INTO arm_stats (point, arm, pulls, rewarded, reward_sum) VALUES (?,?,?,?,?)",
                       [(p, a, n, r, s) for (p, a), (n, r, s) in stats.items()])
    return pending


def store_features(ctx: Context) -> tuple[str, str]:
    return features_json(ctx.features)


def cli_status(path: Path, runs: int = 5) -> list[float]:
    """Seconds of `specpilot learn status --json` on the store at ``path``, each a new process."""
    env = {**os.environ, "SPECPILOT_LEARNING": "on", "SPECPILOT_LEARNING_STORE": str(path)}
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "specpilot", "learn", "status", "--json"], env=env, check=True,
                       capture_output=True, timeout=120)
        times.append(time.perf_counter() - t0)
    return times


def timed(call: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def searches(store: FeedbackStore, count: int, seed: int = 5) -> tuple[list[float], float]:
    """``count`` searches recorded as the server records them (a decision with its impression: 50 candidates'
    scores, the top 10 shown), a third of them opened at a position-biased rank, the rest ignored; the
    ``record_decision`` times, and the seconds of one fusion-weight review over them (rl/search_clicks.py)."""
    from specpilot.index.search import FusionInputs
    from specpilot.rl import search_clicks
    from specpilot.rl.ltr import Candidate, rerank

    rng = random.Random(seed)
    now = time.time()
    times = []
    for n in range(count):
        lexical = {f"c{i}": rng.uniform(0.0, 14.0) for i in range(50)}
        cosine = {f"c{i}": rng.uniform(0.05, 0.85) for i in range(50)}
        shown = tuple(rerank([Candidate(k, lexical[k], cosine[k]) for k in lexical], 0.7)[:10])
        data = search_clicks.impression_data(FusionInputs(lexical, cosine, dict.fromkeys(lexical, 1.0), shown, 0.7),
                                             f"query {n % 500}", 0.7)
        did = decision_id(rng)
        t0 = time.perf_counter()
        store.record_decision(did, "search", "hybrid@0.7", 1.0, context=context(rng), arms=("hybrid@0.7",),
                              policy="shown", workspace="/home/user/projects/repo1", at=now + n, impression=data)
        times.append(time.perf_counter() - t0)
        rank = min(10, int(1 / max(rng.random(), 0.01)))
        if rng.random() < 0.33:
            store.record_outcome(did, 1.0, f"rank:{rank}", at=now + n + 1)
    store.expire(now=now + count + 10 * HOUR_MS / 1000)
    t0 = time.perf_counter()
    search_clicks.review(store)
    return times, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=6000)
    parser.add_argument("--no-write", action="store_true", help="print the figures, leave RESULTS.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="learning-store-") as folder:
        path = Path(folder) / "feedback.sqlite3"
        t0 = time.perf_counter()
        with FeedbackStore(path) as store:
            pending = fill(store, args.count)
        fill_s = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6
        log(f"filled in {fill_s:.0f} s: {size_mb:.1f} MB; opening it")
        t0 = time.perf_counter()
        store = FeedbackStore(path)
        open_s = time.perf_counter() - t0
        rng = random.Random(11)
        now = time.time()
        ids = [decision_id(rng) for _ in range(args.calls)]
        decide, outcome = [], []
        for n, did in enumerate(ids):
            point = list(POINTS)[n % len(POINTS)]
            arms, ctx = POINTS[point], context(rng)
            arm = rng.choice(arms)
            t1 = time.perf_counter()
            store.record_decision(did, point, arm, 0.5, context=ctx, arms=arms, policy="thompson",
                                  workspace="/home/user/projects/repo1", at=now)
            decide.append(time.perf_counter() - t1)
        for n, did in enumerate(ids):
            t1 = time.perf_counter()
            store.record_outcome(did, float(n % 2), "accepted" if n % 2 else "rejected", at=now + 5)
            outcome.append(time.perf_counter() - t1)
        summary_times = [timed(store.summary) for _ in range(5)]
        rows = store.summary()
        logged_s = timed(lambda: store.logged("prompt.coder"))
        logged_n = len(store.logged("prompt.coder"))
        recent_s = timed(lambda: store.logged("prompt.coder", limit=2000))
        expire_s = timed(lambda: store.expire(now=now + 10 * HOUR_MS / 1000))
        store.close()
        size_after_mb = path.stat().st_size / 1e6
        log(f"{args.searches:,} searches with their impressions")
        with FeedbackStore(path) as store:
            search_times, review_s = searches(store, args.searches)
        size_searches_mb = path.stat().st_size / 1e6
        log("timing `specpilot learn status` on the filled store and on an empty one")
        status_full = cli_status(path)
        status_empty = cli_status(Path(folder) / "empty.sqlite3")
    ms = 1000.0

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    lines = [
        machine_info() + f"; 1-minute load average {os.getloadavg()[0]:.1f} (2 cores shared with other jobs)",
        "",
        f"A store filled with {args.count:,} decisions (ids as rl/policy.py makes them, `d-` and 20 hex digits; "
        f"{len(POINTS)} decision points with 2–4 "
        "arms, 100 context buckets, 6 numeric features, 5 workspaces; 30% accepted, 45% rejected, 15% ignored, "
        f"search clicks rewarded by rank, {pending} pending), written in {fill_s:.0f} s with `executemany` in "
        f"transactions of {BATCH:,} rows. Then, through `FeedbackStore`'s API on the filled file:",
        "",
        "| measure | value | goal | |",
        "|---|---|---|---|",
        f"| file size, {args.count:,} decisions | {size_mb:.1f} MB ({size_mb * 1e6 / args.count:.0f} bytes a "
        f"decision, indexes included) | < 200 MB | {verdict(size_mb < 200)} |",
        f"| `record_decision`, p50 / p95 over {len(decide)} calls | {statistics.median(decide) * ms:.2f} / "
        f"{pct(decide, 0.95) * ms:.2f} ms | ≤ 2 ms p95 | {verdict(pct(decide, 0.95) <= 0.002)} |",
        f"| `record_outcome`, p50 / p95 over {len(outcome)} calls | {statistics.median(outcome) * ms:.2f} / "
        f"{pct(outcome, 0.95) * ms:.2f} ms | ≤ 2 ms p95 | {verdict(pct(outcome, 0.95) <= 0.002)} |",
        f"| `summary()` ({len(rows)} arms), worst of 5 | {max(summary_times) * ms:.2f} ms | ≤ 1 s | "
        f"{verdict(max(summary_times) <= 1.0)} |",
        f"| opening the filled store (quick integrity check included) | {open_s:.2f} s | | |",
        f"| `logged(\"prompt.coder\")` ({logged_n:,} rewarded decisions) | {logged_s:.2f} s | | |",
        f"| `logged(\"prompt.coder\", limit=2000)` (the newest 2,000) | {recent_s * ms:.1f} ms | | |",
        f"| `expire()` | {expire_s * ms:.1f} ms | | |",
        f"| `specpilot learn status --json` (the whole command: a new process), median / worst of "
        f"{len(status_full)} | {statistics.median(status_full):.2f} / {max(status_full):.2f} s | ≤ 1 s | "
        f"{verdict(statistics.median(status_full) <= 1.0)} |",
        f"| the same on an empty store (same-run baseline: the process's own start) | "
        f"{statistics.median(status_empty):.2f} s | | |",
        "",
        f"The file after the timed calls: {size_after_mb:.1f} MB. Every write is one `BEGIN IMMEDIATE` transaction "
        "in WAL mode with `synchronous=NORMAL` and updates the per-arm aggregate in the same transaction, so "
        "`summary()` reads one row per (point, arm) however many decisions there are.",
        "",
        f"Then {args.searches:,} searches recorded as the server records them (rl/search_clicks.py: a decision with "
        "its impression, 50 candidates' BM25 scores, cosines and priors and the 10 shown, about 1.5 KB of JSON), a "
        "third opened at a position-biased rank:",
        "",
        "| measure | value | goal | |",
        "|---|---|---|---|",
        f"| `record_decision` with the impression, p50 / p95 over {len(search_times):,} calls | "
        f"{statistics.median(search_times) * ms:.2f} / {pct(search_times, 0.95) * ms:.2f} ms | ≤ 2 ms p95 | "
        f"{verdict(pct(search_times, 0.95) <= 0.002)} |",
        f"| the file after them (only the newest {KEEP_IMPRESSIONS:,} impressions are kept) | "
        f"{size_searches_mb:.1f} MB (+{size_searches_mb - size_after_mb:.1f} MB) | | |",
        f"| one fusion-weight review (the newest {REPLAY:,} searches, 11 weights, bootstrap; a background thread "
        f"every 25 clicks) | {review_s:.2f} s | | |",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("learning_store", text)


if __name__ == "__main__":
    main()
