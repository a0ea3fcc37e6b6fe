"""Writing a batch is crash-safe: the files in flight are named in the manifest before the tables change, a file
is listed as indexed only after its rows are written, and the next pass writes what a crash cut short."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.core.config import Settings
from specpilot.index.embedder import Embedder
from specpilot.index.engine import WorkspaceIndex
from tests.fixtures import write_files


def test_a_write_cut_short_is_named_in_flight_and_written_next_time(tmp_path: Path, embedder: Embedder,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_files(tmp_path / "ws", {"a.py": "def alpha():\n    return 1\n", "b.py": "def beta():\n    return 2\n"})
    index = WorkspaceIndex(root, Settings(), embedder=embedder)
    index.update(embed=False)
    before = index.manifest.files["a.py"].hash
    (root / "a.py").write_text("def alpha_renamed():\n    return 10\n")

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(index.store, "replace_files", crash)
    with pytest.raises(OSError, match="disk full"):
        index.update(embed=False)
    assert index.manifest.in_flight == ["a.py"]  # named before the tables changed …
    assert index.manifest.files["a.py"].hash == before  # … and not listed with the new content
    assert [h.name for h in index.search("alpha_renamed", k=1, mode="bm25")] == ["alpha"]  # the old rows stand
    monkeypatch.undo()
    index.close()

    again = WorkspaceIndex(root, Settings(), embedder=embedder)  # … so the next pass writes it
    report = again.update(embed=False)
    assert report.files_changed == 1 and again.manifest.in_flight == []
    hits = again.search("alpha_renamed", k=1, mode="bm25")
    assert hits and hits[0].path == "a.py"
    again.close()
