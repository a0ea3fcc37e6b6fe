"""Clarify answers given through the real server (``specpilot.spec.clarify``, the spec panel's answer box) are
verdicts in the learning store, as through the CLI (tests/unit/rl/test_question_verdicts.py): each question
answered accepts the question's decision once; an unknown question id is the same clear error as before."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from specpilot.core.config import LearningSettings
from specpilot.core.policy import Decision
from specpilot.rl.policy import LearningPolicy
from specpilot.rl.store import FeedbackStore
from specpilot.server.lsp_utils import plain
from specpilot.spec.draft_verdicts import QUESTIONS_POINT, with_choice
from specpilot.spec.workflow import SpecWorkflow
from tests.e2e.conftest import NO_MODEL, learning_client_fixture, start

STORE = Path(tempfile.mkdtemp(prefix="specpilot-clarify-e2e-")) / "feedback.sqlite3"


learning_client = learning_client_fixture(STORE)


async def clarify(client: LanguageClient, **arguments: Any) -> Any:
    return plain(await client.workspace_execute_command_async(
        types.ExecuteCommandParams("specpilot.spec.clarify", [arguments])))


async def test_answers_through_the_server_accept_the_questions_once(learning_client: LanguageClient,
                                                                    tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    flow = SpecWorkflow(root)  # a draft whose planner variant the learning policy chose (as a model's draft is)
    info = flow.new("Export reports as CSV fast", title="CSV export").spec
    store = FeedbackStore(STORE)
    draft = LearningPolicy(store, root, LearningSettings()).choose(Decision("prompt.planner", ("default", "checklist")))
    flow.store.write(info, "requirements", with_choice(flow.store.read(info, "requirements"), draft))

    await start(learning_client, root, options=NO_MODEL)
    answered = await clarify(learning_client, name=info.name, answers={"Q1": "Within 2 s for 10,000 rows"})
    assert [q["id"] for q in answered["questions"]] == ["Q2", "Q3"]
    await clarify(learning_client, name=info.name, answers={"Q1": "Within 3 s"})  # answered again: no new verdict
    with pytest.raises(JsonRpcException, match="has no question Q9"):
        await clarify(learning_client, name=info.name, answers={"Q9": "anything"})

    outcomes = {qid: store.decision(f"{draft.decision}:{qid}") for qid in ("Q1", "Q2", "Q3")}
    assert {qid: d.outcome if d else "missing" for qid, d in outcomes.items()} == {
        "Q1": "accepted", "Q2": None, "Q3": None}
    [summary] = store.summary(QUESTIONS_POINT)
    assert (summary.arm, summary.pulls, summary.rewarded, summary.mean_reward) == (draft.option, 3, 1, 1.0)
    store.close()
