"""The learning report's position-bias curve from a real store: search results opened at known ranks give a PNG
and a markdown table whose shares match; ``(1/r) ** eta`` is fitted back from its own curve; a store without
search verdicts says so instead of drawing an empty plot."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.core.config import LearningSettings
from specpilot.rl.report import write_report
from specpilot.rl.report_bias import (
    IMAGE,
    NO_VERDICTS,
    fit_eta,
    fitted,
    opened_by_rank,
    position_bias_section,
    shares,
)
from specpilot.rl.store import FeedbackStore

OPENED = {1: 6, 2: 3, 3: 1}  # results opened at ranks 1, 2 and 3: shares 60 %, 30 %, 10 %


def searched(tmp_path: Path) -> FeedbackStore:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    n = 0
    for rank, count in {**OPENED, 12: 1}.items():  # and one opened below the first ten
        for _ in range(count):
            n += 1
            store.record_decision(f"s{n}", "search", "hybrid@0.7", 1.0)
            store.record_outcome(f"s{n}", 1.0, f"rank:{rank}")
    store.record_decision("s-pending", "search", "hybrid@0.7", 1.0)  # shown, nothing opened yet
    store.record_decision("w1", "workspace_symbol", "semantic", 1.0)  # another point's rank: not a search
    store.record_outcome("w1", 1.0, "rank:5")
    return store


def test_opened_results_by_rank_give_a_plot_and_a_table_of_their_shares(tmp_path: Path) -> None:
    store = searched(tmp_path)
    assert opened_by_rank(store) == {**OPENED, 12: 1}
    share = shares(opened_by_rank(store))
    assert list(share) == list(range(1, 11))
    assert share[1] == pytest.approx(0.6) and share[2] == pytest.approx(0.3) and share[3] == pytest.approx(0.1)
    assert sum(share.values()) == pytest.approx(1.0)

    report = write_report(store, tmp_path / "report", LearningSettings())
    image = tmp_path / "report" / IMAGE
    assert image in report.images and image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = report.markdown.read_text()
    assert "## Position bias of search results" in text and f"]({IMAGE})" in text
    assert "mixes position bias with relevance" in text
    assert "| 1 | 6 | 60.0 % |" in text and "| 2 | 3 | 30.0 % |" in text and "| 3 | 1 | 10.0 % |" in text
    assert "| 5 | 0 | 0.0 % |" in text  # the symbol picked at rank 5 is not a search's
    assert "1 result(s) opened below rank 10 are left out of the shares." in text
    eta = fit_eta(share)
    assert eta is not None and f"Fitted eta: {eta:.2f}." in text
    assert NO_VERDICTS not in text


def test_eta_is_fitted_back_from_its_own_curve_and_not_from_too_little() -> None:
    assert fit_eta(fitted(1.3)) == pytest.approx(1.3)
    assert sum(fitted(0.7).values()) == pytest.approx(1.0)
    assert fit_eta({1: 1.0, 2: 0.0}) is None  # one rank with opens: no slope
    assert fit_eta({1: 0.2, 2: 0.8}) is None  # a curve that rises: no positive eta


def test_a_store_without_search_verdicts_says_so(tmp_path: Path) -> None:
    empty = FeedbackStore(tmp_path / "empty.sqlite3")
    lines, image = position_bias_section(empty, tmp_path / "out")
    assert image is None and NO_VERDICTS in lines
    assert "No search verdicts yet" in NO_VERDICTS
    report = write_report(empty, tmp_path / "report", LearningSettings())
    assert report.images == [] and "No search verdicts yet" in report.markdown.read_text()
    assert not (tmp_path / "report" / IMAGE).exists()
    assert opened_by_rank(FeedbackStore(tmp_path / "never-opened.sqlite3")) == {}
