"""A search sent right after a save sees the save: it waits (briefly) for the announced write."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from specpilot.core.config import Settings
from specpilot.index.engine import WorkspaceIndex


def _names(index: WorkspaceIndex, query: str) -> list[str]:
    return [hit.qualified_name for hit in index.search(query, mode="bm25", k=3)]


def test_a_search_after_an_announced_edit_answers_with_it(tmp_path: Path) -> None:
    (tmp_path / "cart.py").write_text("def total(items):\n    return sum(items)\n")
    index = WorkspaceIndex(tmp_path, Settings())
    index.update(embed=False)
    text = "def total(items):\n    return sum(items)\n\ndef refund_order(order):\n    return -order\n"
    index.edits.expect()  # as the server does when a save arrives
    writer = threading.Timer(0.1, index.update_paths, args=(["cart.py"], {"cart.py": text}), kwargs={"embed": False})
    writer.start()
    assert _names(index, "refund_order") == ["refund_order"]  # asked before the write: it waited for it
    writer.join()
    started = time.monotonic()
    assert _names(index, "total") == ["total"]  # nothing announced: no wait
    assert time.monotonic() - started < 0.2


def test_an_announced_edit_that_never_comes_holds_searches_only_briefly(tmp_path: Path) -> None:
    (tmp_path / "cart.py").write_text("def total(items):\n    return sum(items)\n")
    index = WorkspaceIndex(tmp_path, Settings())
    index.update(embed=False)
    index.edits.wait_seconds = 0.3
    index.edits.expect()
    waited = index.edits.wait()
    assert 0.2 < waited < 1.0
    assert index.edits.wait() < 0.05  # past the limit: searches no longer wait
    index.edits.written()
    index.edits.expect()
    index.update_paths(["cart.py"], embed=False)  # any edit's write ends the wait
    assert index.edits.wait() < 0.05
