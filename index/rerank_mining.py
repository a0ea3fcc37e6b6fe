"""The reranker's base training data, mined offline from Python code on this machine (issue 20).

:func:`mine` reads the installed standard library and the site-packages of the running environment (or the
``roots`` given), less the public retrieval benchmark's packages (:data:`HELD_OUT`, see
index/rerank_sources.py), and writes ``train.jsonl``, ``valid.jsonl`` (index/rerank_pairs.py's
:class:`TrainingPair` lines) and a ``mining.json`` summary into ``out_dir``.

1. **Candidates** (index/rerank_sources.py): docstring -> function, comment -> block, identifier -> function,
   each positive without its docstrings. Files are read one per package in turn (packages in a seeded random
   order), at most :data:`PER_MODULE` pairs of each kind per module, until every kind has about
   :data:`POOL_FACTOR` times its share of ``limit`` (or the files run out).
2. **Cleaning**: the same code in two places (a vendored copy) keeps its first owner only; a query that
   belongs to more than one piece of code is dropped.
3. **Selection**: ``limit`` pairs (default :data:`DEFAULT_LIMIT`, what base training fits in 20 minutes on a
   2-core CPU), :data:`SHARES` of each kind, at most :data:`GROUP_SHARE` of them from one package while others
   are left.
4. **Split**: whole packages (``group``) go to validation, in a seeded random order, until they hold
   :data:`VALID_SHARE` of the pairs; at least one package stays in training.
5. **Hard negatives** (index/rerank_negatives.py): the engine's own hybrid top 30 for the query over the pair's
   package, docstrings stripped, as a search in one project returns them (and the pair's function as the engine
   cut it, when it is among them), and the packaged embedding model's nearest other positives. A negative
   never holds the positive, sits inside it or quotes the query; it stays on the pair's side of the split.

A tree with nothing to mine raises :class:`NoPairsError`, whose message says what was read and skipped.
"""

from __future__ import annotations

import json
import math
import random
import sysconfig
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from specpilot.core.errors import SpecPilotError
from specpilot.index.embedder import Embedder
from specpilot.index.rerank_negatives import hard_negatives
from specpilot.index.rerank_pairs import TrainingPair, write_pairs
from specpilot.index.rerank_sources import HELD_OUT, Candidate, group_of, module_candidates, source_files
from specpilot.index.reranker import without_context

DEFAULT_LIMIT = 8_000
SHARES = {"docstring": 0.7, "comment": 0.15, "identifier": 0.15}
PER_MODULE = {"docstring": 8, "comment": 5, "identifier": 5}
POOL_FACTOR = 2
GROUP_SHARE = 0.04
MIN_GROUP_CAP = 50
VALID_SHARE = 0.1

ProgressFn = Callable[[str, int, int], None]


class NoPairsError(SpecPilotError):
    """Nothing to train on: the message says what was read and why nothing came of it."""


@dataclass(slots=True)
class MiningReport:
    train: int = 0
    valid: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    roots: dict[str, int] = field(default_factory=dict)  # pairs per root label
    groups_train: int = 0
    groups_valid: list[str] = field(default_factory=list)
    held_out: list[str] = field(default_factory=list)
    files_read: int = 0
    files_skipped: dict[str, int] = field(default_factory=dict)
    candidates: int = 0  # after cleaning, before selection
    negatives: dict[str, int] = field(default_factory=dict)  # hybrid | bi-encoder
    positives_from_index: int = 0  # pairs whose positive is the engine's chunk of their function
    without_negatives: int = 0
    related_dropped: int = 0  # candidates that hold or quote the positive (or its query): not negatives
    seconds: dict[str, float] = field(default_factory=dict)


def default_roots() -> dict[str, Path]:
    """The installed standard library and the running environment's site-packages."""
    paths = sysconfig.get_paths()
    return {"stdlib": Path(paths["stdlib"]), "site-packages": Path(paths["purelib"])}


