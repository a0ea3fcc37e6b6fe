"""What leaves the MCP server: every tool result, resource and prompt passes through here.

Two rules hold for all of them, at this one place:

- **Redaction**: the exact text that goes out (and every string of the structured part) goes through the one
  redaction pass (llm/safety/redaction.py), as a prompt to a remote model does. A host agent is a remote model's
  client: what SpecPilot hands it may reach that model.
- **Size**: a result is cut to ``mcp.resultTokens`` (tokens estimated at 4 characters each) and says what was cut
  and how to ask for less; nothing is cut silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mcp_types as types

from specpilot.agents.tools.base import truncate
from specpilot.llm.safety.redaction import Finding, redact, redact_json

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Tokens of ``text`` as the size budget counts them (4 characters each, rounded up)."""
    return -(-len(text) // CHARS_PER_TOKEN)


@dataclass
class Outgoing:
    """One answer on its way out: the text the host's model reads and a small structured part for programs."""

    text: str
    data: dict[str, Any] = field(default_factory=dict)
    error: bool = False


def prepare(answer: Outgoing, budget_tokens: int) -> tuple[str, dict[str, Any], list[Finding]]:
    """``answer``'s text cut to the budget, then redacted, and its data redacted; with what redaction found.
    Redaction runs on the cut text: the exact text that leaves."""
    limit = budget_tokens * CHARS_PER_TOKEN
    text = truncate(answer.text, limit)
    cut = len(text) != len(answer.text)
    redacted = redact(text)
    found = list(redacted.findings)
    data = redact_json(answer.data, found) if answer.data else {}
    if cut:
        data = {**data, "truncated": True, "fullTokens": estimate_tokens(answer.text)}
    return redacted.text, data, found


def tool_result(answer: Outgoing, budget_tokens: int) -> types.CallToolResult:
    text, data, _ = prepare(answer, budget_tokens)
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)],
                                structured_content=data or None, is_error=answer.error)


def safe_text(text: str, budget_tokens: int | None = None) -> str:
    """A resource's or prompt's text as it may leave: cut to ``budget_tokens`` when given, redacted."""
    if budget_tokens is not None:
        text = truncate(text, budget_tokens * CHARS_PER_TOKEN)
    return redact(text).text
