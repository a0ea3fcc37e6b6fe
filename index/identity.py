"""Which embedding model and vector size a workspace's index is written for (read
from the model folder, without loading torch), and its self-check without opening it."""

from __future__ import annotations

import json
from pathlib import Path

from specpilot.core.config import Settings
from specpilot.core.paths import cache_dir
from specpilot.index import health, verified
from specpilot.index.embedder import Embedder, EmbedderError, resolve_model_path
from specpilot.index.health import HealthReport
from specpilot.index.open_lock import checking
from specpilot.index.store_tables import store_layout


def model_dimension(model: str) -> int:
    """Read the vector size from the model folder without loading torch."""
    folder = Path(resolve_model_path(model))
    pooling = folder / "1_Pooling" / "config.json"
    try:
        if pooling.is_file():
            return int(json.loads(pooling.read_text())["word_embedding_dimension"])
        return int(json.loads((folder / "config.json").read_text())["hidden_size"])
    except (OSError, ValueError, KeyError) as exc:
        raise EmbedderError(f"cannot read the vector size of model {model!r}: {exc}") from exc


def index_identity(settings: Settings, embedder: Embedder | None = None) -> tuple[int, str]:
    """(vector size, model identity) the index of these settings is written for. Vectors
    depend on the truncation length too: it is part of the identity."""
    model = embedder.name if embedder else settings.embedder.model
    dim = embedder.dim if embedder else model_dimension(model)
    seq = embedder.max_seq_length if embedder else settings.embedder.max_seq_length
    return dim, f"{model}@{seq}"


def check_workspace(root: Path, settings: Settings) -> HealthReport:
    """The self-check of ``root``'s index without opening (or repairing) it."""
    dim, model = index_identity(settings)
    folder = cache_dir(root.resolve(), settings.cache_path) / "index"
    with checking(folder) as alone:
        report = health.check(folder, store_layout(dim, model, sidecars=True), alone=alone)
    if report.problems:  # whatever the stamp says, the next open checks (and repairs) in full
        verified.forget(folder)
    return report
