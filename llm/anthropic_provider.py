"""Anthropic's messages API with native tool use.

Through the official ``anthropic`` SDK: system messages become the ``system``
parameter, tools go out with an ``input_schema``, the model's ``tool_use``
blocks come back as ``ToolCall``s, and our tool results go back as
``tool_result`` blocks -- consecutive results merged into one user message, as
the API requires. With ``on_text`` the raw event stream is read
(``messages.create(stream=True)``) rather than the SDK's ``messages.stream``
helper: the helper parses tool input as it arrives and raises on malformed JSON,
while the tool registry must see such arguments untouched and answer the model.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from anthropic import Anthropic

from specpilot.llm.base import ChatResponse, Message, TextCallback, ToolCall, ToolSpec, Usage
from specpilot.llm.sdk import SDKProvider
from specpilot.llm.settings import ResolvedModel

STOP_REASONS = {"end_turn": "end", "stop_sequence": "end", "tool_use": "tool_calls", "max_tokens": "max_tokens"}


def tool_input(arguments: str) -> dict[str, Any]:
    """A tool call's arguments as the object ``tool_use.input`` must be; malformed ones as ``{}``
    (the tool's result already told the model what was wrong with them)."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def to_wire(messages: Sequence[Message]) -> tuple[str, list[dict[str, Any]]]:
    """(system prompt, messages) for the messages API."""
    system: list[str] = []
    wire: list[dict[str, Any]] = []
    for message in messages:
        blocks: list[dict[str, Any]]
        if message.role == "system":
            system.append(message.content)
            continue
        if message.role == "tool":
            role = "user"
            blocks = [{"type": "tool_result", "tool_use_id": message.tool_call_id or "", "content": message.content}]
        else:
            role = message.role
            blocks = [{"type": "text", "text": message.content}] if message.content else []
            blocks += [{"type": "tool_use", "id": call.id, "name": call.name, "input": tool_input(call.arguments)}
                       for call in message.tool_calls]
        if not blocks:
            continue  # the API refuses empty messages
        if wire and wire[-1]["role"] == role:
            wire[-1]["content"].extend(blocks)
        else:
            wire.append({"role": role, "content": blocks})
    return "\n\n".join(part for part in system if part), wire


def tool_to_wire(tool: ToolSpec) -> dict[str, Any]:
    return {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}


INPUT_COUNTS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def _input_counts(usage: Any, counts: dict[str, int] | None = None) -> dict[str, int]:
    """Fresh and cached input counts, updated with those ``usage`` gives (a stream's
    message_delta repeats only some of them, as running totals)."""
    counts = dict(counts or {})
    for name in INPUT_COUNTS:
        value = getattr(usage, name, None)
        if value is not None:
            counts[name] = value
    return counts


def _input_tokens(usage: Any) -> int:
    """Fresh plus cached input: all of it counts against the budget."""
    return sum(_input_counts(usage).values())


class AnthropicProvider(SDKProvider):
    name = "anthropic"

    def __init__(self, resolved: ResolvedModel, *, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(resolved, sleep=sleep)
        self._client = Anthropic(api_key=resolved.api_key, base_url=resolved.endpoint, timeout=resolved.timeout_s,
                                 max_retries=0)

    def request(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()) -> dict[str, Any]:
        """The keyword arguments of ``messages.create`` for this turn."""
        system, wire = to_wire(messages)
        kwargs: dict[str, Any] = {"model": self.model, "max_tokens": self.resolved.max_tokens, "messages": wire}
        if system:
            kwargs["system"] = system
        if tools:
            kwargs["tools"] = [tool_to_wire(tool) for tool in tools]
        return kwargs

    def _complete(self, kwargs: dict[str, Any]) -> ChatResponse:
        message = self._answer(self._client.messages.create(**kwargs), "content")
        texts, calls = [], []
        for block in message.content:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use":
                calls.append(ToolCall(block.id, block.name, json.dumps(block.input)))
        usage = Usage(_input_tokens(message.usage), message.usage.output_tokens or 0)
        return ChatResponse(text="".join(texts), tool_calls=calls, usage=usage, model=message.model or self.model,
                            provider=self.name, stop_reason=STOP_REASONS.get(message.stop_reason or "", "other"))

    def _stream(self, kwargs: dict[str, Any], on_text: TextCallback, shown: list[str]) -> ChatResponse:
        stream = self._client.messages.create(**kwargs, stream=True)
        tools: dict[int, dict[str, Any]] = {}
        model, stop, output_tokens = "", "", 0
        inputs: dict[str, int] = {}
        events = 0
        with stream:
            for event in stream:
                events += 1
                if event.type == "message_start":
                    model = event.message.model
                    inputs = _input_counts(event.message.usage)
                    output_tokens = event.message.usage.output_tokens or 0
                elif event.type == "content_block_start" and event.content_block.type == "tool_use":
                    block = event.content_block
                    tools[event.index] = {"id": block.id, "name": block.name, "start": block.input, "json": []}
                elif event.type == "content_block_delta":
                    if event.delta.type == "text_delta" and event.delta.text:
                        shown.append(event.delta.text)
                        on_text(event.delta.text)
                    elif event.delta.type == "input_json_delta" and event.index in tools:
                        tools[event.index]["json"].append(event.delta.partial_json)
                elif event.type == "message_delta":
                    stop = event.delta.stop_reason or stop
                    output_tokens = event.usage.output_tokens  # running totals, not increments
                    inputs = _input_counts(event.usage, inputs)
        if not events:
            raise self._no_events()
        calls = [ToolCall(slot["id"], slot["name"], _arguments("".join(slot["json"]), slot["start"]))
                 for _, slot in sorted(tools.items())]
        return ChatResponse(text="".join(shown), tool_calls=calls, usage=Usage(sum(inputs.values()), output_tokens),
                            model=model or self.model, provider=self.name, stop_reason=STOP_REASONS.get(stop, "other"))


def _arguments(streamed: str, start: object) -> str:
    """Streamed tool input in the same form as a non-streamed answer's; malformed JSON untouched."""
    if not streamed.strip():
        return json.dumps(start if isinstance(start, dict) else {})
    try:
        return json.dumps(json.loads(streamed))
    except json.JSONDecodeError:
        return streamed
