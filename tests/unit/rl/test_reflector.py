"""The reflector: its request, its answer parsed against the playbook, unusable answers changing nothing."""

from __future__ import annotations

import json

import pytest

import tests.loopback.openai_server as openai_wire
from specpilot.core.config import ModelSettings
from specpilot.llm.factory import make_provider
from specpilot.rl.playbook_render import render
from specpilot.rl.playbook_store import builtin
from specpilot.rl.reflector import ReflectionError, ids_in, messages, parse, reflect
from tests.loopback import LoopbackServer

BOOK = builtin("coder")


def test_the_request_shows_the_entries_and_the_run_as_data() -> None:
    system, user = messages(BOOK, "Fix the parser", "failure: the tests still fail", "I changed x")
    assert "error handling, learned patterns, best practices" in system.content
    assert '[bp-1] (best practices) Prefer the smallest change that does the task.' in user.content
    assert '<data source="outcome">' in user.content and "I changed x" in user.content


def test_a_good_answer_is_parsed() -> None:
    answer = 'Here: {"helpful": ["bp-1"], "harmful": ["bp-3", "bp-3"], "edits": [{"op": "add", ' \
             '"section": "learned patterns", "text": "Parsers here return None."}], "note": "ok"}'
    found = parse(answer, BOOK)
    assert found.helpful == ("bp-1",) and found.harmful == ("bp-3",)
    assert found.ops[0].op == "add" and found.ops[0].section == "learned patterns"


@pytest.mark.parametrize(("answer", "message"), [
    ("no json here", "no JSON object"),
    ("{not json}", "not JSON"),
    ('{"helpful": ["bp-99"]}', "does not have: bp-99"),
    ('{"helpful": "bp-1"}', "must be a list"),
    ('{"edits": [{"op": "rewrite_everything"}]}', "op must be one of"),
    ('{"edits": {"op": "add"}}', "'edits' must be a list"),
])
def test_an_unusable_answer_is_refused(answer: str, message: str) -> None:
    with pytest.raises(ReflectionError, match=message):
        parse(answer, BOOK)


def test_at_most_three_edits_are_taken() -> None:
    edits = [{"op": "prune", "entry": "bp-1"}] * 5
    assert len(parse(json.dumps({"edits": edits}), BOOK).ops) == 3


def test_the_reflector_asks_the_configured_model(openai_server: LoopbackServer) -> None:
    settings = ModelSettings(provider="openai", base_url=openai_server.base_url, model=openai_wire.MODEL, max_retries=0)
    provider = make_provider(settings, env={}, api_key="sk-test-0123456789")
    openai_server.push(openai_wire.answer('{"helpful": ["bp-2"], "harmful": [], "edits": []}'),
                       openai_wire.error(500, "down"))
    assert reflect(provider, BOOK, "t", "success", "a").helpful == ("bp-2",)
    assert openai_server.requests[0].body["messages"][0]["content"].startswith("You improve the playbook")
    with pytest.raises(ReflectionError, match="could not be asked"):
        reflect(provider, BOOK, "t", "success", "a")


def test_the_entry_ids_a_prompt_showed() -> None:
    text = render(BOOK, {"root": "/ws"})
    assert list(ids_in(text, BOOK)) == ["bp-1", "bp-2", "bp-3"]
    assert list(ids_in("cites [bp-77] and [bp-2]", BOOK)) == ["bp-2"]
