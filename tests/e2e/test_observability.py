"""Observability through the real server: `$/setTrace` turns on `$/logTrace` for each answered request, the
opt-in metrics answer on loopback only with a latency histogram per method, and the event log records the
requests for `specpilot stats`."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from specpilot.core.events import events_dir
from specpilot.server.lsp_utils import plain
from tests.e2e.conftest import NO_MODEL, start, symbols


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:  # noqa: S310 - loopback
        return str(answer.read().decode())


async def test_trace_metrics_and_the_event_log(client: LanguageClient, project: Path) -> None:
    traces: list[dict[str, Any]] = []

    @client.feature(types.LOG_TRACE)
    def log_trace(params: types.LogTraceParams) -> None:
        traces.append({"message": params.message, "verbose": params.verbose})

    port = free_port()
    await start(client, project, options={**NO_MODEL, "observability": {"metricsPort": port}})
    assert await symbols(client, "parse") is not None
    assert not traces  # off until the client asks
    client.protocol.notify(types.SET_TRACE, types.SetTraceParams(value=types.TraceValue.Verbose))
    await asyncio.sleep(0.2)
    await symbols(client, "parse")
    for _ in range(50):
        if traces:
            break
        await asyncio.sleep(0.1)
    assert traces and traces[-1]["message"].startswith("workspace/symbol answered in")
    assert traces[-1]["verbose"] == "answered"

    text = scrape(port)
    count = next(line for line in text.splitlines()
                 if line.startswith('specpilot_request_seconds_count{method="workspace/symbol"}'))
    assert float(count.split()[-1]) >= 2
    assert "specpilot_index_queue_depth{" in text
    outside = socket.gethostbyname(socket.gethostname())
    if not outside.startswith("127."):  # the metrics are not served on another address
        with socket.socket() as probe:
            probe.settimeout(2)
            assert probe.connect_ex((outside, port)) != 0

    logged = [json.loads(line) for path in events_dir().glob("events-server.jsonl*")
              for line in path.read_text().splitlines()]
    assert any(e["kind"] == "request" and e["method"] == "workspace/symbol" and e["face"] == "server" for e in logged)
    assert any(e["kind"] == "index" and e["workspace"] == str(project) for e in logged)
    stats = subprocess.run([sys.executable, "-m", "specpilot", "stats", "--json"], capture_output=True, text=True,
                           timeout=120, check=True)
    summary = json.loads(stats.stdout)
    assert summary["requests"]["workspace/symbol"]["count"] >= 2 and summary["requests"]["workspace/symbol"]["p95_ms"]
    shown = plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.stats", [{"sinceDays": 1}])))  # the editor's Show Stats
    assert Path(shown["markdown"]).is_file() and shown["summary"]["requests"]["workspace/symbol"]["count"] >= 2
    assert any(Path(p).name == "latency_by_method.png" for p in shown["images"])
