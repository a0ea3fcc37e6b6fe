"""Training pairs for the code reranker: what the miners (index/rerank_mining.py) write and the trainer
(index/rerank_train.py) reads.

A :class:`TrainingPair` is a natural-language ``query`` (a docstring's first sentence, a comment, an identifier
read as a phrase, a test's name, a commit message, a search the user opened a result of), the code it describes
(``positive``: a function or block as source text, with its own docstring removed so that a model cannot match
the words instead of the code), and ``negatives``: code that looks related (hard negatives: what the hybrid index
or the embedding model ranks near the query) but is not the answer. ``kind`` says which miner made it,
``source`` where it came from (a module path, for the splits and for leaving packages out), and ``group`` keeps
pairs of one module together when data is split into training and validation.

Pairs are kept as JSON lines (:func:`write_pairs`, :func:`read_pairs`), written to a temporary file and renamed,
so a killed run never leaves half a file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("docstring", "comment", "identifier", "test", "commit", "click")


@dataclass(frozen=True, slots=True)
class TrainingPair:
    query: str
    positive: str
    negatives: tuple[str, ...] = ()
    kind: str = "docstring"
    source: str = ""
    group: str = field(default="")

    def __post_init__(self) -> None:
        if not self.query.strip() or not self.positive.strip():
            raise ValueError("a training pair needs a query and the code it describes")
        if self.kind not in KINDS:
            raise ValueError(f"pair kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.positive in self.negatives:
            raise ValueError("a pair's positive is among its own negatives")

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"query": self.query, "positive": self.positive, "kind": self.kind}
        if self.negatives:
            data["negatives"] = list(self.negatives)
        if self.source:
            data["source"] = self.source
        if self.group:
            data["group"] = self.group
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrainingPair:
        try:
            return cls(str(data["query"]), str(data["positive"]), tuple(str(n) for n in data.get("negatives", ())),
                       str(data.get("kind", "docstring")), str(data.get("source", "")), str(data.get("group", "")))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a training pair: {exc}") from exc


def write_pairs(path: Path, pairs: Iterable[TrainingPair]) -> int:
    """Write ``pairs`` to ``path`` as JSON lines, atomically; how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            for pair in pairs:
                out.write(json.dumps(pair.as_json(), ensure_ascii=False) + "\n")
                count += 1
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def read_pairs(path: Path) -> Iterator[TrainingPair]:
    """The pairs of a JSON-lines file; a line that is not a pair raises ValueError naming the line."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield TrainingPair.from_json(json.loads(line))
            except (ValueError, json.JSONDecodeError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc
