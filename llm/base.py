"""The one chat interface every provider implements, and the types it speaks.

A conversation is a list of ``Message``s; the model may answer with text, with
tool calls, or both. Tool calls carry the arguments exactly as the model wrote
them (a JSON string): the tool registry validates them, so malformed arguments
become an observation for the model, never an exception.

Providers raise ``ProviderError`` for every failure the user should see (auth,
rate limit after retries, timeout, unreachable server), naming the provider and
the HTTP status when there is one. No LSP types here: the CLI, the server and
the tests use this module alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from specpilot.core.errors import SpecPilotError

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as the model sees it: name, description, JSON Schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text as the model produced it; may be malformed


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()  # assistant messages
    tool_call_id: str | None = None  # tool messages: the call this answers
    name: str | None = None  # tool messages: the tool's name


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None  # estimated from a price table; None when the model is unknown

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        if other.cost_usd is not None:
            self.cost_usd = (self.cost_usd or 0.0) + other.cost_usd


@dataclass(slots=True)
class ChatResponse:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    provider: str = ""
    stop_reason: str = ""  # end | tool_calls | max_tokens | other (provider words mapped)


class ProviderError(SpecPilotError):
    """A model call that failed; ``str()`` is the message for the user."""

    def __init__(self, provider: str, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        where = f"{provider}" + (f" (HTTP {status})" if status is not None else "")
        super().__init__(f"{where}: {message}")
        self.provider, self.status, self.retryable = provider, status, retryable


TextCallback = Callable[[str], None]


class Provider(ABC):
    """A chat model. ``offline`` is True for the provider that runs without a model."""

    name: str = ""
    offline: bool = False

    @abstractmethod
    def chat(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = (), *,
             on_text: TextCallback | None = None) -> ChatResponse:
        """One model turn. With ``on_text`` the answer is streamed and each piece of text
        is passed to it as it arrives; the full response is returned either way."""
