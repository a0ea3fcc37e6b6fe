"""The code reranker's CPU latency and validation MRR@10, torch fp32 beside the int8 ONNX fast path.

Usage::

    python bench/rerank_speed.py [MODEL_FOLDER] [VALID_JSONL] [--runs 100] [--doc-tokens 72 48] [--write]

For each backend: validation MRR@10 on the trainer's validation groups (the positive among its own hard
negatives and other queries' positives, 20 candidates), and the wall time of ``Reranker.scores`` for one
query and 20 candidates (raw code: ``document_text`` included), p50 and p95 over ``--runs`` queries.
``--doc-tokens`` also tries shorter code windows than the model was trained with. Prints JSON; ``--write``
rewrites the ``rerank_speed`` section of bench/RESULTS.md (with the model card's training figures). Defaults: the
base model and the base training's validation pairs in the user cache.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine_info, write_section  # noqa: E402

from specpilot.index.rerank_jobs import data_dir  # noqa: E402
from specpilot.index.rerank_pairs import read_pairs  # noqa: E402
from specpilot.index.rerank_train import mrr_at_10, validation_groups  # noqa: E402
from specpilot.index.reranker import Reranker, base_model_dir, query_text, read_card  # noqa: E402


def measure(reranker: Reranker, pairs: list, runs: int, candidates: int) -> dict[str, float]:
    groups = validation_groups(pairs, 100, candidates, reranker.doc_tokens, 0)
    mrr = mrr_at_10(lambda q, docs: reranker.score_texts(query_text(q, max_tokens=reranker.query_tokens), docs),
                    groups)
    pool = [p.positive for p in pairs] + [n for p in pairs for n in p.negatives]
    rng = np.random.default_rng(0)
    times = []
    for run in range(runs + 2):
        codes = [pool[i] for i in rng.choice(len(pool), candidates, replace=False)]
        began = time.perf_counter()
        reranker.scores(pairs[run % len(pairs)].query, codes)
        if run >= 2:  # two warm-up calls
            times.append(1000 * (time.perf_counter() - began))
    return {"valid_mrr10": round(mrr, 4), "p50_ms": round(float(np.percentile(times, 50)), 1),
            "p95_ms": round(float(np.percentile(times, 95)), 1), "queries": len(groups)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path, nargs="?", default=None)
    parser.add_argument("valid", type=Path, nargs="?", default=None)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--doc-tokens", type=int, nargs="*", default=[])
    args = parser.parse_args()
    args.model = args.model or base_model_dir()
    args.valid = args.valid or data_dir("base") / "valid.jsonl"
    pairs = list(read_pairs(args.valid))
    results = {}
    for fast in (False, True):  # fp32, then the path a search takes (int8 ONNX, else bf16 where native)
        reranker = Reranker.load(args.model, "cpu", fast=fast)
        name = "torch-fp32" if reranker.backend == "torch" else reranker.backend
        if fast and reranker.backend == "torch":
            results["fast path"] = {"skipped": "the model has no int8 file and this CPU no native bf16"}
            continue
        trained = reranker.doc_tokens
        for tokens in [trained, *[t for t in args.doc_tokens if t != trained]]:
            reranker.doc_tokens = tokens
            reranker.max_length = 3 + reranker.query_tokens + tokens
            results[f"{name} doc_tokens={tokens}"] = measure(reranker, pairs, args.runs, args.candidates)
            print(json.dumps({f"{name} doc_tokens={tokens}": results[f"{name} doc_tokens={tokens}"]}), flush=True)
    print(json.dumps(results, indent=2))
    if args.write:
        print(write_section("rerank_speed", section(read_card(args.model), results, args.candidates, args.runs)))


def mining_seconds() -> float:
    try:
        return float(json.loads((data_dir("base") / "mining.json").read_text())["seconds"]["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return float("nan")


def section(card: dict, results: dict[str, dict], candidates: int, runs: int) -> str:
    rows = ["| Backend | code tokens | validation MRR@10 | p50 ms | p95 ms |", "|---|---|---|---|---|"]
    for name, row in results.items():
        backend, _, tokens = name.partition(" doc_tokens=")
        if "skipped" in row:
            rows.append(f"| {backend} | – | – | {row['skipped']} | |")
        else:
            rows.append(f"| {backend} | {tokens} | {row['valid_mrr10']:.4f} | {row['p50_ms']:.1f} | "
                        f"{row['p95_ms']:.1f} |")
    fast = card.get("fast", {})
    return f"""## Code reranker: base training and latency (bench/rerank_speed.py)

Written by `python bench/rerank_speed.py --write`. Machine: {machine_info()}.

**Base training** (`index/rerank_train.py`'s `train`, as `specpilot train reranker --base-only` runs it, all
layers; {card['date']}, {card['device']}, {card.get('precision', 'fp32')}): {card['seconds']:.0f} s in all
(goal <= 1,200 s on this CPU); mining the pairs before it took {mining_seconds():.0f} s, once (the pairs are kept
for later runs); stopped:
{card['stopped']}; {card['train_pairs']} training pairs mined ({', '.join(f'{k} {v}' for k, v in
sorted(card['pairs_by_kind'].items()))}), {card['pairs_seen']} seen at {card['pairs_per_s']} pairs/s;
{card['valid_pairs']} validation pairs from packages kept apart. Validation MRR@10
({card['valid_queries_scored']} queries, {card['candidates']} candidates): {card['valid_mrr10_before']:.4f} before
training (the packaged embedding model with a new head), {card['valid_mrr10_after']:.4f} after. History (step,
MRR@10): {card['history']}. The int8 ONNX fast path: {'kept' if fast.get('ok') else 'not kept'} (validation
MRR@10 {fast.get('valid_mrr10')} against fp32 {fast.get('fp32_valid_mrr10')}; kept when within 0.005).

**Latency**: `Reranker.scores` for one query and {candidates} candidates of raw code (the token cut included),
over {runs} queries after two warm-up calls; goal on this CPU p95 <= 150 ms. The validation MRR@10 here is over
100 validation queries (more than training checks), so it differs slightly from the card's. GPU: no GPU was lent
to this task, so the GPU goal (p95 <= 20 ms) is not measured.

{chr(10).join(rows)}
"""


if __name__ == "__main__":
    main()
