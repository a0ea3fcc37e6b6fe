"""Training the code reranker: a plain torch loop over a sentence-transformers CrossEncoder's transformer.

``CrossEncoderTrainer`` needs the ``datasets`` and ``accelerate`` packages, which SpecPilot does not install;
this loop does what the sentence-transformers documentation recommends for (query, positive, hard negatives)
data: a listwise softmax cross-entropy (the CrossEncoder ``MultipleNegativesRankingLoss``). Each query is scored
against its positive, ``negatives`` hard negatives and another query's positive; the loss asks the positive to
win. It optimises exactly what reranking needs (one right chunk among many look-alikes). The whole
model is trained by default; ``train_layers`` trains only the top layers and the head, 1.4x faster on a 2-core
CPU but worse: on the same 10,758 pairs, validation MRR@10 0.858 with the top 3 layers against 0.903 with all
six, and stdlib-set MRR@10 (blended with hybrid) 0.556 against 0.563.

The validation file is never trained on. Validation MRR@10 (the positive among its own negatives and other
queries' positives, ``candidates`` in all) is measured before training, every ``eval_fraction`` of the time
budget and at the end; training stops when it has not improved for ``patience`` evaluations or the time is up,
and the best model is kept. A checkpoint in ``.<name>.training`` next to the model lets a killed run resume.
The finished model (with its int8 ONNX fast path when that keeps MRR within 0.005) is written into a temporary
folder, its card last, and swapped in atomically (:func:`specpilot.index.rerank_models.swap_in`).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specpilot.core.errors import SpecPilotError
from specpilot.index.embedder import DEFAULT_MODEL, pick_precision, resolve_model_path
from specpilot.index.rerank_export import MAX_MRR_LOSS, export_int8
from specpilot.index.rerank_models import swap_in
from specpilot.index.rerank_pairs import TrainingPair, read_pairs
from specpilot.index.reranker import (
    CARD_FILE,
    CARD_MD,
    DOC_TOKENS,
    FAST_FILE,
    QUERY_TOKENS,
    TOKENIZER_FILE,
    document_text,
    encode_pairs,
    fresh_tokenizer,
    load_cross_encoder,
    model_scorer,
    onnx_scorer,
    query_text,
    recover,
)

MIN_PAIRS = 50
MIN_VALID = 5
HEAD_LR_FACTOR = 20.0  # the head starts from random weights
Progress = Callable[[str, float], None]


class TrainingDataError(SpecPilotError, ValueError):
    """Training data too small (or missing) to train on; the message says why nothing was trained."""


@dataclass
class TrainReport:
    folder: Path
    card: dict[str, Any]
    steps: int
    seconds: float
    pairs_per_s: float
    mrr_before: float
    mrr_after: float
    stopped: str  # "converged", "time", "data" (every pair seen) or "steps"
    resumed: bool = False
    history: list[tuple[int, float]] = field(default_factory=list)


def _pairs(path: Path, what: str) -> list[TrainingPair]:
    if not path.is_file():
        raise TrainingDataError(f"no {what} pairs at {path}: nothing was trained")
    return list(read_pairs(path))


def _fingerprint(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path) and part.is_file():
            digest.update(part.read_bytes())
        else:
            digest.update(repr(part).encode())
    return digest.hexdigest()[:16]


def validation_groups(pairs: Sequence[TrainingPair], limit: int, candidates: int, doc_tokens: int,
                      seed: int) -> list[tuple[str, list[str]]]:
    """(query, candidate documents with the positive first) for up to ``limit`` validation pairs: its own
    negatives, then other pairs' positives as distractors, ``candidates`` documents in all."""
    rng = random.Random(seed)
    chosen = list(pairs)
    rng.shuffle(chosen)
    chosen = chosen[:limit]
    positives = [p.positive for p in pairs]
    groups = []
    for pair in chosen:
        docs = [pair.positive] + [n for n in pair.negatives if n != pair.positive][:candidates - 1]
        others = [c for c in rng.sample(positives, min(len(positives), candidates * 2)) if c not in docs]
        docs += others[:candidates - len(docs)]
        groups.append((pair.query, [document_text(d, max_tokens=doc_tokens) for d in dict.fromkeys(docs)]))
    return groups


