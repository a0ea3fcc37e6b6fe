"""Typed command arguments through the real server: every command has a published schema, arguments
that do not fit answer InvalidParams naming the field (and change nothing), and arguments that fit
reach the command (whose refusals about the workspace stay RequestFailed / ContentModified)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path
from typing import IO, Any

import jsonschema
import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from specpilot.server.command_args import command_schemas
from specpilot.server.lsp_utils import plain
from tests.lsp_messages import did_open

from .conftest import ENV, NO_MODEL, SERVER, start

INVALID_PARAMS, REQUEST_FAILED, CONTENT_MODIFIED = -32602, -32803, -32801


async def execute(client: LanguageClient, command: str, arguments: list[Any]) -> Any:
    return plain(await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=arguments)))


async def refusal(client: LanguageClient, command: str, arguments: list[Any]) -> JsonRpcException:
    with pytest.raises(JsonRpcException) as refused:
        await execute(client, command, arguments)
    return refused.value


def fits_schema(schema: dict[str, Any], command: str, arguments: list[Any]) -> bool:
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], **schema["properties"][command]})
    return validator.is_valid(arguments)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".specpilot" not in p.parts}


def read_frame(stream: IO[bytes]) -> dict[str, Any]:
    length = 0
    while (line := stream.readline().strip()):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    assert length, "the server closed its output"
    return json.loads(stream.read(length))  # type: ignore[no-any-return]


def exchange(project: Path, *requests: tuple[str, Any]) -> list[dict[str, Any]]:
    """The server's answers (as JSON, untouched by a client library: command names are keys) to
    initialize and then ``requests``, over stdio."""
    process = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=ENV)
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    assert process.stdin is not None and process.stdout is not None
    initialize = {"processId": os.getpid(), "capabilities": {}, "initializationOptions": NO_MODEL,
                  "workspaceFolders": [{"uri": project.as_uri(), "name": project.name}]}
    messages: list[dict[str, Any]] = [
        {"id": 0, "method": "initialize", "params": initialize}, {"method": "initialized", "params": {}},
        *({"id": number, "method": method, "params": params}
          for number, (method, params) in enumerate(requests, start=1))]
    try:
        for message in messages:
            body = json.dumps({"jsonrpc": "2.0", **message}).encode()
            process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        process.stdin.flush()
        answers: dict[int, dict[str, Any]] = {}
        while len(answers) <= len(requests):
            message = read_frame(process.stdout)
            if "method" not in message and isinstance(message.get("id"), int):
                answers[message["id"]] = message
        return [answers[number] for number in sorted(answers)]
    finally:
        process.stdin.close()
        process.wait(60)
        watchdog.cancel()


def test_every_registered_command_publishes_its_argument_schema(project: Path) -> None:
    initialized, answer = exchange(project, ("specpilot/commandSchemas", None))
    registered = set(initialized["result"]["capabilities"]["executeCommandProvider"]["commands"])
    schema = answer["result"]
    assert len(registered) >= 16 and set(schema["properties"]) == registered
    assert schema == command_schemas()  # the CLI prints the same document
    jsonschema.Draft202012Validator.check_schema(schema)


BAD: list[tuple[str, list[Any], str]] = [  # a missing required field and a wrong type for each family
    ("specpilot.spec.new", [{}], "'idea' is required"),
    ("specpilot.spec.new", [{"idea": ["a", "list"]}], "'idea' must be a string"),
    ("specpilot.spec.clarify", [{"answers": {"Q1": 2}}], "'answers.Q1' must be a string, got 2"),
    ("specpilot.spec.design", [{"force": "yes"}], "'force' must be true or false"),
    ("specpilot.spec.tasks", [{"name": 3}], "'name'"),
    ("specpilot.spec.review", [{"nmae": "x"}], "'nmae' is not a known field"),
    ("specpilot.spec.runTask", [{"name": "x"}], "'taskId' is required"),
    ("specpilot.spec.markDone", [{"taskId": "T1", "done": "no"}], "'done' must be true or false, got \"no\""),
    ("specpilot.agent.run", [{"uri": "file:///x.py"}],
     "(expected {task, ask?, uri?} or {uri, offer, version?, decisionId?})"),
    ("specpilot.agent.run", [{"task": 5}], "'task' must be a string, got 5"),
    ("specpilot.refactor.addDecorator", [{"uri": "file:///x.py", "line": 1}], "'character' is required"),
    ("specpilot.refactor.changeSignature", [{"uri": "file:///x.py", "line": 1, "character": 2, "remove": "a"}],
     "'remove' must be an array"),
    ("specpilot.refactor.apply", [{"file_path": "a.py"}], "'actions' is required"),
    ("specpilot.search", [{"query": "x", "k": "3"}], "'k'"),
    ("specpilot.search", [{"mode": "bm25"}], "'query' is required"),
    ("specpilot.index.status", [{"all": True}], "'all' is not a known field"),
    ("specpilot.index.rebuild", [{"folder": 7}], "'folder' must be a string, got 7"),
    ("specpilot.doctor", [{"repair": 1}], "'repair' must be true or false, got 1"),
    ("specpilot.steering.init", [{"force": "yes"}], "'force' must be true or false"),
]


async def test_bad_arguments_answer_invalid_params_naming_the_field(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL, wait=False)
    schema = command_schemas()
    before = tree(project)
    for command, arguments, said in BAD:
        assert not fits_schema(schema, command, arguments), (command, arguments)
        error = await refusal(client, command, arguments)
        assert error.code == INVALID_PARAMS, (command, error.code, error.message)
        assert f"invalid arguments for {command}: " in error.message and said in error.message, error.message
    assert tree(project) == before
    assert not (project / ".specpilot" / "specs").exists() and not (project / ".specpilot" / "steering").exists()
    assert client.messages == []  # answers, not popups


async def test_fitting_arguments_reach_the_command(client: LanguageClient, project: Path, tmp_path: Path) -> None:
    await start(client, project, options=NO_MODEL)
    headers = project / "httpkit" / "headers.py"
    uri, elsewhere = headers.as_uri(), (tmp_path / "elsewhere").as_uri()
    client.text_document_did_open(did_open(uri, headers.read_text(), 3))
    offer = {"kind": "explain", "title": "SpecPilot: Explain this", "path": "httpkit/headers.py",
             "qualified": "parse_headers", "line": 0}
    stale = {"uri": uri, "version": 1, "line": 0, "character": 4}
    refused: list[tuple[str, list[Any], int]] = [
        ("specpilot.spec.new", [{"idea": "export invoices", "uri": elsewhere}], REQUEST_FAILED),
        ("specpilot.spec.clarify", [{"name": "nope"}], REQUEST_FAILED),
        ("specpilot.spec.design", [{"name": "nope", "force": True}], REQUEST_FAILED),
        ("specpilot.spec.tasks", [{"name": "nope"}], REQUEST_FAILED),
        ("specpilot.spec.review", [{"name": "nope"}], REQUEST_FAILED),
        ("specpilot.spec.runTask", [{"taskId": "T1", "uri": elsewhere}], REQUEST_FAILED),
        ("specpilot.spec.markDone", [{"taskId": "T1", "name": "nope"}], REQUEST_FAILED),
        ("specpilot.agent.run", [{"uri": uri, "version": 1, "offer": offer}], CONTENT_MODIFIED),
        ("specpilot.agent.run", [{"task": "explain", "uri": elsewhere}], REQUEST_FAILED),
        ("specpilot.refactor.addDecorator", [{**stale, "decorator": "property"}], CONTENT_MODIFIED),
        ("specpilot.refactor.changeSignature", [{**stale, "remove": ["name"]}], CONTENT_MODIFIED),
        ("specpilot.refactor.apply", [{"file_path": "README.md", "actions": [{"type": "add_import",
                                                                            "module": "os"}]}], REQUEST_FAILED),
        ("specpilot.index.rebuild", [elsewhere], REQUEST_FAILED),
        ("specpilot.steering.init", [{"folder": elsewhere}], REQUEST_FAILED),
    ]
    schema = command_schemas()
    for command, arguments, code in refused:
        assert fits_schema(schema, command, arguments), (command, arguments)
        error = await refusal(client, command, arguments)
        assert error.code == code, (command, error.code, error.message)
    searches: list[list[Any]] = [["parse headers"], [{"query": "parse headers", "mode": "bm25", "k": 2}]]
    for arguments in searches:
        command = "specpilot.search"
        assert fits_schema(schema, command, arguments)
        answer = await execute(client, command, arguments)
        assert "parse_headers" in [hit["name"] for hit in answer["hits"]]
    for command in ("specpilot.index.status", "specpilot.doctor"):
        answer = await execute(client, command, [])
        assert [entry["folder"] for entry in answer] == [project.as_uri()]
