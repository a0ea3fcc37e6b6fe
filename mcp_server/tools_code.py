"""The MCP tools that read code: search, symbol lookup, a symbol's code, and the index's status.

Each is a tool of the agent's kind (agents/tools/base.py): a pydantic argument model whose JSON Schema the host
sees, and a ``run`` that answers an observation or raises ``ToolError`` with what the host's model can fix. They
call the engine (the index, the agent's reading tools) and add nothing but the answer's wording.
"""

from __future__ import annotations

import textwrap
from typing import Annotated, Any

from pydantic import Field

from specpilot.agents.tools import Observation, Tool, ToolArgs, ToolContext, ToolError
from specpilot.agents.tools.search import SearchCode, SearchCodeArgs
from specpilot.mcp_server.workspace import McpWorkspace

SYMBOL_KINDS = "function,method,class"  # what a symbol lookup finds (the editor's workspace symbols too)
MAX_SYMBOL_LINES = 300


class McpSearch(SearchCode):
    """``search_code`` as the agent has it, plus a decision id: the host reports which result it used."""

    description = SearchCode.description + (
        " The answer carries a decision_id: when a result helped, call feedback with it, accepted=true and that "
        "result's rank, so SpecPilot's ranking learns.")

    def __init__(self, workspace: McpWorkspace) -> None:
        self.workspace = workspace

    def run(self, ctx: ToolContext, args: SearchCodeArgs) -> Observation:
        from specpilot.rl.context import features
        from specpilot.rl.policy import offer

        observation = super().run(ctx, args)
        hits = observation.data or []
        decision = ""
        if hits:
            arm = ctx.settings.search.mode if args.mode == "auto" else args.mode
            decision = offer("search", arm, workspace=ctx.root, settings=ctx.settings.learning,
                             features=features(words=len(args.query.split())))
        if decision:
            observation.content += f"\n\ndecision_id: {decision} (report the result you used with feedback)"
        observation.data = {"results": len(hits), "decision_id": decision or None}
        return observation


class FindSymbolArgs(ToolArgs):
    name: Annotated[str, Field(min_length=1, description="a function, class or method name, or words for one: "
                                                         "'parse_cookie', 'Cache.get', 'retry with backoff'")]
    k: Annotated[int, Field(ge=1, le=50, description="how many symbols")] = 10
    path_glob: Annotated[str | None, Field(description="only paths matching this glob, e.g. 'src/**'")] = None


class FindSymbol(Tool[FindSymbolArgs]):
    name = "find_symbol"
    description = ("Find functions, classes and methods by name (exact names first) or by what they do, as the "
                   "editor's Go to Symbol in Workspace does. Answers kind, qualified name, path:start-end and the "
                   "signature; read one with read_symbol.")
    args_model = FindSymbolArgs

    def run(self, ctx: ToolContext, args: FindSymbolArgs) -> Observation:
        from specpilot.index.search import SearchError, SearchFilters

        try:
            hits = ctx.index().search(args.name, k=args.k, filters=SearchFilters(path_glob=args.path_glob,
                                                                                 kind=SYMBOL_KINDS))
        except SearchError as exc:
            raise ToolError(f"symbol lookup failed: {exc}") from exc
        wanted = args.name.strip()
        exact = [h for h in hits if wanted in (h.name, h.qualified_name)]
        ordered = exact + [h for h in hits if h not in exact]
        if not ordered:
            return self.ok(f"no function, class or method matches {wanted!r}", data={"symbols": 0})
        lines = [f"{h.kind} {h.qualified_name}  {h.path}:{h.start_line}-{h.end_line}"
                 + (f"\n    {h.signature.splitlines()[0][:160]}" if h.signature else "") for h in ordered]
        return self.ok("\n".join(lines), data={"symbols": len(ordered), "exact": len(exact)})


class ReadSymbolArgs(ToolArgs):
    symbol: Annotated[str, Field(min_length=1, description="the qualified name: 'parse_cookie', 'Cache.get'")]
    path: Annotated[str | None, Field(description="the file that defines it, when the name is in several")] = None


class ReadSymbol(Tool[ReadSymbolArgs]):
    name = "read_symbol"
    description = ("Read the code of one function, class or method by its qualified name, numbered, without "
                   "reading the whole file. When several files define the name, give path.")
    args_model = ReadSymbolArgs

    def run(self, ctx: ToolContext, args: ReadSymbolArgs) -> Observation:
        index = ctx.index()
        path = ctx.relative(args.path) if args.path else None
        found = [d for d in index.graph.definitions(args.symbol) if path is None or d.path == path]
        places = sorted({(d.path, d.qualified_name) for d in found})
        if not places:
            where = f" in {path}" if path else ""
            raise ToolError(f"no definition of {args.symbol!r}{where} in the index; find_symbol finds names")
        if len(places) > 1:
            listed = ", ".join(f"{p} ({q})" for p, q in places[:10])
            raise ToolError(f"{args.symbol!r} is defined in {len(places)} places: {listed}; give path")
        rel, qualified = places[0]
        row = index.store.rows_for_symbols([(rel, qualified)]).get((rel, qualified))
        source = ctx.read(rel)  # the guard's checks; the editor's text when the server lent its buffers
        lines = source.text.splitlines()
        if row is None:
            raise ToolError(f"{qualified} in {rel} has no indexed code yet; read_file reads the file")
        start, end = int(row["start_line"]), int(row["end_line"])
        shown_end = min(end, start + MAX_SYMBOL_LINES - 1, len(lines))
        width = len(str(shown_end))
        body = "\n".join(f"{n:>{width}}| {lines[n - 1]}" for n in range(start, shown_end + 1))
        more = (f"\n[lines {shown_end + 1}-{end} not shown; read_file with start_line={shown_end + 1}]"
                if shown_end < end else "")
        return self.ok(f"{rel}:{start}-{end} {row.get('kind', '')} {qualified}\n{body}{more}",
                       data={"path": rel, "start_line": start, "end_line": end})


class IndexStatusArgs(ToolArgs):
    pass


class IndexStatus(Tool[IndexStatusArgs]):
    name = "index_status"
    description = ("How fresh the code index is: files, chunks, the share with embeddings, when it was last "
                   "updated, and who keeps it up to date (this server, or the editor's SpecPilot server).")
    args_model = IndexStatusArgs

    def __init__(self, workspace: McpWorkspace) -> None:
        self.workspace = workspace

    def run(self, ctx: ToolContext, args: IndexStatusArgs) -> Observation:
        import time

        progress = self.workspace.progress
        keeper = ("this MCP server" if self.workspace.writer
                  else f"specpilot serve (pid {self.workspace.server_pid})")
        if not progress.finished.is_set():
            return self.ok(f"{progress.line()}; kept by {keeper}",
                           data={"state": "indexing", "stage": progress.stage, "done": progress.done,
                                 "total": progress.total})
        status = self.workspace.index(wait_s=0.0).status()
        age = time.time() - status.last_update if status.last_update else None
        text = textwrap.dedent(f"""\
            workspace: {status.root}
            files: {status.files:,}; chunks: {status.chunks:,}; embedded: {status.embedded_percent:.0f}%
            last update: {f'{age:.0f} s ago' if age is not None else 'never'}; kept by {keeper}
            embedding model: {status.model}""")
        data: dict[str, Any] = {"state": "ready", "files": status.files, "chunks": status.chunks,
                                "embedded": status.embedded, "writer": self.workspace.writer}
        return self.ok(text, data=data)

