"""OpenAI chat completions on loopback: ``POST /v1/chat/completions``.

Replies are built with ``answer`` (a JSON completion), ``stream`` (SSE chunks:
text deltas, tool-call deltas, a usage chunk, ``data: [DONE]``) and ``error``
(the API's error body). Tool calls are ``(id, name, arguments)``; for ``stream``
the arguments are a list of pieces, sent as separate deltas.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tests.loopback import LoopbackServer, Reply, failure

MODEL = "gpt-4.1-mini"


class OpenAIServer(LoopbackServer):
    path = "/v1/chat/completions"
    base_path = "/v1"


def _usage(usage: tuple[int, int]) -> dict[str, int]:
    return {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}


def completion(text: str | None = "", tool_calls: Sequence[tuple[str, str, str]] = (), *,
               finish_reason: str | None = None, usage: tuple[int, int] = (12, 7),
               model: str = MODEL) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if tool_calls:
        message["tool_calls"] = [{"id": id_, "type": "function", "function": {"name": name, "arguments": arguments}}
                                 for id_, name, arguments in tool_calls]
    return {
        "id": "chatcmpl-loopback", "object": "chat.completion", "created": 1_700_000_000, "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": finish_reason or ("tool_calls" if tool_calls else "stop")}],
        "usage": _usage(usage),
    }


def answer(text: str = "", tool_calls: Sequence[tuple[str, str, str]] = (), **kwargs: Any) -> Reply:
    return Reply(body=completion(text, tool_calls, **kwargs))


def chunks(pieces: Sequence[str] = (), tool_calls: Sequence[tuple[str, str, Sequence[str]]] = (), *,
           finish_reason: str | None = None, usage: tuple[int, int] | None = (12, 7),
           model: str = MODEL) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-loopback", "object": "chat.completion.chunk", "created": 1_700_000_000,
                "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": piece}) for piece in pieces]
    for index, (id_, name, arguments) in enumerate(tool_calls):
        out.append(chunk({"tool_calls": [{"index": index, "id": id_, "type": "function",
                                          "function": {"name": name, "arguments": ""}}]}))
        out += [chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}) for piece in arguments]
    out.append(chunk({}, finish_reason or ("tool_calls" if tool_calls else "stop")))
    if usage is not None:
        out.append({"id": "chatcmpl-loopback", "object": "chat.completion.chunk", "created": 1_700_000_000,
                    "model": model, "choices": [], "usage": _usage(usage)})
    return out


def sse(events: Sequence[dict[str, Any]]) -> list[str]:
    return [f"data: {json.dumps(event)}\n\n" for event in events] + ["data: [DONE]\n\n"]


def stream(pieces: Sequence[str] = (), tool_calls: Sequence[tuple[str, str, Sequence[str]]] = (),
           **kwargs: Any) -> Reply:
    return Reply(events=sse(chunks(pieces, tool_calls, **kwargs)))


def error(status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    kinds = {400: "invalid_request_error", 401: "invalid_request_error", 429: "rate_limit_exceeded"}
    body = {"error": {"message": message, "type": kinds.get(status, "server_error"), "param": None, "code": code}}
    return failure(status, body, headers)


def broken_stream(pieces: Sequence[str] = ()) -> Reply:
    """A stream that sends ``pieces`` and then loses its connection mid-body."""
    return Reply(events=sse(chunks(pieces))[:1 + len(pieces)], cut=True)
