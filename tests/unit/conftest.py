"""Loopback servers for the unit tests (see tests/loopback): model providers, and a real S3 server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loopback import serving
from tests.loopback.anthropic_server import AnthropicServer
from tests.loopback.openai_server import OpenAIServer
from tests.loopback.s3_server import S3Server


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    with serving(OpenAIServer()) as server:
        yield server


@pytest.fixture
def anthropic_server() -> Iterator[AnthropicServer]:
    with serving(AnthropicServer()) as server:
        yield server


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 server (SeaweedFS) on loopback for the whole session; tests use prefixes of their own."""
    server = S3Server(tmp_path_factory.mktemp("s3")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The standard AWS variables of ``s3_server`` in this process's environment."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return s3_server