# -- candidates ---------------------------------------------------------------------------------
def _module_sample(found: list[Candidate], rng: random.Random) -> list[Candidate]:
    kept: list[Candidate] = []
    for kind, cap in PER_MODULE.items():
        of_kind = [c for c in found if c.kind == kind]
        kept.extend(rng.sample(of_kind, cap) if len(of_kind) > cap else of_kind)
    return kept


def collect(roots: Mapping[str, Path], limit: int, rng: random.Random, report: MiningReport,
            exclude: tuple[str, ...] = (), progress: ProgressFn | None = None) -> list[Candidate]:
    """Candidates from the roots' files, one file per package in turn, until each kind has enough."""
    skipped: Counter[str] = Counter()
    by_group: dict[str, list[tuple[Path, str]]] = defaultdict(list)
    for label, root in roots.items():
        for path, reason in source_files(Path(root), exclude):
            if reason:
                skipped[reason] += 1
                continue
            relative = path.relative_to(root).as_posix()
            by_group[group_of(relative)].append((path, f"{label}/{relative}"))
    queues = [rng.sample(files, len(files)) for _, files in sorted(by_group.items())]
    rng.shuffle(queues)
    wanted = {kind: math.ceil(limit * share * POOL_FACTOR) for kind, share in SHARES.items()}
    have: Counter[str] = Counter()
    pool: list[Candidate] = []
    total = sum(len(queue) for queue in queues)
    done = 0
    while any(queues):
        for queue in queues:
            if not queue:
                continue
            if all(have[kind] >= count for kind, count in wanted.items()):
                break
            path, source = queue.pop()
            done += 1
            try:
                found = module_candidates(path.read_text(encoding="utf-8"), source, group_of(source.split("/", 1)[1]))
            except UnicodeDecodeError:
                skipped["not UTF-8 text"] += 1
                continue
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                skipped["does not parse"] += 1
                continue
            except OSError:
                skipped["cannot be read"] += 1
                continue
            report.files_read += 1
            sample = _module_sample(found, rng)
            pool.extend(sample)
            have.update(c.kind for c in sample)
            if progress and done % 50 == 0:
                progress("read", done, total)
        if progress:
            progress("read", done, total)
        if all(have[kind] >= count for kind, count in wanted.items()):
            break
    report.files_skipped = dict(skipped)
    return pool


def clean(pool: Sequence[Candidate]) -> list[Candidate]:
    """The same code in two places keeps its first owner; a query text (any kind, case ignored) that belongs
    to more than one positive is dropped; identical (query, positive) pairs are kept once."""
    owner_of: dict[str, str] = {}
    owned = [c for c in pool if owner_of.setdefault(without_context(c.positive), c.owner) == c.owner]
    positives_of: dict[str, set[str]] = defaultdict(set)
    for c in owned:
        positives_of[c.query.lower()].add(without_context(c.positive))
    seen: set[tuple[str, str]] = set()
    kept: list[Candidate] = []
    for c in owned:
        key = (c.query.lower(), c.positive)
        if len(positives_of[key[0]]) == 1 and key not in seen:
            seen.add(key)
            kept.append(c)
    return kept


def select(candidates: Sequence[Candidate], limit: int, rng: random.Random) -> list[Candidate]:
    """``limit`` candidates: each kind's share first, a package's share capped while others are left."""
    cap = max(MIN_GROUP_CAP, math.ceil(limit * GROUP_SHARE))
    per_group: Counter[str] = Counter()
    chosen: list[Candidate] = []
    rest: list[Candidate] = []
    for kind, share in SHARES.items():
        of_kind = [c for c in candidates if c.kind == kind]
        rng.shuffle(of_kind)
        quota = int(limit * share)
        for c in of_kind:
            if quota > 0 and per_group[c.group] < cap:
                chosen.append(c)
                per_group[c.group] += 1
                quota -= 1
            else:
                rest.append(c)
    rng.shuffle(rest)
    for capped in (True, False):  # fill what a kind lacked from the others; over the cap only as a last resort
        left: list[Candidate] = []
        for c in rest:
            if len(chosen) < limit and (not capped or per_group[c.group] < cap):
                chosen.append(c)
                per_group[c.group] += 1
            else:
                left.append(c)
        rest = left
    return chosen


