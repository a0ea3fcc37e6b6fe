"""Writing one batch of parsed files to the index (the chunks and their cached vectors, the symbol graph, the
manifest), crash-safe: the manifest names the files in flight before the tables change, and a file is listed as
indexed only once all of its rows are written (``WorkspaceIndex`` re-indexes those in flight after a crash)."""

from __future__ import annotations

import time

from specpilot.index.graph_store import GraphStore
from specpilot.index.manifest import FileRecord, Manifest
from specpilot.index.model import Chunk, ParsedFile
from specpilot.index.reports import UpdateReport
from specpilot.index.store import IndexStore


def write_batch(store: IndexStore, graph: GraphStore, manifest: Manifest, unfinished: set[str],
                pending: dict[str, ParsedFile], hashes: dict[str, str], meta: dict[str, tuple[int, int]],
                report: UpdateReport, terms: dict[str, str], waiting: list[Chunk] | None = None) -> float:
    """Write a batch of parsed files (then empty ``pending``, ``hashes`` and ``terms``); ``waiting`` collects the
    chunks written without a vector; ``unfinished``: files whose last write a crash cut short (updated in place).
    Returns the seconds it took."""
    started = time.perf_counter()
    chunks_by_path = {rel: parsed.chunks for rel, parsed in pending.items()}
    all_chunks = [c for chunks in chunks_by_path.values() for c in chunks]
    all_hashes = [c.content_hash for c in all_chunks]
    if waiting is None:
        vectors = store.cached_vectors(all_hashes) if all_hashes else {}
        report.reused += sum(1 for h in all_hashes if h in vectors)
    else:  # an edit: written at once; the vectors of its new chunks follow (``embed_written``)
        vectors = {}
    recovering = set(pending) & unfinished  # their last write was cut short (a crash)
    existing = {rel for rel in pending if rel in manifest.files or rel in recovering}
    manifest.in_flight = sorted(unfinished | set(pending))
    manifest.save()
    without = store.replace_files(chunks_by_path, vectors, existing=existing, search_texts=terms,
                                  recovering=recovering)
    if waiting is not None:
        waiting.extend(without)
    graph.replace_files({rel: parsed.symbols for rel, parsed in pending.items()}, existing)
    for rel, parsed in pending.items():
        size, mtime = meta[rel]
        manifest.files[rel] = FileRecord(hashes[rel], size, mtime, len(parsed.chunks))
    report.files_changed += len(pending)
    report.chunks_written += len(all_hashes)
    unfinished.difference_update(pending)
    manifest.in_flight = sorted(unfinished)
    manifest.save()
    pending.clear()
    hashes.clear()
    terms.clear()
    return time.perf_counter() - started
