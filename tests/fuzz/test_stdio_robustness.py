"""The base protocol over the real server's stdio, byte by byte: requests before
initialize, an oversized Content-Length, a lower-case header, garbage and broken frames
between messages; open/close racing requests in worker threads; and parse workers that
end with a killed server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from conftest import NO_MODEL
from wire import Wire

SERVER_NOT_INITIALIZED = -32002
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602


def frame(message: dict[str, object], header: bytes = b"Content-Length") -> bytes:
    body = json.dumps(message).encode()
    return header + b": %d\r\n\r\n" % len(body) + body


async def answer_of(wire: Wire, msg_id: object, timeout: float = 30.0) -> dict[str, Any]:
    future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    wire._pending[msg_id] = future  # the frame is sent by hand
    return await asyncio.wait_for(future, timeout)


async def test_broken_frames_are_skipped_and_every_request_is_answered(project: Path, tmp_path: Path) -> None:
    wire = await Wire.start(tmp_path / "server.log")
    try:
        early = await wire.request("workspace/symbol", {"query": "parse"}, timeout=30)
        assert early.error is not None and early.error["code"] == SERVER_NOT_INITIALIZED
        await wire.initialize(project, NO_MODEL)
        await wire.wait_ready(project.as_uri())

        pending = asyncio.ensure_future(answer_of(wire, "huge"))
        body_start = b'{"jsonrpc": "2.0", "id": "huge", "method": "workspace/symbol", "params": {"query": "'
        await wire.send_raw(b"Content-Length: 1000000000000\r\n\r\n" + body_start + b"x" * 10_000)
        refused = await pending
        assert refused["error"]["code"] == INVALID_REQUEST
        assert "server.maxMessageBytes" in refused["error"]["message"]

        lower = asyncio.ensure_future(answer_of(wire, "lower"))
        await wire.send_raw(frame({"jsonrpc": "2.0", "id": "lower", "method": "workspace/symbol",
                                   "params": {"query": "parse_headers"}}, header=b"content-length"))
        assert any(s["name"] == "parse_headers" for s in (await lower)["result"])

        await wire.send_raw(b"\x00\xffthis is not a frame\r\n\r\n")  # garbage between frames
        await wire.send_raw(b"Content-Length: 12\r\n\r\n{not json!!}")  # a body that is not JSON
        await wire.send_raw(b"Content-Type: text/plain\r\n\r\n")  # a header block without a length
        bad_params = await wire.request("textDocument/hover", {"textDocument": {"uri": 5}, "position": {}})
        assert bad_params.error is not None and bad_params.error["code"] == INVALID_PARAMS
        assert "$.params" in bad_params.error["message"]  # it names the field

        after = await wire.request("textDocument/documentSymbol", {
            "textDocument": {"uri": (project / "httpkit" / "headers.py").as_uri()}})
        assert [s["name"] for s in after.result] == ["HeaderMap", "parse_headers"]
        assert wire.popups() == []
        log_text = (tmp_path / "server.log").read_text()
        assert "refused a message of 1000000000000 bytes" in log_text and "skipped" in log_text
    finally:
        assert await wire.close() == 0


async def test_open_and_close_race_requests_in_worker_threads(project: Path, tmp_path: Path) -> None:
    """prepareRename reads the open documents in a worker thread while didOpen/didClose
    change them on the loop (reported failing with "dictionary changed size during iteration";
    tests/unit/server/test_shared_maps.py shows that failure on a plain dict deterministically)."""
    deep = project.joinpath(*(f"level{i}" for i in range(5)))  # resolving each path takes a while
    deep.mkdir(parents=True)
    extra = [deep / f"extra_{i}.py" for i in range(200)]
    for path in extra:
        path.write_text(f"def extra_{path.stem}():\n    return 1\n")
    wire = await Wire.start(tmp_path / "server.log")
    try:
        await wire.initialize(project, NO_MODEL)
        await wire.wait_ready(project.as_uri())
        headers = (project / "httpkit" / "headers.py").as_uri()

        def opened(path: Path, version: int) -> dict[str, object]:
            return {"textDocument": {"uri": path.as_uri(), "languageId": "python", "version": version,
                                     "text": path.read_text()}}

        for path in extra[:100]:  # many open documents: each request walks them all
            await wire.notify("textDocument/didOpen", opened(path, 1))
        futures = []
        for churn in range(200):  # documents open and close while the requests run in worker threads
            futures.append(wire.start_request("textDocument/prepareRename", {
                "textDocument": {"uri": headers}, "position": {"line": 5, "character": 7}})[1])
            await wire.notify("textDocument/didClose", {"textDocument": {"uri": extra[churn % 100].as_uri()}})
            await wire.notify("textDocument/didOpen", opened(extra[100 + churn % 100], churn))
            await wire.notify("textDocument/didOpen", opened(extra[churn % 100], churn))
            unsaved = deep / f"unsaved_{churn % 50}.py"  # indexed from the buffer, dropped on close
            await wire.notify("textDocument/didOpen", {"textDocument": {
                "uri": unsaved.as_uri(), "languageId": "python", "version": churn, "text": "def new():\n    pass\n"}})
            await wire.notify("textDocument/didClose", {"textDocument": {"uri": deep.joinpath(
                f"unsaved_{(churn + 25) % 50}.py").as_uri()}})
            await asyncio.sleep(0.06 if churn % 8 == 0 else 0.002)  # pauses let the debounced index update run
        await asyncio.wait_for(asyncio.gather(*futures), 120)
        answers = [f.result() for f in futures]
        failures = [a["error"] for a in answers if "error" in a]
        assert not failures, failures[:3]
        assert {a["result"]["placeholder"] for a in answers} == {"HeaderMap"}
    finally:
        assert await wire.close() == 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"multiprocessing" in cmdline and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_parse_workers_end_when_the_server_is_killed(tmp_path: Path) -> None:
    big = tmp_path / "big"
    body = "\n\n".join(f"def step_{i}(value):\n    return value + {i}\n" for i in range(60))
    for i in range(2500):  # well over PARALLEL_MIN_FILES: the index parses in worker processes
        (big / f"pkg{i % 25}").mkdir(parents=True, exist_ok=True)
        (big / f"pkg{i % 25}" / f"mod{i}.py").write_text(f'"""Module {i}."""\n\n{body}')
    wire = await Wire.start(tmp_path / "server.log")
    await wire.initialize(big, {**NO_MODEL, "server": {"backgroundCores": 2}})
    server = wire.process.pid
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while not workers and time.monotonic() < deadline:
        workers = _children(server)
        await asyncio.sleep(0.02)
    assert workers, "the server never started parse workers"
    os.kill(server, signal.SIGKILL)
    await wire.process.wait()
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    left = [w for w in workers if _alive(w)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    await wire.close()
    assert not left, f"parse workers {left} outlived the killed server"
