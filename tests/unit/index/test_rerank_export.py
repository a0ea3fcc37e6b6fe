"""The reranker's int8 ONNX file scores pairs as the torch model does, closely enough to rank alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from specpilot.index.embedder import DEFAULT_MODEL, resolve_model_path
from specpilot.index.rerank_export import export_int8
from specpilot.index.reranker import (
    document_text,
    encode_pairs,
    load_cross_encoder,
    load_tokenizer,
    model_scorer,
    onnx_scorer,
)


def test_int8_export_agrees_with_torch(tmp_path: Path) -> None:
    model = load_cross_encoder(Path(resolve_model_path(DEFAULT_MODEL)), "cpu", num_labels=1).model.eval()
    codes = [f"def f{i}(x):\n    return x * {i} + len(str(x))\n" for i in range(6)] + ["class Queue:\n    pass\n"]
    own = Tokenizer.from_str(load_tokenizer().to_str())  # encode_pairs sets truncation: not on the shared one
    feed = encode_pairs(own, "multiply the value", [document_text(c) for c in codes], 64)
    expected = model_scorer(model, "cpu")(feed)
    target = export_int8(model, tmp_path / "model.int8.onnx")
    assert target.is_file() and not list(tmp_path.glob("*.tmp"))
    got = onnx_scorer(target)(feed).reshape(-1)
    assert got.shape == expected.shape and float(np.max(np.abs(got - expected))) < 0.1
    assert float(np.corrcoef(got, expected)[0, 1]) > 0.9
