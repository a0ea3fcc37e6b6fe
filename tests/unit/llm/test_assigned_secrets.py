"""Values assigned to names that say "secret" (llm/safety/assigned_secrets.py): which names hold a secret,
which values under them are one, and the spans the detector replaces."""

from __future__ import annotations

import pytest

from specpilot.llm.safety.assigned_secrets import assigned_secrets, is_reference, is_secret_value, secret_kind

KEY = "Xk3pQ9vT2mL8wR4zB7nY1cF6"  # 24 characters, letters of both cases and digits: random enough


@pytest.mark.parametrize(("name", "kind"), [
    ("DB_PASSWORD", "password"), ("smtp_pw", "password"), ("apiKey", "secret"), ("client_secret", "secret"),
    ("aws_secret_access_key", "aws_secret_key"), ("private_key_id", "private_key_id"),
    ("token_url", None), ("password_min_length", None), ("pass_rate", None), ("username", None),
])
def test_a_name_says_whether_it_holds_a_secret(name: str, kind: str | None) -> None:
    assert secret_kind(name) == kind


@pytest.mark.parametrize("value", ["${DB_PASSWORD}", "$PASSWORD", "{{ password }}", "<password>", "********",
                                   "[REDACTED:password]"])
def test_placeholders_are_references_not_values(value: str) -> None:
    assert is_reference(value)
    assert not is_secret_value("password", value, literal=True)


def test_a_password_is_any_literal_but_a_sample_word_and_a_key_must_look_random() -> None:
    assert is_secret_value("password", "hunter2x", literal=True)
    assert not is_secret_value("password", "changeme", literal=True)
    assert not is_secret_value("password", "abc", literal=True)  # too short
    assert is_secret_value("secret", KEY, literal=True)
    assert not is_secret_value("secret", "short1A", literal=True)
    assert not is_secret_value("secret", "get_the_api_key_from_vault", literal=False)  # a name in code


def test_the_spans_are_the_values_in_each_file_format() -> None:
    text = (f'API_KEY={KEY}\n'  # .env
            'password: hunter2x\n'  # YAML
            f'{{"client_secret": "{KEY}"}}\n')  # JSON
    found = [(text[start:end], kind) for start, end, kind in assigned_secrets(text)]
    assert found == [(KEY, "secret"), ("hunter2x", "password"), (KEY, "secret")]


def test_code_that_names_a_secret_holds_none() -> None:
    code = ("token = get_token()\n"
            "class Settings:\n    password: SecretStr\n"
            "connect(password=pw, host=host)\n"
            "token_url = 'https://example.com/oauth/token'\n")
    assert list(assigned_secrets(code)) == []
