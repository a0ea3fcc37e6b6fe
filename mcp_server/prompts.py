"""The MCP prompts: each spec stage's prompt, for a host agent to run the stage with its own model.

``spec_requirements`` (an idea), ``spec_design`` and ``spec_review`` (a spec) answer the messages SpecPilot's
own author would send (spec/stage_prompts.py): the role's instructions with the steering documents, then the
request with the documents and code it works from. MCP prompts carry no system role, so the instructions come
as the first user message. The host's model answers with the document; saving it where the stage would
(``.specpilot/specs/<spec>/<document>.md``) and running ``spec_gates`` checks it as SpecPilot's own drafts are.
``spec_implement`` (a task) is what SpecPilot's agent is asked for one task (spec/implementation.py
``task_prompt``); the host's agent brings its own instructions and tools. The tasks stage has no prompt:
SpecPilot drafts tasks.md from the requirements without a model.
"""

from __future__ import annotations

from typing import Any

import mcp_types as types

from specpilot.core.errors import SpecPilotError
from specpilot.llm.base import Message
from specpilot.mcp_server.workspace import McpWorkspace

PROFILES = ("default", "ml")


class PromptProblem(SpecPilotError):
    """A prompt that cannot be built from these arguments; the message says why."""


def listing() -> list[types.Prompt]:
    spec = types.PromptArgument(name="spec", description="the spec's folder, slug or number (default: the spec "
                                                         "changed last)", required=False)
    return [
        types.Prompt(name="spec_requirements", title="Spec: requirements from an idea",
                     description="Write requirements.md (user stories, EARS acceptance criteria with clarity "
                                 "scores, open questions) for an idea, as SpecPilot's planner does.",
                     arguments=[types.PromptArgument(name="idea", description="the feature, in a few sentences",
                                                     required=True),
                                types.PromptArgument(name="profile", description="default, or ml for training or "
                                                                                 "evaluating a model",
                                                     required=False)]),
        types.Prompt(name="spec_design", title="Spec: design from requirements",
                     description="Write design.md for a spec: candidates compared, a choice, the affected code "
                                 "(found in the workspace's index), as SpecPilot's architect does.",
                     arguments=[spec]),
        types.Prompt(name="spec_implement", title="Spec: implement one task",
                     description="Do one task of a spec's tasks.md: the task, its inputs, outputs and acceptance "
                                 "test and the requirements it cites, as SpecPilot's agent is asked; cite them in "
                                 "the code with `# Requirements: R1.2` so spec_trace finds it.",
                     arguments=[types.PromptArgument(name="task", description="the task's id, e.g. T2",
                                                     required=True), spec]),
        types.Prompt(name="spec_review", title="Spec: review the implementation",
                     description="Judge whether the code cited for each requirement does what it says, given the "
                                 "review.md SpecPilot wrote (`specpilot spec review`), as its reviewer does.",
                     arguments=[spec]),
    ]


