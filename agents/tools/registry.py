"""The tool registry: the tools the model sees, and the one door every call goes through.

``call`` never raises. Whatever goes wrong (an unknown tool, arguments that are not
JSON or do not fit the tool's schema, a path the guard refuses, a refactoring that
cannot be done safely, a timeout, a bug) becomes an observation with ``ok=False``
whose message tells the model what to change. Every observation's content is
capped at ``settings.agent.max_output_chars`` and says how much was cut.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from specpilot.agents.safety.paths import SafetyError
from specpilot.agents.tools.base import Observation, Tool, ToolError, truncate
from specpilot.agents.tools.code import FindReferences, ListSymbols, ReadFile
from specpilot.agents.tools.context import ToolContext
from specpilot.agents.tools.edit import ApplyAstEdit, ProposePatch
from specpilot.agents.tools.run import RunLint, RunTests
from specpilot.agents.tools.search import GraphNeighbours, SearchCode
from specpilot.agents.tools.spec import ReadSpec, UpdateSpec
from specpilot.ast_tools.edits import Refusal
from specpilot.llm.base import ToolSpec

log = logging.getLogger("specpilot.agents.tools")

MAX_ERRORS_SHOWN = 8


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool[Any]] = ()) -> None:
        self._tools: dict[str, Tool[Any]] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool[Any]) -> None:
        if tool.name in self._tools:
            raise ValueError(f"a tool named {tool.name!r} is already registered")
        self._tools[tool.name] = tool

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool[Any] | None:
        return self._tools.get(name)

    def specs(self) -> list[ToolSpec]:
        return [tool.spec() for tool in self._tools.values()]

    def call(self, ctx: ToolContext, name: str, arguments_json: str) -> Observation:
        """Validate ``arguments_json`` for tool ``name`` and run it; never raises."""
        observation = self._call(ctx, name, arguments_json)
        observation.content = truncate(observation.content, ctx.settings.agent.max_output_chars)
        return observation

    def _call(self, ctx: ToolContext, name: str, arguments_json: str) -> Observation:
        tool = self._tools.get(name)
        if tool is None:
            return Observation(name, False, f"there is no tool named {name!r}; the tools are: "
                                            f"{', '.join(self._tools)}")
        try:
            arguments = json.loads(arguments_json) if arguments_json and arguments_json.strip() else {}
        except (json.JSONDecodeError, TypeError) as exc:
            return Observation(name, False, f"the arguments for {name} are not valid JSON ({exc}); send one JSON "
                                            f"object, e.g. {_example(tool)}")
        if not isinstance(arguments, dict):
            return Observation(name, False, f"the arguments for {name} must be a JSON object, not "
                                            f"{type(arguments).__name__}; e.g. {_example(tool)}")
        try:
            args = tool.args_model.model_validate(arguments)
        except ValidationError as exc:
            return Observation(name, False, f"invalid arguments for {name}: {problems(exc)}")
        return self.run(ctx, tool, args, arguments_json)

    @staticmethod
    def run(ctx: ToolContext, tool: Tool[Any], args: Any, arguments_json: str = "") -> Observation:
        """Run ``tool`` on arguments already validated against its model; never raises (what goes wrong is an
        observation with ``ok=False``). The MCP server validates first (a bad argument is a protocol error
        there), then runs its tools through here."""
        name = tool.name
        try:
            paths = getattr(args, "paths", None)
            if isinstance(paths, list):  # a command over files: its output may quote secrets bare
                ctx.learn_secrets([str(p) for p in paths])
            return tool.run(ctx, args)
        except SafetyError as exc:
            return Observation(name, False, f"refused: {exc}")
        except (ToolError, Refusal) as exc:
            return Observation(name, False, str(exc))
        except (TimeoutError, subprocess.TimeoutExpired) as exc:
            return Observation(name, False, f"{name} timed out: {exc}")
        except Exception as exc:  # a bug in a tool must not end the run; the log keeps the trace
            log.exception("tool %s failed on %s", name, _short(arguments_json or repr(args)))
            return Observation(name, False, f"{name} failed with an internal error ({type(exc).__name__}: {exc}); "
                                            "try another way, or tell the user")


def problems(exc: ValidationError) -> str:
    """A validation error in words: each field and what is wrong with it (at most 8)."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        message = error["msg"]
        if error["type"] == "missing":
            message = "required but missing"
        elif error["type"] == "extra_forbidden":
            message = "is not an argument of this tool"
        elif "input" in error and error["type"] not in ("missing",):
            message += f" (got {_short(json.dumps(error['input'], default=str))})"
        problems.append(f"{where}: {message}")
    more = len(problems) - MAX_ERRORS_SHOWN
    return "; ".join(problems[:MAX_ERRORS_SHOWN]) + (f"; and {more} more" if more > 0 else "")


def _example(tool: Tool[Any]) -> str:
    required = tool.args_model.model_json_schema().get("required", [])
    return "{" + ", ".join(f'"{field}": ...' for field in required) + "}"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def default_registry() -> ToolRegistry:
    """Every tool the agent has."""
    return ToolRegistry([SearchCode(), ReadFile(), ListSymbols(), FindReferences(), GraphNeighbours(),
                         ApplyAstEdit(), ProposePatch(), RunTests(), RunLint(), ReadSpec(), UpdateSpec()])
