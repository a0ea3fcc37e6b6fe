"""The tools ``specpilot mcp`` offers, and the one door every call goes through.

The catalogue is the agent's own reading tools (agents/tools/) plus the MCP face's tools over the same engine
(tools_code.py, tools_edit.py, tools_spec.py). A call is checked before anything runs:

- an unknown tool, arguments that do not fit the tool's JSON Schema, or arguments over
  ``MAX_ARGUMENT_BYTES`` are refused as a protocol error (JSON-RPC ``-32602`` Invalid params, naming the tool
  or each bad field), as the MCP specification asks;
- what goes wrong while a tool runs (a path outside the workspace or denied, a refactoring that cannot be done
  safely, a stale edit, an index still being built, a bug) is a tool result with ``isError: true`` whose text
  says what to change; the agent registry's ``run`` maps every exception, so no call escapes unanswered.

Every result then leaves through results.py: cut to ``mcp.resultTokens``, redacted.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import mcp_types as types
from pydantic import ValidationError

from specpilot.agents.tools import Tool, ToolError
from specpilot.agents.tools.base import schema_of
from specpilot.agents.tools.code import ListSymbols, ReadFile
from specpilot.agents.tools.registry import ToolRegistry, problems
from specpilot.agents.tools.search import GraphNeighbours
from specpilot.core.errors import SpecPilotError
from specpilot.mcp_server.results import Outgoing
from specpilot.mcp_server.tools_code import FindSymbol, IndexStatus, McpSearch, ReadSymbol
from specpilot.mcp_server.tools_edit import ChangeSignature, ExtractFunction, Feedback, RenameSymbol
from specpilot.mcp_server.tools_spec import SpecGates, SpecStatus, SpecTrace
from specpilot.mcp_server.workspace import McpWorkspace

log = logging.getLogger("specpilot.mcp")

MAX_ARGUMENT_BYTES = 256 * 1024  # a tool's arguments as JSON; the largest real ones (an extract's) are tiny
USES_INDEX = frozenset({"search_code", "find_symbol", "graph_neighbours", "read_symbol"})
WRITES = frozenset({"rename_symbol", "change_signature", "extract_function"})
RECORDS = frozenset({"feedback"})  # writes the learning store, not the workspace


class InvalidCall(SpecPilotError):
    """A call refused before it runs (unknown tool, bad or oversized arguments): a protocol error."""


def catalogue(workspace: McpWorkspace) -> list[Tool[Any]]:
    return [McpSearch(workspace), FindSymbol(), GraphNeighbours(), ReadSymbol(), ReadFile(), ListSymbols(),
            RenameSymbol(workspace), ChangeSignature(workspace), ExtractFunction(workspace), SpecStatus(workspace),
            SpecGates(workspace), SpecTrace(workspace), IndexStatus(workspace), Feedback(workspace)]


class McpTools:
    def __init__(self, workspace: McpWorkspace) -> None:
        self.workspace = workspace
        self.tools = {tool.name: tool for tool in catalogue(workspace)}

    def definitions(self) -> list[types.Tool]:
        """Each tool with its JSON Schema, its description and hints (read-only or not) for the host."""
        out = []
        for name, tool in self.tools.items():
            read_only = name not in WRITES and name not in RECORDS
            hints = types.ToolAnnotations(read_only_hint=read_only, destructive_hint=False,
                                          idempotent_hint=read_only, open_world_hint=False)
            out.append(types.Tool(name=name, description=tool.description, input_schema=schema_of(tool.args_model),
                                  annotations=hints))
        return out

    def validate(self, name: str, arguments: dict[str, Any] | None) -> tuple[Tool[Any], Any]:
        """The tool and its parsed arguments, or InvalidCall saying what is wrong."""
        tool = self.tools.get(name)
        if tool is None:
            raise InvalidCall(f"there is no tool named {name!r}; the tools are: {', '.join(self.tools)}")
        arguments = arguments or {}
        size = len(json.dumps(arguments, ensure_ascii=False, default=str).encode())
        if size > MAX_ARGUMENT_BYTES:
            raise InvalidCall(f"the arguments of {name} are {size:,} bytes; at most {MAX_ARGUMENT_BYTES:,}")
        try:
            return tool, tool.args_model.model_validate(arguments)
        except ValidationError as exc:
            raise InvalidCall(f"invalid arguments for {name}: {problems(exc)}") from None

    def call(self, name: str, arguments: dict[str, Any] | None) -> Outgoing:
        """Run a call (in a worker thread: engine calls block). InvalidCall for a call refused before it runs;
        anything else is an answer, an error one when the tool failed."""
        tool, args = self.validate(name, arguments)
        if name in USES_INDEX:
            try:
                self.workspace.index()  # waits for the first update; a reader's is opened again when stale
            except ToolError as exc:
                return Outgoing(str(exc), error=True)
            with self.workspace.lock:  # one index call at a time (LanceDB, the embedder)
                observation = ToolRegistry.run(self.workspace.tools, tool, args)
        else:  # files, specs and the learning store: no lock, so they answer while the index is built
            observation = ToolRegistry.run(self.workspace.tools, tool, args)
        data = observation.data if isinstance(observation.data, dict) else {}
        return Outgoing(observation.content, _plain(data), error=not observation.ok)


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as JSON values (a tool's data may hold paths or other objects)."""
    return json.loads(json.dumps(data, default=str))
