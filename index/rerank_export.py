"""The reranker's fast CPU path: its transformer exported to ONNX, its weights quantised to int8 per channel.

The same export approach as the query encoder (:mod:`specpilot.index.query_encoder`): torch's tracing
exporter with dynamic batch and sequence axes, opset 17; then onnxruntime's dynamic int8 quantisation of the
weights. The trainer keeps the int8 file only when it ranks the validation set within ``MAX_MRR_LOSS`` of fp32.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from specpilot.index.query_encoder import OPSET

MAX_MRR_LOSS = 0.005


def export_int8(model: Any, target: Path) -> Path:
    """Write ``model`` (a Hugging Face sequence-classification model) to ``target`` as int8 ONNX."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = target.with_name(target.name + ".fp32.tmp")
    model = model.float().cpu().eval()

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).logits

    sample = torch.ones((2, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "sequence"}
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes it treats as constants
            torch.onnx.export(Logits(), (sample, sample, torch.zeros_like(sample)), str(fp32),
                              input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=["logits"], opset_version=OPSET, dynamo=False,
                              dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                            "logits": {0: "batch"}})
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        fp32.unlink(missing_ok=True)
    return target
