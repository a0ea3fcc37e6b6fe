"""Tools that ask the workspace index: hybrid code search and the symbol graph.

Only these tools open the index (``ToolContext.index()``), which is slow the first
time; every other tool works without it, and without importing LanceDB.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field

from specpilot.agents.tools.base import Observation, Tool, ToolArgs, ToolError
from specpilot.agents.tools.context import ToolContext


class SearchCodeArgs(ToolArgs):
    query: Annotated[str, Field(min_length=1, description="what the code does, in words, or an identifier")]
    k: Annotated[int, Field(ge=1, le=30, description="how many results")] = 8
    mode: Annotated[Literal["auto", "hybrid", "rerank", "bm25", "vector"],
                    Field(description="auto: the workspace's setting (hybrid, reranked when a reranker is "
                                      "trained); hybrid: meaning and words; rerank: hybrid's best reordered by the "
                                      "local code reranker; bm25: words only; vector: meaning only")] = "auto"
    path_glob: Annotated[str | None, Field(description="only paths matching this gitignore-style glob, "
                                                       "e.g. 'src/**' or '*.py'")] = None


class SearchCode(Tool[SearchCodeArgs]):
    name = "search_code"
    description = ("Search the workspace's code by meaning and by words (functions, classes, methods). "
                   "Give a description ('retry a request with backoff') or an identifier ('parse_headers'). "
                   "Answers path:start-end, the qualified name and the first lines of each match.")
    args_model = SearchCodeArgs

    def run(self, ctx: ToolContext, args: SearchCodeArgs) -> Observation:
        from specpilot.index.search import SearchError, SearchFilters  # LanceDB: seconds to import

        filters = SearchFilters(path_glob=args.path_glob)
        notes: list[str] = []  # why a rerank asked for did not happen
        try:
            hits = ctx.index().search(args.query, k=args.k, mode=None if args.mode == "auto" else args.mode,
                                      filters=filters, note=notes.append)
        except SearchError as exc:
            raise ToolError(f"search failed: {exc}") from exc
        if not hits:
            where = f" under {args.path_glob}" if args.path_glob else ""
            return self.ok(f"no code matches {args.query!r}{where}", data=[])
        out = []
        for number, hit in enumerate(hits, start=1):
            out.append(f"{number}. {hit.path}:{hit.start_line}-{hit.end_line}  {hit.qualified_name} ({hit.kind})")
            out.append(textwrap.indent(hit.snippet, "     "))
        out += [f"note: {n}" for n in notes]
        return self.ok("\n".join(out), data=hits)


class GraphArgs(ToolArgs):
    symbol: Annotated[str, Field(min_length=1, description="a name or qualified name: 'parse', 'Cache.get'")]
    relation: Annotated[Literal["neighbours", "callers", "callees", "definitions"],
                        Field(description="callers: definitions that call it; callees: names it calls; "
                                          "definitions: where it is defined; neighbours: callees' "
                                          "definitions, then callers")] = "neighbours"


class GraphNeighbours(Tool[GraphArgs]):
    name = "graph_neighbours"
    description = ("Walk the workspace's symbol graph: who calls a function, what it calls, where a name is "
                   "defined. Python method calls are resolved by receiver where the code says its class; "
                   "calls marked (ambiguous) may go to another class's method of the same name.")
    args_model = GraphArgs

    def run(self, ctx: ToolContext, args: GraphArgs) -> Observation:
        graph = ctx.index().graph
        if args.relation == "callees":
            edges = graph.callees(args.symbol)
            if not edges:
                return self.ok(f"no callees found for {args.symbol} (is it the qualified name of a function?)",
                               data=[])
            calls = [f"{e.path}:{e.line}  {e.callee}{'  (ambiguous)' if e.ambiguous else ''}"
                     + (f"  -> {e.definitions[0].path}:{e.definitions[0].line}" if len(e.definitions) == 1 else "")
                     for e in edges]
            return self.ok(f"{args.symbol} calls:\n" + "\n".join(calls), data=edges)
        lookup: dict[str, Callable[[str], Sequence[Any]]] = {
            "callers": graph.callers, "neighbours": graph.neighbours, "definitions": graph.definitions}
        nodes = lookup[args.relation](args.symbol)
        if not nodes:
            return self.ok(f"no {args.relation} found for {args.symbol}", data=[])
        lines = [f"{args.relation} of {args.symbol}:"]
        lines += [f"{node.path}:{node.line}  {node.qualified_name}{'  (ambiguous)' if node.ambiguous else ''}"
                  for node in nodes]
        return self.ok("\n".join(lines), data=nodes)
