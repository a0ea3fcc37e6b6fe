"""The order in which chunks get their vectors: the files a reader has open and their
import neighbours first, definitions before module and window chunks."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from specpilot.core.config import Settings
from specpilot.index.embedder import Embedder
from specpilot.index.engine import WorkspaceIndex
from tests.fixtures import write_files

FILLER = "\n\n".join(f"def filler_{n}(value):\n    return value + {n}" for n in range(6))


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_files(tmp_path / "shop", {
        "shop/__init__.py": "",
        "shop/cart.py": "from shop.pricing import net_price\nfrom . import tax\n\nLIMIT = 3\nprint(LIMIT)\n\n"
                        "def total(items):\n    return sum(net_price(i) for i in items)\n\n"
                        "class Cart:\n    def add(self, item):\n        self.items.append(item)\n",
        "shop/pricing.py": "def net_price(item):\n    return item.price\n",
        "shop/tax.py": "def vat(amount):\n    return amount * 0.2\n",
        "shop/checkout.py": "from shop.cart import total\n\ndef pay(items):\n    return total(items)\n",
        **{f"unrelated_{n}.py": FILLER + "\n" for n in range(8)},
    })


def _paths(ids: list[str]) -> list[str]:
    return [key.split("::")[0] for key in ids]


def test_neighbours_are_the_imported_and_importing_files(shop: Path) -> None:
    index = WorkspaceIndex(shop, Settings())
    index.update(embed=False)
    found = index.neighbour_files(["shop/cart.py"])
    assert found[0] == "shop/cart.py"
    assert set(found) == {"shop/cart.py", "shop/pricing.py", "shop/tax.py", "shop/checkout.py"}
    assert index.neighbour_files(["not/indexed.py"]) == []


def test_pending_chunks_come_open_files_first_then_definitions_before_module_chunks(shop: Path) -> None:
    index = WorkspaceIndex(shop, Settings())
    index.update(embed=False)
    first = index.neighbour_files(["shop/cart.py"])
    rows = index.store.pending_embeddings(1000, first)
    paths = [row["path"] for row in rows]
    front = [p for p in paths if p in first]
    assert paths[:len(front)] == front  # every neighbour's chunk before any other file's
    assert any(p.startswith("unrelated_") for p in paths[len(front):])
    kinds = [row["kind"] for row in rows if row["path"] in first]
    assert "module" in kinds and "function" in kinds
    assert kinds.index("module") > max(i for i, k in enumerate(kinds) if k != "module")
    # the open file before its neighbours
    paths = [row["path"] for row in index.store.pending_embeddings(1000, first, top=["shop/cart.py"])]
    own = paths.count("shop/cart.py")
    assert own and paths[:own] == ["shop/cart.py"] * own and set(paths[own:len(front)]) <= set(first)
    # without open files: still definitions before module chunks, over the whole workspace
    kinds = [row["kind"] for row in index.store.pending_embeddings(1000)]
    assert kinds.index("module") > max(i for i, k in enumerate(kinds) if k != "module")


def test_a_partial_embedding_pass_covers_the_open_file_first(shop: Path, embedder: Embedder) -> None:
    index = WorkspaceIndex(shop, Settings(), embedder=embedder)
    index.update(embed=False)
    first = index.neighbour_files(["shop/cart.py"])
    index.embed_missing(None, 4, optimize=False, first=first)
    stored = index.store.positions.stored(sorted(index.manifest.files))  # type: ignore[union-attr]
    embedded = {key for key, (_, has_vector) in stored.items() if has_vector}
    assert embedded and set(_paths(sorted(embedded))) <= set(first)
    assert len(embedded) < len(stored)


def test_an_edit_gets_its_vectors_right_after_its_write_and_a_large_one_is_left_to_the_background(
        shop: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    index = WorkspaceIndex(shop, Settings(), embedder=embedder)
    index.update()
    cart = "shop/cart.py"
    text = (shop / cart).read_text() + "\n\ndef discount(items):\n    return total(items) * 0.9\n"
    report = index.update_paths([cart], {cart: text}, embed=False)
    assert [c.qualified_name for c in report.waiting] == ["discount"]  # the unchanged chunks kept theirs
    assert index.store.pending_count() == 1
    assert [h.qualified_name for h in index.search("discount", mode="bm25", k=1)] == ["discount"]  # words: now
    index.embed_written(report)
    assert (report.waiting, report.embedded, index.store.pending_count()) == ([], 1, 0)
    assert "discount" in [h.qualified_name for h in index.search("lower the sum by a tenth", mode="vector", k=3)]
    # More than the limit: nothing computed now, the chunks stay for the background pass.
    monkeypatch.setattr("specpilot.index.engine.INLINE_EMBED_LIMIT", 1)
    text += "\n\ndef surcharge(items):\n    return total(items) * 1.1\n\ndef rebate(items):\n    return 5\n"
    report = index.update_paths([cart], {cart: text})
    assert len(report.waiting) == 2 and report.embedded == 0 and index.store.pending_count() == 2


class GatedEmbedder(Embedder):
    """The real model, held back until the test lets it go."""

    def __init__(self, real: Embedder) -> None:
        self.real, self.name, self.dim = real, real.name, real.dim
        self.started, self.go = threading.Event(), threading.Event()

    def embed(self, texts: list[str]) -> np.ndarray:
        self.started.set()
        assert self.go.wait(30)
        return self.real.embed(texts)


def test_an_edit_is_written_while_an_embedding_step_computes(shop: Path, embedder: Embedder) -> None:
    gated = GatedEmbedder(embedder)
    index = WorkspaceIndex(shop, Settings(), embedder=gated)
    index.update(embed=False)
    cart = "shop/cart.py"
    before = list(index.store.positions.stored([cart]))  # type: ignore[union-attr]
    step = threading.Thread(target=index.embed_step, args=(64,))
    step.start()
    assert gated.started.wait(30)  # the step is in the model now
    edit = threading.Thread(target=index.update_paths, args=([cart], {cart: "def refund(items):\n    return 0\n"}),
                            kwargs={"embed": False})
    edit.start()
    edit.join(10)
    written = not edit.is_alive()
    gated.go.set()
    step.join(30)
    edit.join(30)
    assert written  # the edit did not wait for the step's model call
    assert [h.qualified_name for h in index.search("refund", mode="bm25", k=1)] == ["refund"]
    assert list(index.store.positions.stored([cart])) == [f"{cart}::refund::0"]  # type: ignore[union-attr]
    assert index.store.vectors_for(before) == {}  # the step's vectors for cart's replaced chunks were dropped
    chunks = index.store.count()
    assert index.store.vectors.table.count_rows() == chunks - index.store.pending_count()  # no stale vector
