"""The code reranker's retrieval quality beside hybrid search: the standard-library set and held-out repositories.

Usage::

    python bench/rerank_quality.py [--model DIR] [--sets stdlib,flask,werkzeug,tornado] [--sealed]
                                   [--limit N] [--write]

For each query set (docstring -> function, docstrings stripped from the code, as bench/retrieval.py builds it)
the engine's hybrid search returns its best ``rerank.topN`` (30) chunks once; the reranker scores them; hybrid
and rerank are scored on the same candidates (MRR@10, R@1, R@10), with the reranker's wall time per query.

- ``stdlib``: the public retrieval benchmark's packages, which base training leaves out (index/rerank_mining.py).
- ``flask``, ``werkzeug``, ``tornado``: real projects that are in neither the standard library nor SpecPilot's
  environment, so no training pair came from them; each is reported on its own.
- ``--sealed``: ``black``, the held-out set no tuning decision looked at, run once at the end and
  reported separately.

Repositories are read from the tool library's mirrors (``--mirrors``), at the commit recorded in the table.
``--write`` rewrites the ``rerank_quality`` section of bench/RESULTS.md (only with every set and no ``--limit``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

os.environ.setdefault("LANCEDB_LOG", "error")
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import retrieval_data  # noqa: E402
from metrics import Metrics, evaluate  # noqa: E402
from results import machine_info, pct, write_section  # noqa: E402
from retrieval import DEFAULT_WORKDIR, function_keys, log, open_index, update_index  # noqa: E402

from specpilot.core.config import Settings  # noqa: E402
from specpilot.index.rerank_search import blend, candidate_texts  # noqa: E402
from specpilot.index.reranker import Reranker, base_model_dir, read_card  # noqa: E402

K = 10
TOP_N = 30
WORKDIR = BENCH / ".work" / "rerank_quality"
MIRRORS = Path("/work/.mirror")
# name -> (GitHub repository, folder holding the package, package)
REPOS = {"flask": ("pallets/flask", "src", "flask"),
         "werkzeug": ("pallets/werkzeug", "src", "werkzeug"),
         "tornado": ("tornadoweb/tornado", "", "tornado")}
SEALED = {"black": ("psf/black", "src", "black")}
WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7, 1.0)  # rerank.weight values compared (1.0: the reranker's order alone)
GOAL_GAIN = 0.08


@dataclass
class SetResult:
    name: str
    source: str
    queries: int
    metrics: dict[str, Metrics] = field(default_factory=dict)
    rerank_ms: list[float] = field(default_factory=list)
    halves: dict[str, dict[str, float]] = field(default_factory=dict)  # MRR@10 on even / odd queries


def extract(name: str, repo: str, folder: str, package: str, mirrors: Path) -> tuple[Path, str]:
    """The repository's package at its mirrored HEAD, unpacked under the work folder; (root, commit)."""
    git_dir = mirrors / repo.replace("/", "+") / "repo"
    commit = subprocess.run(["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    root = WORKDIR / "src" / f"{name}-{commit[:8]}"
    if not (root / package).is_dir():
        path = f"{folder}/{package}" if folder else package
        archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", "--format=tar", commit, path],
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(root / "raw", filter="data")
        (root / "raw" / path).rename(root / package)
    return root, commit


def run_set(name: str, root: Path | None, packages: tuple[str, ...], source: str, reranker: Reranker,
            limit: int | None) -> SetResult:
    workdir = DEFAULT_WORKDIR if name == "stdlib" else WORKDIR / name  # stdlib: bench/retrieval.py's index
    ws, queries = retrieval_data.build(workdir, packages, root=root)
    if limit is not None and limit < len(queries):
        queries = random.Random(13).sample(queries, limit)
    log(f"{name}: {len(queries)} queries over {ws}")
    index = open_index(ws, workdir)
    default = Settings().rerank.weight
    labels = {w: (f"rerank (weight {w:g}, the default)" if w == default else f"rerank, weight {w:g}")
              for w in sorted({*WEIGHTS, default})}
    rankings: dict[str, list[list[tuple[str, str]]]] = {"hybrid": [], **{label: [] for label in labels.values()}}
    result = SetResult(name, source, len(queries))
    try:
        update_index(index)
        index.search("warm up the index", k=K, mode="hybrid")
        reranker.scores("warm up", ["def f():\n    pass"])
        for n, query in enumerate(queries, start=1):
            hits = index.search(query["query"], k=TOP_N, mode="hybrid")
            rankings["hybrid"].append(function_keys(hits)[:K])
            codes = candidate_texts(index.store.rows_by_id, hits)  # what the engine's rerank reads
            started = time.perf_counter()
            scores = reranker.scores(query["query"], codes) if hits else np.zeros(0)
            result.rerank_ms.append(1000 * (time.perf_counter() - started))
            for w, label in labels.items():
                final = blend(scores, [h.score for h in hits], w)
                rankings[label].append(function_keys([hits[i] for i in np.argsort(-final, kind="stable")])[:K])
            if n % 200 == 0:
                log(f"{name}: {n}/{len(queries)}")
    finally:
        index.close()
    targets = [(q["path"], q["qualified_name"]) for q in queries]
    result.metrics = {label: evaluate(r, targets, K) for label, r in rankings.items()}
    for half, start in (("even", 0), ("odd", 1)):  # the weight is chosen on the stdlib set's even half
        result.halves[half] = {label: evaluate(r[start::2], targets[start::2], K).mrr10
                               for label, r in rankings.items()}
    return result


def table(results: Sequence[SetResult]) -> str:
    rows = ["| Set | queries | method | MRR@10 | R@1 | R@10 | vs hybrid MRR@10 | rerank ms p50 / p95 |",
            "|---|---|---|---|---|---|---|---|"]
    for res in results:
        base = res.metrics["hybrid"].mrr10
        timing = f"{statistics.median(res.rerank_ms):.0f} / {pct(res.rerank_ms, 0.95):.0f}"
        for label, m in res.metrics.items():
            gain = "" if label == "hybrid" else f"{m.mrr10 - base:+.3f}"
            rows.append(f"| {res.name} | {res.queries} | {label} | {m.mrr10:.3f} | {m.recall1:.3f} | "
                        f"{m.recall10:.3f} | {gain} | {timing if 'default' in label else ''} |")
    return "\n".join(rows)


def default_label(res: SetResult) -> str:
    return next(label for label in res.metrics if "default" in label)


def halves(res: SetResult) -> str:
    return "; ".join(f"{label}: even {res.halves['even'][label]:.3f}, odd {res.halves['odd'][label]:.3f}"
                     for label in res.metrics)


def verdict(res: SetResult) -> str:
    hybrid, rerank = res.metrics["hybrid"], res.metrics[default_label(res)]
    gain = rerank.mrr10 - hybrid.mrr10
    met = gain >= GOAL_GAIN and rerank.recall1 >= hybrid.recall1
    return (f"{res.name}: MRR@10 {hybrid.mrr10:.3f} -> {rerank.mrr10:.3f} ({gain:+.3f}), R@1 {hybrid.recall1:.3f} "
            f"-> {rerank.recall1:.3f}: {'met' if met else 'not met'}")


def section(results: Sequence[SetResult], sealed: Sequence[SetResult], card: dict, model: Path) -> str:
    sources = "; ".join(f"{r.name}: {r.source}" for r in [*results, *sealed])
    return f"""## Code reranker quality (bench/rerank_quality.py)

Written by `python bench/rerank_quality.py --sealed --write`. Each set is docstring -> function with the
docstrings stripped from the code (as bench/retrieval.py builds it). Hybrid search returns its best {TOP_N} chunks
once per query; the reranker reorders those same candidates, so the rows differ only in the order. A "weight w"
row orders by `w` times the reranker's score plus `1 - w` times hybrid's, each min-max scaled within the
candidates (`rerank.weight`; 1: the reranker's order alone). The default weight was chosen on the even-numbered
stdlib queries and checked on the odd ones: {halves(results[0]) if results and results[0].halves else ''}.

- Machine: {machine_info()}.
- Model: `{model}` ({card.get('date')}; {card.get('train_pairs')} training pairs, validation MRR@10
  {card.get('valid_mrr10_before')} -> {card.get('valid_mrr10_after')}; backend of this run: int8 ONNX where the
  card keeps it, else torch).
- Training data: the standard library and SpecPilot's environment, less the benchmark's packages. None of the
  repositories is in either. Sources: {sources}.
- Rerank time: `Reranker.scores` for one query and its {TOP_N} candidates (the code cut included).

{table(results)}

**Goal: MRR@10 >= hybrid + {GOAL_GAIN:.2f} and R@1 never below hybrid**
{chr(10).join('- ' + verdict(r) for r in results)}

### Sealed held-out set (run only after every decision was made; no decision used its figures)

{table(sealed) if sealed else 'Not run (`--sealed`).'}
{chr(10).join('- ' + verdict(r) for r in sealed)}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the base model)")
    parser.add_argument("--sets", default=",".join(["stdlib", *REPOS]))
    parser.add_argument("--sealed", action="store_true", help="also run the sealed held-out set")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--mirrors", type=Path, default=MIRRORS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    model = args.model or base_model_dir()
    reranker = Reranker.load(model, args.device)
    log(f"reranker {model} on {reranker.backend}")
    results, sealed = [], []
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    for name in names:
        if name == "stdlib":
            results.append(run_set(name, None, retrieval_data.PACKAGES, f"Python {sys.version.split()[0]} "
                                   f"({' '.join(retrieval_data.PACKAGES)})", reranker, args.limit))
        else:
            repo, folder, package = REPOS[name]
            root, commit = extract(name, repo, folder, package, args.mirrors)
            results.append(run_set(name, root, (package,), f"{repo}@{commit[:8]}", reranker, args.limit))
    if args.sealed:
        for name, (repo, folder, package) in SEALED.items():
            root, commit = extract(name, repo, folder, package, args.mirrors)
            sealed.append(run_set(name, root, (package,), f"{repo}@{commit[:8]}", reranker, args.limit))
    print(table(results + sealed))
    for res in results + sealed:
        print(verdict(res))
        print(f"  MRR@10 by half: {halves(res)}")
    if args.json:
        args.json.write_text(json.dumps({r.name: {k: m.to_json() for k, m in r.metrics.items()}
                                         for r in results + sealed}, indent=2), encoding="utf-8")
    if args.write:
        if args.limit is not None or set(names) != {"stdlib", *REPOS} or not sealed:
            log("not writing RESULTS.md: --write needs every set, --sealed and no --limit")
        else:
            log(f"wrote {write_section('rerank_quality', section(results, sealed, read_card(model), model))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
