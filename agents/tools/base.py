"""What a tool is, and what it hands back to the model: an ``Observation``.

A tool declares its arguments as a pydantic model; the JSON Schema the model sees
is generated from it, and the registry validates the model's arguments against it
before the tool runs, so ``run`` always receives a well-formed instance. A tool
reports problems the model can act on by raising ``ToolError`` (or the guard's
``SafetyError``, or ast_tools' ``Refusal``): the registry turns each into an
observation with ``ok=False``. Tools never write files: an edit comes back as a
proposed ``EditResult`` for the user to preview and accept.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from specpilot.ast_tools.edits import EditResult
from specpilot.core.errors import SpecPilotError
from specpilot.llm.base import ToolSpec

if TYPE_CHECKING:
    from specpilot.agents.tools.context import ToolContext


class ToolError(SpecPilotError):
    """A request the tool cannot carry out; the message says why, for the model."""


@dataclass(slots=True)
class Observation:
    """A tool's answer. ``content`` is the text the model reads (capped in size, and
    saying how much was cut); ``data`` the structured result for the caller;
    ``proposed_edit`` the edit an editing tool proposes (never written by the tool)."""

    tool: str
    ok: bool
    content: str
    data: Any = None
    proposed_edit: EditResult | None = None


class ToolArgs(BaseModel):
    """Base of the argument models: an unknown argument is an error the model sees
    (a misspelt ``end_lines`` must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


WorkspacePath = Annotated[str, Field(min_length=1, description="workspace-relative path, e.g. 'pkg/module.py'")]

Args = TypeVar("Args", bound=BaseModel)


class Tool(ABC, Generic[Args]):
    """One tool: ``name``, a ``description`` the model can act on, and ``args_model``."""

    name: ClassVar[str]
    description: ClassVar[str]
    args_model: type[Args]

    @abstractmethod
    def run(self, ctx: ToolContext, args: Args) -> Observation:
        """Do the work; raise ToolError (or SafetyError, Refusal) for what the model can fix."""

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, schema_of(self.args_model))

    def ok(self, content: str, data: Any = None, proposed_edit: EditResult | None = None) -> Observation:
        return Observation(self.name, True, content, data, proposed_edit)

    def failed(self, content: str, data: Any = None) -> Observation:
        return Observation(self.name, False, content, data)


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of ``model`` without pydantic's generated titles, which only
    repeat the field names and cost the model tokens."""
    return _drop_titles(model.model_json_schema())


def _drop_titles(node: Any) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                continue
            if key in ("properties", "$defs") and isinstance(value, dict):  # names, not keywords
                out[key] = {name: _drop_titles(sub) for name, sub in value.items()}
            else:
                out[key] = _drop_titles(value)
        return out
    if isinstance(node, list):
        return [_drop_titles(item) for item in node]
    return node


def truncate(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, ending with a note of how much was cut."""
    if limit <= 0 or len(text) <= limit:
        return text
    cut_at = text.rfind("\n", 0, limit)
    if cut_at < limit // 2:  # no line break near the limit: cut mid-line
        cut_at = limit
    kept = text[:cut_at]
    return (f"{kept}\n[... {len(text) - len(kept):,} of {len(text):,} characters cut; "
            f"ask for less (a narrower range, path or query) to see the rest]")
