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
5. **Hard negatives**, from the same split only, never the positive: every distinct positive is written as one
   file of a temporary workspace and indexed by the engine's own :class:`WorkspaceIndex`;
   (a) **hybrid**: what its hybrid search ranks highest for the query, other than the positive's file;
   (b) **bi-encoder**: the packaged embedding model's nearest positives by cosine (the vectors the index
   computed for each file's chunks, averaged, and the query's), keeping only those at least
   :data:`BI_RELATIVE_MARGIN` (relatively) below the positive's own score, as sentence-transformers'
   ``mine_hard_negatives`` does with ``relative_margin``. That function itself needs the ``datasets`` package,
   which SpecPilot's environment does not have, so the same selection is done here with numpy.
   The two kinds alternate in each pair's ``negatives``, hybrid first (one fills in where the other has too
   few). A negative is always another pair's positive, as written; code that holds the positive (an enclosing
   comment block), sits inside it, or quotes the query is dropped (``related_dropped``).

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

import numpy as np

from specpilot.core.errors import SpecPilotError
from specpilot.index.embedder import Embedder
from specpilot.index.rerank_pairs import TrainingPair, write_pairs
from specpilot.index.rerank_sources import HELD_OUT, Candidate, group_of, module_candidates, source_files
from specpilot.index.reranker import without_context