def split_groups(pairs: Sequence[Candidate], rng: random.Random, share: float = VALID_SHARE) -> set[str]:
    """Whole packages for validation, in a seeded random order, until they hold ``share`` of the pairs;
    at least one package stays in training (so one package alone gives no validation set)."""
    counts = Counter(c.group for c in pairs)
    groups = sorted(counts)
    rng.shuffle(groups)
    valid: set[str] = set()
    held = 0
    for group in groups:
        if held >= share * len(pairs) or len(valid) == len(groups) - 1:
            break
        valid.add(group)
        held += counts[group]
    return valid


# -- hard negatives -----------------------------------------------------------------------------
# -- the whole run ------------------------------------------------------------------------------
def mine(out_dir: Path, *, roots: Mapping[str, Path] | None = None, limit: int | None = None,
         negatives: int = 7, progress: ProgressFn | None = None, seed: int = 0,
         exclude: Sequence[str] = (), embedder: Embedder | None = None) -> MiningReport:
    """Mine training pairs from ``roots`` (label -> folder; default :func:`default_roots`) into ``out_dir``:
    ``train.jsonl``, ``valid.jsonl`` and ``mining.json``. ``limit``: at most this many pairs (None:
    :data:`DEFAULT_LIMIT`); ``negatives``: hard negatives per pair; ``exclude``: more top-level packages to
    leave out (beside :data:`HELD_OUT`); ``embedder``: the bi-encoder (default: the packaged model).
    ``progress(stage, done, total)`` follows the run. Raises :class:`NoPairsError` when nothing is found."""
    began = time.perf_counter()
    roots = dict(roots) if roots is not None else default_roots()
    limit = DEFAULT_LIMIT if limit is None else limit
    if limit < 1:
        raise ValueError("limit must be at least 1 pair")
    rng = random.Random(seed)
    report = MiningReport(held_out=sorted({*HELD_OUT, *exclude}))
    pool = collect(roots, limit, rng, report, tuple(exclude), progress)
    candidates = clean(pool)
    report.candidates = len(candidates)
    report.seconds["read"] = round(time.perf_counter() - began, 1)
    if not candidates:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(report.files_skipped.items())) or "none"
        where = ", ".join(f"{label} ({path})" for label, path in roots.items()) or "no folders"
        raise NoPairsError(
            f"no training pairs in {where}: {report.files_read} Python files read, skipped: {skipped}; a pair "
            f"needs a function with a docstring sentence of 4+ words, a comment of 4+ words above code, or a "
            f"function name of 2+ words (held-out packages: {', '.join(report.held_out)})")
    chosen = select(candidates, limit, rng)
    valid = split_groups(chosen, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not negatives:
        pairs = [TrainingPair(c.query, c.positive, (), c.kind, c.source, c.group) for c in chosen]
    else:
        if embedder is None:
            from specpilot.index.embedder import create_embedder

            embedder = create_embedder()
        with tempfile.TemporaryDirectory(prefix=".mining-", dir=out_dir) as workdir:
            pairs = hard_negatives(chosen, valid, negatives, embedder, roots, Path(workdir), report, progress)
    rng.shuffle(pairs)
    report.train = write_pairs(out_dir / "train.jsonl", (p for p in pairs if p.group not in valid))
    report.valid = write_pairs(out_dir / "valid.jsonl", (p for p in pairs if p.group in valid))
    report.kinds = dict(Counter(p.kind for p in pairs))
    report.roots = dict(Counter(p.source.split("/", 1)[0] for p in pairs))
    report.groups_train = len({p.group for p in pairs} - valid)
    report.groups_valid = sorted(valid)
    report.seconds["total"] = round(time.perf_counter() - began, 1)
    summary = {**asdict(report), "limit": limit, "negatives_per_pair": negatives, "seed": seed,
               "roots_folders": {label: str(path) for label, path in roots.items()}}
    (out_dir / "mining.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if progress:
        progress("write", len(pairs), len(pairs))
    return report
