"""The order in which chunks get their vectors: the files a reader has open and their
import neighbours first, definitions before module and window chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.config import Settings
from specpilot.index.embedder import Embedder
from specpilot.index.engine import WorkspaceIndex

FILLER = "\n\n".join(f"def filler_{n}(value):\n    return value + {n}" for n in range(6))


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "cart.py").write_text(
        "from shop.pricing import net_price\nfrom . import tax\n\nLIMIT = 3\nprint(LIMIT)\n\n"
        "def total(items):\n    return sum(net_price(i) for i in items)\n\n"
        "class Cart:\n    def add(self, item):\n        self.items.append(item)\n")
    (root / "shop" / "pricing.py").write_text("def net_price(item):\n    return item.price\n")
    (root / "shop" / "tax.py").write_text("def vat(amount):\n    return amount * 0.2\n")
    (root / "shop" / "checkout.py").write_text(
        "from shop.cart import total\n\ndef pay(items):\n    return total(items)\n")
    for n in range(8):
        (root / f"unrelated_{n}.py").write_text(FILLER + "\n")
    return root


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


def test_an_edited_file_gets_its_vectors_alone_and_a_large_one_is_left_to_the_background(
        shop: Path, embedder: Embedder) -> None:
    index = WorkspaceIndex(shop, Settings(), embedder=embedder)
    index.update(embed=False)
    assert index.embed_paths(["shop/cart.py", "shop/tax.py"], limit=2) == 0  # more than 2 waiting: left alone
    done = index.embed_paths(["shop/cart.py"])
    stored = index.store.positions.stored(sorted(index.manifest.files))  # type: ignore[union-attr]
    embedded = {key for key, (_, has_vector) in stored.items() if has_vector}
    assert done == len(embedded) > 0 and set(_paths(sorted(embedded))) == {"shop/cart.py"}
    assert index.embed_paths(["shop/cart.py"]) == 0  # nothing left to do
