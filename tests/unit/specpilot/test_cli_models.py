"""``specpilot train reranker`` and ``specpilot models list|remove`` through the real CLI entry point, and
``specpilot search --mode rerank`` without a model. The base model is a tiny one trained in the test (the real base
training mines the standard library for minutes; bench/rerank_quality.py runs it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specpilot.cli import main
from specpilot.index.rerank_train import train
from specpilot.index.reranker import base_model_dir
from tests.unit.index.test_rerank_train import TINY, write_data


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache"


def test_models_list_and_remove(cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list"]) == 0
    assert "no models yet" in capsys.readouterr().out
    train_file, valid_file = write_data(tmp_path / "data")
    train(train_file, valid_file, base_model_dir(), max_steps=1, **TINY)  # type: ignore[arg-type]
    assert main(["models", "list", "--json"]) == 0
    [model] = json.loads(capsys.readouterr().out)
    assert model["name"] == "base" and model["complete"] and model["size"] > 1_000_000
    assert main(["models", "remove", "../elsewhere"]) == 1
    assert "not a reranker model name" in capsys.readouterr().err
    assert main(["models", "remove", "base"]) == 0
    assert not base_model_dir().exists()


def test_a_workspace_without_docstrings_keeps_the_base_model(cache: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    train_file, valid_file = write_data(tmp_path / "data")
    train(train_file, valid_file, base_model_dir(), max_steps=1, **TINY)  # type: ignore[arg-type]
    workspace = tmp_path / "bare"
    workspace.mkdir()
    (workspace / "calc.py").write_text("def f(a, b):\n    return a + b\n\n\ndef g(x):\n    return x * 2\n")
    assert main(["train", "reranker", "-w", str(workspace)]) == 0
    out = capsys.readouterr().out
    assert "too little to adapt the reranker to" in out and "the base model is used as it is" in out
    assert main(["train", "reranker", "-w", str(workspace), "--limit", "0"]) == 1
    assert "--limit must be at least 1" in capsys.readouterr().err


def test_search_mode_rerank_without_a_model_says_so(cache: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "retry.py").write_text("def backoff(attempt):\n    return 2 ** attempt\n\n\n"
                                        "def total(lines):\n    return sum(lines)\n")
    assert main(["index", str(workspace), "--no-embed"]) == 0
    capsys.readouterr()
    assert main(["search", "backoff", "-w", str(workspace), "--mode", "rerank", "--no-server", "--json",
                 "--set", "embedder.enabled=false"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)[0]["qualified_name"] == "backoff"
    assert "no reranker model yet" in captured.err
