"""``specpilot mcp``: the Model Context Protocol server, on the official SDK's low-level ``Server``.

The handlers are thin: tools (tools.py), resources (resources.py) and prompts (prompts.py) answer from the
engine; every answer leaves through results.py (cut to size, redacted). Engine work runs in worker threads, so a
slow index never stops the server from reading the next request; every request gets an answer:

- refused before it runs (unknown tool, arguments that do not fit the schema or are too large, an unknown
  resource or prompt): a JSON-RPC error (``-32602``, or ``-32002`` for a resource), naming what is wrong;
- failed while it ran: a tool result with ``isError: true`` saying why; an unexpected fault is logged with its
  trace and answered the same way, in one line.

Transports: stdio (the default; what a host that starts the server uses) and streamable HTTP on a loopback
address only, behind a bearer token (``http_transport.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import mcp_types as types
from mcp import MCPError
from mcp.server import Server

from specpilot import __version__
from specpilot.mcp_server import prompts, resources
from specpilot.mcp_server.results import Outgoing, safe_text, tool_result
from specpilot.mcp_server.tools import InvalidCall, McpTools
from specpilot.mcp_server.workspace import McpWorkspace

log = logging.getLogger("specpilot.mcp")
T = TypeVar("T")

INSTRUCTIONS = (
    "SpecPilot indexes this workspace (tree-sitter, embeddings, a symbol graph) and refactors Python through its "
    "syntax tree. Prefer search_code and find_symbol over grepping, read_symbol over reading whole files, and "
    "rename_symbol / change_signature / extract_function over hand edits: they answer a diff, and write only "
    "with apply=true. Specs live in .specpilot/specs/ (spec_status, spec_gates, spec_trace; the documents are "
    "resources). Report what you did with a search's or an edit's decision_id through feedback.")


async def _in_thread(fn: Callable[..., T], *args: Any) -> T:
    return await anyio.to_thread.run_sync(fn, *args)


def build_server(workspace: McpWorkspace) -> Server[Any]:
    """The MCP server of ``workspace`` (its handlers; no transport)."""
    tools = McpTools(workspace)
    budget = workspace.settings.mcp.result_tokens

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools.definitions())

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            answer = await _in_thread(tools.call, params.name, params.arguments)
        except InvalidCall as exc:
            raise MCPError(types.INVALID_PARAMS, str(exc)) from None
        except Exception as exc:  # a bug must not cost the host its answer
            log.exception("tool %s failed", params.name)
            answer = Outgoing(f"{params.name} failed with an internal error ({type(exc).__name__}: {exc}); "
                              "try another way", error=True)
        return tool_result(answer, budget)

    async def list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=await _in_thread(resources.listing, workspace.tools))

    async def list_templates(ctx: Any, params: Any) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=resources.templates())

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        try:
            text = await _in_thread(resources.read, workspace.tools, uri)
        except resources.UnknownResource as exc:
            raise MCPError(resources.RESOURCE_NOT_FOUND, str(exc)) from None
        return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, mime_type=resources.MARKDOWN,
                                                                             text=safe_text(text))])

    async def list_prompts(ctx: Any, params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=prompts.listing())

    async def get_prompt(ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        try:
            description, chat = await _in_thread(prompts.messages, workspace, params.name, params.arguments)
        except prompts.PromptProblem as exc:
            raise MCPError(types.INVALID_PARAMS, str(exc)) from None
        return prompts.as_mcp(description, chat, safe_text)

    return Server("specpilot", version=__version__, title="SpecPilot", instructions=INSTRUCTIONS,
                  on_list_tools=list_tools, on_call_tool=call_tool, on_list_resources=list_resources,
                  on_list_resource_templates=list_templates, on_read_resource=read_resource,
                  on_list_prompts=list_prompts, on_get_prompt=get_prompt)


async def serve_stdio(workspace: McpWorkspace) -> None:
    """Serve over this process's stdin and stdout until the host closes stdin."""
    from mcp.server.stdio import stdio_server

    server = build_server(workspace)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
