import pytest

from specpilot.index.fusion import convex, rrf


def test_rrf_rewards_agreement() -> None:
    scores = rrf([["a", "b", "c"], ["b", "a", "d"]])
    assert scores["a"] == pytest.approx(scores["b"])
    assert scores["a"] > scores["c"] > 0
    assert scores["c"] == pytest.approx(scores["d"])


def test_weighted_rrf_prefers_the_heavier_list() -> None:
    scores = rrf([["a", "b"], ["b", "a"]], weights=[2.0, 1.0])
    assert scores["a"] > scores["b"]


def test_convex_mixes_normalised_scores() -> None:
    lexical = {"a": 10.0, "b": 5.0}
    cosine = {"b": 0.9, "c": 0.5}
    only_text = convex(lexical, cosine, 0.0)
    only_vec = convex(lexical, cosine, 1.0)
    assert max(only_text, key=only_text.get) == "a"
    assert max(only_vec, key=only_vec.get) == "b"
    mixed = convex(lexical, cosine, 0.5)
    assert mixed["b"] == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)
    assert mixed["c"] == pytest.approx(0.0)


def test_convex_with_an_empty_side() -> None:
    assert convex({"a": 2.0}, {}, 0.6) == {"a": pytest.approx(0.4)}
