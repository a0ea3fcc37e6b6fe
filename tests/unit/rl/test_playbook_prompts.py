"""The coder's playbook at work: with learning on, the agent's prompt is rendered from it, the run records the
entries it showed, and the user's verdicts feed its evolution (with the configured model as reflector)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tests.loopback.openai_server as openai_wire
from specpilot.agents.session import trajectory_dir
from specpilot.agents.trajectory import read
from specpilot.core.config import Settings
from specpilot.core.policy import FixedPolicy
from specpilot.project import open_project
from specpilot.rl.playbook_prompts import PlaybookLibrary, PlaybookPrompt
from specpilot.rl.playbook_store import PlaybookStore
from specpilot.spec.frontmatter import split_front_matter
from tests.loopback import LoopbackServer
from tests.unit.agents.test_loop import KEY, settings_for


@pytest.fixture
def learning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPECPILOT_LEARNING", "on")
    monkeypatch.setenv("SPECPILOT_LEARNING_STORE", str(tmp_path / "feedback.sqlite3"))


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    return root


def test_the_library_serves_the_roles_playbooks_once_per_library(tmp_path: Path) -> None:
    library = PlaybookLibrary(_workspace(tmp_path), Settings())
    coder = library.load("agent.system")
    assert isinstance(coder, PlaybookPrompt) and coder.version == 1
    text = coder.render({"root": "/ws", "steering": "(none)", "context": "(nothing found)"})
    assert "[bp-1]" in text and coder.shown == ["bp-1", "bp-2", "bp-3"]
    assert not isinstance(library.load("agent.system", "read-first"), PlaybookPrompt)  # other variants: files
    assert library.load("agent.system") is coder  # one version for everything a run or a stage loads
    planner = library.load("spec.planner")
    assert isinstance(planner, PlaybookPrompt) and planner.role == "planner"
    assert not isinstance(library.load("ask.system"), PlaybookPrompt)


def test_runs_record_the_entries_and_verdicts_feed_evolution(tmp_path: Path, learning: None,
                                                            openai_server: LoopbackServer) -> None:
    root = _workspace(tmp_path)
    settings = settings_for(openai_server)
    settings.learning.prompt_evolve_every = 10
    settings.learning.prompt_approval = "never"
    project = open_project(root, settings=settings, api_key=KEY)
    reflection = {"helpful": [], "harmful": ["bp-2"], "note": "the style entry misled it",
                  "edits": [{"op": "add", "section": "learned patterns", "text": "Run the tests named in the task."}]}
    try:
        for n in range(10):
            session = project.agent_session(policy=FixedPolicy())  # the default variant: the playbook, every run
            openai_server.push(openai_wire.answer(f"Done {n}."), openai_wire.answer("DONE"),
                               openai_wire.answer(json.dumps(reflection)))
            result = session.run(f"Make add handle strings, attempt {n}")
            start = next(e for e in read(result.trajectory) if e["kind"] == "start")  # type: ignore[arg-type]
            assert start["template_version"] == 1 and start.get("prompt_entries") == ["bp-1", "bp-2", "bp-3"], start
            assert "[bp-2]" in openai_server.requests[-2].body["messages"][0]["content"]
            assert project.feedback(result.run_id, accepted=False) == "run"
            assert openai_server.requests[-1].body["messages"][0]["content"].startswith("You improve the playbook")
            session.close()
    finally:
        project.close()
    store = PlaybookStore(root)
    assert store.counters("coder") == {"bp-2": [0, 10]}
    assert store.versions("coder") == [1, 2] and store.current_version("coder") == 1  # v2 is on trial
    learned = store.read("coder", 2).section("learned patterns")
    assert learned is not None and [e.text for e in learned.entries] == ["Run the tests named in the task."]
    assert len((trajectory_dir(root, settings).parent / "playbooks" / "coder.jsonl").read_text().splitlines()) == 10


def test_with_learning_off_the_templates_serve_and_nothing_is_learned(tmp_path: Path,
                                                                    openai_server: LoopbackServer) -> None:
    root = _workspace(tmp_path)
    project = open_project(root, settings=settings_for(openai_server), api_key=KEY)
    try:
        session = project.agent_session()
        openai_server.push(openai_wire.answer("Done."), openai_wire.answer("DONE"))
        result = session.run("Make add handle strings")
        start = next(e for e in read(result.trajectory) if e["kind"] == "start")  # type: ignore[arg-type]
        assert "prompt_entries" not in start
        assert "[bp-1]" not in openai_server.requests[0].body["messages"][0]["content"]
        project.feedback(result.run_id, accepted=True)
    finally:
        project.close()
    assert not (root / ".specpilot" / "prompts").exists()


def test_spec_drafts_keep_their_playbook_and_verdicts_reach_it(tmp_path: Path, learning: None,
                                                               openai_server: LoopbackServer) -> None:
    from tests.unit.spec.test_authoring import DESIGNED, PLANNED
    from tests.unit.spec.test_draft_verdicts import Numbered

    root = _workspace(tmp_path)
    project = open_project(root, settings=settings_for(openai_server), api_key=KEY)
    project._policy = Numbered()  # every draft a decision, the default variant (the playbook) every time
    try:
        reflection = {"helpful": ["bp-1"], "harmful": [], "note": "it kept to the idea", "edits": []}
        openai_server.push(openai_wire.answer(PLANNED), openai_wire.answer(json.dumps(reflection)),
                           openai_wire.answer(DESIGNED))
        flow = project.workflow(retrieval=False)
        spec = flow.new("Export reports as CSV").spec
        system = openai_server.requests[0].body["messages"][0]["content"]
        assert "## learned patterns" not in system and "Answer with the whole requirements.md" in system
        front = split_front_matter(flow.store.read(spec, "requirements")).fields
        assert front["playbook"]["role"] == "planner" and front["playbook"]["version"] == 1
        flow.design(spec.name, force=True)  # the design builds on the requirements: kept
    finally:
        project.close()
    asked = openai_server.requests[1].body["messages"]  # the configured model reflects on the kept draft
    assert asked[0]["content"].startswith("You improve the playbook") and "planner" in asked[0]["content"]
    title = next(line for line in PLANNED.splitlines() if line.startswith("#")).lstrip("# ").strip()
    assert "accepted" in asked[1]["content"] and PLANNED.strip().splitlines()[-1] in asked[1]["content"]
    assert PlaybookStore(root).counters("planner") == {"bp-1": [1, 0]}  # the reflector's vote, not the shown ones'
    experiences = (root / ".specpilot" / "cache" / "playbooks" / "planner.jsonl").read_text().splitlines()
    [kept] = [json.loads(line) for line in experiences]
    assert kept["accepted"] == 1.0 and kept["version"] == 1 and kept["task"] == f"planner draft: {title}"
