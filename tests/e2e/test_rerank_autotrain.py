"""``rerank.autoTrain``: after indexing, the real server adapts the reranker to the workspace in the background,
and the folder's searches are reranked by the new model from then on.

The user cache is a folder of this module with a tiny base model in it (trained here in seconds, as the unit
tests train one), so the server adapts that model rather than training a base model for twenty minutes. The
workspace is written here: modules of documented functions, enough pairs for the workspace miner.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_lsp import LanguageClient

from specpilot.index.rerank_train import train
from specpilot.index.reranker import CARD_FILE, base_model_dir, workspace_model_dir
from tests.e2e.conftest import search, start, status_client_fixture
from tests.unit.index.test_rerank_train import TINY, write_data

VERBS = ("parse", "render", "validate", "merge", "compress", "encrypt", "schedule", "measure")
NOUNS = ("invoice", "calendar", "thumbnail", "playlist", "shipment", "forecast", "ledger", "recipe", "badge", "route")
CACHE = Path(tempfile.mkdtemp(prefix="specpilot-autotrain-"))  # the server's user cache


def write_workspace(root: Path) -> None:
    """One module per noun; each function's docstring says what it does to that noun, in words of its own."""
    for noun in NOUNS:
        lines = [f'"""Tools for the {noun} records of the shop."""', ""]
        for verb in VERBS:
            lines += [f"def {verb}_{noun}(record, options=None):",
                      f'    """{verb.capitalize()} the given {noun} record and report what changed in it."""',
                      f"    # {verb} each field of the {noun} before saving it",
                      "    fields = dict(record or {})",
                      f"    fields['{verb}ed'] = options",
                      "    return fields", "", ""]
        (root / f"{noun}.py").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def user_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A user cache holding a tiny trained base model (the process's own cache is restored afterwards)."""
    old = os.environ["XDG_CACHE_HOME"]
    os.environ["XDG_CACHE_HOME"] = str(CACHE)
    try:
        train_file, valid_file = write_data(tmp_path_factory.mktemp("pairs"))
        train(train_file, valid_file, base_model_dir(), max_steps=2, fast=False, **TINY)  # type: ignore[arg-type]
        yield CACHE
    finally:
        os.environ["XDG_CACHE_HOME"] = old
        shutil.rmtree(CACHE, ignore_errors=True)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    write_workspace(root)
    return root


autotrain_client = status_client_fixture({"XDG_CACHE_HOME": str(CACHE)})


async def test_auto_train_adapts_the_reranker_and_searches_use_it(user_cache: Path, workspace: Path,
                                                                  autotrain_client: LanguageClient) -> None:
    target = workspace_model_dir(workspace)
    assert not target.exists()
    await start(autotrain_client, workspace, options={"rerank": {"autoTrain": True}})

    deadline = time.monotonic() + 420
    while not (target / CARD_FILE).is_file():
        assert time.monotonic() < deadline, "the server did not adapt the reranker in 7 minutes"
        await asyncio.sleep(1.0)
    card = json.loads((target / CARD_FILE).read_text())
    assert card["base_model"] == str(base_model_dir())
    assert card["train_pairs"] >= 50 and "workspace" in card["data"]

    # The first search after training loads the new model in the background (the editor's search never waits
    # for it); a later one is reranked.
    answer: dict = {}
    while time.monotonic() < deadline + 60:
        answer = await search(autotrain_client, query="compress the shipment record", k=5)
        if answer["hits"] and all(hit["source"] == "rerank" for hit in answer["hits"]):
            break
        await asyncio.sleep(0.5)
    assert answer["hits"] and all(hit["source"] == "rerank" for hit in answer["hits"]), answer
