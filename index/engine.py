"""The workspace index engine: scan -> chunk -> write -> embed, and search.

This is what the CLI and the language server both drive. It holds no LSP types.
Writes are serialised through one ``IndexStore`` (one writer per table); chunks
become searchable by full text as soon as their batch is written, and vectors
fill in afterwards (``embed_pending``, ``vector_fill.py``), so lexical search never waits for the
embedder.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from specpilot.core import memory, scanner
from specpilot.core.config import SearchSettings, Settings
from specpilot.core.events import emit
from specpilot.core.ignore import never_indexed
from specpilot.core.paths import ensure_cache
from specpilot.index import health
from specpilot.index.batch_write import write_batch
from specpilot.index.edit_barrier import EditBarrier
from specpilot.index.embedder import Embedder, EmbedderError, create_embedder
from specpilot.index.graph_store import GraphStore
from specpilot.index.health import HealthReport
from specpilot.index.identity import index_identity
from specpilot.index.identity import model_dimension as model_dimension  # re-exported: callers import it here
from specpilot.index.manifest import FileRecord, Manifest
from specpilot.index.model import Chunk, ParsedFile
from specpilot.index.neighbours import neighbour_files
from specpilot.index.query_encoder import OnnxQueryEncoder, QueryEncoderSlot

# The engine's report types, re-exported: callers import them from here.
from specpilot.index.reports import IndexStatus as IndexStatus
from specpilot.index.reports import Progress as Progress
from specpilot.index.reports import ProgressCallback as ProgressCallback
from specpilot.index.reports import UpdateReport as UpdateReport
from specpilot.index.rerank_search import RerankerSlot, rerank_hits
from specpilot.index.search import FusionInputs, SearchError, SearchFilters, SearchHit, search
from specpilot.index.shared_source import SharedVectors
from specpilot.index.store import IndexStore
from specpilot.index.vector_fill import fill_missing, fill_written, take_known

if TYPE_CHECKING:
    from specpilot.index.parse_pool import ParseJob, ParseResult

log = logging.getLogger("specpilot.index")

WRITE_BATCH_FILES = 200
INLINE_EMBED_LIMIT = 64  # chunks of an edit embedded by update_paths right after its write
EMBED_OPTIMIZE_ROWS = 5120  # rows given vectors between optimizes while embedding in bulk


class WorkspaceIndex:
    """One workspace folder's index. Thread-safe for one updater plus many searchers."""

    def __init__(self, root: Path, settings: Settings, *, embedder: Embedder | None = None) -> None:
        memory.limit_malloc_arenas()
        self.root = root.resolve()
        self.settings = settings
        self.cache = ensure_cache(self.root, settings.cache_path)
        self.folder = self.cache / "index"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._embedder = embedder
        self._dim, self._model = index_identity(settings, embedder)
        # Queries before (or without) the torch model: its ONNX export, when there is one.
        self._query_encoder = QueryEncoderSlot(settings, self._dim)
        self.shared = SharedVectors.for_settings(settings, self._model, self._dim)  # index.uri's vectors
        self._open_stores()
        self._update_lock = threading.Lock()
        self._embedder_lock = threading.Lock()
        self.cancel_event = threading.Event()
        self.edits = EditBarrier()  # searches sent right after a save wait for its write (briefly)
        self._warned_lexical_only = False
        # A hybrid fusion weight learned from the user's clicks and promoted on evidence (rl/search_clicks.py),
        # used instead of search.vectorWeight while it is set; the façade and the server keep it current.
        self.learned_weight: float | None = None
        self.reranker = RerankerSlot(self.root, settings.rerank)  # loaded on the first search that reranks
        # Parse processes for a large pass (None: up to 4, one per core). The server
        # leaves a core to the editor; even 1 worker keeps parsing out of this process.
        self.parse_workers: int | None = None

    def _open_stores(self) -> None:
        """Open the store (which checks itself and repairs what is damaged, see
        index/health.py), the symbol graph and the manifest."""
        self.store = IndexStore(self.folder, dim=self._dim, model=self._model, sidecars=True)
        self.graph = GraphStore(self.folder / health.GRAPH)
        self.manifest = Manifest(self.folder / health.MANIFEST)
        # Files whose write a crash cut short (they may have rows the manifest does not list), until
        # they are written again: kept here, as later write batches of a pass replace ``in_flight``.
        self._unfinished = set(self.manifest.in_flight)
        # The repair emptied the index: the source files must be indexed again (``update``).
        self.needs_reindex = self.store.rebuilt

    def check(self, *, repair: bool = False) -> HealthReport:
        """The self-check of this open index; ``repair``: close, repair and reopen it
        when anything is damaged (``needs_reindex`` then says whether to ``update``)."""
        with self._update_lock:
            report = self.store.check()
            if not repair or report.healthy:
                return report
            self.manifest.close()
            self.graph.close()
            self.store.close()
            self._open_stores()
            return self.store.health

    # -- embedder ----------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        with self._embedder_lock:
            if self._embedder is None:
                cfg = self.settings.embedder
                self._embedder = create_embedder(cfg.model, cfg.device, cfg.batch_size, cfg.max_seq_length,
                                                 precision=cfg.precision)
            return self._embedder

    @property
    def embedder_loaded(self) -> bool:
        return self._embedder is not None

    # -- updating ----------------------------------------------------------------------------
    def update(self, progress: ProgressCallback | None = None, *, embed: bool = True) -> UpdateReport:
        """Bring the index up to date with the files on disk."""
        report = UpdateReport()
        if self.shared is not None:
            self.shared.open_ahead()  # while the files are read and chunked
        with self._update_lock:
            # ``cancel_event`` is not cleared here: a cancel that arrives just before the
            # pass starts must still stop it. Whoever cancels clears it afterwards.
            started = time.perf_counter()
            cfg = self.settings.index
            result = scanner.scan(self.root, max_file_bytes=cfg.max_file_bytes, exclude=cfg.exclude,
                                  cache_dir=self.cache)
            report.files_seen = len(result.files)
            report.skipped.extend((s.path, s.reason) for s in result.skipped)
            seen = {f.path for f in result.files}
            todo = []
            for scanned in result.files:
                record = self.manifest.files.get(scanned.path)
                if record and record.size == scanned.size and record.mtime_ns == scanned.mtime_ns:
                    continue
                todo.append(scanned)
            deleted = [p for p in self.manifest.files if p not in seen]
            report.seconds["scan"] = time.perf_counter() - started
            if progress:
                progress(Progress("scan", len(result.files), len(result.files),
                                  f"{len(todo)} to check, {len(deleted)} deleted"))
            self._remove(deleted)
            report.files_deleted = len(deleted)
            with self.graph.bulk():
                self._index_files([(f.path, str(f.abs_path), f.size, f.mtime_ns, None) for f in todo],
                                  report, progress)
            self.manifest.last_update = time.time()
            self.manifest.save()
            self.needs_reindex = self.needs_reindex and self.cancel_event.is_set()
            if embed and not self.cancel_event.is_set():
                t0 = time.perf_counter()
                report.reused += self.take_shared(progress, guard=nullcontext())  # the lock is held here
                report.seconds["shared"] = time.perf_counter() - t0
            if self.store.writes_since_optimize:
                t0 = time.perf_counter()
                if progress:
                    progress(Progress("optimize", 0, 1))
                self.store.optimize()
                report.seconds["optimize"] = time.perf_counter() - t0
        if embed and self.settings.embedder.enabled and not self.cancel_event.is_set():
            t0 = time.perf_counter()
            fresh, reused = self.embed_missing(progress)
            report.embedded += fresh
            report.reused += reused
            report.seconds["embed"] = time.perf_counter() - t0
        report.cancelled = self.cancel_event.is_set()
        emit("index", workspace=str(self.root), files=report.files_changed, chunks=report.chunks_written,
             embedded=report.embedded, reused=report.reused, seconds=round(sum(report.seconds.values()), 3))
        return report

    def update_paths(self, paths: Sequence[str], texts: Mapping[str, str] | None = None,
                     *, embed: bool = True, optimize: bool = True) -> UpdateReport:
        """Re-index just these workspace-relative paths (changed, created or deleted).

        ``texts`` supplies contents that win over disk (open editor buffers).
        ``embed``: the chunks written without a vector get one right after the write
        (``embed_written``); without it they are left in ``report.waiting``.
        ``optimize=False`` leaves a due compaction to ``optimize_if_due`` (the server
        answers the edit first).
        """
        report = UpdateReport()
        texts = texts or {}
        cfg = self.settings.index
        matcher = scanner.IgnoreMatcher(self.root, exclude=cfg.exclude, cache_dir=self.cache)
        with self._update_lock, self.edits.writing():
            started = time.perf_counter()
            jobs: list[tuple[str, str, int, int, str | None]] = []
            gone: list[str] = []
            for rel in dict.fromkeys(paths):
                absolute = self.root / rel
                if never_indexed(rel):  # both hold for editor buffers too
                    if rel in self.manifest.files:
                        gone.append(rel)
                    continue
                if rel in texts:
                    jobs.append((rel, str(absolute), len(texts[rel].encode()), 0, texts[rel]))
                    continue
                if matcher.is_ignored(rel) or not absolute.is_file():
                    if rel in self.manifest.files:
                        gone.append(rel)
                    continue
                stat = absolute.stat()
                if stat.st_size > cfg.max_file_bytes:
                    report.skipped.append((rel, scanner.too_large(cfg.max_file_bytes, stat.st_size)))
                    if rel in self.manifest.files:
                        gone.append(rel)
                    continue
                jobs.append((rel, str(absolute), stat.st_size, stat.st_mtime_ns, None))
            self._remove(gone)
            report.files_deleted = len(gone)
            self._index_files(jobs, report, None, waiting=report.waiting)
            self.manifest.last_update = time.time()
            self.manifest.save()
            if optimize and self._optimize_due():
                self.store.optimize()
            report.seconds["update"] = time.perf_counter() - started
        if embed and self.settings.embedder.enabled:
            self.embed_written(report)
        return report

    def _remove(self, paths: list[str]) -> None:
        if not paths:
            return
        self.store.delete_paths(paths)
        self.graph.delete_paths(paths)
        for path in paths:
            self.manifest.files.pop(path, None)
        self._unfinished -= set(paths)

    def _index_files(self, jobs: list[tuple[str, str, int, int, str | None]], report: UpdateReport,
                     progress: ProgressCallback | None, waiting: list[Chunk] | None = None) -> None:
        cfg = self.settings.index
        started = time.perf_counter()
        parse_jobs = [(rel, ab, cfg.max_file_bytes, cfg.max_chunk_lines, cfg.window_lines,
                       cfg.window_overlap, text) for rel, ab, _, _, text in jobs]
        meta = {rel: (size, mtime) for rel, _, size, mtime, _ in jobs}
        pending: dict[str, ParsedFile] = {}
        pending_hashes: dict[str, str] = {}
        terms: dict[str, str] = {}
        write_seconds = 0.0
        done = 0
        for rel, digest, parsed, reason, texts in self._parse_all(parse_jobs):
            done += 1
            if self.cancel_event.is_set():
                break
            if parsed is None or digest is None:
                report.skipped.append((rel, reason))
                log.debug("skipped %s: %s", rel, reason)
                if rel in self.manifest.files:
                    self._remove([rel])
                    report.files_deleted += 1
                continue
            record = self.manifest.files.get(rel)
            size, mtime = meta[rel]
            if record and record.hash == digest:  # touched but not changed
                self.manifest.files[rel] = FileRecord(record.hash, size, mtime, record.chunks)
                continue
            if parsed.syntax_error:
                report.syntax_errors.append((rel, parsed.syntax_error))
            pending[rel] = parsed
            pending_hashes[rel] = digest
            terms.update((c.id, t) for c, t in zip(parsed.chunks, texts))
            if len(pending) >= WRITE_BATCH_FILES:
                write_seconds += self._write(pending, pending_hashes, meta, report, terms, waiting)
            if progress and (done % 50 == 0 or done == len(parse_jobs)):
                progress(Progress("chunk", done, len(parse_jobs), rel))
        if pending:
            write_seconds += self._write(pending, pending_hashes, meta, report, terms, waiting)
        if progress:
            progress(Progress("chunk", len(parse_jobs), len(parse_jobs)))
        report.seconds["parse+chunk"] = time.perf_counter() - started - write_seconds
        report.seconds["write"] = report.seconds.get("write", 0.0) + write_seconds

    def _parse_all(self, jobs: list[ParseJob]) -> Iterator[ParseResult]:
        from specpilot.index.parse_pool import parse_all  # tree-sitter and the chunker: indexing only, not search

        return parse_all(jobs, self.parse_workers)

    def _write(self, pending: dict[str, ParsedFile], hashes: dict[str, str],
               meta: dict[str, tuple[int, int]], report: UpdateReport, terms: dict[str, str],
               waiting: list[Chunk] | None = None) -> float:
        return write_batch(self.store, self.graph, self.manifest, self._unfinished, pending, hashes, meta, report,
                           terms, waiting)

    def embed_written(self, report: UpdateReport) -> None:
        """Vectors for the chunks ``update_paths`` just wrote without one (``report.waiting``;
        what is left there had none): from the embedding cache, else from a free copy of the
        model, not behind the background pass. A save is searchable by its words at once, and
        by meaning a model call later. A large change (more than ``INLINE_EMBED_LIMIT`` to
        compute), or a model that fails, is left to the background embedder."""
        fill_written(self.store, lambda: self.embedder, self._update_lock, self.cancel_event, report,
                     inline_limit=INLINE_EMBED_LIMIT, shared=self.shared.lookup if self.shared else None)

    def take_shared(self, progress: ProgressCallback | None = None,
                    guard: AbstractContextManager[object] | None = None) -> int:
        """With ``index.uri`` set: every chunk without a vector whose content the shared index (or the local
        cache) has gets that vector, in bulk and before any model loads; returns how many did. ``update`` runs
        it, and the server between its index pass and its embedding steps (``guard``: the update lock)."""
        if self.shared is None:
            return 0
        return take_known(self.store, self.shared.lookup, self.cancel_event, progress,
                          guard=self._update_lock if guard is None else guard)

    def embed_pending(self, progress: ProgressCallback | None = None, limit: int | None = None) -> int:
        """Give a vector to every chunk that lacks one; returns how many chunks got one."""
        fresh, reused = self.embed_missing(progress, limit)
        return fresh + reused

    def embed_missing(self, progress: ProgressCallback | None = None, limit: int | None = None, *,
                      optimize: bool = True, optimize_every_rows: int = EMBED_OPTIMIZE_ROWS,
                      first: Sequence[str] = (), only_first: bool = False,
                      top: Sequence[str] = (),
                      guard: AbstractContextManager[object] = nullcontext()) -> tuple[int, int]:
        """(vectors computed, vectors reused from the cache) for chunks lacking one: the files in ``first``
        first (``only_first``: only those; ``top``: before even those), definitions before module and window
        chunks, about ``limit`` at most, an optimize every ``optimize_every_rows`` new vectors; only the table
        reads and writes hold ``guard``, not the model (see index/vector_fill.py ``fill_missing``)."""
        return fill_missing(self.store, lambda: self.embedder, self.cancel_event, progress, limit,
                            optimize=optimize, optimize_every_rows=optimize_every_rows, first=first,
                            only_first=only_first, top=top, guard=guard,
                            shared=self.shared.lookup if self.shared else None)

    def embed_step(self, limit: int, first: Sequence[str] = (), top: Sequence[str] = ()) -> tuple[int, int]:
        """One step of at most about ``limit`` chunks (see ``embed_missing``); its table reads
        and writes hold the update lock, so edits applied from other threads (a save, the
        watcher) run between them, and while the model computes."""
        return self.embed_missing(None, limit, optimize=False, first=first, top=top, guard=self._update_lock)

    def neighbour_files(self, paths: Sequence[str]) -> list[str]:
        """``paths`` (indexed ones), then the indexed Python files they import and those
        that import them: what a reader of ``paths`` is likely to ask about next."""
        return neighbour_files(list(self.manifest.files), self.graph.imports_of, paths)

    def _optimize_due(self) -> bool:
        cfg = self.settings.index
        return (self.store.writes_since_optimize >= cfg.optimize_every_writes
                or self.store.rows_since_optimize >= cfg.optimize_every_rows)

    def optimize_if_due(self) -> None:
        """Compact once enough writes or rows piled up since the last time."""
        with self._update_lock:
            if self._optimize_due():
                self.store.optimize()

    def optimize(self) -> None:
        """Compact and fold new rows into the indexes (nothing to do: returns at once)."""
        with self._update_lock:
            if self.store.writes_since_optimize:
                self.store.optimize()

    def rebuild(self, progress: ProgressCallback | None = None, *, embed: bool = True) -> UpdateReport:
        """Drop chunks, graph and manifest (the embedding cache stays) and index again."""
        with self._update_lock:
            self.store.clear()
            self.graph.clear()
            self.manifest.clear()
            self.manifest.save()
            self._unfinished = set()
        return self.update(progress, embed=embed)

    # -- reading -----------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, mode: str | None = None,
               filters: SearchFilters | None = None, graph_neighbours: bool | None = None, *,
               wait_for_model: bool = True,
               fusion: Callable[[FusionInputs], None] | None = None,
               note: Callable[[str], None] | None = None) -> list[SearchHit]:
        """Ranked chunks. ``wait_for_model=False`` (the server): while the embedding
        model is still loading, hybrid answers from full text instead of waiting. A search
        started while an announced edit is being written waits for it (``EditBarrier``).
        Hybrid fuses with :attr:`learned_weight` when one is set; ``fusion`` receives what was fused
        (index/search.py's ``FusionInputs``). Mode ``rerank``, or the default mode when it is hybrid and a
        reranker model exists (``rerank.enabled``), reorders hybrid's best ``rerank.topN`` with the local
        reranker (index/rerank_search.py); ``note`` receives why it did not, where the user would ask."""
        started = time.perf_counter()
        self.edits.wait()
        cfg = self.settings.search
        if self.learned_weight is not None:
            cfg = replace(cfg, vector_weight=self.learned_weight)
        explicit = mode == "rerank"
        rerank = explicit or (mode is None and cfg.mode in ("hybrid", "rerank") and self.settings.rerank.enabled
                              and self.reranker.available())
        mode = "hybrid" if rerank or (mode or cfg.mode) == "rerank" else (mode or cfg.mode)
        if rerank:
            wanted = k or cfg.k
            hits = self._search(query, max(wanted, self.settings.rerank.top_n), mode, filters, graph_neighbours,
                                wait_for_model, None, cfg)
            reordered = rerank_hits(self.reranker, self.store.rows_by_id, query, hits, wanted,
                                    interactive=not wait_for_model, explicit=explicit, note=note)
            hits = reordered if reordered is not None else hits[:wanted]
        else:
            hits = self._search(query, k, mode, filters, graph_neighbours, wait_for_model, fusion, cfg)
        emit("search", mode="rerank" if rerank else mode, k=k or cfg.k, hits=len(hits),
             ms=round(1000 * (time.perf_counter() - started), 2))
        return hits

    def prepare_queries(self) -> bool:
        """Load the ONNX query encoder ahead of the first semantic search; False when there is none (no export
        yet) and the model is not loaded either: a query then needs the model."""
        return self.embedder_loaded or self._query_encoder.get() is not None

    def _search(self, query: str, k: int | None, mode: str, filters: SearchFilters | None,
                graph_neighbours: bool | None, wait_for_model: bool,
                fusion: Callable[[FusionInputs], None] | None, cfg: SearchSettings) -> list[SearchHit]:
        embedder: Embedder | OnnxQueryEncoder | None = None
        if mode in ("vector", "hybrid") and self.settings.embedder.enabled:
            embedder = None if self.embedder_loaded else self._query_encoder.get()
            if embedder is None and not wait_for_model and not self.embedder_loaded:
                if mode == "vector":
                    raise SearchError("the embedding model is still loading; try again shortly or use mode bm25")
                # hybrid: full text alone until the model is in
            elif embedder is None:
                try:
                    embedder = self.embedder
                except EmbedderError as exc:
                    if mode == "vector":
                        raise SearchError(f"vector search needs the embedding model: {exc}") from exc
                    if not self._warned_lexical_only:  # hybrid degrades to full text, said once
                        log.warning("hybrid search uses full text only: %s", exc)
                        self._warned_lexical_only = True
        return search(self.store, self.graph, embedder, query, k=k or cfg.k, mode=mode,
                      filters=filters or SearchFilters(), settings=cfg,
                      graph_neighbours=cfg.graph_neighbours if graph_neighbours is None else graph_neighbours,
                      fusion=fusion)

    def status(self, *, disk: bool = True) -> IndexStatus:
        """Counts for the user; ``disk=False`` skips sizing the index folder (a directory walk)."""
        chunks = self.store.count()
        embedded = chunks - self.store.pending_count() if chunks else 0
        return IndexStatus(str(self.root), len(self.manifest.files), chunks, embedded,
                           self.store.disk_bytes() if disk else 0, self.manifest.last_update, self.store.model)

    def close(self) -> None:
        self.cancel_event.set()
        with self._update_lock:
            self.manifest.save()
            self.manifest.close()
            self.graph.close()
            self.store.close()
