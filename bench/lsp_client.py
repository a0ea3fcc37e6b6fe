"""The language client the bench scripts drive the real server with (bench/lsp_bench.py, bench/first_answer.py,
bench/writes.py, and through lsp_bench bench/code_actions.py): it answers the server's requests, records each
``specpilot/indexStatus`` with the time it arrived, and starts and stops a session on one folder.

The text-synchronisation notifications come from tests/lsp_messages.py, the builders the e2e tests use."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # tests.lsp_messages
from tests.lsp_messages import did_insert, did_open  # noqa: E402

__all__ = ["BenchClient", "did_insert", "did_open", "initialize", "stop"]


class BenchClient(LanguageClient):
    """A client that answers the server's requests, drops its log and progress messages, and records each
    status (``statuses``) with the ``time.perf_counter()`` it arrived at (``status_times``)."""

    def __init__(self, name: str = "specpilot-bench") -> None:
        super().__init__(name, "1")
        self.statuses: list[dict[str, Any]] = []
        self.status_times: list[float] = []

        @self.feature("specpilot/indexStatus")
        def index_status(params: Any) -> None:
            self.status_times.append(time.perf_counter())
            self.statuses.append(params._asdict() if hasattr(params, "_asdict") else dict(params))

        @self.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def create_progress(params: Any) -> None:
            return None

        @self.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list[Any]:
            return [None for _ in params.items]

        for method in (types.PROGRESS, types.WINDOW_LOG_MESSAGE, types.WINDOW_SHOW_MESSAGE):
            self.feature(method)(lambda params: None)

    @property
    def state(self) -> str:
        """The state of the last status ("starting" before the first)."""
        return str(self.statuses[-1]["state"]) if self.statuses else "starting"


async def initialize(client: LanguageClient, root: Path, capabilities: types.ClientCapabilities,
                     options: dict[str, Any] | None = None) -> None:
    """``initialize`` with ``root`` as the one workspace folder (and the root URI), then ``initialized``."""
    await client.initialize_async(types.InitializeParams(
        capabilities=capabilities, root_uri=root.as_uri(), initialization_options=options,
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)]))
    client.initialized(types.InitializedParams())


async def stop(client: LanguageClient, timeout: float = 120) -> None:
    """``shutdown`` (waiting at most ``timeout`` seconds) and ``exit``; the server process is stopped either way."""
    try:
        await asyncio.wait_for(client.shutdown_async(None), timeout)
        client.exit(None)
    finally:
        await client.stop()