def mrr_at_10(score: Callable[[str, list[str]], np.ndarray], groups: Sequence[tuple[str, list[str]]]) -> float:
    """Mean reciprocal rank of the positive (index 0) within the top 10; ties count against it."""
    total = 0.0
    for query, docs in groups:
        values = score(query, docs)
        rank = 1 + int(np.sum(values[1:] >= values[0]))
        total += 1.0 / rank if rank <= 10 else 0.0
    return total / max(1, len(groups))


def train(train_pairs: Path, valid_pairs: Path, out_dir: Path, *, base: Path | None = None,
          max_minutes: float = 20.0, batch_size: int = 16, progress: Progress | None = None,
          resume: bool = True, seed: int = 0, negatives: int = 7, candidates: int = 20,
          valid_queries: int = 60, max_steps: int | None = None, eval_fraction: float = 0.15,
          patience: int = 2, checkpoint_seconds: float = 60.0, learning_rate: float | None = None,
          query_tokens: int = QUERY_TOKENS, doc_tokens: int = DOC_TOKENS, fast: bool = True,
          train_layers: int | None = None, data_note: str = "") -> TrainReport:
    """Train a reranker on ``train_pairs``, validate on ``valid_pairs``, put the model at ``out_dir``."""
    import torch

    started = time.monotonic()
    report_progress = progress or (lambda stage, fraction: None)
    train_set, valid_set = _pairs(train_pairs, "training"), _pairs(valid_pairs, "validation")
    if len(train_set) < MIN_PAIRS:
        raise TrainingDataError(f"only {len(train_set)} training pairs in {train_pairs} (at least {MIN_PAIRS} are "
                                "needed to learn anything): nothing was trained, the current model stays")
    if len(valid_set) < MIN_VALID:
        raise TrainingDataError(f"only {len(valid_set)} validation pairs in {valid_pairs} (at least {MIN_VALID} "
                                "are needed to tell whether training helps): nothing was trained")
    recover(out_dir)
    work = out_dir.parent / f".{out_dir.name}.training"
    work.mkdir(parents=True, exist_ok=True)
    checkpoint = work / "checkpoint.pt"
    device = "cuda" if torch.cuda.is_available() else "cpu"
    precision = training_precision(device)
    random.seed(seed)
    torch.manual_seed(seed)
    init = base or Path(resolve_model_path(DEFAULT_MODEL))
    cross = load_cross_encoder(init, device, **({} if base else {"num_labels": 1}))
    model = cross.model
    tokenizer = fresh_tokenizer(init)
    max_length = 3 + query_tokens + doc_tokens
    lr = learning_rate or (2e-5 if base else 4e-5)
    # The head is new (random) only when starting from the packaged embedding model.
    head_lr = lr * (HEAD_LR_FACTOR if base is None else 1.0)
    optimizer = torch.optim.AdamW(_param_groups(model, lr, head_lr, train_layers), lr=lr, weight_decay=0.01)
    groups = validation_groups(valid_set, valid_queries, candidates, doc_tokens, seed)
    scorer = model_scorer(model, device)

    def evaluate(score_feed: Callable[[dict[str, np.ndarray]], np.ndarray]) -> float:
        model.eval()
        return mrr_at_10(lambda q, docs: np.concatenate([
            score_feed(encode_pairs(tokenizer, query_text(q, max_tokens=query_tokens), docs[i:i + 32], max_length))
            for i in range(0, len(docs), 32)]), groups)

    fingerprint = _fingerprint(train_pairs, valid_pairs, str(init), seed, batch_size, negatives, query_tokens,
                               doc_tokens, lr, head_lr, train_layers)
    state: dict[str, Any] = {}
    if resume and checkpoint.is_file():
        try:
            saved = torch.load(checkpoint, map_location=device, weights_only=False)
            if saved.get("fingerprint") == fingerprint:
                state = saved
        except Exception:  # a damaged checkpoint: start again
            state = {}
    resumed = bool(state)
    if resumed:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        step, seen, mrr_before = int(state["step"]), int(state["seen"]), float(state["mrr_before"])
        best, best_step, history = float(state["best"]), int(state["best_step"]), list(state["history"])
        spent, order = float(state["seconds"]), list(state["order"])
        eval_seconds = float(state["eval_seconds"])
    else:
        report_progress("evaluating", 0.0)
        mrr_before = evaluate(scorer)
        eval_seconds = time.monotonic() - started
        step, seen, best, best_step, history, spent = 0, 0, mrr_before, 0, [(0, mrr_before)], 0.0
        order = list(range(len(train_set)))
        random.Random(seed).shuffle(order)
        torch.save(model.state_dict(), work / "best.pt")
    budget = max_minutes * 60.0
    # The whole run fits the budget: time an earlier run spent counts, and the last evaluations (fp32 and the
    # fast path) and the export are kept back from the training time.
    clock = (time.monotonic() - spent) if resumed else started
    reserve = (2 if fast else 1) * eval_seconds + (20.0 if fast else 5.0)
    loop_started, seen_at_start = time.monotonic(), seen
    last_eval = last_save = time.monotonic()
    rng = random.Random(seed * 1_000_003 + step)
    loss_fn = torch.nn.CrossEntropyLoss()
    docs_cache: dict[str, str] = {}

    def shown(code: str) -> str:
        if code not in docs_cache:
            docs_cache[code] = document_text(code, max_tokens=doc_tokens)
        return docs_cache[code]

    def save_checkpoint() -> None:
        payload = {"fingerprint": fingerprint, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                   "torch_rng": torch.get_rng_state(), "step": step, "seen": seen, "mrr_before": mrr_before,
                   "best": best, "best_step": best_step, "history": history,
                   "seconds": time.monotonic() - clock, "order": order,
                   "eval_seconds": eval_seconds}
        temporary = checkpoint.with_suffix(".tmp")
        torch.save(payload, temporary)
        os.replace(temporary, checkpoint)

    stopped = "data"
    warmup = 5
    while seen < len(order):
        if max_steps is not None and step >= max_steps:
            stopped = "steps"
            break
        if time.monotonic() - clock >= budget - reserve and step > 0:
            stopped = "time"
            break
        batch = [train_set[i] for i in order[seen:seen + batch_size]]
        model.train()
        for group in optimizer.param_groups:
            group["lr"] = group["base_lr"] * min(1.0, (step + 1) / warmup)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = _step_loss(model, tokenizer, batch, train_set, rng, negatives, query_tokens, max_length, shown,
                              device, loss_fn)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        seen += len(batch)
        elapsed = time.monotonic() - clock
        report_progress("training", min(1.0, max(elapsed / budget, seen / len(order))))
        # Evaluations take at most about a quarter of the time, however slow the machine is.
        if time.monotonic() - last_eval >= max(eval_fraction * budget, 3 * eval_seconds):
            report_progress("evaluating", min(1.0, elapsed / budget))
            mrr = evaluate(scorer)
            history.append((step, mrr))
            last_eval = time.monotonic()
            if mrr > best + 1e-4:
                best, best_step = mrr, step
                torch.save(model.state_dict(), work / "best.pt")
            elif len([s for s, _ in history if s > best_step]) >= patience:
                stopped = "converged"
                save_checkpoint()
                break
        if time.monotonic() - last_save >= checkpoint_seconds:
            save_checkpoint()
            last_save = time.monotonic()
    train_seconds = time.monotonic() - loop_started
    pairs_per_s = (seen - seen_at_start) / train_seconds if train_seconds > 0 else 0.0
    if stopped != "converged" and history[-1][0] != step:
        report_progress("evaluating", 1.0)
        mrr = evaluate(scorer)
        history.append((step, mrr))
        if mrr > best + 1e-4:
            best, best_step = mrr, step
            torch.save(model.state_dict(), work / "best.pt")
    model.load_state_dict(torch.load(work / "best.pt", map_location=device, weights_only=True))
    report_progress("saving", 1.0)
    finished = work / "model"
    shutil.rmtree(finished, ignore_errors=True)
    cross.save(str(finished))
    if not (finished / TOKENIZER_FILE).is_file():
        shutil.copyfile(init / TOKENIZER_FILE, finished / TOKENIZER_FILE)
    fast_card: dict[str, Any] = {"ok": False}
    if fast:
        fast_card = _check_fast(model, finished, best, evaluate)
        model.to(device)
    seconds = round(time.monotonic() - started, 1)
    card: dict[str, Any] = {
        "format": 1, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "base_model": str(base) if base else DEFAULT_MODEL, "device": device, "torch": torch.__version__,
        "precision": f"{precision} autocast, fp32 weights" if precision == "bf16" else "fp32",
        "train_pairs": len(train_set), "valid_pairs": len(valid_set), "valid_queries_scored": len(groups),
        "candidates": candidates, "pairs_by_kind": _kinds(train_set), "valid_by_kind": _kinds(valid_set),
        "valid_mrr10_before": round(mrr_before, 4), "valid_mrr10_after": round(best, 4),
        "history": [[s, round(m, 4)] for s, m in history], "steps": step, "best_step": best_step,
        "pairs_seen": seen, "pairs_per_s": round(pairs_per_s, 2), "stopped": stopped,
        "seconds": seconds, "resumed": resumed, "batch_size": batch_size,
        "negatives": negatives, "learning_rate": lr, "train_layers": train_layers,
        "loss": "listwise softmax cross-entropy (positive first)",
        "query_tokens": query_tokens, "doc_tokens": doc_tokens, "max_seq_length": max_length,
        "fast": fast_card, "data": data_note or f"{train_pairs.name} / {valid_pairs.name}",
        "mining": _mining_summary(train_pairs.parent / "mining.json"),
    }
    return _finish(finished, out_dir, work, card, TrainReport(
        out_dir, card, step, seconds, pairs_per_s, mrr_before, best, stopped, resumed, history))


