"""The loopback model server under the name the spec tests use."""

from __future__ import annotations

import pytest

from tests.loopback.openai_server import OpenAIServer


@pytest.fixture
def model(openai_server: OpenAIServer) -> OpenAIServer:
    """The loopback OpenAI-compatible server of tests/unit/conftest.py."""
    return openai_server
