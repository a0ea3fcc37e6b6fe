"""Anthropic's messages API on loopback: ``POST /v1/messages``.

Replies are built with ``answer`` (a JSON message with text and ``tool_use``
blocks), ``stream`` (the SSE events message_start, content_block_start / delta /
stop with ``text_delta`` and ``input_json_delta``, message_delta with usage,
message_stop) and ``error`` (the API's error body). Tool calls are ``(id, name,
arguments)``: a JSON text for ``answer``, a list of raw pieces for ``stream``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tests.loopback import LoopbackServer, Reply, failure

MODEL = "claude-sonnet-4-6"


class AnthropicServer(LoopbackServer):
    path = "/v1/messages"
    base_path = ""


def message(text: str = "", tool_calls: Sequence[tuple[str, str, str]] = (), *, stop_reason: str | None = None,
            usage: tuple[int, int] = (12, 7), model: str = MODEL) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content += [{"type": "tool_use", "id": id_, "name": name, "input": json.loads(arguments)}
                for id_, name, arguments in tool_calls]
    return {
        "id": "msg_loopback", "type": "message", "role": "assistant", "model": model, "content": content,
        "stop_reason": stop_reason or ("tool_use" if tool_calls else "end_turn"), "stop_sequence": None,
        "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
    }


def answer(text: str = "", tool_calls: Sequence[tuple[str, str, str]] = (), **kwargs: Any) -> Reply:
    return Reply(body=message(text, tool_calls, **kwargs))


def events(pieces: Sequence[str] = (), tool_calls: Sequence[tuple[str, str, Sequence[str]]] = (), *,
           stop_reason: str | None = None, usage: tuple[int, int] = (12, 7),
           model: str = MODEL) -> list[dict[str, Any]]:
    start = message(model=model, usage=(usage[0], 1))
    start.update(content=[], stop_reason=None)
    out: list[dict[str, Any]] = [{"type": "message_start", "message": start}, {"type": "ping"}]
    index = 0
    if pieces:
        out.append({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}})
        out += [{"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}
                for piece in pieces]
        out.append({"type": "content_block_stop", "index": index})
        index += 1
    for id_, name, arguments in tool_calls:
        out.append({"type": "content_block_start", "index": index,
                    "content_block": {"type": "tool_use", "id": id_, "name": name, "input": {}}})
        out += [{"type": "content_block_delta", "index": index,
                 "delta": {"type": "input_json_delta", "partial_json": piece}} for piece in arguments]
        out.append({"type": "content_block_stop", "index": index})
        index += 1
    out.append({"type": "message_delta",
                "delta": {"stop_reason": stop_reason or ("tool_use" if tool_calls else "end_turn"),
                          "stop_sequence": None},
                "usage": {"output_tokens": usage[1]}})
    out.append({"type": "message_stop"})
    return out


def sse(events: Sequence[dict[str, Any]]) -> list[str]:
    return [f"event: {event['type']}\ndata: {json.dumps(event)}\n\n" for event in events]


def stream(pieces: Sequence[str] = (), tool_calls: Sequence[tuple[str, str, Sequence[str]]] = (),
           **kwargs: Any) -> Reply:
    return Reply(events=sse(events(pieces, tool_calls, **kwargs)))


def error(status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    kinds = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
             404: "not_found_error", 429: "rate_limit_error", 529: "overloaded_error"}
    body = {"type": "error", "error": {"type": code or kinds.get(status, "api_error"), "message": message}}
    return failure(status, body, headers)


def broken_stream(pieces: Sequence[str] = ()) -> Reply:
    """A stream that sends ``pieces`` and then loses its connection mid-body."""
    return Reply(events=sse(events(pieces))[:3 + len(pieces)], cut=True)


def stream_then_error(pieces: Sequence[str], error_type: str, message: str) -> Reply:
    """A stream that sends ``pieces`` and then an ``error`` event (as when the API is overloaded mid-answer)."""
    error = {"type": "error", "error": {"type": error_type, "message": message}}
    return Reply(events=sse(events(pieces))[:3 + len(pieces)] + sse([error]))
