"""Corruption: damage each part of an index, then see whether the next command recovers.

Usage: python bench/corruption.py [--workspace DIR] [--no-model] [--no-write]

For every part of the index folder (schema record, manifest, chunks, vectors,
embedding cache, positions, symbol graph) and every kind of damage (deleted,
truncated, overwritten with garbage, given a wrong schema), a copy of a cleanly
indexed workspace is damaged and then opened the way ``specpilot index`` and
``specpilot search`` open it. A case recovers when the next command gives the
clean result: the same chunk count, no duplicated chunk id, as many chunks
with a vector, and the same top-5 for every query of a fixed set (hybrid
search with the real embedder). Writes section "corruption" of bench/RESULTS.md.
The damage helpers are also what tests/unit/index/test_health.py uses.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lancedb
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample_workspace"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine_info, write_section  # noqa: E402

from specpilot.core.config import Settings  # noqa: E402
from specpilot.index import health  # noqa: E402
from specpilot.index.embedder import Embedder  # noqa: E402
from specpilot.index.engine import WorkspaceIndex  # noqa: E402

PART_FILES = {"meta": health.META, "manifest": health.MANIFEST, "positions": health.POSITIONS,
              "graph": health.GRAPH, "chunks": "chunks.lance", "vectors": "vectors.lance",
              "embeddings": "embeddings.lance"}
PARTS = list(PART_FILES)
DAMAGES = ["delete", "truncate", "garbage", "schema", "indexes"]  # indexes: a LanceDB table's index files
QUERIES = ["parse http headers", "least recently used cache eviction", "cookie parsing", "slugify a title",
           "checksum of bytes", "route a request path", "HeaderMap", "tokenize source text"]
# Every (part, damage); index files only where there are some (the LanceDB tables).
CASES = [(part, how) for part in PARTS for how in DAMAGES if how != "indexes" or PART_FILES[part].endswith(".lance")]
GARBAGE = bytes(range(256)) * 64  # 16 KiB that is neither SQLite, JSON nor Lance


def index_folder(workspace: Path) -> Path:
    return workspace / ".specpilot" / "cache" / "index"


def _sqlite_table(part: str) -> str:
    return {"manifest": "files", "positions": "positions", "graph": "symbols"}[part]


def damage(folder: Path, part: str, how: str) -> None:
    """Damage ``part`` of the (closed) index in ``folder``: delete | truncate | garbage | schema | indexes."""
    path = folder / PART_FILES[part]
    if how == "delete":
        for extra in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if extra.is_dir():
                shutil.rmtree(extra)
            else:
                extra.unlink(missing_ok=True)
    elif how == "truncate":
        files = [path] if path.is_file() else sorted((path / "data").glob("*.lance")) or sorted(
            (path / "_versions").glob("*"))[-1:]
        for file in files:
            with file.open("r+b") as handle:
                handle.truncate(file.stat().st_size // 2)
    elif how == "garbage":
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            file.write_bytes(GARBAGE[:max(file.stat().st_size, 4096)])
    elif how == "schema":
        _wrong_schema(folder, part, path)
    elif how == "indexes":  # truncated index files (full text, B-trees, vectors); SQLite and JSON: none
        for file in (path / "_indices").rglob("*") if path.is_dir() else []:
            if file.is_file():
                with file.open("r+b") as handle:
                    handle.truncate(file.stat().st_size // 2)
    else:
        raise ValueError(f"unknown damage {how!r}")


def _wrong_schema(folder: Path, part: str, path: Path) -> None:
    if part == "meta":
        meta = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**meta, "schema_version": 999}), encoding="utf-8")
    elif path.suffix == ".lance":
        shutil.rmtree(path)
        table = pa.table({"id": pa.array(["x"]), "junk": pa.array([1], pa.int64())})
        lancedb.connect(str(folder)).create_table(path.stem, data=table)
    else:
        for extra in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            extra.unlink(missing_ok=True)
        db = sqlite3.connect(str(path))
        db.execute(f"CREATE TABLE {_sqlite_table(part)} (path TEXT, junk BLOB)")
        db.execute(f"INSERT INTO {_sqlite_table(part)} VALUES ('x', x'00')")
        db.commit()
        db.close()


@dataclass(frozen=True)
class Snapshot:
    chunks: int
    distinct_ids: int
    embedded: int
    top5: tuple[tuple[str, ...], ...]


def snapshot(index: WorkspaceIndex, mode: str) -> Snapshot:
    ids = index.store.chunks.search().select(["id"]).limit(None).to_arrow().column("id").to_pylist()
    status = index.status(disk=False)
    top = tuple(tuple(f"{h.path}::{h.qualified_name}" for h in index.search(q, k=5, mode=mode)) for q in QUERIES)
    return Snapshot(len(ids), len(set(ids)), status.embedded, top)


def open_like_cli(workspace: Path, settings: Settings, embedder: Embedder | None, command: str) -> WorkspaceIndex:
    """Open the index as ``specpilot index`` (open + update) or ``search`` (open; a repair that
    emptied the index is indexed again first, without the model) do."""
    index = WorkspaceIndex(workspace, settings, embedder=embedder)
    if command == "index":
        index.last_report = index.update(embed=embedder is not None)  # type: ignore[attr-defined]
    elif index.needs_reindex:
        index.update(embed=False)
    return index


def run_case(clean_ws: Path, work: Path, part: str, how: str, command: str, settings: Settings,
             embedder: Embedder | None, mode: str) -> dict[str, Any]:
    case_ws = work / f"{part}-{how}-{command}"
    shutil.copytree(clean_ws, case_ws, symlinks=True)
    damage(index_folder(case_ws), part, how)
    started = time.perf_counter()
    try:
        index = open_like_cli(case_ws, settings, embedder, command)
        seconds = time.perf_counter() - started
        result = snapshot(index, mode)
        told = [n.message for n in index.store.notices]
        embedded = getattr(index, "last_report", None).embedded if command == "index" else 0  # type: ignore[union-attr]
        healthy_after = index.check().healthy
        index.close()
        error = ""
    except Exception as exc:  # a case that fails outright is "not recovered", with the reason
        seconds, result, told, healthy_after, error = time.perf_counter() - started, None, [], False, repr(exc)
        embedded = 0
    shutil.rmtree(case_ws, ignore_errors=True)
    return {"part": part, "damage": how, "command": command, "snapshot": result, "told": told,
            "healthy_after": healthy_after, "seconds": seconds, "error": error,
            "embedded": embedded}


def build_clean(workspace: Path, work: Path, settings: Settings, embedder: Embedder | None,
                mode: str) -> tuple[Path, Snapshot, float]:
    clean_ws = work / "clean"
    shutil.copytree(workspace, clean_ws, symlinks=True, ignore=shutil.ignore_patterns(".specpilot"))
    index = WorkspaceIndex(clean_ws, settings, embedder=embedder)
    index.update(embed=embedder is not None)
    baseline = snapshot(index, mode)
    started = time.perf_counter()
    for _ in range(5):
        index.check()
    check_ms = (time.perf_counter() - started) / 5 * 1000
    index.close()
    return clean_ws, baseline, check_ms


def check_at_scale(work: Path, files: int) -> tuple[int, float, float]:
    """(chunks, median check ms, median open ms) on a generated workspace of ``files``
    Python files of 31 chunks each (no model: the check reads no vectors' values)."""
    body = "\n\n".join(f"def step_{i}(value):\n    return value + {i}\n" for i in range(30))
    root = work / "scale"
    for i in range(files):
        folder = root / f"pkg{i % 40}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod{i}.py").write_text(f'"""Module {i}."""\n\n{body}\n', encoding="utf-8")
    settings = Settings()
    settings.embedder.enabled = False
    index = WorkspaceIndex(root, settings)
    index.update(embed=False)
    chunks = index.status(disk=False).chunks
    index.close()
    checks, opens = [], []
    for _ in range(5):
        started = time.perf_counter()
        index = WorkspaceIndex(root, settings)
        opens.append(time.perf_counter() - started)
        checks.append(index.store.health.seconds)
        index.close()
    return chunks, statistics.median(checks) * 1000, statistics.median(opens) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=SAMPLE)
    parser.add_argument("--no-model", action="store_true", help="bm25 only, embedder disabled (fast)")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave RESULTS.md alone")
    parser.add_argument("--scale-files", type=int, default=2000, help="files of the generated workspace on "
                        "which the cost of the check is measured (0: skip)")
    args = parser.parse_args()
    settings = Settings()
    embedder: Embedder | None = None
    if args.no_model:
        settings.embedder.enabled = False
    else:
        from specpilot.index.embedder import create_embedder

        embedder = create_embedder()
    mode = "bm25" if args.no_model else "hybrid"
    rows = []
    with tempfile.TemporaryDirectory(prefix="specpilot-corruption-") as tmp:
        work = Path(tmp)
        clean_ws, baseline, check_ms = build_clean(args.workspace, work, settings, embedder, mode)
        for part, how in CASES:
            for command in ("index", "search"):
                rows.append(run_case(clean_ws, work, part, how, command, settings, embedder, mode))
                print(_line(rows[-1], baseline), flush=True)
        scale = check_at_scale(work, args.scale_files) if args.scale_files else None
    markdown = section(rows, baseline, check_ms, args.workspace, mode, scale)
    print(markdown)
    if not args.no_write:
        print(f"wrote {write_section('corruption', markdown)}")


