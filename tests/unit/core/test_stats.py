"""`specpilot stats`' summary: percentiles per method, acceptance by point, spend per model, and plots."""

from __future__ import annotations

from pathlib import Path

from specpilot.core import stats

EVENTS = [
    *({"kind": "request", "method": "workspace/symbol", "ms": float(ms), "ok": True, "at": 1_800_000_000 + ms,
       "face": "server"} for ms in range(1, 101)),
    {"kind": "request", "method": "textDocument/rename", "ms": 40.0, "ok": False, "at": 1_800_000_200,
     "face": "server"},
    {"kind": "search", "mode": "hybrid", "ms": 20.0, "at": 1_800_000_300, "face": "cli"},
    {"kind": "index", "files": 10, "embedded": 100, "reused": 20, "seconds": 5.0, "at": 1_800_000_301, "face": "cli"},
    {"kind": "embed", "count": 100, "seconds": 2.5, "at": 1_800_000_302, "face": "cli"},
    {"kind": "feedback", "point": "prompt.coder", "accepted": True, "at": 1_800_000_400, "face": "server"},
    {"kind": "feedback", "point": "prompt.coder", "accepted": False, "at": 1_800_000_401, "face": "server"},
    {"kind": "feedback", "point": "context", "accepted": True, "at": 1_800_000_402, "face": "server"},
    {"kind": "model_call", "provider": "openai", "model": "gpt-4o-mini", "ok": True, "input_tokens": 1000,
     "output_tokens": 200, "cost_usd": 0.0003, "at": 1_800_000_500, "face": "server"},
    {"kind": "model_call", "provider": "local", "model": "qwen", "ok": True, "input_tokens": 50, "output_tokens": 5,
     "cost_usd": None, "at": 1_800_000_501, "face": "server"},
    {"kind": "tool_call", "tool": "read_file", "ok": True, "at": 1_800_000_600, "face": "server"},
    {"kind": "agent_run", "steps": 3, "at": 1_800_000_601, "face": "server"},
    {"kind": "request", "method": "broken"},  # an event of another shape: skipped
]


def test_the_summary_counts_what_a_user_asks_about() -> None:
    summary = stats.summarise(EVENTS)
    symbol = summary["requests"]["workspace/symbol"]
    assert symbol["count"] == 100 and symbol["p50_ms"] == 50.5 and symbol["p95_ms"] == 95.05
    assert summary["requests"]["textDocument/rename"]["failures"] == 1
    assert summary["index"]["embed_rate"] == 40.0 and summary["index"]["reused"] == 20
    assert summary["acceptance"]["prompt.coder"] == {"accepted": 1, "verdicts": 2, "rate": 0.5}
    assert summary["models"]["local:qwen"]["unpriced"] == 1 and summary["spend_usd"] == 0.0003
    assert summary["agent"]["tools"]["read_file"] == {"ok": 1, "calls": 1} and summary["faces"]["cli"] == 3
    text = "\n".join(stats.lines(summary))
    assert "workspace/symbol" in text and "50% of 2" in text and "$0.0003" in text and "1 without a known price" in text


def test_an_empty_log_says_how_it_fills() -> None:
    assert "nothing recorded yet" in "\n".join(stats.lines(stats.summarise([])))


def test_plots_and_a_page(tmp_path: Path) -> None:
    written = stats.write(stats.summarise(EVENTS), tmp_path / "out")
    names = sorted(Path(p).name for p in written["images"])
    assert names == ["acceptance_by_point.png", "latency_by_method.png", "spend_by_day.png"]
    assert all(Path(p).read_bytes().startswith(b"\x89PNG") for p in written["images"])
    page = Path(written["markdown"]).read_text()
    assert "![latency by method](latency_by_method.png)" in page and "workspace/symbol" in page
