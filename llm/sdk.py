"""What the SDK-backed providers share: one model turn with retries, streaming and cost.

Every request is redacted here, whole, right before the SDK sends it
(``agents.safety.redact.redact_request``): callers cannot skip it.

A subclass builds the request for its SDK (``request``) and answers it whole
(``_complete``) or streamed (``_stream``, which appends every piece it passes to
``on_text`` to ``shown``: once text has reached the user, a failure is final and
is not retried, so nothing is shown twice).
"""

from __future__ import annotations

import logging
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from specpilot.core.events import emit
from specpilot.llm.base import ChatResponse, Message, Provider, ProviderError, TextCallback, ToolSpec
from specpilot.llm.pricing import estimate_cost
from specpilot.llm.retry import with_retries
from specpilot.llm.safety.redact import Finding, Redaction, redact_request
from specpilot.llm.settings import ResolvedModel

log = logging.getLogger("specpilot.llm")


class SDKProvider(Provider):
    def __init__(self, resolved: ResolvedModel, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.resolved = resolved
        self.model = resolved.model
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.resolved!r})"

    @abstractmethod
    def request(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()) -> dict[str, Any]:
        """The keyword arguments of the SDK's create call for this turn."""

    @abstractmethod
    def _complete(self, kwargs: dict[str, Any]) -> ChatResponse: ...

    @abstractmethod
    def _stream(self, kwargs: dict[str, Any], on_text: TextCallback, shown: list[str]) -> ChatResponse: ...

    def _answer(self, result: Any, field: str) -> Any:
        """``result`` when it is the SDK's parsed answer (it has ``field``); else a :class:`ProviderError`: a server
        (or a proxy) that answered a plain request with a stream or text, which the SDK hands back as a string."""
        if isinstance(result, (str, bytes)) or not hasattr(result, field):
            raise ProviderError(self.name, f"the server at {self.resolved.endpoint} did not answer with a chat "
                                f"completion (it sent {type(result).__name__} instead); check that model.baseUrl "
                                "points at an OpenAI- or Anthropic-compatible API")
        return result

    def _no_events(self) -> ProviderError:
        """A streamed request whose answer held no stream events (the server answered as if not asked to stream)."""
        return ProviderError(self.name, f"the server at {self.resolved.endpoint} sent no stream events (it answered "
                             "without streaming); check that it supports streamed chat completions")

    def chat(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = (), *,
             on_text: TextCallback | None = None) -> ChatResponse:
        # The one redaction pass on what leaves: the SDK's request as built, after every formatting step.
        findings: list[Finding] = []
        kwargs = redact_request(self.request(messages, tools), findings=findings)
        if findings:
            log.info("%s: %s", self.name, Redaction("", tuple(findings)).summary())
        log.debug("%s: %s, %d messages, %d tools, stream=%s", self.name, self.model, len(messages), len(tools),
                  on_text is not None)
        shown: list[str] = []  # text already passed to on_text: once there is some, a failure is final

        def call() -> ChatResponse:
            if on_text is None:
                return self._complete(kwargs)
            return self._stream(kwargs, on_text, shown)

        started = time.perf_counter()
        try:
            response = with_retries(call, provider=self.name, max_retries=self.resolved.max_retries,
                                    sleep=self._sleep, endpoint=self.resolved.endpoint,
                                    timeout_s=self.resolved.timeout_s, secrets=(self.resolved.api_key,),
                                    may_retry=lambda: not shown)
        except ProviderError:
            emit("model_call", provider=self.name, model=self.model, ok=False,
                 ms=round(1000 * (time.perf_counter() - started), 1))
            raise
        usage = response.usage
        usage.cost_usd = estimate_cost(self.model, usage.input_tokens, usage.output_tokens)
        log.debug("%s: %d input + %d output tokens, estimated cost %s", self.name, usage.input_tokens,
                  usage.output_tokens, usage.cost_usd)
        emit("model_call", provider=self.name, model=self.model, ok=True, input_tokens=usage.input_tokens,
             output_tokens=usage.output_tokens, cost_usd=usage.cost_usd,
             ms=round(1000 * (time.perf_counter() - started), 1))
        return response
