"""The argument types of the server's ``workspace/executeCommand`` commands: one frozen dataclass per argument
object, strict (a ``"5"`` is not a number, a ``1`` is not ``true``), camelCase on the wire, unknown keys refused.
server/command_args.py maps each command to its type, checks calls against it and publishes the JSON Schema; the
feature modules read the checked values as these classes.

No pygls here: the CLI prints the schema without loading the server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar, dataclass_transform

from pydantic import ConfigDict, Discriminator, Field, Tag, with_config
from pydantic.alias_generators import to_camel

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


@arguments
class StatsArgs:
    """Summarise the event log (core/stats.py); answers ``{summary, markdown, images}``."""

    since_days: Annotated[float, Field(gt=0, le=3650)] | None = None
    """only the last this many days; without it, everything the log keeps"""
    plots: bool = True
    """write the PNG plots and the markdown page (into the user cache's stats/)"""


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
