"""Model providers through the real openai / anthropic SDK clients, over HTTP to loopback
servers that speak each provider's wire format (tests/loopback)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

import tests.loopback.anthropic_server as anthropic_wire
import tests.loopback.openai_server as openai_wire
from specpilot.core.config import ModelSettings
from specpilot.llm.anthropic_provider import AnthropicProvider
from specpilot.llm.base import Message, ProviderError, ToolCall, ToolSpec
from specpilot.llm.factory import make_provider
from specpilot.llm.offline import OfflineProvider
from specpilot.llm.openai_provider import OpenAIProvider
from specpilot.llm.pricing import estimate_cost
from specpilot.llm.retry import RETRY_AFTER_CAP_S, retry_after_s
from specpilot.llm.settings import ModelConfigError, resolve_model_settings
from tests.loopback import LoopbackServer, stall

SECRET = "test-Zq8v1s3cr3tK3yN0b0dyM4yS33"  # not shaped like sk-...: only exact redaction can hide it
READ_FILE = ToolSpec("read_file", "Read a file of the workspace.",
                     {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]})
ASK = [Message("system", "You are SpecPilot."), Message("user", "What does cache.py do?")]


@dataclass
class Wire:
    """One provider and its loopback server, so a behaviour is tested the same way on both."""

    name: str
    server: LoopbackServer
    replies: ModuleType  # tests.loopback.openai_server or .anthropic_server
    sleeps: list[float]

    def provider(self, **settings: Any) -> OpenAIProvider | AnthropicProvider:
        options: dict[str, Any] = {"provider": self.name, "model": self.replies.MODEL,
                                   "base_url": self.server.base_url, **settings}
        resolved = resolve_model_settings(ModelSettings(**options), env={}, api_key=SECRET)
        if self.name == "openai":
            return OpenAIProvider(resolved, sleep=self.sleeps.append)
        return AnthropicProvider(resolved, sleep=self.sleeps.append)

    def push(self, *replies: Any) -> None:
        self.server.push(*replies)


@pytest.fixture(params=["openai", "anthropic"])
def wire(request: pytest.FixtureRequest) -> Wire:
    server = request.getfixturevalue(f"{request.param}_server")
    replies = openai_wire if request.param == "openai" else anthropic_wire
    return Wire(request.param, server, replies, [])


def sent_text(wire: Wire, index: int = -1) -> list[str]:
    """The user/system texts of a recorded request, whatever the wire shape."""
    body = wire.server.requests[index].body
    texts = [body["system"]] if "system" in body else []
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, str):
            texts.append(content)
        else:
            texts += [block["text"] for block in content if block.get("type") == "text"]
    return texts


# --- answers -------------------------------------------------------------------------------------------------


def test_plain_answer(wire: Wire) -> None:
    wire.push(wire.replies.answer("cache.py memoises parsed files."))

    response = wire.provider().chat(ASK)

    assert response.text == "cache.py memoises parsed files."
    assert response.tool_calls == []
    assert (response.provider, response.stop_reason) == (wire.name, "end")
    assert sent_text(wire) == ["You are SpecPilot.", "What does cache.py do?"]
    sent = wire.server.requests[0]
    assert sent.body["model"] == wire.replies.MODEL
    assert SECRET in sent.headers.get("authorization", "") + sent.headers.get("x-api-key", "")


def test_openai_tool_call_round_trip(openai_server: LoopbackServer) -> None:
    wire = Wire("openai", openai_server, openai_wire, [])
    wire.push(openai_wire.answer("", [("call_1", "read_file", '{"path": "cache.py"}')]),
              openai_wire.answer("It memoises parsed files."))
    provider = wire.provider()

    first = provider.chat(ASK, [READ_FILE])
    assert first.tool_calls == [ToolCall("call_1", "read_file", '{"path": "cache.py"}')]
    assert first.stop_reason == "tool_calls"
    conversation = [*ASK, Message("assistant", first.text, tool_calls=tuple(first.tool_calls)),
                    Message("tool", "def cached(): ...", tool_call_id="call_1", name="read_file")]
    second = provider.chat(conversation, [READ_FILE])

    assert second.text == "It memoises parsed files."
    body = openai_server.requests[1].body
    assert body["tools"] == [{"type": "function", "function": {
        "name": "read_file", "description": "Read a file of the workspace.", "parameters": READ_FILE.parameters}}]
    assert body["messages"][0] == {"role": "system", "content": "You are SpecPilot."}
    assert body["messages"][2] == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "cache.py"}'}}]}
    assert body["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "content": "def cached(): ..."}


def test_anthropic_tool_call_round_trip(anthropic_server: LoopbackServer) -> None:
    wire = Wire("anthropic", anthropic_server, anthropic_wire, [])
    wire.push(anthropic_wire.answer("Reading both.", [("toolu_1", "read_file", '{"path": "cache.py"}'),
                                                      ("toolu_2", "read_file", '{"path": "store.py"}')]),
              anthropic_wire.answer("They cache parsed files."))
    provider = wire.provider()

    first = provider.chat(ASK, [READ_FILE])
    assert first.text == "Reading both."
    assert [(c.id, json.loads(c.arguments)) for c in first.tool_calls] == [
        ("toolu_1", {"path": "cache.py"}), ("toolu_2", {"path": "store.py"})]
    assert first.stop_reason == "tool_calls"
    conversation = [*ASK, Message("assistant", first.text, tool_calls=tuple(first.tool_calls)),
                    Message("tool", "def cached(): ...", tool_call_id="toolu_1", name="read_file"),
                    Message("tool", "class Store: ...", tool_call_id="toolu_2", name="read_file")]
    second = provider.chat(conversation, [READ_FILE])

    assert second.text == "They cache parsed files."
    body = anthropic_server.requests[1].body
    assert body["system"] == "You are SpecPilot."
    assert body["tools"] == [{"name": "read_file", "description": "Read a file of the workspace.",
                              "input_schema": READ_FILE.parameters}]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1]["content"] == [
        {"type": "text", "text": "Reading both."},
        {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "cache.py"}},
        {"type": "tool_use", "id": "toolu_2", "name": "read_file", "input": {"path": "store.py"}}]
    assert body["messages"][2]["content"] == [  # both results in one user message
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "def cached(): ..."},
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": "class Store: ..."}]


# --- streaming -----------------------------------------------------------------------------------------------


def test_streamed_text_arrives_in_pieces_and_equals_the_plain_answer(wire: Wire) -> None:
    pieces = ["cache.py ", "memoises ", "parsed files."]
    wire.push(wire.replies.answer("".join(pieces), usage=(40, 9)), wire.replies.stream(pieces, usage=(40, 9)))
    provider = wire.provider()

    plain = provider.chat(ASK)
    seen: list[str] = []
    streamed = provider.chat(ASK, on_text=seen.append)

    assert seen == pieces
    assert streamed == plain
    assert wire.server.requests[1].body["stream"] is True
    if wire.name == "openai":
        assert wire.server.requests[1].body["stream_options"] == {"include_usage": True}


def test_streamed_tool_calls_are_assembled_from_deltas(wire: Wire) -> None:
    calls = [("call_a", "read_file", ['{"pa', 'th":"cac', 'he.py"}']), ("call_b", "search", ['{ "query" : "lru" }'])]
    wire.push(wire.replies.stream(["Looking."], calls),
              wire.replies.answer("Looking.", [(i, n, "".join(parts)) for i, n, parts in calls]))
    provider = wire.provider()

    streamed = provider.chat(ASK, [READ_FILE], on_text=lambda _: None)
    plain = provider.chat(ASK, [READ_FILE])

    assert [(c.id, c.name, json.loads(c.arguments)) for c in streamed.tool_calls] == [
        ("call_a", "read_file", {"path": "cache.py"}), ("call_b", "search", {"query": "lru"})]
    assert streamed == plain  # Anthropic's streamed JSON is re-serialised the way a JSON answer's input is
    assert streamed.stop_reason == "tool_calls"


def test_malformed_streamed_tool_arguments_pass_through_untouched(wire: Wire) -> None:
    wire.push(wire.replies.stream([], [("call_x", "read_file", ['{"path": ', '"cache.py",,}'])]))

    response = wire.provider().chat(ASK, [READ_FILE], on_text=lambda _: None)

    assert response.tool_calls == [ToolCall("call_x", "read_file", '{"path": "cache.py",,}')]


def test_malformed_openai_tool_arguments_pass_through_untouched(openai_server: LoopbackServer) -> None:
    openai_server.push(openai_wire.answer("", [("call_x", "read_file", "{'path': cache.py")]))

    response = Wire("openai", openai_server, openai_wire, []).provider().chat(ASK, [READ_FILE])

    assert response.tool_calls == [ToolCall("call_x", "read_file", "{'path': cache.py")]


# --- failures and retries ------------------------------------------------------------------------------------


def test_rate_limit_then_success_waits_as_retry_after_says(wire: Wire) -> None:
    wire.push(wire.replies.error(429, "Rate limit reached.", headers={"retry-after": "2"}),
              wire.replies.answer("ok"))

    response = wire.provider().chat(ASK)

    assert response.text == "ok"
    assert wire.sleeps == [2.0]
    assert len(wire.server.requests) == 2


def test_retry_after_is_capped(wire: Wire) -> None:
    wire.push(wire.replies.error(429, "Slow down.", headers={"retry-after": "3600"}), wire.replies.answer("ok"))

    wire.provider().chat(ASK)

    assert wire.sleeps == [RETRY_AFTER_CAP_S]


def test_retry_after_forms_servers_send() -> None:
    assert retry_after_s({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_s({"retry-after": "7"}) == 7.0
    assert retry_after_s({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # a date in the past: now
    assert retry_after_s({"retry-after": "soon"}) is None and retry_after_s({}) is None


def test_server_errors_twice_then_success_backs_off_exponentially(wire: Wire) -> None:
    wire.push(wire.replies.error(500, "Internal error."), wire.replies.error(503, "Overloaded."),
              wire.replies.answer("ok"))

    response = wire.provider().chat(ASK)

    assert response.text == "ok"
    assert len(wire.server.requests) == 3
    first, second = wire.sleeps
    assert 0.5 <= first <= 0.625 and 1.0 <= second <= 1.25  # base 0.5 s doubling, plus up to 25 % jitter


def test_rate_limit_that_persists_gives_up_with_a_clear_error(wire: Wire) -> None:
    wire.push(*[wire.replies.error(429, "Rate limit reached.") for _ in range(3)])

    with pytest.raises(ProviderError) as caught:
        wire.provider(max_retries=2).chat(ASK)

    assert str(caught.value).startswith(f"{wire.name} (HTTP 429): rate limited (3 attempts)")
    assert caught.value.retryable and caught.value.status == 429
    assert len(wire.server.requests) == 3 and len(wire.sleeps) == 2


def test_rejected_key_is_a_clear_error_and_is_not_retried(wire: Wire) -> None:
    variable = "OPENAI_API_KEY" if wire.name == "openai" else "ANTHROPIC_API_KEY"
    wire.push(wire.replies.error(401, f"Incorrect API key provided: {SECRET}."), wire.replies.answer("never"))

    with pytest.raises(ProviderError) as caught:
        wire.provider().chat(ASK)

    message = str(caught.value)
    assert message.startswith(f"{wire.name} (HTTP 401): the API key was rejected; set {variable}")
    assert SECRET not in message and "[redacted]" in message
    assert len(wire.server.requests) == 1 and wire.sleeps == []
    assert not caught.value.retryable


@pytest.mark.parametrize("status", [400, 403, 404])
def test_requests_refused_on_their_merits_are_not_retried(wire: Wire, status: int) -> None:
    wire.push(wire.replies.error(status, "The model `gpt-9` does not exist."), wire.replies.answer("never"))

    with pytest.raises(ProviderError) as caught:
        wire.provider().chat(ASK)

    assert f"(HTTP {status})" in str(caught.value) and "does not exist" in str(caught.value)
    assert len(wire.server.requests) == 1 and wire.sleeps == []


def test_openai_quota_exhausted_is_not_retried(openai_server: LoopbackServer) -> None:
    openai_server.push(openai_wire.error(429, "You exceeded your current quota.", code="insufficient_quota"))

    with pytest.raises(ProviderError, match=r"openai \(HTTP 429\): the account's quota is used up"):
        Wire("openai", openai_server, openai_wire, []).provider().chat(ASK)
    assert len(openai_server.requests) == 1


def test_timeout_is_retried_then_a_clear_error(wire: Wire) -> None:
    wire.push(stall(5), stall(5))

    with pytest.raises(ProviderError) as caught:
        wire.provider(timeout_s=0.3, max_retries=1).chat(ASK)

    assert str(caught.value) == (f"{wire.name}: no answer within 0.3 s (2 attempts); "
                                 "raise model.timeoutS or check the server")
    assert len(wire.server.requests) == 2 and len(wire.sleeps) == 1


def test_unreachable_server_names_the_url(wire: Wire) -> None:
    provider = wire.provider(max_retries=1)
    url = wire.server.base_url
    wire.server.close()  # nothing listens there any more

    with pytest.raises(ProviderError) as caught:
        provider.chat(ASK)

    assert str(caught.value).startswith(f"{wire.name}: cannot reach {url} (2 attempts)")


def test_stream_that_breaks_off_after_text_is_not_retried(wire: Wire) -> None:
    wire.push(wire.replies.broken_stream(["Part one, "]), wire.replies.answer("never shown"))
    seen: list[str] = []

    with pytest.raises(ProviderError) as caught:
        wire.provider().chat(ASK, on_text=seen.append)

    assert str(caught.value) == f"{wire.name}: the connection broke off in the middle of the answer; try again"
    assert seen == ["Part one, "]  # a retry would have shown the answer's start twice
    assert len(wire.server.requests) == 1


def test_stream_that_breaks_off_before_any_text_is_retried(wire: Wire) -> None:
    wire.push(wire.replies.broken_stream([]), wire.replies.stream(["Whole ", "answer."]))
    seen: list[str] = []

    response = wire.provider().chat(ASK, on_text=seen.append)

    assert response.text == "Whole answer." and seen == ["Whole ", "answer."]
    assert len(wire.server.requests) == 2 and len(wire.sleeps) == 1


def test_anthropic_error_event_mid_stream_is_a_clear_error(anthropic_server: LoopbackServer) -> None:
    anthropic_server.push(anthropic_wire.stream_then_error(["Let me "], "overloaded_error", "Overloaded"))

    with pytest.raises(ProviderError) as caught:
        Wire("anthropic", anthropic_server, anthropic_wire, []).provider().chat(ASK, on_text=lambda _: None)

    assert str(caught.value) == "anthropic: the model server failed; try again later (server said: Overloaded)"
    assert len(anthropic_server.requests) == 1


# --- usage and cost ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
def test_usage_and_estimated_cost_are_recorded(wire: Wire, streamed: bool) -> None:
    reply = wire.replies.stream(["ok"], usage=(1200, 300)) if streamed else wire.replies.answer("ok", usage=(1200, 300))
    wire.push(reply)

    response = wire.provider().chat(ASK, on_text=(lambda _: None) if streamed else None)

    assert (response.usage.input_tokens, response.usage.output_tokens) == (1200, 300)
    per_million = {"openai": (0.40, 1.60), "anthropic": (3.00, 15.00)}[wire.name]
    assert response.usage.cost_usd == pytest.approx((1200 * per_million[0] + 300 * per_million[1]) / 1e6)


def test_a_local_model_has_no_cost_estimate(openai_server: LoopbackServer) -> None:
    openai_server.push(openai_wire.answer("ok", usage=(500, 20), model="qwen2.5-coder:7b"))

    response = Wire("openai", openai_server, openai_wire, []).provider(model="qwen2.5-coder:7b").chat(ASK)

    assert response.usage.input_tokens == 500 and response.usage.cost_usd is None


def test_cost_of_a_dated_snapshot_is_its_alias_cost() -> None:
    assert estimate_cost("gpt-4.1-mini-2025-04-14", 1_000_000, 0) == pytest.approx(0.40)
    assert estimate_cost("claude-haiku-4-5-20251001", 0, 1_000_000) == pytest.approx(5.00)
    assert estimate_cost("my-finetune", 1000, 1000) is None


def test_openai_request_limits_follow_the_model(openai_server: LoopbackServer) -> None:
    openai_server.push(openai_wire.answer("a"), openai_wire.answer("b"))
    wire = Wire("openai", openai_server, openai_wire, [])

    wire.provider(model="qwen2.5-coder:7b", max_tokens=512, temperature=0.1).chat(ASK)
    wire.provider(model="o4-mini", max_tokens=512).chat(ASK)

    local, reasoning = (r.body for r in openai_server.requests)
    assert (local["max_tokens"], local["temperature"]) == (512, 0.1)
    assert reasoning["max_completion_tokens"] == 512  # reasoning models refuse max_tokens and temperature
    assert "temperature" not in reasoning and "max_tokens" not in reasoning


# --- settings ------------------------------------------------------------------------------------------------


def test_settings_resolve_from_the_environment() -> None:
    env = {"SPECPILOT_PROVIDER": "Anthropic", "SPECPILOT_MODEL": "claude-haiku-4-5", "ANTHROPIC_API_KEY": SECRET}

    resolved = resolve_model_settings(ModelSettings(), env)

    assert (resolved.provider, resolved.model, resolved.api_key) == ("anthropic", "claude-haiku-4-5", SECRET)
    assert resolved.key_source == "ANTHROPIC_API_KEY"
    assert resolved.endpoint == "https://api.anthropic.com"


def test_settings_win_over_the_environment_and_the_editor_key_over_variables() -> None:
    env = {"SPECPILOT_PROVIDER": "anthropic", "SPECPILOT_MODEL": "claude-haiku-4-5", "OPENAI_API_KEY": "sk-env",
           "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}

    resolved = resolve_model_settings(ModelSettings(provider="openai", base_url="http://localhost:8000/v1/"), env,
                                      api_key=SECRET)

    assert (resolved.provider, resolved.base_url) == ("openai", "http://localhost:8000/v1")
    assert resolved.model == "claude-haiku-4-5"  # from SPECPILOT_MODEL: the settings left it empty
    assert (resolved.api_key, resolved.key_source) == (SECRET, "editor")


def test_each_provider_has_a_default_model() -> None:
    openai = resolve_model_settings(ModelSettings(provider="openai"), {"OPENAI_API_KEY": SECRET})
    anthropic = resolve_model_settings(ModelSettings(provider="anthropic"), {"ANTHROPIC_API_KEY": SECRET})
    assert openai.model.startswith("gpt-") and anthropic.model.startswith("claude-")
    assert openai.endpoint == "https://api.openai.com/v1"


def test_unknown_provider_names_the_allowed_values() -> None:
    with pytest.raises(ModelConfigError) as from_settings:
        resolve_model_settings(ModelSettings(provider="opnai"), {})
    with pytest.raises(ModelConfigError) as from_env:
        make_provider(ModelSettings(), {"SPECPILOT_PROVIDER": "gemini"})

    assert str(from_settings.value) == ("model.provider: unknown model provider 'opnai'; "
                                        "use one of openai, anthropic, offline")
    assert str(from_env.value).startswith("SPECPILOT_PROVIDER: unknown model provider 'gemini'; use one of openai")


def test_base_url_that_is_not_a_url_is_refused() -> None:
    with pytest.raises(ModelConfigError, match=r"OPENAI_BASE_URL: 'localhost:11434' is not an http:// or https://"):
        resolve_model_settings(ModelSettings(provider="openai"), {"OPENAI_BASE_URL": "localhost:11434"})


def test_provider_without_a_key_falls_back_to_offline_and_says_why() -> None:
    provider = make_provider(ModelSettings(provider="anthropic"), env={})

    assert isinstance(provider, OfflineProvider) and provider.offline
    assert "no API key was found (set ANTHROPIC_API_KEY" in provider.note
    response = provider.chat(ASK, [READ_FILE])
    assert "ANTHROPIC_API_KEY" in response.text and response.tool_calls == []


def test_nothing_configured_is_offline_without_a_note() -> None:
    resolved = resolve_model_settings(ModelSettings(), {})
    assert (resolved.provider, resolved.note, resolved.api_key) == ("offline", "", "")


def test_offline_provider_says_plainly_what_it_cannot_do_and_how_to_configure() -> None:
    seen: list[str] = []
    response = make_provider(ModelSettings(), env={}).chat(ASK, [READ_FILE], on_text=seen.append)

    assert response.text.startswith("No language model is configured, so SpecPilot is running offline.")
    for needed in ("writing or changing code", "SPECPILOT_PROVIDER=openai", "OPENAI_API_KEY", "baseUrl"):
        assert needed in response.text
    assert response.tool_calls == [] and response.usage.cost_usd is None
    assert seen == [response.text]


def test_local_openai_compatible_server_needs_no_key(openai_server: LoopbackServer) -> None:
    openai_server.push(openai_wire.answer("hi from a local model"))
    settings = ModelSettings(provider="openai", model="llama3.2", base_url=openai_server.base_url)

    provider = make_provider(settings, env={})

    assert isinstance(provider, OpenAIProvider) and provider.resolved.is_local
    assert provider.chat(ASK).text == "hi from a local model"
    assert openai_server.requests[0].headers["authorization"] == "Bearer not-needed"


def test_openai_without_key_or_base_url_falls_back_to_offline() -> None:
    resolved = resolve_model_settings(ModelSettings(provider="openai"), {"ANTHROPIC_API_KEY": SECRET})
    assert resolved.provider == "offline"
    assert "OPENAI_API_KEY" in resolved.note and "model.baseUrl" in resolved.note


# --- the key stays secret ------------------------------------------------------------------------------------


def test_the_key_never_appears_in_reprs_errors_or_logs(wire: Wire, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wire.push(wire.replies.error(500, f"upstream failed for key {SECRET}"), wire.replies.answer("ok"),
              wire.replies.error(401, f"Incorrect API key provided: {SECRET}"),
              wire.replies.error(400, f"bad request from {SECRET}"))
    provider = wire.provider()
    shown: list[str] = [repr(provider), str(provider), repr(provider.resolved)]

    assert provider.chat(ASK).text == "ok"
    for _ in range(2):
        with pytest.raises(ProviderError) as caught:
            provider.chat(ASK)
        shown.append(str(caught.value))
    make_provider(ModelSettings(provider=wire.name, base_url=wire.server.base_url), env={}, api_key=SECRET)

    assert "key=set (editor)" in shown[0]
    assert SECRET in wire.server.seen()  # it did reach the server, in the auth header, where it belongs
    for text in [*shown, caplog.text]:
        assert SECRET not in text
        assert SECRET[8:20] not in text


def test_keys_quoted_by_a_server_are_removed_from_its_messages(openai_server: LoopbackServer) -> None:
    openai_server.push(openai_wire.error(401, "Incorrect API key provided: sk-proj-abc1**************wxyz."))

    with pytest.raises(ProviderError) as caught:
        Wire("openai", openai_server, openai_wire, []).provider().chat(ASK)

    assert "server said: Incorrect API key provided: [redacted]" in str(caught.value)
    assert "wxyz" not in str(caught.value)


def test_retries_are_logged_without_the_key(wire: Wire, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="specpilot.llm")
    wire.push(wire.replies.error(429, "slow down", headers={"retry-after": "1"}), wire.replies.answer("ok"))

    wire.provider().chat(ASK)

    assert f"{wire.name}: HTTP 429; retrying in 1.0 s (retry 1 of 3)" in caplog.text



def test_a_streamed_answer_to_a_plain_request_is_a_clear_error(wire: Wire) -> None:
    # A server (or proxy) that streams whatever it is asked: the SDK hands back text, not a completion.
    wire.push(wire.replies.stream(["hello"]))
    with pytest.raises(ProviderError, match="did not answer with a chat completion"):
        wire.provider(max_retries=1).chat(ASK)
    wire.push(wire.replies.answer("still up"))
    assert wire.provider(max_retries=1).chat(ASK).text == "still up"


def test_a_plain_answer_to_a_streamed_request_is_a_clear_error(wire: Wire) -> None:
    wire.push(wire.replies.answer("not a stream"))
    shown: list[str] = []
    with pytest.raises(ProviderError, match="sent no stream events"):
        wire.provider(max_retries=1).chat(ASK, on_text=shown.append)