def recovered(row: dict[str, Any], baseline: Snapshot) -> bool:
    return row["snapshot"] == baseline and row["healthy_after"] and len(row["told"]) <= 1


def _line(row: dict[str, Any], baseline: Snapshot) -> str:
    verdict = "recovered" if recovered(row, baseline) else "NOT recovered"
    return f"{row['part']:10} {row['damage']:8} {row['command']:6} {verdict} {row['error']}"


def section(rows: list[dict[str, Any]], baseline: Snapshot, check_ms: float, workspace: Path, mode: str,
            scale: tuple[int, float, float] | None) -> str:
    ok = sum(recovered(r, baseline) for r in rows)
    where = workspace.relative_to(ROOT) if workspace.is_relative_to(ROOT) else workspace
    lines = [
        "## Corruption",
        "",
        f"`python bench/corruption.py`: {machine_info()}".rstrip(".") + ".",
        "",
        f"Workspace: a copy of `{where}` ({baseline.chunks} chunks, {baseline.embedded} with a vector), "
        f"indexed cleanly, then one part damaged per case and opened the way `specpilot index` "
        f"(open + update) and `specpilot search` (open, then search) open it. Recovered = the same chunk "
        f"count, no duplicated id, as many chunks with a vector, the same top-5 on {len(QUERIES)} queries "
        f"({mode}), a healthy self-check afterwards, and at most one notice.",
        "",
        f"**{ok} of {len(rows)} cases recovered.** The self-check on open took "
        f"{check_ms:.1f} ms (mean of 5) on the clean index."
        + (f" On a generated workspace of {scale[0]:,} chunks it took {scale[1]:.0f} ms (median of 5 opens; "
           f"the whole open {scale[2]:.0f} ms)." if scale else ""),
        "",
        "| part | damage | recovered (index / search) | repair | notice | chunks embedded again | "
        "median open+repair s |",
        "|---|---|---|---|---|---|---|",
    ]
    for part, how in CASES:
        pair = [r for r in rows if r["part"] == part and r["damage"] == how]
        marks = " / ".join("yes" if recovered(r, baseline) else f"NO {r['error'][:40]}" for r in pair)
        told = next((t[0] for r in pair if (t := r["told"])), "")
        seconds = statistics.median(r["seconds"] for r in pair)
        again = sum(r["embedded"] for r in pair)
        lines.append(f"| {part} | {how} | {marks} | {_repair_of(told)} | {'yes' if told else 'no'} | {again} | "
                     f"{seconds:.2f} |")
    lines += ["", "`indexes` truncates a table's index files (full text, B-trees, vectors); the embedding cache "
              "has none, so its row damages nothing. The SQLite files and `meta.json` have no such row."]
    return "\n".join(lines)


def _repair_of(told: str) -> str:
    for needle, name in (("embedding cache was rebuilt", "cache from vectors"),
                         ("restored from the embedding cache", "vectors from cache"),
                         ("rebuilt from the source files", "re-index, cached vectors"),
                         ("Rebuilding the index", "re-index")):
        if needle in told:
            return name
    return "none needed" if not told else "?"


if __name__ == "__main__":
    main()