def training_precision(device: str) -> str:
    """``bf16`` (autocast over fp32 weights) where the hardware multiplies bfloat16 natively: a CPU with
    AVX512-BF16/AMX (the embedder's test, measured 1.6x the pairs/s of fp32 on 2 cores) or a GPU that supports
    it; else ``fp32``. Validation and the exported model stay fp32."""
    if device == "cuda":
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return pick_precision("auto", device)


def _param_groups(model: Any, lr: float, head_lr: float, train_layers: int | None) -> list[dict[str, Any]]:
    """The parameters to train: the head (pooler and classifier) at ``head_lr``; the transformer's top
    ``train_layers`` layers at ``lr`` (None: all of it). Freezing the lower layers and the embeddings saves
    most of the backward pass, which on a 2-core CPU is most of the time."""
    backbone = getattr(model, "base_model", None)
    layers = getattr(getattr(backbone, "encoder", None), "layer", None)
    head = [p for name, p in model.named_parameters() if not name.startswith(f"{model.base_model_prefix}.")
            or ".pooler." in name]
    head_ids = {id(p) for p in head}
    if train_layers is None or layers is None or backbone is None:
        body = [p for p in model.parameters() if id(p) not in head_ids]
    else:
        for parameter in backbone.parameters():
            if id(parameter) not in head_ids:
                parameter.requires_grad_(False)
        body = [p for layer in list(layers)[len(layers) - train_layers:] for p in layer.parameters()]
        for parameter in body:
            parameter.requires_grad_(True)
    return [{"params": body, "lr": lr, "base_lr": lr},
            {"params": head, "lr": head_lr, "base_lr": head_lr}]


