"""index/rerank_mining.py: the reranker's base training pairs, mined with the real parser, the engine's own
hybrid index and the packaged embedding model, on small trees written here and on the real standard library."""

from __future__ import annotations

import json
import random
import sysconfig
import time
from pathlib import Path

import pytest

from specpilot.index.embedder import Embedder
from specpilot.index.rerank_mining import NoPairsError, mine, split_groups
from specpilot.index.rerank_pairs import TrainingPair, read_pairs
from specpilot.index.rerank_sources import HELD_OUT, Candidate
from specpilot.index.reranker import without_context

TOPICS = {
    "alpha": ["cookie header", "query string", "form field", "mime type", "cache entry"],
    "beta": ["matrix row", "vector norm", "prime factor", "square root", "moving average"],
    "gamma": ["file path", "folder size", "symbolic link", "temporary file", "file mode"],
}


def _module(topic_words: list[str], salt: str) -> str:
    parts = ["import os\n"]
    for n, topic in enumerate(topic_words):
        name = topic.replace(" ", "_")
        parts.append(
            f'\n\ndef read_{name}_{salt}(value, limit={n}):\n'
            f'    """Read the {topic} from the {salt} value given here.\n\n    Longer text.\n    """\n'
            f'    # Keep only the first {topic} parts of {salt} value\n'
            f'    parts = [p for p in str(value).split(",") if p][:limit + 1]\n'
            f'    result = "-".join(parts) + "{salt}{n}"\n'
            f'    return result.upper() if limit else os.fspath(result)\n')
    return "".join(parts)


def _group(code: str) -> str:
    """The package a reranker text comes from (its context line's path)."""
    return code.split("\n", 1)[0].removeprefix("#> ").split("/", 1)[0].split(" ", 1)[0].removesuffix(".py")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for package, topics in TOPICS.items():
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
        (root / package / "core.py").write_text(_module(topics, package))
        (root / package / "extra.py").write_text(_module(topics[::-1], package + "x"))
    # Left out: a held-out standard-library name, a vendored copy of one, tests, a file that does not parse.
    (root / "json").mkdir()
    (root / "json" / "decoder.py").write_text(_module(["json token"], "json"))
    (root / "alpha" / "_vendor" / "logging").mkdir(parents=True)
    (root / "alpha" / "_vendor" / "logging" / "handlers.py").write_text(_module(["log record"], "logging"))
    (root / "alpha" / "tests").mkdir()
    (root / "alpha" / "tests" / "test_core.py").write_text(_module(["test case"], "tests"))
    (root / "beta" / "broken.py").write_text("def half_written(:\n    return 1\n")
    return root


def test_pairs_of_every_kind_negatives_and_whole_package_split(tree: Path, tmp_path: Path,
                                                               embedder: Embedder) -> None:
    out = tmp_path / "out"
    stages: list[str] = []
    report = mine(out, roots={"src": tree}, limit=40, negatives=3, embedder=embedder, seed=1,
                  progress=lambda stage, done, total: stages.append(stage))
    train, valid = list(read_pairs(out / "train.jsonl")), list(read_pairs(out / "valid.jsonl"))
    pairs = train + valid
    assert (report.train, report.valid) == (len(train), len(valid)) and 0 < len(valid) < len(pairs) <= 40
    assert {p.kind for p in pairs} == {"docstring", "comment", "identifier"}
    assert report.kinds == {kind: sum(p.kind == kind for p in pairs) for kind in report.kinds}
    for pair in pairs:
        assert '"""' not in pair.positive and "Longer text" not in pair.positive
        assert pair.source.startswith("src/") and pair.group in TOPICS
        assert "json" not in pair.source and "logging" not in pair.source and "tests" not in pair.source
    docstring = next(p for p in pairs if p.kind == "docstring")
    assert docstring.query.startswith("Read the ") and without_context(docstring.positive).startswith("def read_")
    assert docstring.positive.startswith(f"#> {docstring.source.removeprefix('src/')} read_")
    # Whole packages on each side; negatives from the pair's own side, never the positive itself.
    assert not {p.group for p in train} & {p.group for p in valid}
    for side in (train, valid):
        groups = {p.group for p in side}
        for pair in side:
            assert pair.positive not in pair.negatives and pair.negatives
            assert {_group(n) for n in pair.negatives} <= groups
            assert not any('"""' in n or "Longer text" in n for n in pair.negatives)  # stripped as the positives
    # Hybrid searched the pair's own package: its first negative comes from there, as in a search of one project.
    assert all(_group(p.negatives[0]) == p.group for p in pairs if p.kind != "comment")
    # A negative has its positive's form (no pair can be told by its form): a comment's block among other
    # comments' blocks, an engine chunk among engine chunks.
    blocks = {p.positive for p in pairs if p.kind == "comment"}
    for pair in pairs:
        assert (set(pair.negatives) <= blocks) if pair.kind == "comment" else not set(pair.negatives) & blocks
    # A docstring pair's positive is its function as the engine's chunker cut it (what a search shows).
    assert report.positives_from_index > 0
    assert any(without_context(p.positive).startswith("def read_") and "    pass\n" in p.positive
               for p in pairs if p.kind == "docstring")
    assert sum(report.negatives.values()) == sum(len(p.negatives) for p in pairs)
    assert report.negatives.get("hybrid", 0) > 0 and report.negatives.get("bi-encoder", 0) > 0
    assert report.files_skipped.get("does not parse") == 1
    summary = json.loads((out / "mining.json").read_text())
    assert summary["train"] == len(train) and summary["held_out"] == sorted(HELD_OUT)
    assert summary["groups_valid"] == sorted({p.group for p in valid})
    assert {"read", "search", "write"} <= set(stages)
    assert not list(out.glob(".mining-*"))  # the temporary workspace is gone


