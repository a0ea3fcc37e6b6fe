"""The ONNX query encoder: agrees with torch, falls back when its export is missing or
damaged, and keeps torch out of a cold ``specpilot search`` process."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np
import pytest

from specpilot.core.config import Settings
from specpilot.index.embedder import DEFAULT_MODEL, Embedder
from specpilot.index.engine import WorkspaceIndex
from specpilot.index.query_encoder import (
    CARD_FILE,
    ONNX_FILE,
    OnnxQueryEncoder,
    agreement_of,
    export,
    export_folder,
    export_in_background,
    load_query_encoder,
    pool,
    preload_query_encoder,
)
from tests.fixtures import copy_workspace

SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sample_workspace"


def docstring_queries(limit: int) -> list[str]:
    """First sentences of stdlib docstrings: real, varied natural-language queries."""
    found: list[str] = []
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                first = doc.strip().split(".")[0].strip() if doc else ""
                if 3 <= len(first.split()) and first not in found:
                    found.append(first)
                    if len(found) == limit:
                        return found
    return found


def test_pooling_is_masked_mean_then_unit_length() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 4.0], [100.0, 100.0]]], dtype=np.float32)
    vector = pool(hidden, np.array([[1, 1, 0]]))  # the padded third token must not count
    assert np.allclose(vector, [[2.0 / np.hypot(2, 2), 2.0 / np.hypot(2, 2)]])


def test_missing_or_damaged_export_means_torch_not_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert load_query_encoder(DEFAULT_MODEL, 128, 384) is None  # nothing exported yet
    folder = export_folder(DEFAULT_MODEL)
    assert folder.is_relative_to(tmp_path / "specpilot" / "models")
    folder.mkdir(parents=True)
    (folder / ONNX_FILE).write_bytes(b"not an onnx model")
    (folder / CARD_FILE).write_text("{}")
    assert load_query_encoder(DEFAULT_MODEL, 128, 384) is None
    assert load_query_encoder("/no/such/model/folder", 128, 384) is None


def test_without_an_export_nothing_is_preloaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert not preload_query_encoder(DEFAULT_MODEL, 128)
    assert not preload_query_encoder("/no/such/model/folder", 128)
    assert load_query_encoder(DEFAULT_MODEL, 128, 384) is None


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh export into a private user cache (the real one is left alone)."""
    cache = tmp_path_factory.mktemp("xdg")
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache)
    try:
        export(DEFAULT_MODEL)
    finally:
        if old is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = old
    return cache


@pytest.mark.slow
def test_onnx_agrees_with_torch_on_100_queries(exported: Path, embedder: Embedder,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(exported))
    encoder = load_query_encoder(DEFAULT_MODEL, embedder.max_seq_length, embedder.dim)
    assert isinstance(encoder, OnnxQueryEncoder)
    card = json.loads((export_folder(DEFAULT_MODEL) / CARD_FILE).read_text())
    assert card["source_model"] == DEFAULT_MODEL and len(card["weights_sha256"]) == 64
    assert card["agreement"]["min_cosine"] >= 0.999
    queries = docstring_queries(100) + ["x", "read_config", "a " * 400]  # one longer than max_seq_length
    assert len(queries) == 103
    assert agreement_of(encoder, embedder, queries) >= 0.999
    # Unrelated queries stay apart: the agreement is not that of a constant vector.
    vectors = encoder.embed(queries[:2])
    assert float(vectors[0] @ vectors[1]) < 0.9


@pytest.mark.slow
def test_the_encoder_read_ahead_is_the_one_loaded_once(exported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(exported))
    assert preload_query_encoder(DEFAULT_MODEL, 128)
    assert not preload_query_encoder(DEFAULT_MODEL, 128)  # one read at a time per model
    early = load_query_encoder(DEFAULT_MODEL, 128, 384)
    fresh = load_query_encoder(DEFAULT_MODEL, 128, 384)  # taken once: this one is read again
    assert isinstance(early, OnnxQueryEncoder) and isinstance(fresh, OnnxQueryEncoder) and early is not fresh
    assert np.array_equal(early.embed(["parse the http headers"]), fresh.embed(["parse the http headers"]))
    assert preload_query_encoder(DEFAULT_MODEL, 128)
    assert load_query_encoder(DEFAULT_MODEL, 128, 768) is None  # the index's dimension still decides


@pytest.mark.slow
def test_cold_search_process_uses_onnx_without_importing_torch(exported: Path, embedder: Embedder,
                                                              tmp_path: Path) -> None:
    root = tmp_path / "ws"
    copy_workspace(SAMPLE, root)
    index = WorkspaceIndex(root, Settings(), embedder=embedder)
    index.update()
    index.close()
    probe = ("import sys\nfrom specpilot.cli import main\n"
             "try:\n    main(['search', 'parse a configuration file', '--json', '-k', '3', '-w', sys.argv[1]])\n"
             "except SystemExit:\n    pass\n"
             "print('MODULES', 'torch' in sys.modules, 'sentence_transformers' in sys.modules)\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(exported)}
    done = subprocess.run([sys.executable, "-c", probe, str(root)], capture_output=True, text=True, env=env,
                          timeout=120, check=True)
    hits_text, _, modules = done.stdout.rpartition("MODULES")
    assert modules.split() == ["False", "False"], done.stderr
    hits = json.loads(hits_text)
    assert hits and any(h["source"] in ("vector", "both") for h in hits)  # the query was embedded
    # Without the export the same search loads torch and finds the same chunks.
    env["XDG_CACHE_HOME"] = str(tmp_path / "empty-cache")
    done = subprocess.run([sys.executable, "-c", probe, str(root)], capture_output=True, text=True, env=env,
                          timeout=300, check=True)
    torch_text, _, modules = done.stdout.rpartition("MODULES")
    assert modules.split()[0] == "True"
    assert [h["path"] + h["qualified_name"] for h in json.loads(torch_text)] == \
        [h["path"] + h["qualified_name"] for h in hits]


def test_background_export_only_when_missing_and_copyable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    other = tmp_path / "cls-pooled"
    other.mkdir()
    (other / "config.json").write_text("{}")
    (other / "modules.json").write_text(json.dumps([{"type": "sentence_transformers.models.Transformer"},
                                                    {"type": "sentence_transformers.models.CLSPooling"}]))
    assert export_in_background(str(other)) is False  # its pooling is not reproduced: never exported
    assert not (export_folder(str(other)) / "export.lock").exists()
    folder = export_folder(DEFAULT_MODEL)
    folder.mkdir(parents=True)
    (folder / "export.lock").write_text("1")  # another export under way
    assert export_in_background(DEFAULT_MODEL) is False


@pytest.mark.slow
def test_background_export_writes_a_usable_encoder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = export_folder(DEFAULT_MODEL)
    folder.mkdir(parents=True)
    (folder / ONNX_FILE).write_bytes(b"damaged")
    (folder / CARD_FILE).write_text("{}")
    assert export_in_background(DEFAULT_MODEL) is True  # a damaged export is written again
    assert export_in_background(DEFAULT_MODEL) is False  # one at a time
    deadline = time.monotonic() + 240
    while (folder / "export.lock").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    encoder = load_query_encoder(DEFAULT_MODEL, 128, 384)
    assert encoder is not None and encoder.embed_query("parse the headers").shape == (384,)
    assert export_in_background(DEFAULT_MODEL) is False  # a usable export is left alone
