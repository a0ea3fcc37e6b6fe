"""index/verified.py: an index that is exactly as its last clean self-check found it opens without
checking again; any write or damage since then (a changed, truncated or removed file) brings the
full check back, and the check still finds the damage."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from specpilot.core.config import Settings
from specpilot.index import verified
from specpilot.index.engine import WorkspaceIndex
from tests.fixtures import write_files


def settings() -> Settings:
    found = Settings()
    found.embedder.enabled = False
    return found


def indexed(tmp_path: Path) -> Path:
    root = write_files(tmp_path / "ws", {"shop/cart.py": "def add_item(cart, item):\n    cart.append(item)\n",
                                         "shop/pay.py": "def charge(card, amount):\n    return amount\n"})
    index = WorkspaceIndex(root, settings())
    index.update()
    index.close()
    return root


def open_once(root: Path) -> tuple[bool, list[str], list[str]]:
    """(whether the open skipped the check, the problems it found, the names a search finds)."""
    index = WorkspaceIndex(root, settings())
    try:
        health = index.store.health
        names = [hit.name for hit in index.search("add item to cart", k=3, mode="bm25")]
        return health.verified, [p.detail for p in health.problems], names
    finally:
        index.close()


def test_an_unchanged_index_opens_without_the_check_and_answers(tmp_path: Path) -> None:
    root = indexed(tmp_path)
    first = open_once(root)  # the update's own writes came after its open: this open checks
    assert first[:2] == (False, []) and "add_item" in first[2]
    assert open_once(root) == (True, [], first[2])
    assert open_once(root) == (True, [], first[2])  # a read-only open changes nothing


def test_a_write_since_the_stamp_brings_the_check_back(tmp_path: Path) -> None:
    root = indexed(tmp_path)
    open_once(root)
    (root / "shop" / "cart.py").write_text("def add_item(cart, item):\n    cart.insert(0, item)\n")
    index = WorkspaceIndex(root, settings())
    index.update()
    index.close()
    assert open_once(root)[0] is False
    assert open_once(root)[0] is True


def test_damage_since_the_stamp_is_checked_and_found(tmp_path: Path) -> None:
    root = indexed(tmp_path)
    open_once(root)
    folder = root / ".specpilot" / "cache" / "index"
    data = sorted((folder / "chunks.lance" / "data").glob("*.lance"))
    data[0].write_bytes(b"garbage" * 10)  # same open, other bytes: size and time change
    was_verified, problems, names = open_once(root)
    assert was_verified is False and any("chunks" in p for p in problems)
    shutil.rmtree(folder / "vectors.lance")
    assert open_once(root)[0] is False


def test_the_signature_ignores_sqlites_transient_files_and_the_lock(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    folder.mkdir()
    (folder / "positions.sqlite").write_bytes(b"x")
    before = verified.signature(folder)
    for name in ("positions.sqlite-shm", "open.lock", verified.STAMP):
        (folder / name).write_bytes(b"y")
    (folder / "positions.sqlite-wal").write_bytes(b"")  # a connection is open, nothing written
    assert verified.signature(folder) == before
    (folder / "positions.sqlite-wal").write_bytes(b"frame")  # a commit not yet checkpointed
    assert verified.signature(folder) != before
    (folder / "positions.sqlite-wal").unlink()
    os.utime(folder / "positions.sqlite", ns=(1, 1))
    assert verified.signature(folder) != before
    verified.record(folder, "v1")
    assert verified.matches(folder, "v1") and not verified.matches(folder, "v2")  # another schema or model
