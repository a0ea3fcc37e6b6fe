"""The code reranker's CPU latency and validation MRR@10, torch fp32 beside the int8 ONNX fast path.

Usage::

    python bench/rerank_speed.py MODEL_FOLDER VALID_JSONL [--runs 40] [--doc-tokens 72 48]

For each backend: validation MRR@10 on the trainer's validation groups (the positive among its own hard
negatives and other queries' positives, 20 candidates), and the wall time of ``Reranker.scores`` for one
query and 20 candidates (raw code: ``document_text`` included), p50 and p95 over ``--runs`` queries.
``--doc-tokens`` also tries shorter code windows than the model was trained with. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from specpilot.index.rerank_pairs import read_pairs
from specpilot.index.rerank_train import mrr_at_10, validation_groups
from specpilot.index.reranker import Reranker, query_text


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
    parser.add_argument("model", type=Path)
    parser.add_argument("valid", type=Path)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--doc-tokens", type=int, nargs="*", default=[])
    args = parser.parse_args()
    pairs = list(read_pairs(args.valid))
    results = {}
    for name, fast in (("torch-fp32", False), ("onnx-int8", True)):
        reranker = Reranker.load(args.model, "cpu", fast=fast)
        if fast and reranker.backend != "onnx-int8":
            results[name] = {"skipped": "the model has no fast path (see its card)"}
            continue
        trained = reranker.doc_tokens
        for tokens in [trained, *[t for t in args.doc_tokens if t != trained]]:
            reranker.doc_tokens = tokens
            reranker.max_length = 3 + reranker.query_tokens + tokens
            results[f"{name} doc_tokens={tokens}"] = measure(reranker, pairs, args.runs, args.candidates)
            print(json.dumps({f"{name} doc_tokens={tokens}": results[f"{name} doc_tokens={tokens}"]}), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
