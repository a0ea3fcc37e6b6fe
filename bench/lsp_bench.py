"""Language-server latency and memory through a real LSP client over stdio.

    python bench/lsp_bench.py [--phase all|cold|idle|jedi|report] [--embed-seconds 120]

* ``cold``: a fresh cache on the whole standard library (a copy, as in
  bench/speed.py). While the server indexes it (scan, chunk and write, then the
  first ``--embed-seconds`` of the embedding pass, which keeps both cores busy)
  the light requests are timed: workspace/symbol, documentSymbol on large files
  and ``specpilot/search``.
* ``idle``: the same workspace with every chunk embedded (the embedding cache is
  seeded from bench/speed.py's run, so no model pass is needed); the same
  requests, then the server's memory.
* ``jedi``: the docstring-free packages of bench/retrieval.py as workspace; 50 of
  its natural-language queries through workspace/symbol of SpecPilot and of
  jedi-language-server (``pip install jedi-language-server``): latency, and
  whether the target function is in the top 10.

Results go to bench/RESULTS.md (section "server"). Keep the machine otherwise idle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

sys.path.insert(0, str(Path(__file__).parent))
from lsp_client import BenchClient, initialize, stop  # noqa: E402,F401 (stop: used by bench/code_actions.py)
from results import machine_info, write_section  # noqa: E402
from speed import QUERIES, copy_stdlib, pct  # noqa: E402

WORK = Path(__file__).parent / ".work" / "server"
SPEED_CACHE = Path(__file__).parent / ".work" / "speed" / "cache" / "index"
RETRIEVAL = Path(__file__).parent / ".work" / "retrieval"
OUTLINE_PERCENTILES = (10, 20, 30, 40, 50, 60, 70, 80, 90, 99)  # file sizes documentSymbol is asked for
SPECPILOT = [sys.executable, "-m", "specpilot", "serve"]
JEDI = [str(Path(sys.executable).with_name("jedi-language-server"))]
PAUSE = 0.05  # between rounds of requests, like an editor rather than a load test


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Client(BenchClient):
    def __init__(self) -> None:
        super().__init__()
        self.stderr_task: asyncio.Future[None] | None = None


async def start(command: list[str], root: Path, options: dict[str, Any] | None = None,
                resolve_code_actions: bool = False) -> Client:
    client = Client()
    await client.start_io(*command, cwd=str(root))
    client.stderr_task = asyncio.ensure_future(drain_stderr(client, WORK / f"{Path(command[-1]).name}.stderr.log"))
    caps = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(configuration=True, workspace_folders=True),
        text_document=types.TextDocumentClientCapabilities(
            document_symbol=types.DocumentSymbolClientCapabilities(hierarchical_document_symbol_support=True),
            code_action=types.CodeActionClientCapabilities(
                data_support=True, resolve_support=types.ClientCodeActionResolveOptions(
                    properties=["edit"] if resolve_code_actions else []))))
    await initialize(client, root, caps, options)
    return client


async def drain_stderr(client: Client, log_file: Path) -> None:
    """The client pipes the server's stderr; read it (to a file) so the server never blocks on it."""
    process = getattr(client, "_server", None)
    if process is None or process.stderr is None:
        return
    with log_file.open("ab") as out:
        while line := await process.stderr.readline():
            out.write(line)


