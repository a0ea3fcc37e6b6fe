"""`specpilot mcp` on the standard library: tool-call latency, and the size of each tool's answers in tokens.

Usage::

    python bench/mcp_bench.py [--rounds 3] [--workdir DIR] [--write]

On a copy of the whole standard library (site-packages and caches left out; bench/speed.py ``copy_stdlib``),
indexed once, it starts ``specpilot mcp`` as a host would (a subprocess on stdio, driven by the MCP SDK's
client) and measures:

* latency: wall time of ``tools/call`` as the client sees it (JSON-RPC over the pipe, validation, the engine,
  sizing, redaction), p50 and p95 over ``--rounds`` rounds of 25 queries, for ``search_code``, ``find_symbol``,
  ``read_symbol`` and ``graph_neighbours``; beside it the same engine call made directly in this process on
  the same index (the baseline: what the MCP face adds is the ratio);
* size: each answer's tokens (text plus structured part, 4 characters a token, as ``mcp.resultTokens`` counts)
  against the budget (2,000 by default), and how many answers were cut to it, for those tools and for
  ``list_symbols`` and ``read_file`` of the files the searches found.

Writes the ``mcp`` section of RESULTS.md with ``--write``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from results import machine_info, pct, write_section  # noqa: E402
from speed import QUERIES, copy_stdlib  # noqa: E402

DEFAULT_WORKDIR = BENCH / ".work" / "mcp"
SYMBOLS = ["loads", "urlparse", "HTTPConnection", "ThreadPoolExecutor", "rmtree", "TextWrapper.wrap",
           "get_event_loop", "quote", "b64decode", "dedent", "ArgumentParser.parse_args", "getLogger", "deepcopy",
           "namedtuple", "SequenceMatcher.ratio", "mkdtemp", "which", "fnmatch", "splitext", "urlencode",
           "JSONDecoder.decode", "Path.read_text", "Counter.most_common", "shlex.split", "heappush"]
TOOLS = ("search_code", "find_symbol", "read_symbol", "graph_neighbours")
RERANKED: list[bool] = []  # whether a trained reranker reordered the searches (the default when one exists)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def prepare(workdir: Path) -> Path:
    """The stdlib copy, indexed (reused when a complete one is there)."""
    from specpilot.core.config import load_settings
    from specpilot.index.engine import WorkspaceIndex

    root, marker = workdir / "stdlib", workdir / ".indexed"
    if not marker.exists():
        log("copying the standard library")
        files, lines = copy_stdlib(root, None)
        log(f"indexing {files} files, {lines} lines of Python (once)")
        index = WorkspaceIndex(root, load_settings(root)[0])
        index.update()
        index.close()
        marker.write_text("ok", encoding="utf-8")
    return root


def tokens(result: Any) -> int:
    text = "".join(getattr(block, "text", "") for block in result.content)
    structured = json.dumps(result.structured_content) if result.structured_content else ""
    return -(-(len(text) + len(structured)) // 4)


def calls_for(round_queries: list[str]) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []
    for query, symbol in zip(round_queries, SYMBOLS, strict=False):
        calls += [("search_code", {"query": query}), ("find_symbol", {"name": symbol}),
                  ("read_symbol", {"symbol": symbol}), ("graph_neighbours", {"symbol": symbol, "relation": "callers"})]
    return calls


async def over_mcp(root: Path, rounds: int) -> tuple[dict[str, list[float]], dict[str, list[int]], dict[str, int]]:
    from mcp import Client, StdioServerParameters

    server = StdioServerParameters(command=sys.executable, args=["-m", "specpilot", "mcp", "-w", str(root)],
                                   env=dict(os.environ))
    latency: dict[str, list[float]] = {name: [] for name in TOOLS}
    sizes: dict[str, list[int]] = {name: [] for name in (*TOOLS, "list_symbols", "read_file")}
    cut: dict[str, int] = dict.fromkeys(sizes, 0)
    async with Client(server) as client:
        while (await client.call_tool("index_status", {})).structured_content.get("state") != "ready":
            await anyio.sleep(1)
        for name, arguments in calls_for(QUERIES[:3]):  # warm: the model, the tables, the graph
            await client.call_tool(name, arguments)
        files: set[str] = set()
        for round_number in range(rounds):
            for name, arguments in calls_for(QUERIES):
                started = time.perf_counter()
                result = await client.call_tool(name, arguments)
                latency[name].append((time.perf_counter() - started) * 1000)
                if round_number == 0:
                    sizes[name].append(tokens(result))
                    cut[name] += bool((result.structured_content or {}).get("truncated"))
                    if name == "read_symbol" and result.structured_content and "path" in result.structured_content:
                        files.add(result.structured_content["path"])
        for path in sorted(files):
            for name in ("list_symbols", "read_file"):
                result = await client.call_tool(name, {"path": path})
                sizes[name].append(tokens(result))
                cut[name] += bool((result.structured_content or {}).get("truncated"))
    return latency, sizes, cut


def in_process(root: Path, rounds: int) -> dict[str, list[float]]:
    """The same engine calls, made directly on the index in this process (the baseline)."""
    from specpilot.core.config import load_settings
    from specpilot.index.engine import WorkspaceIndex
    from specpilot.index.search import SearchFilters

    index = WorkspaceIndex(root, load_settings(root)[0])
    graph = index.graph
    def read_symbol(arguments: dict[str, Any]) -> str:
        places = sorted({(d.path, d.qualified_name) for d in graph.definitions(arguments["symbol"])})
        if len(places) != 1:
            return ""
        row = index.store.rows_for_symbols(places).get(places[0])
        if row is None:
            return ""
        lines = (root / places[0][0]).read_text(encoding="utf-8").splitlines()
        return "\n".join(lines[int(row["start_line"]) - 1:int(row["end_line"])])

    symbol_kinds = SearchFilters(kind="function,method,class")
    run = {"search_code": lambda a: index.search(a["query"], k=8),
           "find_symbol": lambda a: index.search(a["name"], k=10, filters=symbol_kinds),
           "read_symbol": read_symbol,
           "graph_neighbours": lambda a: graph.callers(a["symbol"])}
    latency: dict[str, list[float]] = {name: [] for name in TOOLS}
    RERANKED.append(index.reranker.available())
    for name, arguments in calls_for(QUERIES[:3]):
        run[name](arguments)
    for _ in range(rounds):
        for name, arguments in calls_for(QUERIES):
            started = time.perf_counter()
            run[name](arguments)
            latency[name].append((time.perf_counter() - started) * 1000)
    index.close()
    return latency


def report(root: Path, rounds: int, mcp_ms: dict[str, list[float]], engine_ms: dict[str, list[float]],
           sizes: dict[str, list[int]], cut: dict[str, int], load: float) -> str:
    from specpilot.core.config import load_settings

    budget = load_settings(root)[0].mcp.result_tokens
    files = sum(1 for _ in root.rglob("*.py"))
    lines = ["## MCP server (bench/mcp_bench.py)", "",
             f"Written by `python bench/mcp_bench.py --write`. Machine: {machine_info()}; "
             f"load {load:.2f} when the run started.", "",
             f"`specpilot mcp` over stdio (a subprocess driven by the MCP SDK's client, as a host runs it) on a copy "
             f"of the whole standard library ({files:,} Python files), indexed. {rounds} rounds of "
             f"{len(QUERIES)} calls per tool (the queries of bench/speed.py; 25 symbol names such as "
             f"`{SYMBOLS[0]}`, `{SYMBOLS[5]}`). The baseline is the same engine call made directly in one process "
             "(search: `WorkspaceIndex.search`; symbol lookup: the same search filtered to functions, methods "
             "and classes; read_symbol: the graph's definitions, the chunk's lines, the file's text; "
             "graph_neighbours: the graph's callers), so the ratio "
             "is what the MCP face costs on top: JSON-RPC over the pipe, validation, the agent tool's wording, "
             "sizing and redaction. Searches (both sides) are "
             + ("hybrid reranked by the trained base reranker (`search.mode` hybrid with a model: the default)."
                if RERANKED and RERANKED[0] else "hybrid (no reranker model on this machine)."), "",
             "| tool | MCP p50 ms | MCP p95 ms | engine p50 ms | engine p95 ms | MCP / engine p50 |",
             "|---|---|---|---|---|---|"]
    for name in TOOLS:
        mine, base = mcp_ms[name], engine_ms[name]
        lines.append(f"| `{name}` | {pct(mine, 0.5):.1f} | {pct(mine, 0.95):.1f} | {pct(base, 0.5):.1f} | "
                     f"{pct(base, 0.95):.1f} | {pct(mine, 0.5) / max(pct(base, 0.5), 1e-6):.2f} |")
    lines += ["", f"**Answer sizes** (tokens: text plus the structured part, 4 characters a token; budget "
                  f"`mcp.resultTokens` = {budget:,}). `list_symbols` and `read_file` (its default: 400 lines) are "
                  "of the files `read_symbol` answered from.", "",
              "| tool | answers | median tokens | p95 tokens | max tokens | cut to the budget |",
              "|---|---|---|---|---|---|"]
    for name, values in sizes.items():
        if values:
            lines.append(f"| `{name}` | {len(values)} | {statistics.median(values):.0f} | {pct(values, 0.95):.0f} | "
                         f"{max(values)} | {cut[name]} |")
    over = [n for n, v in sizes.items() if v and max(v) > budget + 100]
    lines += ["", "- Every answer within the budget (plus its note): " + ("yes" if not over else f"no: {over}") + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--write", action="store_true", help="write the mcp section of RESULTS.md")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("SPECPILOT_LEARNING", "off")  # no decisions recorded in the user's store
    root = prepare(args.workdir)
    load = os.getloadavg()[0]
    log("engine baseline")
    engine_ms = in_process(root, args.rounds)
    log("over MCP")
    mcp_ms, sizes, cut = anyio.run(over_mcp, root, args.rounds)
    text = report(root, args.rounds, mcp_ms, engine_ms, sizes, cut, load)
    print(text)
    if args.write:
        write_section("mcp", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
