"""The reranker's inference side: where models live, which one is found, how code is shown to it, and the
clear error (never a raw exception) for a missing, unfinished or damaged model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from specpilot.index.embedder import DEFAULT_MODEL, pick_precision, resolve_model_path
from specpilot.index.reranker import (
    CARD_FILE,
    Reranker,
    RerankerError,
    base_model_dir,
    document_text,
    find_model,
    load_tokenizer,
    models_dir,
    previous_dir,
    read_card,
    with_context,
    without_context,
    workspace_model_dir,
)

LONG = '''@cache
@other(1)
def parse_headers(raw: bytes, *, strict: bool = False,
                  limit: int = 100) -> dict[str, str]:
    """Parse HTTP headers."""
    headers = {}
''' + "".join(f"    headers['k{i}'] = raw.split(b':')[{i}].decode().strip().lower()\n" for i in range(60))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def fake_model(folder: Path) -> Path:
    """A complete model folder made of the packaged weights (its classifier is untrained)."""
    source = Path(resolve_model_path(DEFAULT_MODEL))
    folder.mkdir(parents=True)
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "vocab.txt"):
        shutil.copyfile(source / name, folder / name)
    files = {p.name: p.stat().st_size for p in folder.iterdir()}
    (folder / CARD_FILE).write_text(json.dumps({"files": files, "query_tokens": 8, "doc_tokens": 24}))
    return folder


def test_document_text_keeps_the_signature_and_cuts_by_tokens() -> None:
    shown = document_text(LONG, max_tokens=96)
    assert shown.startswith("@cache\n@other(1)\ndef parse_headers(raw: bytes")
    assert "limit: int = 100) -> dict[str, str]:" in shown  # the whole signature, over two lines
    assert "headers = {}" in shown and "k59" not in shown
    tokens = len(load_tokenizer().encode(shown, add_special_tokens=False).ids)
    assert 80 <= tokens <= 96
    assert document_text("def f(x):\n\n    return x\n") == "def f(x):\n    return x"
    assert document_text("x = 1\n" * 100, max_tokens=10).count("x = 1") <= 4  # no signature: the start


def test_where_the_code_is_comes_first_within_the_same_budget() -> None:
    text = with_context("http/server.py", "HTTPServer.server_bind", LONG)
    assert without_context(text) == LONG and without_context(LONG) == LONG
    shown = document_text(text, max_tokens=96)
    assert shown.startswith("http/server.py HTTPServer.server_bind\n@cache\n@other(1)\ndef parse_headers(raw: bytes")
    assert len(load_tokenizer().encode(shown, add_special_tokens=False).ids) <= 96 + 1  # the line break
    # A path of many parts takes at most a quarter of the budget: the signature still shows.
    deep = document_text(with_context("/".join(["folder"] * 40) + "/m.py", "f", "def f(x):\n    return x\n"),
                         max_tokens=40)
    assert deep.splitlines()[0].startswith("folder/folder") and deep.endswith("def f(x):\n    return x")


def test_document_text_cuts_a_huge_signature_but_keeps_its_start() -> None:
    code = "def f(" + ", ".join(f"argument_{i}" for i in range(200)) + "):\n    return 1\n"
    shown = document_text(code, max_tokens=30)
    assert shown.startswith("def f(argument_0")
    assert len(load_tokenizer().encode(shown, add_special_tokens=False).ids) <= 30


def test_model_folders_live_in_the_user_cache_and_never_name_the_workspace(cache: Path, tmp_path: Path) -> None:
    assert models_dir() == cache / "specpilot" / "models" / "reranker"
    assert base_model_dir() == models_dir() / "base"
    ws = tmp_path / "secret-project"
    folder = workspace_model_dir(ws)
    assert folder.parent == models_dir() and folder.name.startswith("ws-") and "secret" not in folder.name
    assert workspace_model_dir(ws / ".") == folder


def test_find_model_prefers_a_complete_workspace_model(cache: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert find_model(ws) is None and find_model(None) is None
    fake_model(base_model_dir())
    assert find_model(ws) == base_model_dir() and find_model(None) == base_model_dir()
    unfinished = workspace_model_dir(ws)
    fake_model(unfinished)
    (unfinished / CARD_FILE).unlink()
    assert find_model(ws) == base_model_dir()
    shutil.rmtree(unfinished)
    fake_model(unfinished)
    assert find_model(ws) == unfinished


def test_a_swap_killed_between_its_renames_brings_the_previous_model_back(cache: Path) -> None:
    parked = fake_model(previous_dir(base_model_dir()))
    assert find_model(None) == base_model_dir() and not parked.exists()


def test_load_errors_name_the_problem_and_hint_at_retraining(cache: Path) -> None:
    folder = models_dir() / "base"
    with pytest.raises(RerankerError, match="no reranker model at .*specpilot train reranker"):
        Reranker.load(folder)
    fake_model(folder)
    (folder / CARD_FILE).unlink()
    with pytest.raises(RerankerError, match="unfinished .*specpilot train reranker"):
        Reranker.load(folder)
    (folder / CARD_FILE).write_text("{not json")
    with pytest.raises(RerankerError, match="card .* is damaged"):
        Reranker.load(folder)
    shutil.rmtree(folder)
    fake_model(folder)
    with (folder / "model.safetensors").open("r+b") as handle:
        handle.truncate(1000)
    with pytest.raises(RerankerError, match="model.safetensors has 1000 bytes"):
        read_card(folder)
    shutil.rmtree(folder)
    fake_model(folder)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(RerankerError, match="lacks tokenizer.json"):
        Reranker.load(folder)


def test_corrupt_weights_of_the_right_size_are_a_reranker_error(cache: Path) -> None:
    folder = fake_model(models_dir() / "base")
    size = (folder / "model.safetensors").stat().st_size
    (folder / "model.safetensors").write_bytes(b"\x07" * size)
    with pytest.raises(RerankerError, match="cannot load the reranker model .*damaged"):
        Reranker.load(folder, "cpu", fast=False)


def test_a_loaded_model_scores_and_orders_every_candidate(cache: Path) -> None:
    reranker = Reranker.load(fake_model(models_dir() / "base"), "cpu")
    # No int8 file: torch, in bfloat16 where this CPU multiplies it natively.
    native = pick_precision("auto", "cpu") == "bf16"
    assert reranker.backend == ("torch-bf16" if native else "torch")
    assert reranker.device == "cpu" and reranker.folder == models_dir() / "base"
    codes = ["def add(a, b):\n    return a + b\n", "def read(path):\n    return open(path).read()\n", LONG]
    scores = reranker.scores("add two numbers", codes)
    assert scores.shape == (3,) and scores.dtype.name == "float32"
    order = reranker.order("add two numbers", codes)
    assert sorted(order) == [0, 1, 2] and order == sorted(range(3), key=lambda i: -scores[i])
    assert reranker.order("anything", []) == []
    # fast=False: fp32 (bf16's agreement with it is measured by bench/rerank_speed.py on a trained model).
    assert Reranker.load(models_dir() / "base", "cpu", fast=False).backend == "torch"
