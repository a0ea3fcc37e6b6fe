"""Training pairs round-trip through JSON lines, atomically, and bad lines are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.index.rerank_pairs import TrainingPair, read_pairs, write_pairs


def test_pairs_round_trip_and_a_bad_line_is_named(tmp_path: Path) -> None:
    pairs = [TrainingPair("Return the header's value.", "def get(self, name):\n    return self._h[name]",
                          ("def set(self, name, value):\n    self._h[name] = value",), "docstring", "httpkit/h.py",
                          "httpkit/h.py"),
             TrainingPair("parse cookie", "def parse_cookie(text):\n    ...", kind="identifier")]
    path = tmp_path / "pairs" / "train.jsonl"
    assert write_pairs(path, pairs) == 2
    assert list(read_pairs(path)) == pairs
    assert [p.name for p in path.parent.iterdir()] == ["train.jsonl"]  # no temporary file left
    path.write_text(path.read_text() + '{"query": "x"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"train.jsonl:3"):
        list(read_pairs(path))


def test_a_pair_refuses_what_cannot_teach() -> None:
    with pytest.raises(ValueError, match="needs a query"):
        TrainingPair(" ", "def f(): pass")
    with pytest.raises(ValueError, match="kind"):
        TrainingPair("q", "def f(): pass", kind="guess")
    with pytest.raises(ValueError, match="among its own negatives"):
        TrainingPair("q", "def f(): pass", ("def f(): pass",))


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    write_pairs(path, [TrainingPair("q", "def f(): pass")])

    def broken():  # type: ignore[no-untyped-def]
        yield TrainingPair("q2", "def g(): pass")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_pairs(path, broken())
    assert [p.query for p in read_pairs(path)] == ["q"] and len(list(tmp_path.iterdir())) == 1