DEFAULT_LIMIT = 12_000
SHARES = {"docstring": 0.5, "comment": 0.25, "identifier": 0.25}
PER_MODULE = {"docstring": 8, "comment": 5, "identifier": 5}
POOL_FACTOR = 2
GROUP_SHARE = 0.04
MIN_GROUP_CAP = 50
VALID_SHARE = 0.1
HYBRID_K = 20
BI_RANGE = 30
BI_RELATIVE_MARGIN = 0.05
WORKSPACE_FOLDER = "p"

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
class _MiningEmbedder(Embedder):
    """The embedder the mining index runs on: query vectors come from the batch computed up front, and each
    chunk vector the index computes is summed per file (the path that heads the text index/model.py's
    ``embed_text`` builds), so the bi-encoder side reuses them instead of embedding every positive again."""

    def __init__(self, inner: Embedder, queries: dict[str, np.ndarray], paths: set[str]) -> None:
        self.inner = inner
        self.name, self.dim, self.max_seq_length = inner.name, inner.dim, inner.max_seq_length
        self.bulk_threads = inner.bulk_threads
        self.queries = queries
        self.paths = paths
        self.sums: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._keep(texts, self.inner.embed(texts))

    def embed_few(self, texts: list[str]) -> np.ndarray:
        return self._keep(texts, self.inner.embed_few(texts))

    def embed_query(self, text: str) -> np.ndarray:
        known = self.queries.get(text)
        return known if known is not None else self.inner.embed_query(text)

    def prepare_for_queries(self) -> None:
        self.inner.prepare_for_queries()

    def _keep(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        for text, vector in zip(texts, vectors):
            path = text.split(" ", 1)[0]
            if path in self.paths:
                self.sums[path] = self.sums[path] + vector if path in self.sums else np.array(vector)
        return vectors


def _positive_vectors(positives: Sequence[str], paths: Sequence[str], sums: Mapping[str, np.ndarray],
                      embedder: Embedder) -> np.ndarray:
    """One normalised vector per positive: its chunks' mean from the index, else embedded now."""
    missing = [i for i, path in enumerate(paths) if path not in sums]
    fresh = embedder.embed([positives[i] for i in missing]) if missing else np.zeros((0, embedder.dim))
    matrix = np.zeros((len(positives), embedder.dim), dtype=np.float32)
    for i, path in enumerate(paths):
        if path in sums:
            matrix[i] = sums[path]
    matrix[missing] = fresh
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def _bi_encoder_negatives(queries: np.ndarray, owners: Sequence[int], matrix: np.ndarray,
                          splits: Sequence[bool]) -> list[list[int]]:
    """For each query, the positives nearest by cosine (within :data:`BI_RANGE`), from the owner's split, not
    the owner, at least :data:`BI_RELATIVE_MARGIN` below the owner's own score."""
    found: list[list[int]] = []
    in_valid = np.array(splits, dtype=bool)
    for start in range(0, len(owners), 512):
        scores = queries[start:start + 512] @ matrix.T
        for row, owner in zip(scores, owners[start:start + 512]):
            own = float(row[owner])
            ceiling = own - BI_RELATIVE_MARGIN * abs(own)
            row = np.where(in_valid == splits[owner], row, -np.inf)
            row[owner] = -np.inf
            top = min(BI_RANGE, len(row))
            nearest = np.argpartition(-row, top - 1)[:top]
            nearest = nearest[np.argsort(-row[nearest])]
            found.append([int(i) for i in nearest if np.isfinite(row[i]) and row[i] <= ceiling])
    return found


def _mix(first: Sequence[int], second: Sequence[int], count: int) -> list[tuple[int, str]]:
    """Alternate the two lists (``first`` leads), no repeats, up to ``count``; each with where it came from."""
    mixed: list[tuple[int, str]] = []
    seen: set[int] = set()
    for position in range(max(len(first), len(second))):
        for source, items in (("hybrid", first), ("bi-encoder", second)):
            if position < len(items) and items[position] not in seen and len(mixed) < count:
                seen.add(items[position])
                mixed.append((items[position], source))
    return mixed


def hard_negatives(chosen: Sequence[Candidate], valid: set[str], count: int, embedder: Embedder,
                   workdir: Path, report: MiningReport, progress: ProgressFn | None = None) -> list[TrainingPair]:
    """The pairs with up to ``count`` (>= 1) negatives each (see the module's docstring)."""
    from specpilot.core.config import Settings
    from specpilot.index.engine import WorkspaceIndex

    positives = list(dict.fromkeys(c.positive for c in chosen))
    number = {text: i for i, text in enumerate(positives)}
    owners = [number[c.positive] for c in chosen]
    in_valid = [False] * len(positives)
    for c, owner in zip(chosen, owners):
        in_valid[owner] = c.group in valid
    paths = [f"{WORKSPACE_FOLDER}/{i:06d}.py" for i in range(len(positives))]
    started = time.perf_counter()
    query_vectors = embedder.embed([c.query for c in chosen])
    report.seconds["embed queries"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    ws = workdir / "ws"
    for path, text in zip(paths, positives):
        (ws / path).parent.mkdir(parents=True, exist_ok=True)
        (ws / path).write_text(text + "\n", encoding="utf-8")
    recorder = _MiningEmbedder(embedder, dict(zip((c.query for c in chosen), query_vectors)), set(paths))
    index = WorkspaceIndex(ws, Settings(), embedder=recorder)
    hybrid: list[list[int]] = [[] for _ in chosen]
    try:
        update = index.update(lambda p: progress(f"index {p.stage}", p.done, p.total) if progress else None)
        report.seconds["index"] = round(time.perf_counter() - started, 1)
        report.seconds.update({f"index {stage}": round(s, 1) for stage, s in update.seconds.items()})
        started = time.perf_counter()
        file_of = {path: i for i, path in enumerate(paths)}
        for n, (c, owner) in enumerate(zip(chosen, owners)):
            for hit in index.search(c.query, k=HYBRID_K, mode="hybrid", graph_neighbours=False):
                other = file_of.get(hit.path)
                if other is not None and other != owner and in_valid[other] == in_valid[owner] \
                        and other not in hybrid[n]:
                    hybrid[n].append(other)
            if progress and (n % 200 == 0 or n == len(chosen) - 1):
                progress("search", n + 1, len(chosen))
        report.seconds["hybrid search"] = round(time.perf_counter() - started, 1)
    finally:
        index.close()
    started = time.perf_counter()
    matrix = _positive_vectors(positives, paths, recorder.sums, embedder)
    bi = _bi_encoder_negatives(query_vectors, owners, matrix, in_valid)
    report.seconds["bi-encoder"] = round(time.perf_counter() - started, 1)
    # Code that holds the positive (an enclosing comment block), or that the positive holds, or that quotes
    # the query (the comment itself) is no negative: compared as lower-case words, without '#'.
    words = [" ".join(without_context(text).replace("#", " ").split()).lower() for text in positives]
    used: Counter[str] = Counter()
    pairs: list[TrainingPair] = []
    for c, owner, first, second in zip(chosen, owners, hybrid, bi):
        query = " ".join(c.query.split()).lower()
        own = words[owner]
        unrelated: set[int] = set()
        for other in {*first, *second}:
            if own not in words[other] and words[other] not in own and query not in words[other]:
                unrelated.add(other)
        report.related_dropped += len({*first, *second}) - len(unrelated)
        mixed = _mix([i for i in first if i in unrelated], [i for i in second if i in unrelated], count)
        used.update(source for _, source in mixed)
        pairs.append(TrainingPair(c.query, c.positive, tuple(positives[i] for i, _ in mixed), c.kind, c.source,
                                  c.group))
    report.negatives = dict(used)
    report.without_negatives = sum(1 for pair in pairs if not pair.negatives)
    return pairs


# -- the whole run ------------------------------------------------------------------------------
def mine(out_dir: Path, *, roots: Mapping[str, Path] | None = None, limit: int | None = None,
         negatives: int = 3, progress: ProgressFn | None = None, seed: int = 0,
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
            pairs = hard_negatives(chosen, valid, negatives, embedder, Path(workdir), report, progress)
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
