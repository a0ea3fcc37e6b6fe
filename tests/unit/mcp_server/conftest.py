"""An MCP client connected in memory (the SDK's own ``Client``) to the server of a copy of the sample workspace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from mcp import Client

from specpilot.core.config import Settings, load_settings
from specpilot.mcp_server.server import build_server
from specpilot.mcp_server.workspace import McpWorkspace
from specpilot.project import open_project
from tests.fixtures import copy_workspace

SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sample_workspace"

Connect = Callable[..., AbstractAsyncContextManager[tuple[Client, McpWorkspace]]]


@asynccontextmanager
async def connected(root: Path, settings: Settings | None = None) -> AsyncIterator[tuple[Client, McpWorkspace]]:
    """A started MCP workspace for ``root`` and an in-memory client of its server."""
    workspace = McpWorkspace(root, project=open_project(root, settings=settings or load_settings(root)[0]))
    workspace.start()
    try:
        async with Client(build_server(workspace)) as client:
            yield client, workspace
    finally:
        workspace.close()


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return copy_workspace(SAMPLE, tmp_path / "ws")


@pytest.fixture
def connect() -> Iterator[Connect]:
    yield connected


def text_of(result: object) -> str:
    """The text of a tool result's (or a resource's) first content block."""
    content = getattr(result, "content", None) or result.contents
    return str(content[0].text)


def spec_through_tasks(root: Path) -> str:
    """Write a spec of ``root`` through its tasks (the deterministic drafter, no model, no index); its name."""
    from specpilot.project import open_project

    project = open_project(root)
    try:
        flow = project.workflow(author=False, retrieval=False)
        spec = flow.new("Export search results as CSV so users can share them").spec.name
        flow.design(spec, force=True)
        flow.tasks(spec, force=True)
    finally:
        project.close()
    return spec
