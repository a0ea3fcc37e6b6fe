"""The reranker's fast CPU path: its transformer exported to ONNX, its weights quantised to int8 per channel.

The same exporter as the query encoder (:mod:`specpilot.index.onnx_export`), then onnxruntime's dynamic int8
quantisation of the weights. The trainer keeps the int8 file only when it ranks the validation set within
``MAX_MRR_LOSS`` of fp32.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from specpilot.index.onnx_export import trace_to_onnx

MAX_MRR_LOSS = 0.005


def export_int8(model: Any, target: Path) -> Path:
    """Write ``model`` (a Hugging Face sequence-classification model) to ``target`` as int8 ONNX."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = target.with_name(target.name + ".fp32.tmp")
    root = logging.getLogger()
    quiet = _AdviceFilter()
    root.addFilter(quiet)  # onnxruntime's advice to pre-process the graph, on the root logger: not for users
    try:
        trace_to_onnx(model.float().cpu().eval(), fp32, "logits", per_token=False)
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.removeFilter(quiet)
        fp32.unlink(missing_ok=True)
    return target


class _AdviceFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Please consider to run pre-processing before quantization")
