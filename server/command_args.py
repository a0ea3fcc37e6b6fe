"""The typed arguments of every ``workspace/executeCommand`` command, and their JSON Schema.

Each command takes at most one argument: an object (``arguments: [{...}]``) whose shape is one class
below, camelCase on the wire. ``COMMANDS`` maps a command to its argument type; ``parse_argument``
checks a call's ``arguments`` against it and ``command_schemas`` publishes the same types as JSON
Schema (``command_schema.json`` next to this module, for the VS Code extension's build; ``specpilot
schema commands``; the ``specpilot/commandSchemas`` request). Validation and schema come from one
pydantic ``TypeAdapter`` per command, so what the schema allows is exactly what the server accepts.
Validation is strict (a ``"5"`` is not a number, a ``1`` is not ``true``) and unknown keys are
refused, so a typo names itself instead of being ignored.

No pygls here: the CLI prints the schema without loading the server.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, dataclass_transform

from pydantic import ConfigDict, Discriminator, Field, Tag, TypeAdapter, ValidationError, with_config
from pydantic.alias_generators import to_camel

from specpilot.ast_tools.structured import EditDocument
from specpilot.core.errors import UsageError

SCHEMA_ID = "https://specpilot.dev/schemas/command-arguments.json"
SCHEMA_PATH = Path(__file__).with_name("command_schema.json")  # the published copy; a test keeps it current
ARGUMENTS = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel, use_attribute_docstrings=True)
C = TypeVar("C")


@dataclass_transform(frozen_default=True)
def arguments(cls: type[C]) -> type[C]:
    """A command's argument object: a frozen dataclass, strict, camelCase, no unknown keys."""
    return with_config(ARGUMENTS)(dataclass(frozen=True)(cls))  # type: ignore[no-any-return]


NonBlank = Annotated[str, Field(pattern=r"\S", description="a non-empty string")]
FileUri = Annotated[str, Field(min_length=1, description="a file: URI")]
LspInteger = Annotated[int, Field(ge=0, lt=2**31)]
SpecName = Annotated[str | None, Field(description="the spec's name; without it, the workspace's only spec")]
FolderUri = Annotated[str | None, Field(description="a file: URI that picks the workspace folder; "
                                                    "without it, the only folder")]


# -- the spec workflow (server/features/spec_commands.py) -------------------------------------------------
@arguments
class SpecNewArgs:
    """Draft a new spec's requirements from an idea."""

    idea: str
    """the idea, in the user's words"""
    title: str | None = None
    profile: str | None = None
    uri: FolderUri = None


@arguments
class SpecClarifyArgs:
    """Ask the spec's open questions, or record answers to them."""

    name: SpecName = None
    answers: dict[str, str] | None = None
    """question IDs to answers, e.g. {"Q1": "only on --force"}"""
    uri: FolderUri = None


@arguments
class SpecDesignArgs:
    """Draft the design from the requirements."""

    name: SpecName = None
    force: bool = False
    """redraft even though the design was edited by hand"""
    uri: FolderUri = None


@arguments
class SpecTasksArgs:
    """Draft the tasks from the design."""

    name: SpecName = None
    force: bool = False
    """redraft even though the tasks were edited by hand"""
    uri: FolderUri = None


@arguments
class SpecReviewArgs:
    """Review the spec against the code."""

    name: SpecName = None
    uri: FolderUri = None


@arguments
class SpecRunTaskArgs:
    """Run the agent on one task; its edit goes to the editor to confirm."""

    task_id: NonBlank
    """the task's ID, e.g. T1"""
    name: SpecName = None
    apply: bool = False
    """tick the task once the editor accepts the edit"""
    uri: FolderUri = None


@arguments
class SpecMarkDoneArgs:
    """Tick or clear a task's checkbox."""

    task_id: NonBlank
    name: SpecName = None
    done: bool = True
    uri: FolderUri = None


# -- the agent (server/features/agent.py) -------------------------------------------------------------------
@arguments
class AgentOfferData:
    """A code action's offer, as the server listed it."""

    kind: Literal["explain", "tests", "implement", "fix"]
    title: str
    path: str
    qualified: str
    line: LspInteger
    diagnostic: str = ""


@arguments
class AgentTaskArgs:
    """Run the agent on a task in words."""

    task: NonBlank
    ask: bool = False
    """read-only: answer, propose no edit"""
    uri: FolderUri = None


@arguments
class AgentOfferArgs:
    """Run the agent on a code action's offer (the arguments the code action carries)."""

    uri: FileUri
    offer: AgentOfferData
    version: int | None = None
    """the document version the action was listed for; a changed document is refused"""
    decision_id: str | None = None
    """the decision the listed action was recorded as (learning on): running it accepts it"""


def _object_with(key: str, present: str, absent: str) -> Callable[[Any], str]:
    return lambda value: present if isinstance(value, dict) and key in value else absent


AgentRunArgs = Annotated[
    Annotated[AgentTaskArgs, Tag("task")] | Annotated[AgentOfferArgs, Tag("offer")],
    Discriminator(_object_with("offer", "offer", "task"))]


