"""The MCP tools through the SDK's in-memory client: what a host agent sees for each tool, good calls and bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import MCPError

from specpilot.core.config import load_settings
from specpilot.mcp_server.tools import MAX_ARGUMENT_BYTES
from tests.unit.mcp_server.conftest import Connect, spec_through_tasks, text_of

COOKIE = "httpkit/cookies.py"


async def test_every_tool_has_a_schema_a_description_and_says_whether_it_writes(sample: Path,
                                                                              connect: Connect) -> None:
    async with connect(sample) as (client, _):
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert {"search_code", "find_symbol", "graph_neighbours", "read_symbol", "rename_symbol", "change_signature",
            "extract_function", "spec_status", "spec_gates", "spec_trace", "index_status", "feedback"} <= set(listed)
    for tool in listed.values():
        assert tool.input_schema["type"] == "object" and len(tool.description or "") > 40
        assert tool.input_schema.get("additionalProperties") is False  # a misspelt argument is refused
    assert listed["rename_symbol"].annotations.read_only_hint is False
    assert listed["search_code"].annotations.read_only_hint is True
    assert "apply" in listed["rename_symbol"].input_schema["properties"]


async def test_search_symbol_lookup_callers_and_a_symbols_code(sample: Path, connect: Connect) -> None:
    async with connect(sample) as (client, _):
        found = await client.call_tool("search_code", {"query": "parse the cookie header into a dict of names"})
        symbol = await client.call_tool("find_symbol", {"name": "parse_cookie"})
        callers = await client.call_tool("graph_neighbours", {"symbol": "parse_cookie", "relation": "callers"})
        code = await client.call_tool("read_symbol", {"symbol": "parse_cookie"})
        status = await client.call_tool("index_status", {})
    assert not found.is_error and text_of(found).startswith(f"1. {COOKIE}:6-13  parse_cookie")
    assert text_of(symbol).splitlines()[0] == f"function parse_cookie  {COOKIE}:6-13"
    assert "cookies_from" in text_of(callers)
    body = text_of(code)
    assert body.splitlines()[0] == f"{COOKIE}:6-13 function parse_cookie"
    assert "13|     return jar" in body and "cookies_from" not in body  # that function and no more
    assert code.structured_content == {"path": COOKIE, "start_line": 6, "end_line": 13}
    assert "kept by this MCP server" in text_of(status) and status.structured_content["files"] >= 10


async def test_read_symbol_says_which_files_when_a_name_is_defined_twice(sample: Path, connect: Connect) -> None:
    (sample / "httpkit" / "jar.py").write_text("def parse_cookie(text):\n    return {}\n", encoding="utf-8")
    async with connect(sample) as (client, _):
        both = await client.call_tool("read_symbol", {"symbol": "parse_cookie"})
        one = await client.call_tool("read_symbol", {"symbol": "parse_cookie", "path": "httpkit/jar.py"})
        missing = await client.call_tool("read_symbol", {"symbol": "no_such_function"})
    assert both.is_error and "httpkit/cookies.py" in text_of(both) and "httpkit/jar.py" in text_of(both)
    assert not one.is_error and "return {}" in text_of(one)
    assert missing.is_error and "find_symbol" in text_of(missing)


async def test_a_rename_is_a_diff_until_apply_then_written_and_reindexed(sample: Path, connect: Connect) -> None:
    before = (sample / COOKIE).read_text(encoding="utf-8")
    arguments = {"file_path": COOKIE, "symbol": "parse_cookie", "new_name": "read_cookie"}
    async with connect(sample) as (client, _):
        preview = await client.call_tool("rename_symbol", arguments)
        assert (sample / COOKIE).read_text(encoding="utf-8") == before  # a preview writes nothing
        applied = await client.call_tool("rename_symbol", {**arguments, "apply": True})
        found = await client.call_tool("find_symbol", {"name": "read_cookie"})
        again = await client.call_tool("rename_symbol", {**arguments, "apply": True})
    assert not preview.is_error and "+def read_cookie(header: str)" in text_of(preview)
    assert preview.structured_content["files"] == ["httpkit/__init__.py", COOKIE]
    assert preview.structured_content["applied"] is False
    assert not applied.is_error and applied.structured_content["applied"] is True
    assert "re-indexed 2 file(s)" in text_of(applied)
    assert "def read_cookie(header: str)" in (sample / COOKIE).read_text(encoding="utf-8")
    assert "from httpkit.cookies import read_cookie" in (sample / "httpkit/__init__.py").read_text(encoding="utf-8")
    assert text_of(found).startswith(f"function read_cookie  {COOKIE}:6-13")  # the index follows the edit
    assert again.is_error and "parse_cookie" in text_of(again)  # the old name is gone: refused, nothing written


async def test_change_signature_and_extract_function_preview_every_call(sample: Path, connect: Connect) -> None:
    async with connect(sample) as (client, _):
        signature = await client.call_tool("change_signature", {
            "file_path": COOKIE, "symbol": "parse_cookie", "rename": {"header": "text"},
            "add": [{"name": "strict", "default": "False"}]})
        extract = await client.call_tool("extract_function", {
            "file_path": COOKIE, "start_line": 9, "end_line": 12, "new_name": "fill_jar"})
    diff = text_of(signature)
    assert "+def parse_cookie(text: str, strict=False)" in diff
    assert "-    for part in header.split" in diff and "+    for part in text.split" in diff
    assert "+def fill_jar(" in text_of(extract) and not extract.is_error


async def test_applying_is_refused_when_the_setting_says_so(sample: Path, connect: Connect) -> None:
    settings, _ = load_settings(sample)
    settings.mcp.allow_apply = False
    before = (sample / COOKIE).read_text(encoding="utf-8")
    async with connect(sample, settings) as (client, _):
        refused = await client.call_tool("rename_symbol", {"file_path": COOKIE, "symbol": "parse_cookie",
                                                           "new_name": "read_cookie", "apply": True})
    assert refused.is_error and "mcp.allowApply" in text_of(refused)
    assert (sample / COOKIE).read_text(encoding="utf-8") == before


async def test_bad_calls_get_errors_and_the_server_keeps_answering(sample: Path, connect: Connect) -> None:
    (sample / ".env").write_text("TOKEN=abc\n", encoding="utf-8")
    async with connect(sample) as (client, _):
        refused: list[tuple[int, str]] = []
        for name, arguments in [("no_such_tool", {}), ("search_code", {"query": 42}),
                                ("search_code", {"query": "x", "k": "many"}),
                                ("read_symbol", {"symbol": "x", "colour": "red"}),
                                ("search_code", {"query": "x" * (MAX_ARGUMENT_BYTES + 10)})]:
            with pytest.raises(MCPError) as caught:
                await client.call_tool(name, arguments)
            refused.append((caught.value.code, caught.value.message))
        outside = await client.call_tool("read_file", {"path": "../../etc/passwd"})
        absolute = await client.call_tool("rename_symbol", {"file_path": "/etc/hosts", "symbol": "x",
                                                            "new_name": "y", "apply": True})
        denied = await client.call_tool("read_file", {"path": ".env"})
        still = await client.call_tool("find_symbol", {"name": "parse_cookie"})
    assert [code for code, _ in refused] == [-32602] * 5
    assert "no tool named 'no_such_tool'" in refused[0][1] and "search_code" in refused[0][1]
    assert "query: Input should be a valid string" in refused[1][1]
    assert "k: Input should be a valid integer" in refused[2][1]
    assert "colour: is not an argument" in refused[3][1]
    assert "at most 262,144" in refused[4][1]
    assert outside.is_error and "outside the workspace" in text_of(outside)
    assert absolute.is_error and "outside the workspace" in text_of(absolute)
    assert denied.is_error and "TOKEN" not in text_of(denied)
    assert not still.is_error and "parse_cookie" in text_of(still)


async def test_results_leave_redacted_and_cut_to_the_budget_with_a_note(sample: Path, connect: Connect) -> None:
    secret = "sk-ant-api03-" + "Zq7Xw2Kp9Lm4Nv8Rt1Ys6Ub3" * 3
    (sample / "settings_local.py").write_text(f'ANTHROPIC_API_KEY = "{secret}"\n', encoding="utf-8")
    (sample / "long.py").write_text("".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(300)),
                                    encoding="utf-8")
    settings, _ = load_settings(sample)
    settings.mcp.result_tokens = 300
    async with connect(sample, settings) as (client, _):
        read = await client.call_tool("read_file", {"path": "settings_local.py"})
        long = await client.call_tool("read_file", {"path": "long.py"})
        found = await client.call_tool("search_code", {"query": "anthropic api key"})
    assert secret[:20] not in text_of(read) and "[REDACTED:" in text_of(read)
    assert secret[:20] not in text_of(found) + json.dumps(found.structured_content)
    body = text_of(long)
    assert len(body) < 300 * 4 + 200 and "characters cut" in body and "ask for less" in body
    assert long.structured_content["truncated"] is True and long.structured_content["fullTokens"] > 300


async def test_feedback_reaches_the_learning_store_once(sample: Path, connect: Connect,
                                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPECPILOT_LEARNING", "on")
    monkeypatch.setenv("SPECPILOT_LEARNING_STORE", str(tmp_path / "feedback.sqlite3"))
    async with connect(sample) as (client, _):
        found = await client.call_tool("search_code", {"query": "parse the cookie header"})
        decision = found.structured_content["decision_id"]
        first = await client.call_tool("feedback", {"decision_id": decision, "accepted": True, "rank": 1})
        second = await client.call_tool("feedback", {"decision_id": decision, "accepted": False})
        preview = await client.call_tool("rename_symbol", {"file_path": COOKIE, "symbol": "parse_cookie",
                                                           "new_name": "read_cookie"})
        discarded = await client.call_tool("feedback", {"decision_id": preview.structured_content["decision_id"],
                                                        "accepted": False, "note": "kept the old name"})
        unknown = await client.call_tool("feedback", {"decision_id": "d-0000", "accepted": True})
    assert decision and f"decision_id: {decision}" in text_of(found)
    assert not first.is_error and "accepted at rank 1" in text_of(first)
    assert second.is_error  # a second verdict on one decision is refused
    assert not discarded.is_error and "rejected" in text_of(discarded)
    assert unknown.is_error and "d-0000" in text_of(unknown)
    from specpilot.rl.store import FeedbackStore

    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    searched, edited = store.decision(decision), store.decision(preview.structured_content["decision_id"])
    assert searched is not None and (searched.point, searched.outcome, searched.reward) == ("search", "rank:1", 1.0)
    assert edited is not None and (edited.point, edited.arm, edited.outcome, edited.reward) == (
        "mcp_edit", "rename_symbol", "rejected", 0.0)


async def test_spec_status_gates_and_traceability(sample: Path, connect: Connect) -> None:
    spec = spec_through_tasks(sample)
    (sample / "httpkit" / "export.py").write_text(
        '# Requirements: R1.1\ndef export_csv(rows):\n    return "\\n".join(",".join(r) for r in rows)\n',
        encoding="utf-8")
    async with connect(sample) as (client, _):
        status = await client.call_tool("spec_status", {})
        gates = await client.call_tool("spec_gates", {"spec": spec})
        trace = await client.call_tool("spec_trace", {"spec": spec, "requirement": "R1.1"})
        unknown = await client.call_tool("spec_trace", {"spec": spec, "requirement": "R7.7"})
        missing = await client.call_tool("spec_gates", {"spec": "no-such-spec"})
    assert text_of(status).startswith(f"{spec}: ") and "requirements pass" in text_of(status)
    assert status.structured_content["specs"][0]["stage"] == "tasks"
    assert gates.structured_content["passed"] is True and "accepted by --force" in text_of(gates)
    assert "R1.1: tasks T1; code httpkit/export.py:1 export_csv; tests -  GAP: no test" in text_of(trace)
    assert unknown.is_error and "R1.1" in text_of(unknown)
    assert missing.is_error and "no-such-spec" in text_of(missing)