def server_memory(client: Client) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of the server process, MiB."""
    process = getattr(client, "_server", None)
    found: dict[str, float] = {}
    if process is None:
        return found
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


def outline_files(root: Path) -> list[Path]:
    """Files at fixed percentiles of size (lines), so documentSymbol sees typical and very large files."""
    files = sorted(root.rglob("*.py"), key=lambda p: (p.stat().st_size, str(p)))
    files = [f for f in files if ".specpilot" not in f.parts and f.stat().st_size > 0]
    return [files[min(len(files) - 1, len(files) * q // 100)] for q in OUTLINE_PERCENTILES]


ERRORS: dict[str, list[str]] = {}
TIMELINE: list[tuple[float, str, float]] = []  # (monotonic time, request, ms): where the slow ones fall


async def timed(samples: dict[str, list[float]], name: str, request: Any) -> None:
    """Time one request; an error answer is recorded (and reported), not fatal."""
    t0 = time.perf_counter()
    try:
        await request
    except Exception as exc:
        ERRORS.setdefault(name, []).append(f"{type(exc).__name__}: {exc}"[:300])
        return
    samples[name].append((time.perf_counter() - t0) * 1000)
    TIMELINE.append((t0, name, samples[name][-1]))


async def one_round(client: Client, outlines: list[Path], samples: dict[str, list[float]], n: int) -> None:
    query = QUERIES[n % len(QUERIES)]
    await timed(samples, "workspace/symbol", client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query)))
    uri = outlines[n % len(outlines)].as_uri()
    await timed(samples, "documentSymbol", client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))))
    await timed(samples, "specpilot/search",
                client.protocol.send_request_async("specpilot/search", {"query": query, "k": 10}))


def summary(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {name: {"n": len(v), "p50": statistics.median(v), "p95": pct(v, 0.95)} for name, v in samples.items() if v}


async def phase_cold(root: Path, embed_seconds: float) -> dict[str, Any]:
    shutil.rmtree(root / ".specpilot", ignore_errors=True)
    outlines = outline_files(root)
    client = await start(SPECPILOT, root)
    started = time.perf_counter()
    by_stage: dict[str, dict[str, list[float]]] = {}
    embedding_since: float | None = None
    n = 0
    while time.perf_counter() - started < 3600:
        state = client.state
        if state == "embedding" and embedding_since is None:
            embedding_since = time.perf_counter()
            log(f"chunks written after {embedding_since - started:.1f}s; embedding")
        if state == "ready" or (embedding_since and time.perf_counter() - embedding_since > embed_seconds):
            break
        stage = "embedding" if state == "embedding" else "indexing"
        samples = by_stage.setdefault(stage, {"workspace/symbol": [], "documentSymbol": [], "specpilot/search": []})
        await one_round(client, outlines, samples, n)
        n += 1
        await asyncio.sleep(PAUSE)
    status = client.statuses[-1] if client.statuses else {}
    result = {"stages": {k: summary(v) for k, v in by_stage.items()},
              "chunk_seconds": (embedding_since or time.perf_counter()) - started, "status": status,
              "errors": dict(ERRORS),
              "timeline": [(round(t - started, 3), name, round(ms, 1)) for t, name, ms in TIMELINE]}
    await stop(client)
    return result


def seed_cache(root: Path, vectors_from: Path, why: str) -> None:
    """A fresh cache for ``root`` whose embedding table (vectors by content hash) is
    copied from an earlier benchmark run, so indexing needs no model pass."""
    cache = root / ".specpilot" / "cache" / "index"
    shutil.rmtree(root / ".specpilot", ignore_errors=True)
    if not (vectors_from / "embeddings.lance").is_dir() or not (SPEED_CACHE / "meta.json").is_file():
        raise SystemExit(f"run {why} first: its embedding cache seeds this phase")
    cache.mkdir(parents=True)
    shutil.copytree(vectors_from / "embeddings.lance", cache / "embeddings.lance")
    shutil.copy(SPEED_CACHE / "meta.json", cache / "meta.json")  # this schema, the same model


async def phase_idle(root: Path, rounds: int) -> dict[str, Any]:
    seed_cache(root, SPEED_CACHE, "bench/speed.py")
    outlines = outline_files(root)
    client = await start(SPECPILOT, root)
    started = time.perf_counter()
    while client.state != "ready":
        if time.perf_counter() - started > 1800:
            raise SystemExit(f"the server did not finish indexing: {client.statuses[-1:]}")
        await asyncio.sleep(0.2)
    log(f"indexed with cached vectors in {time.perf_counter() - started:.0f}s: {client.statuses[-1]}")
    await asyncio.sleep(2)
    samples: dict[str, list[float]] = {"workspace/symbol": [], "documentSymbol": [], "specpilot/search": []}
    for n in range(rounds):
        await one_round(client, outlines, samples, n)
        await asyncio.sleep(PAUSE)
    result = {"latency": summary(samples), "memory": server_memory(client), "status": client.statuses[-1]}
    await stop(client)
    return result


def jedi_queries(count: int) -> list[dict[str, str]]:
    lines = [json.loads(line) for line in (RETRIEVAL / "queries.jsonl").read_text().splitlines() if line.strip()]
    step = max(1, len(lines) // count)
    return lines[::step][:count]


def found_target(answer: Any, root: Path, target: dict[str, str]) -> bool:
    want_uri = (root / target["path"]).as_uri()
    want_name = target["qualified_name"].rpartition(".")[2]
    for symbol in (answer or [])[:10]:
        location = symbol.location
        if getattr(location, "uri", None) == want_uri and symbol.name == want_name:
            return True
    return False


async def symbol_run(command: list[str], root: Path, queries: list[dict[str, str]], wait_ready: bool,
                     options: dict[str, Any] | None = None) -> dict[str, Any]:
    client = await start(command, root, options)
    if wait_ready:
        started = time.perf_counter()
        while client.state != "ready" and time.perf_counter() - started < 1800:
            await asyncio.sleep(0.2)
    else:  # jedi indexes lazily: one warm-up query
        await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="parse"))
    times, hits = [], 0
    for _ in range(2):
        for target in queries:
            t0 = time.perf_counter()
            answer = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=target["query"]))
            times.append((time.perf_counter() - t0) * 1000)
            hits += found_target(answer, root, target)
    await stop(client)
    return {"p50": statistics.median(times), "p95": pct(times, 0.95), "top10": hits / 2 / len(queries)}


async def phase_jedi(count: int) -> dict[str, Any]:
    root = RETRIEVAL / "ws"
    if not root.is_dir():
        raise SystemExit("run bench/retrieval.py first: it builds the docstring-free workspace")
    try:
        import jedi_language_server  # noqa: F401
    except ImportError:
        raise SystemExit("pip install jedi-language-server (make bench does) to run this phase") from None
    queries = jedi_queries(count)
    seed_cache(root, RETRIEVAL / "cache" / "index", "bench/retrieval.py")
    ours = await symbol_run(SPECPILOT, root, queries, wait_ready=True)
    log(f"specpilot: {ours}")
    jedi = await symbol_run(JEDI, root, queries, wait_ready=False)
    log(f"jedi-language-server: {jedi}")
    return {"queries": len(queries), "specpilot": ours, "jedi": jedi}


def report(state: dict[str, Any]) -> str:
    out = ["## Language server (bench/lsp_bench.py)", "",
           f"Machine: {machine_info()}. A pygls client over stdio; requests one after another with a "
           f"{PAUSE * 1000:.0f} ms pause. documentSymbol is asked for 10 files at the "
           f"{', '.join(map(str, OUTLINE_PERCENTILES))}th percentiles of file size "
           f"({state.get('outline_lines', '?')} lines); workspace/symbol and specpilot/search take the "
           "75 queries of bench/speed.py in turn.", ""]
    cold = state.get("cold")
    if cold:
        out += [f"### While indexing the whole standard library (fresh cache; chunks written after "
                f"{cold['chunk_seconds']:.0f} s, then {state.get('embed_seconds', 0):.0f} s of embedding)", "",
                "| stage | request | n | p50 | p95 | target |", "|---|---|---|---|---|---|"]
        for stage, rows in cold["stages"].items():
            for name, row in rows.items():
                met = "met" if row["p95"] <= 100 else "NOT met"
                out.append(f"| {stage} | {name} | {row['n']} | {row['p50']:.1f} ms | {row['p95']:.1f} ms | "
                           f"p95 <= 100 ms: {met} |")
        errors = sum(len(v) for v in cold.get("errors", {}).values())
        out += [f"Error answers during the run: {errors}.", ""]
    idle = state.get("idle")
    if idle:
        status = idle["status"]
        out += [f"### Idle, every chunk embedded ({status.get('files')} files, {status.get('chunks')} chunks)", "",
                "| request | n | p50 | p95 |", "|---|---|---|---|"]
        for name, row in idle["latency"].items():
            out.append(f"| {name} | {row['n']} | {row['p50']:.1f} ms | {row['p95']:.1f} ms |")
        memory = idle["memory"]
        out += ["", f"Server memory after indexing: RSS {memory.get('VmRSS', 0):,.0f} MiB "
                    f"(peak {memory.get('VmHWM', 0):,.0f} MiB).", ""]
    jedi = state.get("jedi")
    if jedi:
        ours, theirs = jedi["specpilot"], jedi["jedi"]
        out += [f"### workspace/symbol against jedi-language-server ({jedi['queries']} natural-language queries "
                "from bench/retrieval.py, docstring-free packages)", "",
                "| server | p50 | p95 | target in top 10 |", "|---|---|---|---|",
                f"| SpecPilot | {ours['p50']:.1f} ms | {ours['p95']:.1f} ms | {ours['top10']:.0%} |",
                f"| jedi-language-server | {theirs['p50']:.1f} ms | {theirs['p95']:.1f} ms | {theirs['top10']:.0%} |",
                "", f"Latency ratio SpecPilot / jedi (p50): {ours['p50'] / theirs['p50']:.2f}.", ""]
    out += [f"Note: {note}" for note in state.get("notes", [])]
    return "\n".join(out)


async def main_async(args: argparse.Namespace) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    state_file = WORK / "state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    root = WORK / "ws"
    if args.phase in ("all", "cold", "idle") and not root.is_dir():
        files, lines = copy_stdlib(root, None)
        log(f"workspace: {files} files, {lines:,} lines")
    if root.is_dir():
        state["outline_lines"] = ", ".join(str(len(f.read_text(errors="replace").splitlines()))
                                           for f in outline_files(root))
    if args.phase in ("all", "cold"):
        state["cold"] = await phase_cold(root, args.embed_seconds)
        state["embed_seconds"] = args.embed_seconds
        state_file.write_text(json.dumps(state, indent=1))
    if args.phase in ("all", "idle"):
        state["idle"] = await phase_idle(root, args.rounds)
        state_file.write_text(json.dumps(state, indent=1))
    if args.phase in ("all", "jedi"):
        state["jedi"] = await phase_jedi(args.queries)
        state_file.write_text(json.dumps(state, indent=1))
    markdown = report(state)
    print(markdown)
    write_section("server", markdown)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", choices=["all", "cold", "idle", "jedi", "report"], default="all")
    parser.add_argument("--embed-seconds", type=float, default=120.0)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--queries", type=int, default=50)
    asyncio.run(main_async(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
