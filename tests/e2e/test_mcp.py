"""`specpilot mcp` as a host agent runs it: a subprocess driven by the MCP SDK's stdio client, and the same server
over streamable HTTP on loopback with its bearer token."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from specpilot.project import open_project
from tests.fixtures import copy_workspace

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample_workspace"
COOKIE = "httpkit/cookies.py"


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, str]:
    root = copy_workspace(SAMPLE, tmp_path / "ws")
    project = open_project(root)
    spec = project.workflow(author=False, retrieval=False).new("Export search results as CSV").spec.name
    project.close()
    return root, spec


async def test_a_host_lists_searches_renames_and_reads_a_spec_over_stdio(workspace: tuple[Path, str]) -> None:
    root, spec = workspace
    server = StdioServerParameters(command=sys.executable, args=["-m", "specpilot", "mcp", "-w", str(root)],
                                   env=dict(os.environ))
    async with Client(server) as client:
        assert client.server_capabilities is None or client.server_capabilities.tools is not None
        names = [tool.name for tool in (await client.list_tools()).tools]
        found = await client.call_tool("search_code", {"query": "parse the cookie header into a dict"})
        rename = {"file_path": COOKIE, "symbol": "parse_cookie", "new_name": "read_cookie"}
        preview = await client.call_tool("rename_symbol", rename)
        untouched = (root / COOKIE).read_text(encoding="utf-8")
        applied = await client.call_tool("rename_symbol", {**rename, "apply": True})
        resource = await client.read_resource(f"specpilot://specs/{spec}/requirements.md")
        with pytest.raises(MCPError) as unknown:
            await client.call_tool("delete_everything", {})
        with pytest.raises(MCPError) as wrong:
            await client.call_tool("find_symbol", {"name": ["not", "a", "string"]})
        outside = await client.call_tool("read_file", {"path": "/etc/passwd"})
        with pytest.raises(MCPError) as huge:
            await client.call_tool("search_code", {"query": "q" * 1_000_000})
        after = await client.call_tool("find_symbol", {"name": "read_cookie"})  # still up, and re-indexed
    assert "search_code" in names and "rename_symbol" in names and "spec_gates" in names
    assert found.content[0].text.startswith(f"1. {COOKIE}:6-13  parse_cookie")
    assert "+def read_cookie(header: str)" in preview.content[0].text and "def parse_cookie" in untouched
    assert applied.structured_content["applied"] is True
    assert "def read_cookie(header: str)" in (root / COOKIE).read_text(encoding="utf-8")
    assert resource.contents[0].text.startswith("---\nspec: ")
    assert unknown.value.code == -32602 and wrong.value.code == -32602 and huge.value.code == -32602
    assert outside.is_error and "outside the workspace" in outside.content[0].text
    assert after.content[0].text.startswith(f"function read_cookie  {COOKIE}:6-13")


def start_http(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str, str]:
    process = subprocess.Popen([sys.executable, "-m", "specpilot", "mcp", "-w", str(root), "--http", "127.0.0.1:0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    first, second = process.stdout.readline(), process.stdout.readline()
    url = re.search(r"http://127\.0\.0\.1:\d+/mcp", first)
    token = re.fullmatch(r"Authorization: Bearer (\S+)\n", second)
    if url is None or token is None:
        process.kill()
        raise AssertionError(f"no address announced: {first!r} {second!r} {process.stderr.read()[-2000:]}")
    return process, url.group(0), token.group(1)


async def test_http_on_loopback_needs_the_token(workspace: tuple[Path, str]) -> None:
    root, _ = workspace
    token = "t0k3n-" + "Vx9Qm2Lw7Rb4Nz8Kc1Hf5Dj3"
    process, url, announced = start_http(root, {**os.environ, "SPECPILOT_MCP_TOKEN": token})
    try:
        assert announced == token
        async with httpx2.AsyncClient(timeout=10) as plain:
            refused = await plain.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            forged = await plain.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                      headers={"Authorization": "Bearer " + "x" * len(token)})
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as authorised:
            async with Client(streamable_http_client(url, http_client=authorised)) as client:
                names = [tool.name for tool in (await client.list_tools()).tools]
                found = await client.call_tool("find_symbol", {"name": "parse_cookie"})
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert refused.status_code == 401 and forged.status_code == 401
    assert "Bearer" in refused.headers.get("www-authenticate", "")
    assert "find_symbol" in names and found.content[0].text.startswith(f"function parse_cookie  {COOKIE}:6-13")


def test_http_refuses_an_address_other_machines_reach_and_a_short_token(workspace: tuple[Path, str]) -> None:
    root, _ = workspace
    started = time.perf_counter()
    wide = subprocess.run([sys.executable, "-m", "specpilot", "mcp", "-w", str(root), "--http", "0.0.0.0:0"],
                          capture_output=True, text=True, timeout=60)
    short = subprocess.run([sys.executable, "-m", "specpilot", "mcp", "-w", str(root), "--http", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=60, env={**os.environ, "SPECPILOT_MCP_TOKEN": "abc"})
    assert wide.returncode == 2 and "loopback address only" in wide.stderr
    assert short.returncode == 2 and "too short" in short.stderr
    assert time.perf_counter() - started < 60