def _step_loss(model: Any, tokenizer: Any, batch: list[TrainingPair], pool: list[TrainingPair],
               rng: random.Random, negatives: int, query_tokens: int, max_length: int,
               shown: Callable[[str], str], device: str, loss_fn: Any) -> Any:
    """Listwise loss of one batch: each query against its positive (first) and ``negatives + 1`` others."""
    import torch

    size = negatives + 2
    feeds: list[dict[str, np.ndarray]] = []
    for pair in batch:
        docs = [pair.positive] + list(pair.negatives[:negatives])
        while len(docs) < size:
            other = (batch[rng.randrange(len(batch))] if len(batch) > 1 and rng.random() < 0.5
                     else pool[rng.randrange(len(pool))]).positive
            if other not in docs:
                docs.append(other)
        feeds.append(encode_pairs(tokenizer, query_text(pair.query, max_tokens=query_tokens),
                                  [shown(d) for d in docs], max_length))
    width = max(f["input_ids"].shape[1] for f in feeds)
    tensors = {key: torch.from_numpy(np.concatenate([np.pad(f[key], ((0, 0), (0, width - f[key].shape[1])))
                                                     for f in feeds])).to(device) for key in feeds[0]}
    logits = model(**tensors).logits[:, 0].float().view(len(batch), size)
    return loss_fn(logits, torch.zeros(len(batch), dtype=torch.long, device=device))


