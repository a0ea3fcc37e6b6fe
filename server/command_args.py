"""Every ``workspace/executeCommand`` command's argument type, the check of a call against it, and the JSON Schema.

Each command takes at most one argument: an object (``arguments: [{...}]``) whose shape is one class of
server/command_types.py, camelCase on the wire. ``COMMANDS`` maps a command to its argument type;
``parse_argument`` checks a call's ``arguments`` against it and ``command_schemas`` publishes the same types as
JSON Schema (``command_schema.json`` next to this module, for the VS Code extension's build; ``specpilot schema
commands``; the ``specpilot/commandSchemas`` request). Validation and schema come from one pydantic
``TypeAdapter`` per command, so what the schema allows is exactly what the server accepts. Validation is strict
and unknown keys are refused, so a typo names itself instead of being ignored.

No pygls here: the CLI prints the schema without loading the server.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from specpilot.ast_tools.structured import EditDocument
from specpilot.core.errors import UsageError
from specpilot.server.command_types import (
    AddDecoratorArgs,
    AgentRunArgs,
    ChangeSignatureArgs,
    DoctorArgs,
    IndexRebuildCommandArgs,
    IndexStatusArgs,
    LearnReportArgs,
    LearnResetArgs,
    LearnSimulateArgs,
    LearnStatusArgs,
    PromptsDiffArgs,
    PromptsRoleArgs,
    PromptsVersionArgs,
    SearchCommandArgs,
    SpecClarifyArgs,
    SpecDesignArgs,
    SpecMarkDoneArgs,
    SpecNewArgs,
    SpecReviewArgs,
    SpecRunTaskArgs,
    SpecTasksArgs,
    StatsArgs,
    SteeringInitArgs,
)

SCHEMA_ID = "https://specpilot.dev/schemas/command-arguments.json"
SCHEMA_PATH = Path(__file__).with_name("command_schema.json")  # the published copy; a test keeps it current


@dataclass(frozen=True)
class Command:
    """A command's argument type; ``required``: whether ``arguments`` must hold it (else it may be
    left out, meaning the type's defaults)."""

    argument: Any
    required: bool
    adapter: TypeAdapter[Any]


def _command(argument: Any, required: bool) -> Command:
    return Command(argument, required, TypeAdapter(argument))


COMMANDS: dict[str, Command] = {
    "specpilot.spec.new": _command(SpecNewArgs, True),
    "specpilot.spec.clarify": _command(SpecClarifyArgs, False),
    "specpilot.spec.design": _command(SpecDesignArgs, False),
    "specpilot.spec.tasks": _command(SpecTasksArgs, False),
    "specpilot.spec.review": _command(SpecReviewArgs, False),
    "specpilot.spec.runTask": _command(SpecRunTaskArgs, True),
    "specpilot.spec.markDone": _command(SpecMarkDoneArgs, True),
    "specpilot.agent.run": _command(AgentRunArgs, True),
    "specpilot.refactor.addDecorator": _command(AddDecoratorArgs, True),
    "specpilot.refactor.changeSignature": _command(ChangeSignatureArgs, True),
    "specpilot.refactor.apply": _command(EditDocument, True),
    "specpilot.search": _command(SearchCommandArgs, True),
    "specpilot.index.status": _command(IndexStatusArgs, False),
    "specpilot.index.rebuild": _command(IndexRebuildCommandArgs, False),
    "specpilot.doctor": _command(DoctorArgs, False),
    "specpilot.steering.init": _command(SteeringInitArgs, False),
    "specpilot.learn.status": _command(LearnStatusArgs, False),
    "specpilot.prompts.show": _command(PromptsVersionArgs, True),
    "specpilot.prompts.history": _command(PromptsRoleArgs, True),
    "specpilot.prompts.diff": _command(PromptsDiffArgs, True),
    "specpilot.prompts.rollback": _command(PromptsVersionArgs, True),
    "specpilot.prompts.curate": _command(PromptsRoleArgs, True),
    "specpilot.prompts.approve": _command(PromptsVersionArgs, True),
    "specpilot.learn.reset": _command(LearnResetArgs, False),
    "specpilot.learn.report": _command(LearnReportArgs, False),
    "specpilot.learn.simulate": _command(LearnSimulateArgs, False),
    "specpilot.stats": _command(StatsArgs, False),
}


class BadArguments(UsageError, ValueError):
    """A command's arguments do not fit its type; the message names the field and what it must be (the server
    answers it InvalidParams, see server/commands.py)."""


