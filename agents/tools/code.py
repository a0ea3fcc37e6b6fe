"""Tools that read code: a file's lines, its outline, and the references of a name.

Paths go through the guard and open buffers win over the disk. Lines and columns
given to and shown by these tools are 1-based, as in compiler messages.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from specpilot.agents.tools.base import Observation, Tool, ToolArgs, ToolError, WorkspacePath
from specpilot.agents.tools.context import ToolContext
from specpilot.ast_tools.edits import line_starts, position, split_lines
from specpilot.ast_tools.rename import references
from specpilot.index.symbols import OutlineSymbol, document_outline

MAX_READ_LINES = 400
MAX_REFERENCES = 200

Line = Annotated[int, Field(ge=1, description="1-based line number")]


class ReadFileArgs(ToolArgs):
    path: WorkspacePath
    start_line: Line = 1
    end_line: Annotated[int | None, Field(ge=1, description="1-based, inclusive; default: "
                                                            f"{MAX_READ_LINES} lines from start_line")] = None


class ReadFile(Tool[ReadFileArgs]):
    name = "read_file"
    description = (f"Read lines of a text file in the workspace, numbered (at most {MAX_READ_LINES} lines a "
                   "call). Shows the editor's unsaved text when the file is open. Use list_symbols or "
                   "search_code first to find the lines you need in a large file.")
    args_model = ReadFileArgs

    def run(self, ctx: ToolContext, args: ReadFileArgs) -> Observation:
        source = ctx.read(args.path)
        lines = source.text.splitlines()
        total = len(lines)
        if total == 0:
            return self.ok(f"{source.path} is empty", data={"path": source.path, "lines": 0})
        if args.start_line > total:
            raise ToolError(f"{source.path} has {total} lines; start_line {args.start_line} is past the end")
        if args.end_line is not None and args.end_line < args.start_line:
            raise ToolError(f"end_line {args.end_line} is before start_line {args.start_line}")
        wanted_end = args.end_line if args.end_line is not None else total
        end = min(wanted_end, total, args.start_line + MAX_READ_LINES - 1)
        width = len(str(end))
        body = "\n".join(f"{n:>{width}}| {lines[n - 1]}" for n in range(args.start_line, end + 1))
        header = f"{source.path} lines {args.start_line}-{end} of {total}"
        if source.version is not None:
            header += " (unsaved editor text)"
        footer = ""
        if end < min(wanted_end, total):
            footer = (f"\n[lines {end + 1}-{min(wanted_end, total)} not shown: at most {MAX_READ_LINES} lines "
                      f"a call; read on with start_line={end + 1}]")
        return self.ok(f"{header}\n{body}{footer}",
                       data={"path": source.path, "start_line": args.start_line, "end_line": end, "lines": total})


class ListSymbolsArgs(ToolArgs):
    path: WorkspacePath


class ListSymbols(Tool[ListSymbolsArgs]):
    name = "list_symbols"
    description = ("The outline of a source file: its classes, functions and methods, nested, with their "
                   "line ranges and signatures. Cheaper than reading the whole file.")
    args_model = ListSymbolsArgs

    def run(self, ctx: ToolContext, args: ListSymbolsArgs) -> Observation:
        source = ctx.read(args.path)
        outline = document_outline(source.path, source.text)
        if not outline:
            return self.ok(f"{source.path} defines no classes or functions (or its language has no outline)",
                           data=[])
        out: list[str] = [f"{source.path}:"]
        _show(outline, 1, out)
        return self.ok("\n".join(out), data=outline)


def _show(symbols: list[OutlineSymbol], depth: int, out: list[str]) -> None:
    for symbol in symbols:
        detail = f"  {symbol.detail}" if symbol.detail else ""
        out.append(f"{'  ' * depth}{symbol.kind} {symbol.qualified_name}  "
                   f"lines {symbol.start_line}-{symbol.end_line}{detail}")
        _show(symbol.children, depth + 1, out)


class FindReferencesArgs(ToolArgs):
    path: WorkspacePath
    line: Line
    column: Annotated[int, Field(ge=1, description="1-based column of a character of the name")]


class FindReferences(Tool[FindReferencesArgs]):
    name = "find_references"
    description = ("Every place a Python name is defined and used across the workspace (scope-aware: a local "
                   "that shadows a global is a different name), given a position on one occurrence. "
                   "Answers path:line:column with the source line.")
    args_model = FindReferencesArgs

    def run(self, ctx: ToolContext, args: FindReferencesArgs) -> Observation:
        rel = ctx.relative(args.path)
        if not rel.endswith(".py"):
            raise ToolError(f"find_references works on Python files; use search_code for {rel}")
        ws = ctx.workspace()
        files, spans, warnings = references(ws, rel, args.line - 1, args.column - 1)
        found: list[dict[str, Any]] = []
        for path in sorted(spans):
            text = files[path].source.text if path in files else ws.read(path).text
            starts, lines = line_starts(text), split_lines(text)
            for start, _ in sorted(set(spans[path])):
                line, column = position(starts, start)
                found.append({"path": path, "line": line + 1, "column": column + 1,
                              "text": lines[line].rstrip("\r\n").strip()})
        if not found:
            return self.ok(f"no references found at {rel}:{args.line}:{args.column}", data=[])
        out = [f"{len(found)} references in {len({f['path'] for f in found})} files:"]
        out += [f"{f['path']}:{f['line']}:{f['column']}  {f['text']}" for f in found[:MAX_REFERENCES]]
        if len(found) > MAX_REFERENCES:
            out.append(f"[{len(found) - MAX_REFERENCES} more not shown]")
        out += [f"warning: {w}" for w in warnings]
        return self.ok("\n".join(out), data=found)
