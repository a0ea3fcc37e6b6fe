"""The spec stages' prompts as messages: what SpecPilot sends its own model, and what another agent's model gets
(the MCP prompts, mcp_server/prompts.py) to run a stage itself.

Each role's prompt is a template of llm/prompts (``spec.planner`` for requirements, ``spec.architect`` for the
design, ``spec.reviewer`` for the review) rendered with the team's steering documents, followed by the stage's
request: the idea, or the documents and code the stage works from, each marked as data (llm/prompt_templates.py
``as_data``). The requests are built here once, for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from specpilot.llm.base import Message
from specpilot.llm.prompt_templates import DEFAULT_VARIANT, PromptLibrary, as_data
from specpilot.spec.documents import Requirements
from specpilot.spec.steering import read_steering

ROLES = {"requirements": "spec.planner", "design": "spec.architect", "review": "spec.reviewer"}


def system_text(template: str, root: Path | None, context_tokens: int, prompts: PromptLibrary | None = None,
                variant: str = DEFAULT_VARIANT) -> str:
    """The role's system prompt with the steering documents of ``root`` (half of ``context_tokens`` at most)."""
    steering = read_steering(root, context_tokens // 2) if root is not None else ""
    prompt = (prompts or PromptLibrary()).load(template, variant)
    return prompt.render({"steering": steering or "(none)"})


def requirements_request(idea: str, profile: str) -> str:
    return f"Profile: {profile}\n\n" + as_data("idea", idea)


def design_query(requirements: Requirements, title: str) -> str:
    """What the design stage searches the code for: the title, the stories and the criteria."""
    return " ".join([requirements.title or title,
                     *(i.text for i in requirements.items if i.kind in ("story", "criterion"))])


def design_request(requirements_text: str, affected: Sequence[tuple[str, str, int]], profile: str) -> str:
    found = "\n".join(f"- `{path}` `{symbol}` (line {line})" for path, symbol, line in affected) or "(nothing)"
    return f"Profile: {profile}\n\n" + as_data("requirements.md", requirements_text) + "\n\n" + \
        as_data("retrieved code", found)


def review_request(requirements_text: str, tasks_text: str, draft: str, code: str) -> str:
    return "\n\n".join([as_data("requirements.md", requirements_text), as_data("tasks.md", tasks_text),
                        as_data("review.md draft", draft), as_data("cited code", code or "(none)")])


def stage_messages(template: str, request: str, *, root: Path | None, context_tokens: int,
                   prompts: PromptLibrary | None = None, variant: str = DEFAULT_VARIANT) -> list[Message]:
    """The system prompt of the role and the stage's request, as a chat."""
    return [Message("system", system_text(template, root, context_tokens, prompts, variant)),
            Message("user", request)]
