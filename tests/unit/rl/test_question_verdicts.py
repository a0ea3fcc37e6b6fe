"""Clarify answers are verdicts: the questions a requirements draft asks are decisions at
``prompt.planner.questions`` of the variant that drafted it, and ``specpilot spec clarify --answer`` accepts the
ones it answers, once, in the real learning store (the server's command runs the same workflow:
tests/e2e/test_clarify_verdicts.py). Learning off, or a store that fails, records nothing and clarify works."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.cli import main
from specpilot.core.config import LearningSettings
from specpilot.core.policy import Choice, Decision
from specpilot.rl.policy import LearningPolicy, policy_for, shared_store, store_path
from specpilot.rl.question_verdicts import recorder
from specpilot.spec.draft_verdicts import QUESTIONS_POINT, with_choice
from specpilot.spec.store import SpecStore
from specpilot.spec.workflow import SpecWorkflow


@pytest.fixture
def learning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "learning" / "feedback.sqlite3"
    monkeypatch.setenv("SPECPILOT_LEARNING_STORE", str(path))
    monkeypatch.setenv("SPECPILOT_LEARNING", "on")
    return path


def drafted(root: Path) -> tuple[str, Choice]:
    """A spec whose requirements.md (three open questions) was drafted by the planner's variant the learning
    policy chose, as spec/authoring.py's model drafts are (the choice in its front matter); its name and choice."""
    root.mkdir(exist_ok=True)
    flow = SpecWorkflow(root)
    info = flow.new("Export reports as CSV fast", title="CSV export").spec
    policy, note = policy_for(root, LearningSettings())
    assert isinstance(policy, LearningPolicy), note
    choice = policy.choose(Decision("prompt.planner", ("default", "checklist")))
    assert choice.decision
    text = flow.store.read(info, "requirements")
    flow.store.write(info, "requirements", with_choice(text, choice))
    return info.name, choice


def outcomes(draft: Choice) -> dict[str, str | None]:
    store = shared_store(store_path())
    found = {qid: store.decision(f"{draft.decision}:{qid}") for qid in ("Q1", "Q2", "Q3")}
    return {qid: (d.outcome or "pending") if d is not None else None for qid, d in found.items()}


def test_an_answer_given_through_the_cli_accepts_the_question_once(learning: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ws"
    name, draft = drafted(root)
    assert main(["spec", "clarify", name, "--answer", "Q1=Within 2 s for 10,000 rows", "-w", str(root)]) in (0, 1)
    assert outcomes(draft) == {"Q1": "accepted", "Q2": "pending", "Q3": "pending"}
    store = shared_store(store_path())
    q1 = store.decision(f"{draft.decision}:Q1")
    assert q1 is not None and q1.point == QUESTIONS_POINT and q1.reward == 1.0
    planner = store.decision(draft.decision)
    assert planner is not None and planner.outcome is None  # the draft's own verdict waits for the design
    assert (q1.arm, q1.propensity, q1.arms) == (planner.arm, planner.propensity, planner.arms)

    # The same answer again, then another answer to the same question: still one verdict.
    main(["spec", "clarify", name, "--answer", "Q1=Within 2 s for 10,000 rows", "-w", str(root)])
    main(["spec", "clarify", name, "--answer", "Q1=Within 3 s", "--answer", "Q2=UTF-8, comma-separated",
          "-w", str(root)])
    assert outcomes(draft) == {"Q1": "accepted", "Q2": "accepted", "Q3": "pending"}
    [summary] = store.summary(QUESTIONS_POINT)
    assert (summary.arm, summary.pulls, summary.rewarded) == (draft.option, 3, 2)

    # An unknown question id: the clear error, as before, and nothing more recorded.
    capsys.readouterr()
    assert main(["spec", "clarify", name, "--answer", "Q9=anything", "-w", str(root)]) != 0
    assert f"{name} has no question Q9 (its questions: Q1, Q2, Q3)" in capsys.readouterr().err
    assert outcomes(draft)["Q3"] == "pending"


def test_learning_off_records_nothing_and_clarify_works(learning: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    name, draft = drafted(root)
    monkeypatch.setenv("SPECPILOT_LEARNING", "off")
    assert main(["spec", "clarify", name, "--answer", "Q1=Within 2 s", "-w", str(root)]) in (0, 1)
    assert "Within 2 s" in (SpecStore(root).read(SpecStore(root).resolve(name), "requirements"))
    assert outcomes(draft) == {"Q1": None, "Q2": None, "Q3": None}
    assert shared_store(store_path()).summary(QUESTIONS_POINT) == []


def test_a_draft_the_store_does_not_know_or_a_damaged_store_records_nothing(learning: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    name, draft = drafted(root)
    shared_store(store_path()).reset()  # the draft's decision is gone
    assert main(["spec", "clarify", name, "--answer", "Q1=Within 2 s", "-w", str(root)]) in (0, 1)
    assert shared_store(store_path()).summary(QUESTIONS_POINT) == []

    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database" * 100)
    monkeypatch.setenv("SPECPILOT_LEARNING_STORE", str(damaged))
    assert main(["spec", "clarify", name, "--answer", "Q2=UTF-8", "-w", str(root)]) in (0, 1)
    assert "UTF-8" in SpecStore(root).read(SpecStore(root).resolve(name), "requirements")


def test_a_fixed_policy_has_no_recorder() -> None:
    from specpilot.core.policy import FixedPolicy

    assert recorder(FixedPolicy()) is None
