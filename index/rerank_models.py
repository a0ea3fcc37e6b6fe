"""The reranker models on disk: listing them, removing one, and the atomic swap that puts a new one in place.

A finished model is written into a temporary folder, its card last, then :func:`swap_in` parks the model it
replaces (``.<name>.previous``), renames the new folder into place and only then deletes the parked one. A
process killed between the two renames leaves the parked model, which :func:`specpilot.index.reranker.recover`
puts back, so the previous model stays in use whatever moment a run dies.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from specpilot.core.errors import SpecPilotError
from specpilot.index.reranker import CARD_FILE, is_complete, models_dir, previous_dir, read_card, recover


class ModelError(SpecPilotError, ValueError):
    """A model name that is unknown or outside the models folder."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    folder: Path
    size: int  # bytes on disk
    complete: bool
    summary: str  # one line from the card: when, base, validation MRR@10, data size

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "folder": str(self.folder), "size": self.size, "complete": self.complete,
                "summary": self.summary}


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _summary(folder: Path) -> str:
    try:
        card = read_card(folder)
    except SpecPilotError as exc:
        return str(exc)
    after = card.get("valid_mrr10_after")
    before = card.get("valid_mrr10_before")
    parts = [str(card.get("date", "")), f"base {card.get('base_model', '?')}",
             f"{card.get('train_pairs', '?')} training pairs"]
    if isinstance(after, (int, float)):
        parts.append(f"validation MRR@10 {after:.3f}" + (f" (init {before:.3f})" if isinstance(before, (int, float))
                                                          else ""))
    return ", ".join(p for p in parts if p)


def list_models() -> list[ModelInfo]:
    """Every reranker model folder (unfinished ones too: complete says which), by name."""
    root = models_dir()
    if not root.is_dir():
        return []
    infos = []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        recover(folder)
        infos.append(ModelInfo(folder.name, folder, _size(folder), is_complete(folder), _summary(folder)))
    return infos


def remove_model(name: str) -> Path:
    """Delete the model ``name`` (``base`` or ``ws-<key>``) and its unfinished training; the folder removed."""
    root = models_dir().resolve()
    folder = (root / name).resolve() if name else root
    if not name or name.startswith(".") or folder.parent != root:
        raise ModelError(f"{name!r} is not a reranker model name (models live in {root})")
    work = folder.parent / f".{folder.name}.training"
    if not folder.is_dir() and not work.is_dir():
        known = ", ".join(info.name for info in list_models()) or "none"
        raise ModelError(f"no reranker model named {name!r} (known: {known})")
    # The card goes first: a removal killed half way leaves a folder no one loads.
    (folder / CARD_FILE).unlink(missing_ok=True)
    for path in (folder, work, previous_dir(folder)):
        shutil.rmtree(path, ignore_errors=True)
    return folder


def swap_in(new: Path, target: Path) -> None:
    """Put the finished model folder ``new`` at ``target``, replacing an older model only once ``new`` is whole."""
    if not (new / CARD_FILE).is_file():
        raise ModelError(f"{new} has no {CARD_FILE}; an unfinished model is never put in place")
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    parked = previous_dir(target)
    if target.exists():
        shutil.rmtree(parked, ignore_errors=True)
        os.replace(target, parked)
    os.replace(new, target)
    shutil.rmtree(parked, ignore_errors=True)