def messages(workspace: McpWorkspace, name: str, arguments: dict[str, str] | None) -> tuple[str, list[Message]]:
    """(description, messages) of the prompt ``name``; PromptProblem when it cannot be built."""
    from specpilot.spec.stage_prompts import ROLES, stage_messages

    arguments = dict(arguments or {})
    tokens = workspace.settings.agent.context_tokens
    if name == "spec_requirements":
        idea = (arguments.get("idea") or "").strip()
        if not idea:
            raise PromptProblem("spec_requirements needs the argument idea: the feature, in a few sentences")
        profile = (arguments.get("profile") or "default").strip()
        if profile not in PROFILES:
            raise PromptProblem(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
        from specpilot.spec.stage_prompts import requirements_request

        request = requirements_request(idea, profile)
        return "requirements.md for an idea", stage_messages(ROLES["requirements"], request, root=workspace.root,
                                                             context_tokens=tokens)
    if name == "spec_design":
        request = _design_request(workspace, arguments.get("spec"))
        return "design.md for a spec", stage_messages(ROLES["design"], request, root=workspace.root,
                                                      context_tokens=tokens)
    if name == "spec_implement":
        return "one task of a spec", [Message("user", _task_request(workspace, arguments.get("spec"),
                                                                    arguments.get("task")))]
    if name == "spec_review":
        request = _review_request(workspace, arguments.get("spec"))
        return "the reviewer's verdict on a spec", stage_messages(ROLES["review"], request, root=workspace.root,
                                                                  context_tokens=tokens)
    raise PromptProblem(f"there is no prompt named {name!r}; the prompts are: "
                        + ", ".join(p.name for p in listing()))


def _spec(workspace: McpWorkspace, spec: str | None) -> Any:
    from specpilot.spec.store import SpecError

    try:
        return workspace.project.specs.resolve(spec or None)
    except SpecError as exc:
        raise PromptProblem(str(exc)) from None


def _design_request(workspace: McpWorkspace, spec: str | None) -> str:
    from specpilot.agents.tools import ToolError
    from specpilot.spec.documents import parse_requirements
    from specpilot.spec.stage_prompts import design_query, design_request

    info = _spec(workspace, spec)
    text = workspace.project.specs.read(info, "requirements")
    model, _ = parse_requirements(text)
    try:
        workspace.index()
        with workspace.lock:
            affected = workspace.project.retrieve(design_query(model, info.title), 8)
    except ToolError as exc:
        raise PromptProblem(f"the affected code cannot be found yet: {exc}") from None
    profile = str(model.front.get("profile", "default") or "default")
    return design_request(text, affected, profile)


def _task_request(workspace: McpWorkspace, spec: str | None, task_id: str | None) -> str:
    from specpilot.spec.documents import parse_requirements, parse_tasks
    from specpilot.spec.implementation import task_prompt

    if not (task_id or "").strip():
        raise PromptProblem("spec_implement needs the argument task: the task's id, e.g. T2")
    info = _spec(workspace, spec)
    store = workspace.project.specs
    if not store.has(info, "tasks"):
        raise PromptProblem(f"{info.name} has no tasks.md yet: `specpilot spec tasks {info.name}` writes it")
    tasks, _ = parse_tasks(store.read(info, "tasks"))
    task = next((t for t in tasks.tasks if t.id.upper() == str(task_id).strip().upper()), None)
    if task is None:
        raise PromptProblem(f"{info.name} has no task {task_id!r} (its tasks: "
                            f"{', '.join(t.id for t in tasks.tasks) or 'none'})")
    requirements, _ = parse_requirements(store.read(info, "requirements"))
    return task_prompt(info.name, task, requirements, several_specs=len(store.list()) > 1)


def _review_request(workspace: McpWorkspace, spec: str | None) -> str:
    from specpilot.spec.lookup import load
    from specpilot.spec.review_report import excerpts
    from specpilot.spec.stage_prompts import review_request

    info = _spec(workspace, spec)
    store = workspace.project.specs
    if not store.has(info, "review"):
        raise PromptProblem(f"{info.name} has no review.md yet: `specpilot spec review {info.name}` writes the "
                            "traceability matrix the reviewer judges")
    catalog = load(workspace.root, settings=workspace.settings)
    docs = catalog.spec(info.name)
    items = docs.requirements.items if docs is not None else []
    cited = list({(c.path, c.line): c for item in items for c in catalog.citing(item.id, info.name)}.values())
    tasks = store.read(info, "tasks") if store.has(info, "tasks") else "(no tasks.md)"
    return review_request(store.read(info, "requirements"), tasks, store.read(info, "review"),
                          excerpts(workspace.root, cited))


def as_mcp(description: str, chat: list[Message], clean: Any) -> types.GetPromptResult:
    """The chat as MCP prompt messages (the system text as the first user message), each text through
    ``clean`` (results.py: redaction)."""
    out = [types.PromptMessage(role="assistant" if m.role == "assistant" else "user",
                               content=types.TextContent(type="text", text=clean(m.content or "")))
           for m in chat]
    return types.GetPromptResult(description=description, messages=out)
