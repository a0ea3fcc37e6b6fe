import pytest

from specpilot.rl.events import Context, Logged


def test_a_logged_decision_refuses_a_zero_propensity_and_rewards_outside_0_1() -> None:
    context = Context("task=fix", {"query_length": 3.0})
    assert Logged(context, "a", 0.25, 1.0).reward == 1.0
    with pytest.raises(ValueError, match="propensity"):
        Logged(context, "a", 0.0, 1.0)
    with pytest.raises(ValueError, match="reward"):
        Logged(context, "a", 0.5, 1.5)