def _or_shorthand(model: type, name: str, shorthand: Any) -> Any:
    """``model``'s object, or a bare string (of type ``shorthand``) that stands for its field ``name``."""
    return Annotated[Annotated[shorthand, Tag(name)] | Annotated[model, Tag("object")],
                     Discriminator(lambda value: name if isinstance(value, str) else "object")]


# -- refactorings (server/features/code_actions.py) ----------------------------------------------------------
@arguments
class AddDecoratorArgs:
    """Add a decorator to the function or class at a position (LSP position, the client's encoding)."""

    uri: FileUri
    line: LspInteger
    character: LspInteger
    version: int | None = None
    decorator: str | None = None
    """e.g. "staticmethod"; without it the editor is asked to choose"""


@arguments
class NewParameterArgs:
    name: NonBlank
    default: str = "None"
    """a Python expression"""
    index: int | None = None
    """place among the positional parameters as written (self counts)"""


@arguments
class ChangeSignatureArgs:
    """Change the signature of the function at a position and update its calls."""

    uri: FileUri
    line: LspInteger
    character: LspInteger
    version: int | None = None
    add: list[NewParameterArgs] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    rename: dict[str, str] = field(default_factory=dict)
    """old name to new name"""
    order: list[str] | None = None


# -- search, index, doctor, steering -------------------------------------------------------------------------
@arguments
class SearchFilterArgs:
    path: str | None = None
    """a gitignore-style glob, e.g. "email/**" """
    language: str | None = None
    kind: str | None = None
    """function | method | class | module | window"""


@arguments
class SearchArgs:
    """Hybrid search over the index."""

    query: NonBlank
    k: Annotated[int, Field(ge=1, le=200)] | None = None
    mode: Literal["bm25", "vector", "hybrid", "rerank"] | None = None
    filters: SearchFilterArgs | None = None
    folder: str | None = None
    """a workspace folder URI; without it, every folder"""


SearchCommandArgs = _or_shorthand(SearchArgs, "query", NonBlank)


@arguments
class IndexStatusArgs:
    """Nothing to give: every folder's index status."""


@arguments
class IndexRebuildArgs:
    folder: str | None = None
    """a workspace folder URI; without it, every folder"""


IndexRebuildCommandArgs = _or_shorthand(IndexRebuildArgs, "folder", str)


@arguments
class DoctorArgs:
    repair: bool = False
    """repair what is damaged and index the folder again"""


@arguments
class SteeringInitArgs:
    folder: str | None = None
    """a workspace folder URI (or a file in it)"""
    force: bool = False
    """also replace documents someone edited"""


@dataclass(frozen=True)
class Command:
    """A command's argument type; ``required``: whether ``arguments`` must hold it (else it may be
    left out, meaning the type's defaults)."""

    argument: Any
    required: bool
    adapter: TypeAdapter[Any]


def _command(argument: Any, required: bool) -> Command:
    return Command(argument, required, TypeAdapter(argument))


@arguments
class LearnStatusArgs:
    folder: str | None = None
    """a workspace folder URI (or a file in it) whose settings apply; without it, the first folder"""


@arguments
class LearnResetArgs:
    """Nothing to give: forgets every recorded decision (the editor asks the user first)."""


@arguments
class LearnReportArgs:
    """Write the learning report (PNG plots and a markdown summary); answers ``{markdown, images}``."""

    folder: str | None = None
    """a workspace folder URI (or a file in it) whose settings apply; without it, the first folder"""
    out: str | None = None
    """the folder to write into (a path or a file: URI); without it, the user cache's learning/report"""


@arguments
class LearnSimulateArgs:
    """Run the bandits against simulated users; answers the table of ``specpilot learn simulate --json``."""

    rounds: Annotated[int, Field(ge=1, le=20_000)] = 2000
    """decisions per simulated run"""
    seeds: Annotated[int, Field(ge=1, le=20)] = 5
    """simulated runs per bandit"""
    out: str | None = None
    """the folder to keep the regret plot and table in (a path or a file: URI); without it, the user cache's
    learning/report, where the next report looks"""


# -- prompt playbooks (server/features/prompts.py; rl/playbook_actions.py) ---------------------------------------
Role = Literal["planner", "architect", "coder", "reviewer"]
Version = Annotated[int, Field(ge=1, lt=2**31)]


@arguments
class PromptsRoleArgs:
    """A role's playbook: ``history`` lists its versions, ``curate`` applies the model-free curator's edits."""

    role: Role
    """the role whose playbook it is"""
    folder: FolderUri = None


@arguments
class PromptsVersionArgs:
    """A version of a role's playbook: ``show`` it (default: the one in use), ``rollback`` to it (default: the
    parent), ``approve`` it (required)."""

    role: Role
    """the role whose playbook it is"""
    version: Version | None = None
    """the version"""
    folder: FolderUri = None


@arguments
class PromptsDiffArgs:
    """What changed between two versions of a role's playbook (one: it and its parent; none: the current one)."""

    role: Role
    """the role whose playbook it is"""
    versions: Annotated[list[Version], Field(max_length=2)] = field(default_factory=list)
    """zero, one or two versions"""
    folder: FolderUri = None


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
