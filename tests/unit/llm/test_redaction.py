"""Redaction before text leaves the machine: every fake secret in the corpus is replaced,
ordinary code (SHAs, UUIDs, lock files, base64 images) is left alone, agent messages are
cleaned including tool-call arguments, and redacting twice changes nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specpilot.llm.base import Message, ToolCall
from specpilot.llm.safety.redact import Finding, entropy, redact, redact_messages
from tests.unit.agents.secrets_corpus import ORDINARY_CASES, SECRET_CASES, SecretCase


def test_the_corpora_are_large_enough() -> None:
    assert len(SECRET_CASES) >= 40 and len({case.id for case in SECRET_CASES}) == len(SECRET_CASES)
    assert len(ORDINARY_CASES) >= 30
    assert len({case.kind for case in SECRET_CASES}) >= 15


@pytest.mark.parametrize("case", SECRET_CASES, ids=lambda case: case.id)
def test_every_secret_is_redacted(case: SecretCase) -> None:
    result = redact(case.text)
    for secret in case.secrets:
        assert secret not in result.text
        # Not even a good part of it: a placeholder covers the whole value.
        assert secret[len(secret) // 4: len(secret) // 4 + 12] not in result.text
    assert f"[REDACTED:{case.kind}]" in result.text
    for kept in case.kept:
        assert kept in result.text
    assert case.kind in result.counts
    # What was replaced is reported by kind, never with the value.
    reported = repr(result.findings) + result.summary()
    assert not any(secret in reported for secret in case.secrets)


@pytest.mark.parametrize(("name", "text"), ORDINARY_CASES, ids=[name for name, _ in ORDINARY_CASES])
def test_ordinary_code_is_not_redacted(name: str, text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.findings == ()
    assert result.summary() == "no secrets found"


@pytest.mark.parametrize("case", SECRET_CASES, ids=lambda case: case.id)
def test_redaction_is_idempotent(case: SecretCase) -> None:
    once = redact(case.text)
    twice = redact(once.text)
    assert twice.text == once.text
    assert twice.findings == ()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(range(len(SECRET_CASES) + len(ORDINARY_CASES))), min_size=1, max_size=8))
def test_mixed_documents_lose_every_secret_and_keep_the_code(picks: list[int]) -> None:
    pieces = [SECRET_CASES[i].text if i < len(SECRET_CASES) else ORDINARY_CASES[i - len(SECRET_CASES)][1]
              for i in picks]
    document = "\n".join(pieces)
    once = redact(document)
    for i in picks:
        if i < len(SECRET_CASES):
            assert not any(secret in once.text for secret in SECRET_CASES[i].secrets)
        else:
            assert ORDINARY_CASES[i - len(SECRET_CASES)][1].strip() in once.text
    assert redact(once.text).text == once.text


def test_findings_give_the_line_of_each_secret() -> None:
    text = "\n".join(["# settings", "DEBUG = True", SECRET_CASES[0].text.strip(), "", "x = 1",
                      next(c for c in SECRET_CASES if c.id == "aws-key-in-log").text])
    result = redact(text)
    assert [(f.kind, f.line) for f in result.findings] == [("openai_api_key", 3), ("aws_access_key", 6)]
    assert result.summary() == "2 secrets redacted (aws_access_key: 1, openai_api_key: 1)"


def test_a_url_keeps_its_user_and_host() -> None:
    result = redact("postgres://report_reader:Tr0ub4dor&3xyz@analytics.db.internal:5432/warehouse?sslmode=require")
    assert result.text == ("postgres://report_reader:[REDACTED:url_password]@analytics.db.internal:5432/"
                           "warehouse?sslmode=require")


def test_short_or_wordy_values_under_secret_names_are_kept() -> None:
    text = 'api_key = "abc"\ntoken = "refresh"\nsecret_key = "your-secret-key-here"\nauth_token = None\n'
    assert redact(text).text == text


def test_a_secret_named_value_that_only_looks_random_when_long_is_redacted() -> None:
    text = 'WEBHOOK_SECRET = "q8Zt2LmX9vBn4Rk7"'
    assert redact(text).text == 'WEBHOOK_SECRET = "[REDACTED:secret]"'


def test_entropy_in_bits_per_character() -> None:
    assert entropy("") == 0.0
    assert entropy("aaaa") == 0.0
    assert entropy("abab") == pytest.approx(1.0)
    assert entropy("0123456789abcdef") == pytest.approx(4.0)


def _secret(case_id: str) -> SecretCase:
    return next(case for case in SECRET_CASES if case.id == case_id)


def test_messages_are_redacted_including_tool_call_arguments() -> None:
    openai = _secret("openai-env").secrets[0]
    password = _secret("dotenv-export-password").secrets[0]
    aws = _secret("aws-key-in-log").secrets[0]
    arguments = json.dumps({"path": "deploy/settings.py", "edits": [
        {"old": "API_KEY = None", "new": f'API_KEY = "{openai}"'},
        {"old": "", "new": f"export DB_PASSWORD={password}\n"}]})
    messages = [
        Message("system", "You are a careful coding agent."),
        Message("user", f"the logs say: using credentials {aws}"),
        Message("assistant", "I will edit the settings.", tool_calls=(
            ToolCall("call_1", "propose_edit", arguments),
            ToolCall("call_2", "read_file", '{"path": "src/app.py"}'))),
        Message("tool", f"OPENAI_API_KEY={openai}\n", tool_call_id="call_1", name="propose_edit"),
    ]
    findings: list[Finding] = []
    cleaned = redact_messages(messages, findings=findings)

    everything = json.dumps([[m.content, [c.arguments for c in m.tool_calls]] for m in cleaned])
    assert openai not in everything and password not in everything and aws not in everything
    assert cleaned[0] is messages[0]  # nothing to redact: the same message
    assert cleaned[1].content == "the logs say: using credentials [REDACTED:aws_access_key]"
    edited = json.loads(cleaned[2].tool_calls[0].arguments)  # still JSON, other fields kept
    assert edited["path"] == "deploy/settings.py"
    assert edited["edits"][0] == {"old": "API_KEY = None", "new": 'API_KEY = "[REDACTED:openai_api_key]"'}
    assert edited["edits"][1]["new"] == "export DB_PASSWORD=[REDACTED:password]\n"
    assert cleaned[2].tool_calls[1] is messages[2].tool_calls[1]
    assert cleaned[2].tool_calls[0].id == "call_1" and cleaned[2].content == "I will edit the settings."
    assert (cleaned[3].tool_call_id, cleaned[3].name) == ("call_1", "propose_edit")
    assert cleaned[3].content == "OPENAI_API_KEY=[REDACTED:openai_api_key]\n"
    assert sorted(f.kind for f in findings) == ["aws_access_key", "openai_api_key", "openai_api_key", "password"]
    assert openai in messages[3].content  # the originals are untouched
    assert redact_messages(cleaned) == cleaned


def test_a_secret_keyed_json_argument_is_redacted() -> None:
    key = _secret("api-token-json").secrets[0]
    call = ToolCall("c", "configure", json.dumps({"service": "billing", "api_token": key, "retries": 3}))
    cleaned = redact_messages([Message("assistant", tool_calls=(call,))])
    assert json.loads(cleaned[0].tool_calls[0].arguments) == {
        "service": "billing", "api_token": "[REDACTED:secret]", "retries": 3}


def test_malformed_arguments_are_redacted_as_text() -> None:
    token = _secret("github-classic-yaml").secrets[0]
    call = ToolCall("c", "run", '{"cmd": "git push https://' + token + '@github.com/o/r", ')  # cut off
    cleaned = redact_messages([Message("assistant", tool_calls=(call,))])
    assert token not in cleaned[0].tool_calls[0].arguments
    assert "[REDACTED:github_token]" in cleaned[0].tool_calls[0].arguments


def test_a_message_list_without_secrets_comes_back_equal() -> None:
    messages = [Message("user", text) for _, text in ORDINARY_CASES]
    assert redact_messages(messages) == messages
