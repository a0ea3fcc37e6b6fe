"""Giving written chunks their vectors: the two passes ``WorkspaceIndex`` runs after a write.

- ``fill_written``: the few chunks an edit just wrote without a vector, right after the write (from the
  embedding cache, else from the model when there are few enough);
- ``take_known``: every chunk whose vector is known already (the local cache, the shared index), in bulk;
- ``fill_missing``: every chunk that still lacks one, in batches, open files and definitions first.

Both take the store, the embedder (a callable: the model loads on first use) and the engine's cancel
event; the engine decides which lock guards the table reads and writes. ``shared``, when given, is asked for
the vectors the local cache lacks before the model is (index/shared_source.py: a shared index's vectors by
content hash); what it gives goes into the local cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext

import numpy as np

from specpilot.core.events import emit
from specpilot.index.embedder import Embedder, EmbedderError
from specpilot.index.model import embed_text
from specpilot.index.reports import Progress, ProgressCallback, UpdateReport
from specpilot.index.store import IndexStore

log = logging.getLogger("specpilot.index")

EMBED_BATCH_ROWS = 256
GIVE_ROWS = 8192  # rows given known vectors per table write in a bulk pass
Shared = Callable[[Sequence[str]], Mapping[str, np.ndarray]]  # content hashes -> the vectors found elsewhere


def _from_shared(store: IndexStore, shared: Shared | None, missing: Sequence[str],
                 lock: AbstractContextManager[object]) -> dict[str, np.ndarray]:
    """The vectors ``shared`` has for ``missing`` (asked without the lock), kept in the local cache."""
    if shared is None or not missing:
        return {}
    found = dict(shared(list(missing)))
    if found:
        with lock:
            store.cache_vectors(list(found), np.stack(list(found.values())))
    return found


def fill_written(store: IndexStore, embedder: Callable[[], Embedder], lock: AbstractContextManager[object],
                 cancel_event: threading.Event, report: UpdateReport, *, inline_limit: int,
                 shared: Shared | None = None) -> None:
    """Vectors for ``report.waiting`` (what is left there had none): from the embedding cache, else from
    the model when at most ``inline_limit`` are to be computed; a model that fails leaves them waiting.
    The store's writes hold ``lock``; the model call does not."""
    chunks = report.waiting
    if not chunks:
        return
    unique = {c.content_hash: c for c in chunks}
    vectors = store.cached_vectors(list(unique))
    vectors.update(_from_shared(store, shared, [h for h in unique if h not in vectors], lock))
    cached = set(vectors)
    missing = [h for h in unique if h not in vectors]
    fresh = None
    if 0 < len(missing) <= inline_limit:
        try:
            fresh = embedder().embed_few([unique[h].embed_text() for h in missing])
            vectors.update(zip(missing, fresh))
        except EmbedderError as exc:
            log.warning("the edited chunks wait for their vectors: %s", exc)
    with lock:
        if cancel_event.is_set():  # e.g. ``close``
            return
        if fresh is not None:
            store.cache_vectors(missing, fresh)
        given = store.give_vectors(chunks, vectors)
    report.embedded += sum(1 for c in given if c.content_hash not in cached)
    report.reused += sum(1 for c in given if c.content_hash in cached)
    report.waiting = [c for c in chunks if c.content_hash not in vectors]


def take_known(store: IndexStore, shared: Shared | None, cancel_event: threading.Event,
               progress: ProgressCallback | None = None,
               guard: AbstractContextManager[object] = nullcontext()) -> int:
    """Every chunk without a vector whose content has one already, in the local cache or else in ``shared``,
    gets it in a few large reads and writes, before any model runs; returns how many did. A fresh clone of a
    published repository is given all of its vectors this way (``fill_missing`` goes batch by batch, for the
    model). Only the table reads and writes hold ``guard``."""
    with guard:
        pairs = store.pending_pairs()
        hashes = list(dict.fromkeys(digest for _, digest in pairs))
        known = store.cached_vectors(hashes) if hashes else {}
    # One ask: the shared index reads its table once when asked for a large share of it (SharedIndex.vectors);
    # asked in parts, it would read the table once per part.
    known.update(_from_shared(store, shared, [h for h in hashes if h not in known], guard))
    todo = [(key, digest) for key, digest in pairs if digest in known]
    given = 0
    for start in range(0, len(todo), GIVE_ROWS):
        if cancel_event.is_set():
            break
        part = todo[start:start + GIVE_ROWS]
        with guard:
            given += store.set_vectors([key for key, _ in part], [digest for _, digest in part],
                                       np.stack([known[digest] for _, digest in part]))
        if progress:
            progress(Progress("embed", given, len(pairs)))
    return given


def fill_missing(store: IndexStore, embedder: Callable[[], Embedder], cancel_event: threading.Event,
                 progress: ProgressCallback | None, limit: int | None, *, optimize: bool,
                 optimize_every_rows: int, first: Sequence[str] = (), only_first: bool = False,
                 top: Sequence[str] = (), guard: AbstractContextManager[object] = nullcontext(),
                 shared: Shared | None = None) -> tuple[int, int]:
    """(vectors computed, vectors reused from the cache) for chunks lacking one.

    Chunks of the files in ``first`` (e.g. the open files and their neighbours) go before the others
    (``only_first``: only those; ``top``: files before even those), and definitions before module and window
    chunks. ``limit`` stops after about that many chunks (callers that embed in steps pass ``optimize=False``
    and leave the final optimize to idle time). Every ``optimize_every_rows`` new vectors, an optimize compacts
    the vector table and folds them into the ANN index (or builds it, once there are enough).

    Only the reads and writes hold ``guard`` (``embed_step``: the update lock), not the model: an edit applied
    from another thread waits for a table write, not for a batch to be embedded (a step of 64 chunks takes
    seconds on a busy CPU)."""
    with guard:
        total = store.pending_count()
    done = fresh_count = 0
    while total and not cancel_event.is_set():
        with guard:
            rows = store.pending_embeddings(min(EMBED_BATCH_ROWS, limit or EMBED_BATCH_ROWS), first,
                                            only_first=only_first, top=top)
            hashes = [r["content_hash"] for r in rows]
            known = store.cached_vectors(hashes) if rows else {}
        if not rows:
            break
        known.update(_from_shared(store, shared, [h for h in dict.fromkeys(hashes) if h not in known], guard))
        missing = {r["content_hash"]: r for r in rows if r["content_hash"] not in known}
        texts = [embed_text(r["path"], r["kind"], r["qualified_name"], r["signature"], r["docstring"],
                            r["text"]) for r in missing.values()]
        embedding = time.perf_counter()
        fresh = embedder().embed(texts) if texts else None
        if fresh is not None:
            emit("embed", count=len(texts), seconds=round(time.perf_counter() - embedding, 3))
        with guard:
            if cancel_event.is_set():  # e.g. ``close`` (the store may be closed by now)
                break
            if fresh is not None:
                fresh_count += len(missing)
                store.cache_vectors(list(missing), fresh)
                known.update(zip(missing, fresh))
            # Rows an edit rewrote meanwhile are left alone (their hash no longer matches).
            store.set_vectors([r["id"] for r in rows], hashes, np.stack([known[h] for h in hashes]))
            done += len(rows)
            if store.vectors_since_optimize >= optimize_every_rows:
                store.optimize()  # compact, and fold the new vectors into the ANN index
        if progress:
            progress(Progress("embed", min(done, total), total))
        if limit is not None and done >= limit:
            break
    if done and optimize:
        with guard:
            store.optimize()
    return fresh_count, done - fresh_count