NESTED = '''\
LISTENERS = []


def handle_event(event):
    # Check the event type before acting on it
    if event.kind == "message":
        # Send the event payload to every registered listener
        for listener in LISTENERS:
            listener(event.payload)
    return event


def drop_listener(listener):
    # Remove the listener when it is still registered
    if listener in LISTENERS:
        LISTENERS.remove(listener)
'''


def _flat(text: str) -> str:
    return " ".join(without_context(text).replace("#", " ").split()).lower()


def test_code_that_holds_the_positive_or_quotes_the_query_is_no_negative(tmp_path: Path,
                                                                         embedder: Embedder) -> None:
    for package in ("events", "other"):
        (tmp_path / "src" / package).mkdir(parents=True)
        (tmp_path / "src" / package / "bus.py").write_text(NESTED.replace("event", f"{package}_event"))
    report = mine(tmp_path / "out", roots={"src": tmp_path / "src"}, negatives=3, embedder=embedder)
    pairs = list(read_pairs(tmp_path / "out" / "train.jsonl")) + list(read_pairs(tmp_path / "out" / "valid.jsonl"))
    inner = next(p for p in pairs if p.query.startswith("Send the"))
    assert without_context(inner.positive).startswith("for listener in LISTENERS:")
    assert report.related_dropped > 0
    for pair in pairs:
        for negative in pair.negatives:
            assert _flat(pair.positive) not in _flat(negative) and _flat(negative) not in _flat(pair.positive)
            assert _flat(pair.query) not in _flat(negative)


def test_limit_caps_pairs_and_no_negatives_needs_no_model(tree: Path, tmp_path: Path) -> None:
    report = mine(tmp_path / "out", roots={"src": tree}, limit=5, negatives=0)
    pairs = list(read_pairs(tmp_path / "out" / "train.jsonl")) + list(read_pairs(tmp_path / "out" / "valid.jsonl"))
    assert len(pairs) == report.train + report.valid == 5
    assert all(not p.negatives for p in pairs)


def test_an_empty_tree_says_why_it_made_nothing(tmp_path: Path) -> None:
    (tmp_path / "src" / "json").mkdir(parents=True)
    (tmp_path / "src" / "json" / "x.py").write_text(_module(["json token"], "json"))
    (tmp_path / "src" / "empty.py").write_text("X = 1\n")
    with pytest.raises(NoPairsError, match=r"no training pairs in src .*1 Python files read.*held-out packages"):
        mine(tmp_path / "out", roots={"src": tmp_path / "src"}, negatives=0)
    assert not (tmp_path / "out" / "train.jsonl").exists()


def test_one_package_alone_gives_no_validation_set() -> None:
    one = [Candidate("docstring", f"query number {i} here", f"code {i}", "s/a.py", "a", f"a{i}") for i in range(5)]
    assert split_groups(one, random.Random(0)) == set()
    two = one + [Candidate("docstring", "another query here now", "code b", "s/b.py", "b", "b0")]
    assert len(split_groups(two, random.Random(0))) == 1


def test_the_real_standard_library_without_the_benchmark_packages(tmp_path: Path, embedder: Embedder) -> None:
    started = time.perf_counter()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    report = mine(tmp_path / "out", roots={"stdlib": stdlib}, limit=24, negatives=2, embedder=embedder)
    pairs: list[TrainingPair] = list(read_pairs(tmp_path / "out" / "train.jsonl"))
    pairs += list(read_pairs(tmp_path / "out" / "valid.jsonl"))
    assert len(pairs) == 24 and report.roots == {"stdlib": 24}
    assert not {p.group for p in pairs} & set(HELD_OUT)
    assert all(p.source.startswith("stdlib/") and "/test/" not in p.source for p in pairs)
    assert all(len(p.negatives) <= 2 and p.positive not in p.negatives for p in pairs)
    assert time.perf_counter() - started < 60
