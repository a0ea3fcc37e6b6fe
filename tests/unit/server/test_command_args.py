"""server/command_args.py: the published schema and the server's check agree on every example,
and a bad argument's message names the field and what it must be."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from specpilot.index.search import ENGINE_MODES
from specpilot.server.command_args import (
    COMMANDS,
    SCHEMA_PATH,
    BadArguments,
    command_schemas,
    parse_argument,
    schema_text,
)

URI = "file:///work/project/httpkit/headers.py"
OFFER = {"kind": "explain", "title": "SpecPilot: Explain this", "path": "httpkit/headers.py",
         "qualified": "parse_headers", "line": 3}
EDIT = {"file_path": "httpkit/headers.py", "actions": [{"type": "add_import", "module": "functools"}]}

# (command, arguments, whether they fit): at least one fitting and one not fitting call per command
EXAMPLES: list[tuple[str, list[Any], bool]] = [
    ("specpilot.spec.new", [{"idea": "export invoices as CSV"}], True),
    ("specpilot.spec.new", [{"idea": "x", "title": None, "profile": "library", "uri": URI}], True),
    ("specpilot.spec.new", [], False),
    ("specpilot.spec.new", [{"idea": 3}], False),
    ("specpilot.spec.new", [{"idea": "x", "titel": "typo"}], False),
    ("specpilot.spec.clarify", [], True),
    ("specpilot.spec.clarify", [None], True),
    ("specpilot.spec.clarify", [{"name": "csv", "answers": {"Q1": "only on --force"}}], True),
    ("specpilot.spec.clarify", [{"answers": {"Q1": 1}}], False),
    ("specpilot.spec.clarify", [{"answers": ["Q1"]}], False),
    ("specpilot.spec.design", [{"name": "csv", "force": True}], True),
    ("specpilot.spec.design", [{"force": "yes"}], False),
    ("specpilot.spec.tasks", [{}], True),
    ("specpilot.spec.tasks", [{"force": 1}], False),
    ("specpilot.spec.review", [{"name": "csv"}], True),
    ("specpilot.spec.review", [{"name": 7}], False),
    ("specpilot.spec.runTask", [{"taskId": "T1", "apply": True}], True),
    ("specpilot.spec.runTask", [{"name": "csv"}], False),
    ("specpilot.spec.runTask", [{"taskId": "  "}], False),
    ("specpilot.spec.runTask", [{"taskId": "T1"}, {"taskId": "T2"}], False),
    ("specpilot.spec.markDone", [{"taskId": "T1", "done": False, "name": "csv"}], True),
    ("specpilot.spec.markDone", [{"taskId": "T1", "done": "no"}], False),
    ("specpilot.agent.run", [{"task": "explain the retry loop", "ask": True}], True),
    ("specpilot.agent.run", [{"uri": URI, "version": 2, "offer": OFFER}], True),
    ("specpilot.agent.run", [{"uri": URI, "version": None, "offer": {**OFFER, "kind": "fix", "diagnostic": "E1"}}],
     True),
    ("specpilot.agent.run", [{"uri": URI, "offer": {**OFFER, "kind": "dance"}}], False),
    ("specpilot.agent.run", [{"uri": URI, "offer": {**OFFER, "line": -1}}], False),
    ("specpilot.agent.run", [{"task": ""}], False),
    ("specpilot.agent.run", ["explain"], False),
    ("specpilot.refactor.addDecorator", [{"uri": URI, "version": 1, "line": 3, "character": 4}], True),
    ("specpilot.refactor.addDecorator", [{"uri": URI, "line": 3, "character": 4, "decorator": "property"}], True),
    ("specpilot.refactor.addDecorator", [{"uri": URI, "line": "3", "character": 4}], False),
    ("specpilot.refactor.addDecorator", [{"uri": URI, "line": 3}], False),
    ("specpilot.refactor.changeSignature",
     [{"uri": URI, "line": 3, "character": 4, "add": [{"name": "strict", "default": "False", "index": 1}],
       "remove": ["old"], "rename": {"text": "raw"}, "order": None}], True),
    ("specpilot.refactor.changeSignature", [{"uri": URI, "line": 3, "character": 4, "add": [{"default": "1"}]}],
     False),
    ("specpilot.refactor.changeSignature", [{"uri": URI, "line": 3, "character": True}], False),
    ("specpilot.refactor.apply", [EDIT], True),
    ("specpilot.refactor.apply", [{"file_path": "a.py", "actions": [{"type": "teleport"}]}], False),
    ("specpilot.refactor.apply", [{"actions": EDIT["actions"]}], False),
    ("specpilot.search", ["parse headers"], True),
    ("specpilot.search", [{"query": "parse headers", "k": 5, "mode": "bm25", "filters": {"path": "httpkit/**"}}],
     True),
    ("specpilot.search", [{"query": "x", "mode": "fuzzy"}], False),
    ("specpilot.search", [{"query": "x", "k": 0}], False),
    ("specpilot.search", [{"k": 3}], False),
    ("specpilot.search", [], False),
    ("specpilot.index.status", [], True),
    ("specpilot.index.status", [{"folder": URI}], False),
    ("specpilot.index.rebuild", [], True),
    ("specpilot.index.rebuild", ["file:///work/project"], True),
    ("specpilot.index.rebuild", [{"folder": "file:///work/project"}], True),
    ("specpilot.index.rebuild", [{"folder": 1}], False),
    ("specpilot.doctor", [], True),
    ("specpilot.doctor", [{"repair": True}], True),
    ("specpilot.doctor", [{"repair": "yes"}], False),
    ("specpilot.doctor", [{"repair": True, "fast": True}], False),
    ("specpilot.steering.init", [{"folder": "file:///work/project", "force": True}], True),
    ("specpilot.steering.init", [{"force": "yes"}], False),
    ("specpilot.steering.init", [{"colour": 1}], False),
    ("specpilot.learn.status", [], True),
    ("specpilot.learn.status", [{"folder": "file:///work/project"}], True),
    ("specpilot.learn.status", [{"folder": 3}], False),
    ("specpilot.prompts.show", [{"role": "coder"}], True),
    ("specpilot.prompts.show", [{"role": "coder", "version": 2, "folder": "file:///work/project"}], True),
    ("specpilot.prompts.show", [{"role": "poet"}], False),
    ("specpilot.prompts.history", [{"role": "planner"}], True),
    ("specpilot.prompts.history", [{}], False),
    ("specpilot.prompts.diff", [{"role": "coder", "versions": [1, 2]}], True),
    ("specpilot.prompts.diff", [{"role": "coder", "versions": [1, 2, 3]}], False),
    ("specpilot.prompts.rollback", [{"role": "reviewer"}], True),
    ("specpilot.prompts.rollback", [{"role": "reviewer", "version": 0}], False),
    ("specpilot.prompts.curate", [{"role": "architect"}], True),
    ("specpilot.prompts.curate", [{"role": "architect", "version": 1}], False),
    ("specpilot.prompts.approve", [{"role": "coder", "version": 3}], True),
    ("specpilot.prompts.approve", [{"role": "coder", "version": "3"}], False),
    ("specpilot.learn.reset", [], True),
    ("specpilot.learn.reset", [{"everything": True}], False),
    ("specpilot.learn.report", [], True),
    ("specpilot.learn.report", [{"folder": "file:///work/project", "out": "/tmp/report"}], True),
    ("specpilot.learn.report", [{"out": 3}], False),
    ("specpilot.learn.simulate", [], True),
    ("specpilot.learn.simulate", [{"rounds": 500, "seeds": 2}], True),
    ("specpilot.learn.simulate", [{"rounds": "500"}], False),
    ("specpilot.learn.simulate", [{"seeds": 0}], False),
    ("specpilot.stats", [], True),
    ("specpilot.stats", [{"sinceDays": 7, "plots": False}], True),
    ("specpilot.stats", [{"sinceDays": 0}], False),
    ("specpilot.stats", [{"since_days": 7}], False),
]


def schema_accepts(command: str, arguments: list[Any]) -> bool:
    schema = command_schemas()
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], **schema["properties"][command]})
    return validator.is_valid(arguments)


def server_accepts(command: str, arguments: list[Any]) -> bool:
    try:
        parse_argument(command, arguments)
    except BadArguments:
        return False
    return True


def test_the_schema_is_valid_json_schema_with_an_entry_per_command() -> None:
    schema = command_schemas()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == set(COMMANDS)
    assert SCHEMA_PATH.read_text() == schema_text(), "run: python -c 'from specpilot.server.command_args " \
        "import *; SCHEMA_PATH.write_text(schema_text())'"


def test_every_command_has_fitting_and_unfitting_examples() -> None:
    fitting = {command for command, _, fits in EXAMPLES if fits}
    unfitting = {command for command, _, fits in EXAMPLES if not fits}
    assert fitting == unfitting == set(COMMANDS)


@pytest.mark.parametrize(("command", "arguments", "fits"), EXAMPLES,
                         ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(EXAMPLES)])
def test_the_schema_and_the_server_agree(command: str, arguments: list[Any], fits: bool) -> None:
    assert schema_accepts(command, arguments) is fits
    assert server_accepts(command, arguments) is fits


@pytest.mark.parametrize(("command", "arguments", "said"), [
    ("specpilot.spec.markDone", [{"taskId": "T1", "done": "no"}], "'done' must be true or false, got \"no\""),
    ("specpilot.spec.runTask", [{"name": "csv"}], "'taskId' is required"),
    ("specpilot.spec.runTask", [], "needs one argument: {taskId, name?, apply?, uri?}"),
    ("specpilot.spec.new", [{"idea": "x", "titel": "typo"}], "'titel' is not a known field"),
    ("specpilot.spec.clarify", [{"answers": {"Q1": 1}}], "'answers.Q1' must be a string, got 1"),
    ("specpilot.agent.run", [{"uri": URI, "offer": {**OFFER, "kind": "dance"}}],
     "'offer.kind' must be one of 'explain', 'tests', 'implement' or 'fix', got \"dance\""),
    ("specpilot.agent.run", [{"task": ""}], "'task' must be a non-empty string"),
    ("specpilot.refactor.changeSignature", [{"uri": URI, "line": 3, "character": 4, "add": [{"default": "1"}]}],
     "'add[0].name' is required"),
    ("specpilot.refactor.addDecorator", [{"uri": URI, "line": "3", "character": 4}],
     "'line' must be a whole number, got \"3\""),
    ("specpilot.search", [{"query": "x", "mode": "fuzzy"}],
     "'mode' must be one of 'bm25', 'vector', 'hybrid' or 'rerank'"),
    ("specpilot.doctor", [{"repair": True}, {}], "takes one argument object, got 2 arguments"),
])
def test_a_bad_argument_names_the_field_and_what_it_must_be(command: str, arguments: list[Any], said: str) -> None:
    with pytest.raises(BadArguments) as refused:
        parse_argument(command, arguments)
    assert said in str(refused.value)


def test_the_argument_types_follow_the_engines_choices() -> None:
    from specpilot.server.features.agent import AGENT_KINDS

    defs = command_schemas()["$defs"]
    assert set(defs["AgentOfferData"]["properties"]["kind"]["enum"]) == set(AGENT_KINDS)
    mode = defs["SearchArgs"]["properties"]["mode"]["anyOf"][0]
    assert tuple(mode["enum"]) == ENGINE_MODES


def test_wire_names_are_camel_case_and_parse_to_python_names() -> None:
    parsed = parse_argument("specpilot.spec.runTask", [{"taskId": "T3", "apply": True}])
    assert (parsed.task_id, parsed.apply, parsed.name) == ("T3", True, None)
    assert not server_accepts("specpilot.spec.runTask", [{"task_id": "T3"}])


def test_a_command_without_an_argument_type_cannot_be_registered() -> None:
    from specpilot.server.app import SpecPilotServer
    from specpilot.server.commands import typed_command

    with pytest.raises(KeyError, match="specpilot.nope has no argument type"):
        typed_command(SpecPilotServer(), "specpilot.nope")
