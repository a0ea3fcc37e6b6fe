"""Retries for model calls, and the messages the user sees when a call fails.

The SDK clients are built with ``max_retries=0``: retrying here keeps one policy
for every provider and lets tests inject ``sleep``. Rate limits (429), server
errors (5xx), timeouts and dropped connections are retried with exponential
backoff plus jitter; a ``retry-after`` header is honoured, capped so a call
never hangs for an hour. A request the server refused on its merits (400, 401,
403, 404, an exhausted quota) is not retried: the answer would be the same.

Every final failure becomes a ``ProviderError`` whose text names the provider,
the HTTP status when there is one, and what the user can do. Server messages are
quoted with anything that looks like an API key removed: the key must never
reach a message or a log.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import anthropic
import httpx2
import openai

from specpilot.llm.base import ProviderError
from specpilot.llm.settings import KEY_VARIABLES

log = logging.getLogger("specpilot.llm")

T = TypeVar("T")

MAX_BACKOFF_S = 20.0
RETRY_AFTER_CAP_S = 60.0
DETAIL_CHARS = 300

STATUS_ERRORS = (openai.APIStatusError, anthropic.APIStatusError)
TIMEOUT_ERRORS = (openai.APITimeoutError, anthropic.APITimeoutError, httpx2.TimeoutException)
CONNECTION_ERRORS = (openai.APIConnectionError, anthropic.APIConnectionError, httpx2.TransportError)
OTHER_SDK_ERRORS = (openai.OpenAIError, anthropic.AnthropicError)
BROKEN_OFF_ERRORS = (httpx2.RemoteProtocolError, httpx2.ReadError)  # the server answered, then the body broke off
SDK_ERRORS = STATUS_ERRORS + TIMEOUT_ERRORS + CONNECTION_ERRORS + OTHER_SDK_ERRORS

_KEY_LIKE = re.compile(r"\bsk-[A-Za-z0-9_*\-.]{4,}")  # OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-) keys


@dataclass(frozen=True, slots=True)
class Failure:
    """What went wrong with one attempt, in words the policy and the message need."""

    kind: str  # auth forbidden not_found bad_request quota rate_limit server timeout unreachable dropped other
    status: int | None = None
    detail: str = ""  # the server's own message, scrubbed
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in ("rate_limit", "server", "timeout", "unreachable", "dropped")


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` without the given secrets and without anything shaped like an API key."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _KEY_LIKE.sub("[redacted]", text)


def _server_detail(body: object) -> tuple[str, str]:
    """The (message, code) a provider put in an error body; both SDKs' shapes."""
    error: Any = body.get("error", body) if isinstance(body, Mapping) else None
    if isinstance(error, Mapping):
        code = error.get("code") or error.get("type") or ""
        return str(error.get("message") or ""), str(code)
    if isinstance(error, str):
        return error, ""
    return (str(body) if body else ""), ""


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date), if given."""
    try:
        if millis := headers.get("retry-after-ms"):
            return max(0.0, float(millis) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def classify(exc: BaseException, secrets: Sequence[str] = ()) -> Failure:
    if isinstance(exc, STATUS_ERRORS) and exc.status_code >= 400:
        status = exc.status_code
        message, code = _server_detail(exc.body)
        detail = scrub(message, secrets)[:DETAIL_CHARS]
        if status == 401:
            return Failure("auth", status, detail)
        if status == 403:
            return Failure("forbidden", status, detail)
        if status == 404:
            return Failure("not_found", status, detail)
        if status == 429:
            if code == "insufficient_quota":
                return Failure("quota", status, detail)
            return Failure("rate_limit", status, detail, retry_after_s(exc.response.headers))
        if status == 408 or status >= 500:
            return Failure("server", status, detail, retry_after_s(exc.response.headers))
        return Failure("bad_request", status, detail)
    if isinstance(exc, TIMEOUT_ERRORS):
        return Failure("timeout")
    if isinstance(exc, CONNECTION_ERRORS):
        cause = exc.__cause__ if isinstance(exc.__cause__, httpx2.TransportError) else exc
        if isinstance(cause, BROKEN_OFF_ERRORS):
            return Failure("dropped")
        return Failure("unreachable", detail=scrub(str(cause), secrets)[:DETAIL_CHARS])
    # An error event inside a stream that had begun with HTTP 200 (the SDKs raise these without a status).
    message, code = _server_detail(getattr(exc, "body", None))
    detail = scrub(message or str(exc), secrets)[:DETAIL_CHARS]
    if "rate_limit" in code:
        return Failure("rate_limit", None, detail)
    if code in ("api_error", "overloaded_error", "server_error"):
        return Failure("server", None, detail)
    return Failure("other", None, detail)


def describe(failure: Failure, *, provider: str, endpoint: str = "", timeout_s: float | None = None,
             attempts: int = 1) -> ProviderError:
    """The ``ProviderError`` the user reads for a final failure."""
    variable = KEY_VARIABLES.get(provider, "the provider's API key variable")
    tries = f" ({attempts} attempts)" if attempts > 1 else ""
    messages = {
        "auth": f"the API key was rejected; set {variable} or store a valid key in the editor",
        "forbidden": "the API key may not use this model or endpoint; check the key's project and permissions",
        "not_found": f"not found at {endpoint or 'the endpoint'}; check model.model and model.baseUrl",
        "bad_request": "the request was refused",
        "quota": "the account's quota is used up; check the plan and billing with the provider",
        "rate_limit": f"rate limited{tries}; wait a minute and try again",
        "server": f"the model server failed{tries}; try again later",
        "timeout": (f"no answer within {timeout_s:g} s{tries}; raise model.timeoutS or check the server"
                    if timeout_s is not None else f"no answer in time{tries}"),
        "unreachable": (f"cannot reach {endpoint or 'the model server'}{tries}; check the network, "
                        "and that model.baseUrl points at a running server"),
        "dropped": f"the connection broke off in the middle of the answer{tries}; try again",
        "other": "the call failed",
    }
    message = messages[failure.kind]
    if failure.detail:
        message += f" (server said: {failure.detail})"
    return ProviderError(provider, message, status=failure.status, retryable=failure.retryable)


def backoff_s(retry: int, base_delay: float, rng: Callable[[], float] = random.random) -> float:
    """Delay before retry number ``retry`` (0-based): base * 2^retry, plus up to a quarter of jitter."""
    delay = min(MAX_BACKOFF_S, base_delay * (2**retry))
    return delay + delay * 0.25 * rng()


def with_retries(call: Callable[[], T], *, provider: str, max_retries: int, sleep: Callable[[float], None] = time.sleep,
                 base_delay: float = 0.5, endpoint: str = "", timeout_s: float | None = None,
                 secrets: Sequence[str] = (), rng: Callable[[], float] = random.random,
                 may_retry: Callable[[], bool] = lambda: True) -> T:
    """``call()``, retried on transient failures; SDK errors that remain become ``ProviderError``.

    ``may_retry`` says whether another attempt is still right: a streamed answer that
    broke after some text was shown is not retried, or the user would see it twice.
    ``secrets`` are removed from any server message quoted. Anything else ``call``
    raises (a ``ProviderError`` of its own, a bug) passes through unchanged.
    """
    retry = 0
    while True:
        try:
            return call()
        except SDK_ERRORS as exc:
            failure = classify(exc, secrets)
            if not failure.retryable or retry >= max_retries or not may_retry():
                error = describe(failure, provider=provider, endpoint=endpoint, timeout_s=timeout_s,
                                 attempts=retry + 1)
                log.warning("%s", error)
                raise error from None
            delay = backoff_s(retry, base_delay, rng)
            if failure.retry_after is not None:
                delay = min(failure.retry_after, RETRY_AFTER_CAP_S)
            what = f"HTTP {failure.status}" if failure.status else failure.kind
            log.info("%s: %s; retrying in %.1f s (retry %d of %d)", provider, what, delay, retry + 1, max_retries)
            sleep(delay)
            retry += 1