def _mining_summary(path: Path) -> dict[str, Any]:
    """What the miner said about the data (its ``mining.json`` beside the pairs), without its timings."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    keep = ("kinds", "roots", "held_out", "negatives", "negatives_per_pair", "limit", "seed", "groups_valid")
    return {k: summary[k] for k in keep if k in summary} if isinstance(summary, dict) else {}


def _kinds(pairs: Sequence[TrainingPair]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pair in pairs:
        counts[pair.kind] = counts.get(pair.kind, 0) + 1
    return counts


def _check_fast(model: Any, finished: Path, best: float, evaluate: Callable[[Any], float]) -> dict[str, Any]:
    """Export the int8 ONNX file and keep it only when validation MRR@10 stays within MAX_MRR_LOSS."""
    try:
        export_int8(model, finished / FAST_FILE)
        mrr = evaluate(onnx_scorer(finished / FAST_FILE))
    except Exception as exc:  # no fast path is a slower model, never a failed training
        (finished / FAST_FILE).unlink(missing_ok=True)
        return {"ok": False, "why": f"{type(exc).__name__}: {str(exc)[:200]}"}
    ok = best - mrr <= MAX_MRR_LOSS
    if not ok:
        (finished / FAST_FILE).unlink(missing_ok=True)
    return {"ok": ok, "valid_mrr10": round(mrr, 4), "fp32_valid_mrr10": round(best, 4),
            "backend": "onnxruntime int8 (dynamic quantisation, per channel)"}


def _finish(finished: Path, out_dir: Path, work: Path, card: dict[str, Any], report: TrainReport) -> TrainReport:
    card["files"] = {p.name: p.stat().st_size for p in sorted(finished.iterdir()) if p.is_file()}
    (finished / CARD_MD).write_text(card_markdown(card), encoding="utf-8")
    temporary = finished / f"{CARD_FILE}.tmp"
    temporary.write_text(json.dumps(card, indent=2), encoding="utf-8")
    os.replace(temporary, finished / CARD_FILE)  # the card last: the folder is whole from here on
    swap_in(finished, out_dir)
    shutil.rmtree(work, ignore_errors=True)
    return report


def card_markdown(card: dict[str, Any]) -> str:
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(card["pairs_by_kind"].items()))
    fast = card["fast"]
    mining = card.get("mining") or {}
    lines = [
        "# SpecPilot code reranker", "",
        f"- Trained {card['date']} on {card['device']} ({card.get('precision', 'fp32')}, torch {card['torch']}) in "
        f"{card['seconds']} s; "
        f"stopped: {card['stopped']}.",
        f"- Base model: {card['base_model']}.",
        f"- Data: {card['train_pairs']} training pairs ({kinds}), {card['valid_pairs']} validation pairs kept "
        f"apart; {card['data']}.",
        *([f"- Mined from {', '.join(sorted(mining.get('roots', {})))}; packages held out: "
           f"{', '.join(mining.get('held_out', [])) or 'none'}."] if mining else []),
        f"- Validation MRR@10 ({card['valid_queries_scored']} queries, {card['candidates']} candidates each): "
        f"{card['valid_mrr10_before']:.4f} before, {card['valid_mrr10_after']:.4f} after.",
        f"- Loss: {card['loss']}; {card['negatives']} hard negatives and one other positive per query; batch "
        f"{card['batch_size']}, learning rate {card['learning_rate']}, top {card['train_layers'] or 'all'} layers "
        f"trained; {card['pairs_per_s']} pairs/s.",
        f"- Input: query cut to {card['query_tokens']} word pieces, code to {card['doc_tokens']} "
        "(signature, then the start of the body).",
        "- CPU fast path: " + (f"{fast.get('backend')}, validation MRR@10 {fast.get('valid_mrr10')}"
                               if fast.get("ok") else f"not used ({fast.get('why') or fast.get('valid_mrr10')})"),
        "",
    ]
    return "\n".join(lines)
