"""Typed commands: ``typed_command`` registers a handler that takes its argument as the class
server/command_args.py names for the command, and ``specpilot/commandSchemas`` publishes those classes.

Arguments that do not fit answer InvalidParams (-32602) naming the field and what it must be, e.g.
``invalid arguments for specpilot.spec.markDone: 'done' must be true or false, got "yes"``; the handler
only ever sees a valid argument. Refusals about the workspace (no such spec, a gate that fails) stay
the handler's own RequestFailed answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pygls.exceptions import JsonRpcInvalidParams

from specpilot.server.app import SpecPilotServer
from specpilot.server.command_args import COMMANDS, BadArguments, command_schemas, parse_argument
from specpilot.server.lsp_utils import plain

SCHEMAS_REQUEST = "specpilot/commandSchemas"
A = TypeVar("A")
R = TypeVar("R")
Handler = Callable[[SpecPilotServer, A], Awaitable[R]]


def typed_command(server: SpecPilotServer, name: str) -> Callable[[Handler[A, R]], Handler[A, R]]:
    """Register ``handler(ls, argument)`` as command ``name``; ``argument`` is already checked
    against COMMANDS[name] (a command without an entry there is a programming error)."""
    if name not in COMMANDS:
        raise KeyError(f"{name} has no argument type in server/command_args.py COMMANDS")

    def decorator(handler: Handler[A, R]) -> Handler[A, R]:
        async def command(ls: SpecPilotServer, *arguments: Any) -> R:
            try:
                argument = parse_argument(name, plain(list(arguments)))
            except BadArguments as exc:
                raise JsonRpcInvalidParams(f"invalid arguments for {name}: {exc}") from None
            return await handler(ls, argument)

        command.__name__ = command.__qualname__ = handler.__name__
        command.__doc__ = handler.__doc__
        server.command(name)(command)
        return handler

    return decorator


def register(server: SpecPilotServer) -> None:
    @server.feature(SCHEMAS_REQUEST)
    def command_schemas_request(ls: SpecPilotServer, params: Any) -> dict[str, Any]:
        """The JSON Schema of every command's arguments (server/command_args.py)."""
        return command_schemas()
