"""Tracing a BERT-style transformer to ONNX: the one exporter behind the query encoder's ONNX model
(:mod:`specpilot.index.query_encoder`) and the reranker's int8 fast path (:mod:`specpilot.index.rerank_export`).

torch's tracing exporter (``dynamo=False``: the dynamo exporter needs onnxscript, which SpecPilot does not
install), opset :data:`OPSET`, inputs ``input_ids``, ``attention_mask`` and ``token_type_ids`` with dynamic batch
and sequence axes, and one named output taken from the model's output object.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def trace_to_onnx(model: Any, target: Path, output: str, *, per_token: bool) -> Path:
    """Write ``model``'s ``output`` attribute (``last_hidden_state``, ``logits``) as a function of the three
    inputs to ``target``. ``per_token``: the output has a sequence axis too (hidden states), not only a batch
    axis (logits)."""
    import torch

    class Traced(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return getattr(self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids), output)

    sample = torch.ones((2, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it treats as constants
        torch.onnx.export(Traced(), (sample, sample, torch.zeros_like(sample)), str(target),
                          input_names=list(INPUTS), output_names=[output], opset_version=OPSET, dynamo=False,
                          dynamic_axes={**{name: axes for name in INPUTS},
                                        output: axes if per_token else {0: "batch"}})
    return target
