"""End-to-end fixtures: the real server (``python -m specpilot serve``) over stdio,
driven by pytest-lsp's client, on a copy of tests/data/server/project."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from specpilot.server.lsp_utils import plain
from tests.loopback import serving
from tests.loopback.openai_server import OpenAIServer
from tests.lsp_messages import did_open
from tests.waiting import until  # noqa: F401 (the e2e tests import it from here)

DATA = Path(__file__).parents[1] / "data" / "server"
SERVER = [sys.executable, "-m", "specpilot", "serve"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
NO_MODEL = {"embedder": {"enabled": False}}  # for tests that do not need semantic search (faster)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(DATA / "project", root)
    return root


@pytest.fixture
def model() -> Iterator[OpenAIServer]:
    """A loopback OpenAI-compatible model server (tests/loopback) for the agent and spec tests."""
    with serving(OpenAIServer()) as server:
        yield server


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    statuses: list[dict[str, Any]] = []
    lsp_client.statuses = statuses  # type: ignore[attr-defined]

    @lsp_client.feature("specpilot/indexStatus")
    def index_status(params: Any) -> None:
        statuses.append(plain(params))

    yield
    await lsp_client.shutdown_session()


def capabilities(*, progress: bool = True, configuration: bool = True,
                 hierarchical: bool = True, document_changes: bool = True,
                 resolve_edits: bool = True, lens_refresh: bool = False) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=progress, show_message=None),
        workspace=types.WorkspaceClientCapabilities(
            configuration=configuration, workspace_folders=True,
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=False),
            symbol=types.WorkspaceSymbolClientCapabilities(),
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=document_changes),
            code_lens=types.CodeLensWorkspaceClientCapabilities(refresh_support=lens_refresh)),
        text_document=types.TextDocumentClientCapabilities(
            document_symbol=types.DocumentSymbolClientCapabilities(
                hierarchical_document_symbol_support=hierarchical),
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            code_action=types.CodeActionClientCapabilities(
                data_support=True,
                resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"] if resolve_edits else []))),
    )


async def start(client: LanguageClient, *folders: Path, options: dict[str, Any] | None = None,
                wait: bool = True, **caps: bool) -> types.InitializeResult:
    result = await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(**caps),
        workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
        initialization_options=options))
    if wait:
        for folder in folders:
            await wait_for_status(client, lambda s, f=folder: s["folder"] == f.as_uri() and s["state"] == "ready")
    return result


async def wait_for_status(client: LanguageClient, predicate: Callable[[dict[str, Any]], bool],
                          timeout: float = 180.0, after: int = 0) -> dict[str, Any]:
    """The first ``specpilot/indexStatus`` (from index ``after`` on) that ``predicate`` accepts."""
    statuses: list[dict[str, Any]] = client.statuses  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for status in statuses[after:]:
            if predicate(status):
                return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"no matching indexStatus in {timeout:.0f}s; got {statuses[after:]}")


async def symbols(client: LanguageClient, query: str) -> list[str]:
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
    return [s.name for s in found or []]


async def search(client: LanguageClient, **params: Any) -> dict[str, Any]:
    return plain(await client.protocol.send_request_async("specpilot/search", params))


def open_document(client: LanguageClient, path: Path, text: str | None = None, version: int = 1,
                  language: str = "python") -> str:
    """Open ``path`` in the editor with ``text`` (default: what is on disk) at ``version``; returns its URI."""
    uri = path.as_uri()
    client.text_document_did_open(did_open(uri, path.read_text() if text is None else text, version, language))
    return uri


def record_edits(client: LanguageClient) -> list[types.WorkspaceEdit]:
    """Accept every ``workspace/applyEdit`` the server sends; returns the list its edits are appended to."""
    received: list[types.WorkspaceEdit] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        received.append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    return received


def status_client_fixture(env: dict[str, str]) -> Any:
    """A client fixture for a server started with ``env`` on top of :data:`ENV`, whose client records
    ``specpilot/indexStatus`` in ``statuses``."""

    @pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env={**ENV, **env}))
    async def status_client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
        lsp_client.statuses = []  # type: ignore[attr-defined]
        lsp_client.feature("specpilot/indexStatus")(lambda params: lsp_client.statuses.append(plain(params)))
        yield
        await lsp_client.shutdown_session()

    return status_client


def learning_client_fixture(store: Path) -> Any:
    """A ``learning_client`` fixture: a server with learning on and its store at ``store`` (a file of the test
    module, never the user's)."""
    return status_client_fixture({"SPECPILOT_LEARNING": "on", "SPECPILOT_LEARNING_STORE": str(store)})
