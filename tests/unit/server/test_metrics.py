"""The opt-in metrics: fed by events, served on 127.0.0.1 only, a taken port is a warning, stopping frees it."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from specpilot.core import events
from specpilot.server.metrics import Metrics


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:  # noqa: S310 - loopback
        return str(answer.read().decode())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def value(text: str, prefix: str) -> float:
    return float(next(line for line in text.splitlines() if line.startswith(prefix)).split()[-1])


def test_events_become_metrics_on_loopback() -> None:
    metrics = Metrics(lambda: {"/ws": 7})
    port = free_port()
    metrics.serve(port)
    try:
        events.emit("request", method="textDocument/hover", ms=12.0, ok=True)
        events.emit("embed", count=64, seconds=2.0)
        events.emit("feedback", point="prompt.coder", accepted=True)
        events.emit("model_call", model="gpt-4o-mini", input_tokens=100, output_tokens=10, cost_usd=0.001)
        events.emit("search", ms="not a number")  # malformed: ignored, not raised
        text = scrape(port)
        assert value(text, 'specpilot_request_seconds_count{method="textDocument/hover"}') == 1
        assert value(text, 'specpilot_request_seconds_bucket{le="0.025",method="textDocument/hover"}') == 1
        assert value(text, "specpilot_embedded_chunks_total") == 64
        assert value(text, 'specpilot_verdicts_total{accepted="true",point="prompt.coder"}') == 1
        assert value(text, 'specpilot_model_cost_usd_total{model="gpt-4o-mini"}') == 0.001
        assert value(text, 'specpilot_index_queue_depth{folder="/ws"}') == 7
    finally:
        metrics.stop()
    with pytest.raises(OSError):
        scrape(port)


def test_a_taken_port_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        metrics = Metrics(dict)
        metrics.serve(taken.getsockname()[1])
    assert metrics.port == 0 and "cannot listen on 127.0.0.1" in caplog.text
