"""OpenAI chat completions, and any server that speaks them (vLLM, Ollama, llama.cpp).

Through the official ``openai`` SDK: function tools go out as ``tools``, the
model's ``tool_calls`` come back as ``ToolCall``s with their arguments exactly
as written, and our assistant/tool messages go back in the wire shape the API
expects (assistant ``tool_calls``, ``tool`` messages with ``tool_call_id``).
With ``on_text`` the answer is streamed and tool calls are assembled from their
deltas. The SDK does not retry (``max_retries=0``): ``retry.with_retries`` does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from openai import OpenAI

from specpilot.llm.base import (
    ChatResponse,
    Message,
    ProviderError,
    TextCallback,
    ToolCall,
    ToolSpec,
    Usage,
)
from specpilot.llm.sdk import SDKProvider
from specpilot.llm.settings import ResolvedModel

# o-series and GPT-5 onwards reason before answering: they take max_completion_tokens and no temperature.
_REASONING_MODEL = re.compile(r"^(openai/)?(o\d|gpt-[5-9])")
STOP_REASONS = {"stop": "end", "tool_calls": "tool_calls", "function_call": "tool_calls", "length": "max_tokens"}


def to_wire(message: Message) -> dict[str, Any]:
    """One ``Message`` as a chat-completions message."""
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        return {
            "role": "assistant",
            "content": message.content or None,
            "tool_calls": [{"id": call.id, "type": "function",
                            "function": {"name": call.name, "arguments": call.arguments}}
                           for call in message.tool_calls],
        }
    return {"role": message.role, "content": message.content}


def tool_to_wire(tool: ToolSpec) -> dict[str, Any]:
    return {"type": "function",
            "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters}}


class OpenAIProvider(SDKProvider):
    name = "openai"

    def __init__(self, resolved: ResolvedModel, *, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(resolved, sleep=sleep)
        self._client = OpenAI(api_key=resolved.api_key, base_url=resolved.endpoint, timeout=resolved.timeout_s,
                              max_retries=0)

    def request(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for this turn."""
        resolved = self.resolved
        kwargs: dict[str, Any] = {"model": resolved.model, "messages": [to_wire(m) for m in messages]}
        if tools:
            kwargs["tools"] = [tool_to_wire(tool) for tool in tools]
        reasoning = bool(_REASONING_MODEL.match(resolved.model.lower()))
        # OpenAI's own endpoint wants max_completion_tokens; compatible servers know max_tokens best.
        limit = "max_completion_tokens" if reasoning or not resolved.base_url else "max_tokens"
        kwargs[limit] = resolved.max_tokens
        if not reasoning:
            kwargs["temperature"] = resolved.temperature
        return kwargs

    def _complete(self, kwargs: dict[str, Any]) -> ChatResponse:
        completion = self._answer(self._client.chat.completions.create(**kwargs), "choices")
        if not completion.choices:
            raise ProviderError(self.name, f"the server at {self.resolved.endpoint} returned no answer (no choices)")
        choice = completion.choices[0]
        calls = []
        for index, call in enumerate(choice.message.tool_calls or []):
            function = getattr(call, "function", None)  # custom (non-function) tools are not ours
            if function is not None:
                calls.append(ToolCall(call.id or f"call_{index}", function.name, function.arguments or ""))
        usage = Usage()
        if completion.usage is not None:
            usage = Usage(completion.usage.prompt_tokens or 0, completion.usage.completion_tokens or 0)
        return ChatResponse(text=choice.message.content or "", tool_calls=calls, usage=usage,
                            model=completion.model or self.model, provider=self.name,
                            stop_reason=STOP_REASONS.get(choice.finish_reason or "", "other"))

    def _stream(self, kwargs: dict[str, Any], on_text: TextCallback, shown: list[str]) -> ChatResponse:
        stream = self._client.chat.completions.create(**kwargs, stream=True, stream_options={"include_usage": True})
        calls: dict[int, dict[str, Any]] = {}
        finish, model, usage = "", "", Usage()
        events = 0
        with stream:
            for chunk in stream:
                events += 1
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = Usage(chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0)
                for choice in chunk.choices:
                    if choice.index != 0:
                        continue
                    delta = choice.delta
                    if delta.content:
                        shown.append(delta.content)
                        on_text(delta.content)
                    for position, part in enumerate(delta.tool_calls or []):
                        index = part.index if part.index is not None else position
                        slot = calls.setdefault(index, {"id": "", "name": "", "arguments": []})
                        slot["id"] = part.id or slot["id"]
                        if part.function is not None:
                            slot["name"] = slot["name"] or part.function.name or ""
                            if part.function.arguments:
                                slot["arguments"].append(part.function.arguments)
                    if choice.finish_reason:
                        finish = choice.finish_reason
        if not events:
            raise self._no_events()
        tool_calls = [ToolCall(slot["id"] or f"call_{index}", slot["name"], "".join(slot["arguments"]))
                      for index, slot in sorted(calls.items())]
        return ChatResponse(text="".join(shown), tool_calls=tool_calls, usage=usage, model=model or self.model,
                            provider=self.name, stop_reason=STOP_REASONS.get(finish, "other"))
