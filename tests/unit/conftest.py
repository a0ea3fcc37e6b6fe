"""Loopback model servers for the agent tests (see tests/loopback)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loopback import serving
from tests.loopback.anthropic_server import AnthropicServer
from tests.loopback.openai_server import OpenAIServer


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    with serving(OpenAIServer()) as server:
        yield server


@pytest.fixture
def anthropic_server() -> Iterator[AnthropicServer]:
    with serving(AnthropicServer()) as server:
        yield server

