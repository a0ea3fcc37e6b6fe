"""A raw JSON-RPC client for ``specpilot serve`` over stdio: any bytes, any params.

pytest-lsp's client only sends well-typed messages; the fuzz suite needs to send
wrong types, missing fields and broken frames, and to see every answer, popup
and log line. Requests the server sends (configuration, progress, applyEdit,
registration, showMessageRequest) are answered like a cautious editor would:
empty settings, no edits applied, no choice made.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

SERVER = [sys.executable, "-m", "specpilot", "serve"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
HEADER = re.compile(rb"Content-Length: (\d+)\r\n", re.IGNORECASE)


@dataclass
class Answer:
    method: str
    result: Any = None
    error: dict[str, Any] | None = None
    seconds: float = 0.0
    timed_out: bool = False


@dataclass
class Notice:
    method: str
    params: Any
    at: float


@dataclass
class Wire:
    process: asyncio.subprocess.Process
    stderr_file: IO[bytes]
    notices: list[Notice] = field(default_factory=list)
    _pending: dict[Any, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _next_id: int = 0
    _reader: asyncio.Task[None] | None = None
    sent_bytes: int = 0

    @classmethod
    async def start(cls, log_path: Path, cwd: Path | None = None) -> Wire:
        stderr_file = log_path.open("wb")
        process = await asyncio.create_subprocess_exec(
            *SERVER, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr_file,
            env=ENV, cwd=cwd, limit=1 << 24)
        wire = cls(process, stderr_file)
        wire._reader = asyncio.ensure_future(wire._read_loop())
        return wire

    # -- sending ----------------------------------------------------------------------------------
    async def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.sent_bytes += len(data)
        await self.process.stdin.drain()

    async def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        await self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def request(self, method: str, params: Any = None, timeout: float = 30.0,
                      omit_params: bool = False, msg_id: Any = None) -> Answer:
        msg_id = self.new_id() if msg_id is None else msg_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if not omit_params:
            message["params"] = params
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        started = time.perf_counter()
        await self.send(message)
        try:
            reply = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self._pending.pop(msg_id, None)
            return Answer(method, seconds=time.perf_counter() - started, timed_out=True)
        return Answer(method, reply.get("result"), reply.get("error"), time.perf_counter() - started)

    def start_request(self, method: str, params: Any = None) -> tuple[int, asyncio.Future[dict[str, Any]]]:
        """A request whose answer is awaited later (for concurrency): (id, future)."""
        msg_id = self.new_id()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return msg_id, future

    async def notify(self, method: str, params: Any = None) -> None:
        await self.send({"jsonrpc": "2.0", "method": method, "params": params})

    # -- receiving --------------------------------------------------------------------------------
    async def _read_loop(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            try:
                header = await stdout.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                break
            found = HEADER.search(header)
            if found is None:
                raise AssertionError(f"the server sent a frame without Content-Length: {header!r}")
            body = await stdout.readexactly(int(found.group(1)))
            await self._dispatch(json.loads(body))
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the server closed its output"))

    async def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" not in message:
            future = self._pending.pop(message.get("id"), None)
            if future is not None and not future.done():
                future.set_result(message)
            return
        method = message["method"]
        if "id" in message:
            await self.send({"jsonrpc": "2.0", "id": message["id"], "result": self._answer(method, message)})
            return
        self.notices.append(Notice(method, message.get("params"), time.perf_counter()))

    @staticmethod
    def _answer(method: str, message: dict[str, Any]) -> Any:
        if method == "workspace/configuration":
            return [{} for _ in (message.get("params") or {}).get("items", [])]
        if method == "workspace/applyEdit":
            return {"applied": False, "failureReason": "the fuzz client applies nothing"}
        return None  # progress create, registration, showMessageRequest (no choice), refreshes

    def popups(self) -> list[tuple[int, str]]:
        """``window/showMessage`` notifications so far: (type, message); type 1 is Error."""
        return [(int((n.params or {}).get("type", 0)), str((n.params or {}).get("message")))
                for n in self.notices if n.method == "window/showMessage"]

    def statuses(self) -> list[dict[str, Any]]:
        return [n.params for n in self.notices if n.method == "specpilot/indexStatus"]

    async def wait_ready(self, folder_uri: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(s.get("folder") == folder_uri and s.get("state") == "ready" for s in self.statuses()):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{folder_uri} was not indexed in {timeout:.0f}s")

    # -- life -----------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def initialize(self, root: Path, options: dict[str, Any] | None = None) -> dict[str, Any]:
        capabilities = {
            "window": {"workDoneProgress": True},
            "workspace": {"configuration": True, "workspaceFolders": True,
                          "workspaceEdit": {"documentChanges": True}},
            "textDocument": {"documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
                             "codeAction": {"dataSupport": True, "resolveSupport": {"properties": ["edit"]}},
                             "synchronization": {"didSave": True}},
        }
        answer = await self.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": capabilities,
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "initializationOptions": options or {}}, timeout=120)
        assert answer.error is None and not answer.timed_out, answer
        await self.notify("initialized", {})
        return answer.result  # type: ignore[no-any-return]

    async def close(self, timeout: float = 30.0) -> int | None:
        if self.alive:
            try:
                await self.request("shutdown", None, timeout=timeout)
                await self.notify("exit", None)
                await asyncio.wait_for(self.process.wait(), timeout)
            except (TimeoutError, ConnectionError, BrokenPipeError):
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            await asyncio.wait([self._reader], timeout=5)
        self.stderr_file.close()
        return self.process.returncode
