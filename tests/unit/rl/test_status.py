from pathlib import Path

from specpilot.core.config import LearningSettings
from specpilot.rl.events import Context
from specpilot.rl.status import learning_status, status_lines, wilson
from specpilot.rl.store import FeedbackStore


def test_status_shows_each_arm_its_acceptance_interval_and_the_leader(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    for i in range(40):
        arm = "b" if i % 2 else "a"
        store.record_decision(f"d{i}", "prompt.coder", arm, 0.5, context=Context("task=fix"), arms=("a", "b"))
        accepted = arm == "b" or i % 8 == 0
        store.record_outcome(f"d{i}", 1.0 if accepted else 0.0, "accepted" if accepted else "rejected")
    store.record_decision("pending", "prompt.coder", "a", 0.5, arms=("a", "b"))
    status = learning_status(store, LearningSettings(), active=True)
    [point] = status["points"]
    arms = {a["arm"]: a for a in point["arms"]}
    assert arms["b"]["acceptance"] == 1.0 and arms["a"]["acceptance"] == 0.25
    assert arms["a"]["pulls"] == 21 and arms["a"]["rewarded"] == 20
    assert arms["b"]["low"] > arms["a"]["high"] and point["leader"] == "b" and point["default"] is None
    assert point["builtin"] == "a"  # the first option offered: today's behaviour
    text = "\n".join(status_lines(status))
    assert "prompt.coder: default a (built-in), leader b" in text and "acceptance 100.0%" in text


def test_wilson_interval_holds_the_proportion_and_narrows_with_n() -> None:
    low, high = wilson(30, 100)
    assert low < 0.3 < high
    assert (high - low) > (lambda lh: lh[1] - lh[0])(wilson(300, 1000))
    assert wilson(0, 0) == (0.0, 1.0)
