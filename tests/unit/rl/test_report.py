"""``specpilot learn report`` from a real store filled here: the markdown and the PNGs exist, the plots
are linked, promotions come with their evidence, and the latest simulation is embedded."""

from __future__ import annotations

import random
import time
from pathlib import Path

from specpilot.core.config import LearningSettings
from specpilot.rl.benchmark import simulate
from specpilot.rl.report import Outcome, by_arm, default_report_dir, outcomes, write_report
from specpilot.rl.store import FeedbackStore

RATES = {"plain": 0.2, "stepwise": 0.45, "tests-first": 0.3}


def filled(tmp_path: Path, decisions: int = 120) -> FeedbackStore:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    rng = random.Random(3)
    start = time.time() - 3600
    for i in range(decisions):
        point = "prompt.coder" if i % 3 else "tool"
        arm = rng.choice(tuple(RATES))
        store.record_decision(f"d{i}", point, arm, 1 / 3, arms=tuple(RATES), at=start + i)
        if i % 10 != 9:  # some stay pending: no reward, not in the plots
            accepted = rng.random() < RATES[arm]
            store.record_outcome(f"d{i}", 1.0 if accepted else 0.0, "accepted" if accepted else "rejected",
                                 at=start + i + 0.5)
    store.record_promotion("prompt.coder", "stepwise", previous=None, at=start + 60, evidence={
        "default": "plain", "estimates": {"stepwise": {"value": 0.45, "low": 0.36, "high": 0.54, "n": 60,
                                                       "method": "snips"}}})
    return store


def test_the_report_writes_markdown_and_a_plot_per_point(tmp_path: Path) -> None:
    store = filled(tmp_path)
    report = write_report(store, tmp_path / "report", LearningSettings(bandit="linucb"))
    text = report.markdown.read_text()
    assert report.markdown.name == "report.md" and "Bandit `linucb`" in text
    assert sorted(p.name for p in report.images) == ["acceptance-prompt.coder.png", "acceptance-tool.png"]
    for image in report.images:
        assert image.stat().st_size > 1000 and image.read_bytes()[:4] == b"\x89PNG"
        assert f"]({image.name})" in text
    assert "## prompt.coder" in text and "Default: stepwise" in text
    assert "**promote** stepwise (was built-in)" in text and "stepwise: 45.0% [36.0, 54.0] from 60 decisions" in text
    assert report.as_json()["markdown"] == str(report.markdown)


def test_the_latest_simulation_is_embedded(tmp_path: Path) -> None:
    simulate(rounds=100, seeds=1, folder=tmp_path)
    report = write_report(filled(tmp_path, 30), tmp_path)
    assert tmp_path / "simulation.png" in report.images
    text = report.markdown.read_text()
    assert "![cumulative regret](simulation.png)" in text and "| uniform |" in text


def test_an_empty_store_says_so(tmp_path: Path) -> None:
    report = write_report(FeedbackStore(tmp_path / "feedback.sqlite3"), tmp_path / "out")
    assert report.images == [] and "No decisions recorded yet" in report.markdown.read_text()


def test_outcomes_and_bins() -> None:
    events = [Outcome(float(t), "a" if t % 2 else "b", float(t % 4 == 1)) for t in range(20)]
    series = by_arm(events, bins=4)
    assert len(series.starts) == 4 and series.starts[0] == 0.0 and series.ends[-1] == 19.0
    assert [sum(p) for p in zip(*series.pulls.values(), strict=True)] == [5, 5, 5, 5]
    assert series.acceptance["b"] == [0.0] * 4 and all(0.3 <= a <= 0.7 for a in series.acceptance["a"])


def test_outcomes_read_only_the_rewarded_decisions_oldest_first(tmp_path: Path) -> None:
    found = outcomes(filled(tmp_path))
    assert set(found) == {"prompt.coder", "tool"}
    assert sum(len(v) for v in found.values()) == 108
    assert all(a.at <= b.at for v in found.values() for a, b in zip(v, v[1:], strict=False))
    assert outcomes(FeedbackStore(tmp_path / "other.sqlite3")) == {}


def test_the_default_folder_is_in_the_user_cache(tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_report_dir() == tmp_path / "specpilot" / "learning" / "report"
