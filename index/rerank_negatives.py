"""Hard negatives for the reranker's training pairs (step 5 of index/rerank_mining.py): what the reranker will
be shown beside the right code when it ranks a real search.

1. **The mining workspace.** Every module a chosen pair came from is copied, its docstrings replaced by ``pass``
   (index/rerank_sources.py's :func:`strip_docstrings`, as the retrieval benchmark builds its sets), to the same
   path relative to its root, and indexed by the engine's own :class:`WorkspaceIndex`. A module that cannot be
   read or parsed is left out.
2. **The positive as the engine cut it.** A docstring or identifier pair's positive becomes its function's
   chunk from that index (the context line and the chunk, as ``candidate_texts`` gives the reranker at search
   time). A comment's block, or a function the index lacks, keeps the candidate reader's text.
3. **Hybrid** (most of the negatives, for a positive that is a chunk): the engine's hybrid top :data:`HYBRID_K`
   for the pair's query, searched in the pair's own package only (a path filter), so the candidates are what a
   search in one project returns: the same package's chunks of every kind.
4. **Bi-encoder**: the packaged embedding model's nearest other positives by cosine (within :data:`BI_RANGE`),
   kept only when at least :data:`BI_RELATIVE_MARGIN` (relatively) below the positive's own score, as
   sentence-transformers' ``mine_hard_negatives`` selects with ``relative_margin``. That function needs the
   ``datasets`` package, which SpecPilot's environment does not have, so the same selection is done here with
   numpy. :data:`BI_SHARE` of the slots (at least one of two or more); either kind fills what the other lacks.

A negative always has its positive's form (an engine chunk beside engine chunks, a reader's block beside
reader's blocks): the first model trained with mixed forms learnt to tell the forms apart instead of the code
(stdlib MRR@10 +0.043 over hybrid, against +0.094 when every text had the engine's form). Negatives stay on the
pair's side of the split (a package is wholly in training or in validation). Code that holds the positive (the
function around a comment block), sits inside it, or quotes the query is never a negative
(``related_dropped``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from specpilot.index.embedder import Embedder
from specpilot.index.rerank_pairs import TrainingPair
from specpilot.index.rerank_sources import Candidate, strip_docstrings
from specpilot.index.reranker import without_context

if TYPE_CHECKING:
    from specpilot.index.engine import WorkspaceIndex
    from specpilot.index.rerank_mining import MiningReport

HYBRID_K = 30  # what the engine reranks by default (rerank.topN)
BI_RANGE = 30
BI_RELATIVE_MARGIN = 0.05
BI_SHARE = 0.25  # of each pair's negatives, at least one when there are two or more

ProgressFn = Callable[[str, int, int], None]
Key = tuple[str, str]


class _QueryVectors(Embedder):
    """The packaged embedder, answering the mining searches' queries from one batch computed up front."""

    def __init__(self, inner: Embedder, queries: dict[str, np.ndarray]) -> None:
        self.inner = inner
        self.name, self.dim, self.max_seq_length = inner.name, inner.dim, inner.max_seq_length
        self.bulk_threads = inner.bulk_threads
        self.queries = queries

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed(texts)

    def embed_few(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_few(texts)

    def embed_query(self, text: str) -> np.ndarray:
        known = self.queries.get(text)
        return known if known is not None else self.inner.embed_query(text)

    def prepare_for_queries(self) -> None:
        self.inner.prepare_for_queries()


def relative_path(candidate: Candidate) -> str:
    """The candidate's file relative to its root (its ``source`` less the root's label)."""
    return candidate.source.split("/", 1)[1]


def target_key(candidate: Candidate) -> Key | None:
    """(path, qualified name) of the function a docstring or identifier pair points at; None for a comment."""
    if candidate.kind == "comment":
        return None
    return relative_path(candidate), candidate.owner.rsplit(":", 1)[1]


def write_workspace(chosen: Sequence[Candidate], roots: Mapping[str, Path], ws: Path) -> dict[str, str]:
    """Copy the chosen pairs' modules, docstrings stripped, under ``ws``; each package's path filter (a folder's
    ``group/**``, a single module's ``group.py``) by group."""
    written: set[str] = set()
    globs: dict[str, str] = {}
    for c in chosen:
        label, relative = c.source.split("/", 1)
        globs.setdefault(c.group, f"{c.group}/**" if "/" in relative else relative)
        if relative in written:
            continue
        written.add(relative)  # the same path under two roots: the first one's copy
        try:
            text = strip_docstrings((roots[label] / relative).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError, KeyError):
            continue  # the pairs keep their own positive; the search just lacks this module
        target = ws / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return globs


def _bi_encoder_negatives(queries: np.ndarray, owners: Sequence[int], matrix: np.ndarray,
                          sides: Sequence[int]) -> list[list[int]]:
    """For each query, the positives nearest by cosine (within :data:`BI_RANGE`) on the owner's side (the same
    split and the same form, see :func:`hard_negatives`), not the owner, at least :data:`BI_RELATIVE_MARGIN`
    below the owner's own score."""
    found: list[list[int]] = []
    side = np.array(sides)
    for start in range(0, len(owners), 512):
        scores = queries[start:start + 512] @ matrix.T
        for row, owner in zip(scores, owners[start:start + 512]):
            own = float(row[owner])
            ceiling = own - BI_RELATIVE_MARGIN * abs(own)
            row = np.where(side == side[owner], row, -np.inf)
            row[owner] = -np.inf
            top = min(BI_RANGE, len(row))
            nearest = np.argpartition(-row, top - 1)[:top]
            nearest = nearest[np.argsort(-row[nearest])]
            found.append([int(i) for i in nearest if np.isfinite(row[i]) and row[i] <= ceiling])
    return found


def _flat(text: str) -> str:
    """Code compared as lower-case words, without its context line or '#'."""
    return " ".join(without_context(text).replace("#", " ").split()).lower()


def _unrelated(texts: Sequence[str], own: str, query: str) -> list[str]:
    """``texts`` less those that hold ``own`` code, sit inside it or quote ``query`` (all :func:`_flat`)."""
    return [text for text in texts if own not in (flat := _flat(text)) and flat not in own and query not in flat]


def choose(hybrid: Sequence[str], bi: Sequence[str], count: int) -> list[tuple[str, str]]:
    """``count`` negatives: hybrid's first, :data:`BI_SHARE` of the slots (at least one of two or more) the
    bi-encoder's, either filling what the other lacks; no repeats; each with where it came from."""
    shown = dict.fromkeys(hybrid)  # in order, no repeats
    hybrid, bi = list(shown), [text for text in dict.fromkeys(bi) if text not in shown]
    bi_slots = max(1, round(count * BI_SHARE)) if count > 1 else 0
    take_bi = min(len(bi), bi_slots)
    take_hybrid = min(len(hybrid), count - take_bi)
    take_bi = min(len(bi), count - take_hybrid)
    return [(text, "hybrid") for text in hybrid[:take_hybrid]] + [(text, "bi-encoder") for text in bi[:take_bi]]


def _chunk_positives(index: WorkspaceIndex, chosen: Sequence[Candidate], positives: list[str],
                     report: MiningReport) -> list[bool]:
    """Give each docstring and identifier pair its function's (first) chunk from the index, updating
    ``positives``; which positives are now the engine's chunks."""
    from specpilot.index.reranker import with_context

    wanted = [(n, key) for n, c in enumerate(chosen) if (key := target_key(c)) is not None]
    rows: dict[Key, dict[str, object]] = {}
    for start in range(0, len(wanted), 200):
        rows.update(index.store.rows_for_symbols([key for _, key in wanted[start:start + 200]]))
    from_index = [False] * len(chosen)
    for n, key in wanted:
        row = rows.get(key)
        if row is not None:
            positives[n] = with_context(key[0], key[1], str(row["text"]))
            from_index[n] = True
    report.positives_from_index = sum(from_index)
    return from_index


def hard_negatives(chosen: Sequence[Candidate], valid: set[str], count: int, embedder: Embedder,
                   roots: Mapping[str, Path], workdir: Path, report: MiningReport,
                   progress: ProgressFn | None = None) -> list[TrainingPair]:
    """The pairs with up to ``count`` (>= 1) negatives each (see the module's docstring)."""
    from specpilot.core.config import Settings
    from specpilot.index.engine import WorkspaceIndex
    from specpilot.index.rerank_search import candidate_texts
    from specpilot.index.search import SearchFilters

    started = time.perf_counter()
    query_vectors = embedder.embed([c.query for c in chosen])
    report.seconds["embed queries"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    ws = workdir / "ws"
    ws.mkdir(parents=True, exist_ok=True)
    globs = write_workspace(chosen, roots, ws)
    settings = Settings()
    settings.rerank.enabled = False
    index = WorkspaceIndex(ws, settings, embedder=_QueryVectors(embedder, dict(zip((c.query for c in chosen),
                                                                                   query_vectors))))
    positives = [c.positive for c in chosen]
    hybrid: list[list[str]] = [[] for _ in chosen]
    try:
        update = index.update(lambda p: progress(f"index {p.stage}", p.done, p.total) if progress else None)
        report.seconds["index"] = round(time.perf_counter() - started, 1)
        report.seconds.update({f"index {stage}": round(s, 1) for stage, s in update.seconds.items()})
        started = time.perf_counter()
        for n, c in enumerate(chosen):
            target = target_key(c)
            if target is not None:  # a comment's block is no chunk: its negatives are other blocks (see below)
                hits = index.search(c.query, k=HYBRID_K, mode="hybrid", graph_neighbours=False,
                                    filters=SearchFilters(path_glob=globs[c.group]))
                texts = candidate_texts(index.store.rows_by_id, hits)
                hybrid[n] = [text for text, hit in zip(texts, hits) if (hit.path, hit.qualified_name) != target]
            if progress and (n % 200 == 0 or n == len(chosen) - 1):
                progress("search", n + 1, len(chosen))
        from_index = _chunk_positives(index, chosen, positives, report)
        report.seconds["hybrid search"] = round(time.perf_counter() - started, 1)
    finally:
        index.close()
    # A negative has its positive's form: the engine's chunks (indented, docstrings left as `pass`) beside an
    # engine chunk; a code block as the candidate reader cut it (a comment's block, a function the index lacks)
    # only beside others of that form, so that no pair can be told by its form instead of its code.
    hybrid = [found if chunk else [] for found, chunk in zip(hybrid, from_index)]
    started = time.perf_counter()
    distinct = list(dict.fromkeys(positives))
    number = {text: i for i, text in enumerate(distinct)}
    owners = [number[text] for text in positives]
    sides = [0] * len(distinct)
    for c, owner, chunk in zip(chosen, owners, from_index):
        sides[owner] = 2 * (c.group in valid) + chunk
    matrix = embedder.embed(distinct)
    matrix = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    bi = _bi_encoder_negatives(query_vectors, owners, matrix, sides)
    report.seconds["bi-encoder"] = round(time.perf_counter() - started, 1)
    used: Counter[str] = Counter()
    pairs: list[TrainingPair] = []
    for c, positive, first, second in zip(chosen, positives, hybrid, bi):
        own, query = _flat(c.positive), " ".join(c.query.split()).lower()
        near = [distinct[i] for i in second]
        kept_first, kept_second = _unrelated(first, own, query), _unrelated(near, own, query)
        report.related_dropped += len(first) + len(near) - len(kept_first) - len(kept_second)
        mixed = choose([t for t in kept_first if t != positive], [t for t in kept_second if t != positive], count)
        used.update(source for _, source in mixed)
        pairs.append(TrainingPair(c.query, positive, tuple(text for text, _ in mixed), c.kind, c.source, c.group))
    report.negatives = dict(used)
    report.without_negatives = sum(1 for pair in pairs if not pair.negatives)
    return pairs
