"""API keys from the editor's secret storage, one per provider (``specpilot/setApiKey {provider?,
key}``): the server uses the key of the provider in use, a key sent without a provider serves
any provider that has none, an empty key removes it, an unknown provider is refused, and no
key ever reaches the log the editor shows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

import tests.loopback.openai_server as wire
from tests.e2e.conftest import start
from tests.loopback.openai_server import OpenAIServer

OPENAI_KEY = "sk-test-OpenAiEditorKey0123456789"
ANTHROPIC_KEY = "sk-ant-test-AnthropicEditorKey0123456789"
ANY_KEY = "sk-test-AnyProviderKey0123456789"


def options(server: OpenAIServer) -> dict[str, Any]:
    return {"embedder": {"enabled": False},
            "model": {"provider": "openai", "baseUrl": server.base_url, "model": wire.MODEL, "maxRetries": 0}}


async def ask(client: LanguageClient, model: OpenAIServer) -> str:
    """The Authorization header of the model request one agent run sends."""
    model.push(wire.answer("Nothing to do."))
    seen = len(model.requests)
    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.agent.run", [{"task": "Say nothing", "ask": True}]))
    return str(model.requests[seen].headers.get("authorization", ""))


async def test_the_key_of_the_provider_in_use_is_used_and_none_is_logged(client: LanguageClient, project: Path,
                                                                        model: OpenAIServer) -> None:
    (project / "a.py").write_text("def f():\n    return 1\n")
    await start(client, project, options=options(model))
    client.protocol.notify("specpilot/setApiKey", {"provider": "openai", "key": OPENAI_KEY})
    client.protocol.notify("specpilot/setApiKey", {"provider": "anthropic", "key": ANTHROPIC_KEY})
    assert await ask(client, model) == f"Bearer {OPENAI_KEY}"  # not the anthropic one, sent last

    client.protocol.notify("specpilot/setApiKey", {"provider": "openai", "key": ""})  # removed
    client.protocol.notify("specpilot/setApiKey", {"key": ANY_KEY})  # any provider without its own
    assert await ask(client, model) == f"Bearer {ANY_KEY}"

    client.protocol.notify("specpilot/setApiKey", {"provider": "mistral", "key": "sk-test-Refused0123456789"})
    client.protocol.notify("specpilot/setApiKey", {"provider": "openai", "key": OPENAI_KEY})
    assert await ask(client, model) == f"Bearer {OPENAI_KEY}"

    await asyncio.sleep(0.2)
    logged = "\n".join(str(m.message) for m in client.log_messages)
    assert "unknown provider 'mistral'" in logged
    assert "the editor set the API key for openai" in logged
    for key in (OPENAI_KEY, ANTHROPIC_KEY, ANY_KEY, "sk-test-Refused0123456789"):
        assert key not in logged
