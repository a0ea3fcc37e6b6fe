"""``specpilot train reranker`` as one engine job, for the CLI and the server alike: mine the pairs
(index/rerank_mining.py), train (index/rerank_train.py), and say what was done.

- The **base** model is trained once per machine (:func:`train_base`) on pairs mined from the installed
  standard library and SpecPilot's own site-packages, less the retrieval benchmark's packages; it lives in the
  user cache (``reranker.base_model_dir()``), so every workspace reranks without training of its own. The mined
  pairs are kept (``user_cache_dir()/rerank-data/base``) so that a second run, or one resumed after a kill,
  does not mine again.
- A **workspace** model (:func:`adapt_workspace`) fine-tunes the base on the workspace's own pairs (its
  docstrings, comments and function names). A workspace with too little of them to learn from keeps the base
  model as it is, and the job says why (:class:`NothingToLearn`).

Both write the model atomically (the trainer's swap): a run that dies leaves the previous model in use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from specpilot.core.errors import SpecPilotError
from specpilot.core.paths import user_cache_dir

Progress = Callable[[str, float], None]  # (stage, fraction done)
WORKSPACE_MINUTES = 10.0


class NothingToLearn(SpecPilotError):
    """A workspace without enough pairs of its own: the base model is used as it is."""


@dataclass(frozen=True)
class JobResult:
    """What a training job did: the model's folder and card, or why it kept the one there was."""

    kind: str  # "base" | "workspace"
    folder: Path
    trained: bool
    message: str
    card: dict[str, object]


def data_dir(name: str) -> Path:
    return user_cache_dir() / "rerank-data" / name


def _mining_progress(progress: Progress | None, stage: str) -> Callable[[str, int, int], None]:
    def report(step: str, done: int, total: int) -> None:
        if progress is not None:
            progress(f"{stage}: {step}", done / total if total else 0.0)

    return report


def train_base(*, max_minutes: float = 20.0, limit: int | None = None, fresh: bool = False,
               progress: Progress | None = None) -> JobResult:
    """Mine (unless mined pairs are kept and ``fresh`` is off) and train the base model."""
    from specpilot.index.rerank_mining import mine
    from specpilot.index.rerank_train import train
    from specpilot.index.reranker import base_model_dir

    data = data_dir("base")
    if fresh or not (data / "train.jsonl").is_file() or not (data / "valid.jsonl").is_file():
        mine(data, limit=limit, progress=_mining_progress(progress, "mining"))
    report = train(data / "train.jsonl", data / "valid.jsonl", base_model_dir(), max_minutes=max_minutes,
                   progress=progress, data_note="the standard library and SpecPilot's site-packages, less the "
                                                "retrieval benchmark's packages (index/rerank_mining.py)")
    return JobResult("base", report.folder, True, _trained("base", report.mrr_before, report.mrr_after,
                                                           report.seconds, report.stopped), dict(report.card))


def adapt_workspace(root: Path, *, max_minutes: float = WORKSPACE_MINUTES, limit: int | None = None,
                    progress: Progress | None = None) -> JobResult:
    """Fine-tune the base model (trained first when there is none) on ``root``'s own pairs."""
    from specpilot.index.rerank_mining import NoPairsError, mine
    from specpilot.index.rerank_train import TrainingDataError, train
    from specpilot.index.reranker import base_model_dir, is_complete, read_card, workspace_key, workspace_model_dir

    root = root.resolve()
    if not is_complete(base_model_dir()):
        train_base(progress=progress)
    data = data_dir(f"ws-{workspace_key(root)}")
    try:
        mine(data, roots={"workspace": root}, limit=limit, progress=_mining_progress(progress, "mining"))
        report = train(data / "train.jsonl", data / "valid.jsonl", workspace_model_dir(root), base=base_model_dir(),
                       max_minutes=max_minutes, progress=progress,
                       data_note="the workspace's own docstrings, comments and names, on the base model")
    except (NoPairsError, TrainingDataError) as exc:
        raise NothingToLearn(f"{root} has too little to adapt the reranker to ({exc}); the base model is used "
                             "as it is") from exc
    card = read_card(report.folder)
    return JobResult("workspace", report.folder, True, _trained("workspace", report.mrr_before, report.mrr_after,
                                                                report.seconds, report.stopped), dict(card))


def _trained(kind: str, before: float, after: float, seconds: float, stopped: str) -> str:
    return (f"trained the {kind} reranker in {seconds / 60:.1f} min (stopped: {stopped}); validation MRR@10 "
            f"{before:.3f} -> {after:.3f}")
