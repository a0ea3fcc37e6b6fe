"""The `specpilot` command through a real subprocess, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.fixtures import copy_workspace

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample_workspace"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "specpilot", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "ws"
    copy_workspace(SAMPLE, root)
    result = run("index", str(root))
    assert result.returncode == 0, result.stderr
    assert "chunks written" in result.stdout
    return root


def test_index_reports_counts_and_writes_cache_gitignore(indexed: Path) -> None:
    assert (indexed / ".specpilot" / "cache" / ".gitignore").read_text().strip().endswith("*")
    again = run("index", str(indexed), "-q")
    assert again.returncode == 0
    assert "0 files changed" in again.stdout


def test_search_json_hybrid(indexed: Path) -> None:
    result = run("search", "-w", str(indexed), "--json", "-k", "3", "parse the http header")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    assert "parse_headers" in [h["qualified_name"] for h in hits]
    first = hits[0]
    assert {"path", "start_line", "end_line", "qualified_name", "kind", "score", "snippet"} <= set(first)


def test_search_human_output_bm25(indexed: Path) -> None:
    result = run("search", "-w", str(indexed), "--mode", "bm25", "-k", "1", "slugify")
    assert result.returncode == 0
    assert "tools/slug.rs:1-15" in result.stdout and "slugify" in result.stdout


def test_batch_queries_one_line_out_per_line_in(indexed: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text("\n".join([
        json.dumps({"id": 1, "query": "LRUCache", "k": 1, "mode": "bm25"}),
        "not json",
        json.dumps({"id": 3, "query": "router dispatch", "k": 2, "filters": {"language": "javascript"}}),
    ]) + "\n")
    result = run("search", "-w", str(indexed), "--queries", str(queries))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[0]["id"] == 1 and lines[0]["results"][0]["qualified_name"] == "LRUCache"
    assert lines[1]["line"] == 2 and "error" in lines[1]
    assert lines[2]["results"] and {r["language"] for r in lines[2]["results"]} == {"javascript"}


def test_status_json(indexed: Path) -> None:
    result = run("status", "-w", str(indexed), "--json")
    assert result.returncode == 0
    status = json.loads(result.stdout)
    assert status["files"] >= 10 and status["chunks"] > status["files"]
    assert status["embeddedPercent"] == 100.0
    assert status["diskBytes"] > 0


def test_graph_callers(indexed: Path) -> None:
    result = run("graph", "callers", "parse_cookie", "-w", str(indexed), "--json")
    assert result.returncode == 0
    assert "cookies_from" in [c["qualifiedName"] for c in json.loads(result.stdout)]


def test_usage_errors_exit_2(indexed: Path) -> None:
    assert run("search", "-w", str(indexed), "--mode", "fuzzy", "x").returncode == 2
    missing_query = run("search", "-w", str(indexed))
    assert missing_query.returncode == 2 and "QUERY" in missing_query.stderr
    assert run("search", "-w", str(indexed), "-k", "0", "x").returncode == 2
    assert run("frobnicate").returncode == 2


def test_failures_exit_1_with_one_line(tmp_path: Path) -> None:
    result = run("index", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "does not exist" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    no_index = run("search", "-w", str(empty), "--mode", "bm25", "anything")
    assert no_index.returncode == 1 and "specpilot index" in no_index.stderr


def test_bad_setting_is_named_and_default_used(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("def alpha_beta():\n    return 1\n")
    (root / "pyproject.toml").write_text("[tool.specpilot.index]\nmaxFileBytes = -5\nbogus = 1\n")
    result = run("index", str(root), "--no-embed", "-q")
    assert result.returncode == 0, result.stderr
    assert "tool.specpilot.index.maxFileBytes" in result.stderr
    assert "tool.specpilot.index.bogus" in result.stderr
    found = run("search", "-w", str(root), "--mode", "bm25", "--json", "alpha_beta")
    assert json.loads(found.stdout)[0]["qualified_name"] == "alpha_beta"


def test_unknown_model_is_a_clear_failure(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run("index", str(tmp_path), "--model", "/no/such/model")
    assert result.returncode == 1
    assert "model" in result.stderr


def read_until(stream, prefix: str, lines: list[str], timeout: float = 120.0) -> bool:  # type: ignore[no-untyped-def]
    """Collect lines from ``stream`` until one starts with ``prefix``; False on timeout."""
    found = threading.Event()

    def reader() -> None:
        for line in stream:
            lines.append(line)
            if line.startswith(prefix):
                found.set()
                return

    threading.Thread(target=reader, daemon=True).start()
    return found.wait(timeout)


def test_index_watch_picks_up_a_new_file(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "first.py").write_text("def first_function():\n    return 1\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    watcher = subprocess.Popen([sys.executable, "-m", "specpilot", "index", str(root), "--watch", "-q",
                                "--set", "index.watchDebounceMs=100", "--set", "embedder.enabled=false"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    try:
        assert watcher.stdout is not None
        assert read_until(watcher.stdout, "watching", lines), lines
        (root / "pkg" / "second.py").write_text("def second_function():\n    return 2\n")
        assert read_until(watcher.stdout, "updated", lines), lines
        assert "1 changed" in lines[-1]
        found = run("search", "-w", str(root), "--mode", "bm25", "--json", "second_function")
        assert json.loads(found.stdout)[0]["path"] == "pkg/second.py"
    finally:
        watcher.terminate()
        assert watcher.wait(timeout=30) == 0  # SIGTERM stops the watcher cleanly


def test_symbols_prints_the_outline(tmp_path: Path) -> None:
    source = SAMPLE / "storage" / "cache.py"
    shown = run("symbols", str(source))
    assert shown.returncode == 0, shown.stderr
    assert "class    LRUCache" in shown.stdout and "  method   _evict_oldest" in shown.stdout
    data = json.loads(run("symbols", str(source), "--json").stdout)
    cache = next(s for s in data if s["name"] == "LRUCache")
    assert "_evict_oldest" in [c["name"] for c in cache["children"]] and cache["startLine"] < cache["endLine"]
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"\xff\xfe\x00bad")
    failed = run("symbols", str(binary))
    assert failed.returncode == 1 and "not UTF-8" in failed.stderr


def test_serve_rejects_a_bad_tcp_address() -> None:
    result = run("serve", "--tcp", "nowhere")
    assert result.returncode == 2 and "HOST:PORT" in result.stderr
