"""index/rerank_negatives.py: how a pair's negatives are chosen (the mining itself runs in test_rerank_mining.py,
on the real index and model)."""

from __future__ import annotations

from pathlib import Path

from specpilot.index.rerank_negatives import choose, target_key, write_workspace
from specpilot.index.rerank_sources import Candidate


def test_hybrid_leads_the_bi_encoder_has_a_quarter_and_either_fills_in() -> None:
    hybrid = [f"h{i}" for i in range(10)]
    bi = [f"b{i}" for i in range(10)]
    assert [source for _, source in choose(hybrid, bi, 7)] == ["hybrid"] * 5 + ["bi-encoder"] * 2
    assert [source for _, source in choose(hybrid, bi, 3)] == ["hybrid"] * 2 + ["bi-encoder"]
    assert choose(hybrid, bi, 1) == [("h0", "hybrid")]
    assert [text for text, _ in choose(["h0"], bi, 4)] == ["h0", "b0", "b1", "b2"]  # too few from hybrid
    assert [text for text, _ in choose(hybrid, [], 3)] == ["h0", "h1", "h2"]
    assert choose(["x", "x", "y"], ["y", "z"], 3) == [("x", "hybrid"), ("y", "hybrid"), ("z", "bi-encoder")]


def test_the_workspace_holds_each_module_once_without_docstrings(tmp_path: Path) -> None:
    root = tmp_path / "src"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "m.py").write_text('def f():\n    """Say hello to the caller."""\n    return 1\n')
    (root / "solo.py").write_text('def g():\n    """Broken quote."""; x = 1\n    return x\n')
    (root / "pkg" / "bad.py").write_bytes(b"\xff\xfe not text")
    chosen = [Candidate("docstring", "Say hello to the caller.", "#> pkg/m.py f\ndef f():", "src/pkg/m.py", "pkg",
                        "src/pkg/m.py:f"),
              Candidate("identifier", "say hello", "#> pkg/m.py f\ndef f():", "src/pkg/m.py", "pkg", "src/pkg/m.py:f"),
              Candidate("comment", "a comment of words", "x = 1", "src/solo.py", "solo", "src/solo.py:3"),
              Candidate("docstring", "cannot be read here", "y", "src/pkg/bad.py", "pkg", "src/pkg/bad.py:h")]
    globs = write_workspace(chosen, {"src": root}, tmp_path / "ws")
    assert globs == {"pkg": "pkg/**", "solo": "solo.py"}
    assert (tmp_path / "ws" / "pkg" / "m.py").read_text() == "def f():\n    pass\n    return 1\n"
    assert (tmp_path / "ws" / "solo.py").read_text() == "def g():\n    pass; x = 1\n    return x\n"
    assert not (tmp_path / "ws" / "pkg" / "bad.py").exists()  # its pairs keep their own positive
    assert target_key(chosen[0]) == ("pkg/m.py", "f") and target_key(chosen[2]) is None
