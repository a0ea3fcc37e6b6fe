"""Redaction of what the agent sends: messages, tool-call arguments and whole wire requests.

The detector itself is ``specpilot.llm.safety.redaction`` (one pass, used by everything that
sends or writes text). Here it is applied to the agent's message types; the
providers apply :func:`redact_request` to the exact request they hand their SDK,
after every formatting step, so no caller can forget it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from specpilot.llm.base import Message, ToolCall
from specpilot.llm.safety.assigned_secrets import entropy  # noqa: F401 - re-exported with the detector's names
from specpilot.llm.safety.redaction import (  # noqa: F401 - re-exported: the detector's public names
    PLACEHOLDER,
    Finding,
    Redaction,
    redact,
    redact_json,
)


def redact_request(kwargs: dict[str, Any], *, findings: list[Finding] | None = None) -> dict[str, Any]:
    """The keyword arguments of an SDK call with every string in them redacted (messages, system
    prompt, tool results, tool-call arguments as JSON text, tool descriptions). This is the text
    that leaves: nothing is formatted after it but the SDK's JSON encoding."""
    found = findings if findings is not None else []
    cleaned: dict[str, Any] = redact_json(kwargs, found, json_text=True)
    return cleaned


def redact_messages(messages: Sequence[Message], *, findings: list[Finding] | None = None) -> list[Message]:
    """New messages with secrets redacted from their text and their tool-call arguments
    (unchanged messages are returned as they are). When ``findings`` is given, what was
    replaced is appended to it."""
    found = findings if findings is not None else []
    cleaned: list[Message] = []
    for message in messages:
        content = redact(message.content)
        found.extend(content.findings)
        calls = tuple(_redact_call(call, found) for call in message.tool_calls)
        if content.findings or any(new is not old for new, old in zip(calls, message.tool_calls)):
            message = replace(message, content=content.text, tool_calls=calls)
        cleaned.append(message)
    return cleaned


def _redact_call(call: ToolCall, found: list[Finding]) -> ToolCall:
    """Arguments are JSON: the detector's JSON walk redacts their string values one by one, so
    escaping cannot hide a secret and a placeholder cannot break the JSON; text that is not a
    JSON object or array is redacted as text."""
    before = len(found)
    cleaned = redact_json(call.arguments, found, json_text=True)
    return call if len(found) == before else replace(call, arguments=cleaned)