def parse_argument(name: str, given: list[Any] | tuple[Any, ...] | None) -> Any:
    """The typed argument of command ``name`` from its ``arguments`` list (JSON values)."""
    command = COMMANDS[name]
    values = list(given or [])
    if len(values) > 1:
        raise BadArguments(f"{name} takes one argument object, got {len(values)} arguments")
    if not values or (values[0] is None and not command.required):
        if command.required:
            raise BadArguments(f"{name} needs one argument: {summary(name)}")
        values = [{}]
    try:
        return validate(command.adapter, values[0])
    except BadArguments as exc:
        shapes = summary(name)
        if " or " in shapes:  # which shape was meant is a guess: say both
            raise BadArguments(f"{exc} (expected {shapes})") from None
        raise


def validate(adapter: TypeAdapter[Any], value: Any) -> Any:
    """``value`` (JSON data) as ``adapter``'s type, or BadArguments listing what does not fit. The
    value goes through JSON so that strict mode takes objects for dataclasses."""
    try:
        return adapter.validate_json(json.dumps(value))
    except (TypeError, ValueError) as exc:
        if not isinstance(exc, ValidationError):
            raise BadArguments(f"not JSON data: {exc}") from None
        problems = [_problem(error) for error in exc.errors(include_url=False)]
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise BadArguments("; ".join(problems[:3]) + more) from None


TAGS = {"task", "offer", "query", "object", "folder"}


def _problem(error: Any) -> str:
    loc = [part for i, part in enumerate(error["loc"]) if not (i == 0 and part in TAGS)]
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    where = f"'{path}'" if path else "the argument"
    kind, given, context = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "missing":
        return f"{where} is required"
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        return f"{where} is not a known field"
    if kind == "string_pattern_mismatch" and context.get("pattern") == r"\S":
        return f"{where} must be a non-empty string"
    if kind == "literal_error":
        return f"{where} must be one of {context.get('expected')}, got {_shown(given)}"
    wants = {"string_type": "a string", "int_type": "a whole number", "bool_type": "true or false",
             "dict_type": "an object", "list_type": "an array", "dataclass_type": "an object",
             "model_type": "an object", "float_type": "a number", "int_from_float": "a whole number"}
    if kind in wants:
        return f"{where} must be {wants[kind]}, got {_shown(given)}"
    return f"{where}: {error['msg']}" + (f", got {_shown(given)}" if "input" in error else "")


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def summary(name: str) -> str:
    """A one-line shape of a command's argument, e.g. ``{taskId, name?, apply?, uri?}``."""
    schema = COMMANDS[name].adapter.json_schema()
    shapes = []
    for part in schema.get("oneOf") or schema.get("anyOf") or [schema]:
        target = schema.get("$defs", {}).get(str(part.get("$ref", "")).rsplit("/", 1)[-1], part)
        properties = target.get("properties")
        if properties is None:
            shapes.append("a " + str(target.get("type", "value")))
            continue
        required = set(target.get("required", []))
        shapes.append("{" + ", ".join(p if p in required else p + "?" for p in properties) + "}")
    return " or ".join(shapes)


def command_schemas() -> dict[str, Any]:
    """One JSON Schema (2020-12) document: for each command, the schema of its ``arguments`` array."""
    return copy.deepcopy(_built_schemas())  # built once (about 50 ms); callers may change their copy


@cache
def _built_schemas() -> dict[str, Any]:
    mode: Literal["validation"] = "validation"
    keys = [(name, mode, command.adapter) for name, command in COMMANDS.items()]
    by_key, defs = TypeAdapter.json_schemas(keys, ref_template="#/$defs/{model}")
    commands = {}
    for name, command in COMMANDS.items():
        argument = by_key[(name, "validation")]
        if not command.required:  # left out, or null: the defaults
            argument = {"anyOf": [argument, {"type": "null"}]}
        commands[name] = {"type": "array", "prefixItems": [argument], "items": False,
                          "minItems": 1 if command.required else 0, "maxItems": 1,
                          "description": f"arguments of {name}: [{summary(name)}]"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "SpecPilot command arguments", "type": "object",
            "description": "workspace/executeCommand: for each command, the schema of its arguments array",
            "properties": commands, "$defs": defs.get("$defs", {})}


def schema_text() -> str:
    return json.dumps(command_schemas(), indent=2, sort_keys=True) + "\n"
