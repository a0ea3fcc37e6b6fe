"""`specpilot search` answered by a running `specpilot serve` over the local query socket.

A real server process (stdio, sent initialize/initialized by hand) serves an indexed copy
of the sample workspace; the CLI runs as a subprocess, as a user runs it. The embedding
model is off (pyproject) so that both sides search alike without loading it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from specpilot.core.query_socket import socket_path
from tests.fixtures import copy_workspace

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample_workspace"
NO_MODEL = "[tool.specpilot.embedder]\nenabled = false\n"


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Server:
    """``specpilot serve`` over stdio for one folder; its stdout is left unread (no request
    needs an answer here: the pipe holds the few messages it sends)."""

    def __init__(self, root: Path, env: dict[str, str], log: Path) -> None:
        self.root = root
        self._log: IO[bytes] = log.open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "specpilot", "serve"], stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=self._log, env=env)
        assert self.process.stdin is not None
        self.process.stdin.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": os.getpid(), "capabilities": {},
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}]}}))
        self.process.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        self.process.stdin.flush()

    def exit(self) -> int:
        """End the stream as an editor that quits does; the server's exit status."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            return self.process.wait(60)
        finally:
            self._log.close()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(60)
        self._log.close()


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "specpilot", *args], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    runtime = tempfile.mkdtemp(prefix="spq", dir="/tmp")  # short: socket paths are limited
    yield {**os.environ, "HF_HUB_OFFLINE": "1", "XDG_RUNTIME_DIR": runtime}
    shutil.rmtree(runtime, ignore_errors=True)


def indexed_copy(folder: Path, env: dict[str, str]) -> Path:
    root = copy_workspace(SAMPLE, folder / "ws")
    (root / "pyproject.toml").write_text(NO_MODEL)
    indexed = cli("index", str(root), "-q", env=env)
    assert indexed.returncode == 0, indexed.stderr
    return root.resolve()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    return indexed_copy(tmp_path_factory.mktemp("socket"), env)


def wait_until_answering(root: Path, env: dict[str, str], server: Server) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.process.poll() is None, "the server exited"
        probe = cli("search", "-v", "-w", str(root), "--mode", "bm25", "slugify", env=env)
        if "answered by the running server" in probe.stderr:
            return
        time.sleep(0.5)
    raise AssertionError("the server never answered on its socket")


@pytest.fixture(scope="module")
def server(workspace: Path, env: dict[str, str]) -> Iterator[Server]:
    running = Server(workspace, env, workspace.parent / "server.log")
    wait_until_answering(workspace, env, running)
    yield running
    if running.process.poll() is None:
        running.exit()


@pytest.mark.parametrize("args", [
    ["parse the http header"],
    ["--json", "-k", "3", "parse the http header"],
    ["--json", "--mode", "bm25", "--path", "httpkit/*", "--kind", "function", "cookie"],
    ["--language", "rust", "slug"],
    ["no such words anywhere zzzqqq"],
])
def test_the_server_answers_with_the_output_of_a_search_in_the_process(
        server: Server, workspace: Path, env: dict[str, str], args: list[str]) -> None:
    through_server = cli("search", "-v", "-w", str(workspace), *args, env=env)
    here = cli("search", "-v", "--no-server", "-w", str(workspace), *args, env=env)
    assert through_server.returncode == here.returncode == 0, (through_server.stderr, here.stderr)
    assert f"answered by the running server (pid {server.process.pid})" in through_server.stderr
    assert "searching in this process" in here.stderr
    assert through_server.stdout == here.stdout
    assert through_server.stdout.strip()


def test_garbage_on_the_socket_gets_an_error_and_the_server_keeps_answering(
        server: Server, workspace: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", env["XDG_RUNTIME_DIR"])
    path = socket_path(workspace)
    assert path is not None
    for payload in (b"GET / HTTP/1.1\r\n\r\n", b'{"v": 1, "op": "search", "query": 5}\n', b"\x00" * 1000 + b"\n"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(30)
            conn.connect(str(path))
            conn.sendall(payload)
            conn.shutdown(socket.SHUT_WR)
            answer = json.loads(conn.makefile("rb").readline())
        assert answer["ok"] is False and answer["error"] == "bad-request"
    assert server.process.poll() is None
    after = cli("search", "-v", "-w", str(workspace), "slugify", env=env)
    assert f"answered by the running server (pid {server.process.pid})" in after.stderr


def test_other_settings_are_searched_in_the_process(server: Server, workspace: Path, env: dict[str, str]) -> None:
    """The server's answer would be for its own settings; with others the CLI searches itself."""
    result = cli("search", "-v", "-w", str(workspace), "--set", "search.vectorWeight=0.2", "--json", "cookie",
                 env=env)
    assert result.returncode == 0, result.stderr
    assert "other settings" in result.stderr and "searching in this process" in result.stderr
    assert json.loads(result.stdout)


def test_the_socket_goes_when_the_server_exits_and_a_killed_servers_socket_is_replaced(
        env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = indexed_copy(tmp_path, env)
    server = Server(workspace, env, tmp_path / "server.log")
    wait_until_answering(workspace, env, server)
    second = Server(workspace, env, tmp_path / "second.log")  # a second server for the same folder ...
    log = workspace / ".specpilot" / "cache" / "server.log"
    deadline = time.monotonic() + 60
    while "another server answers searches" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "another server answers searches" in log.read_text()
    assert second.exit() == 0  # ... neither takes the socket nor removes it when it exits
    monkeypatch.setenv("XDG_RUNTIME_DIR", env["XDG_RUNTIME_DIR"])
    path = socket_path(workspace)
    assert path is not None and path.exists()
    still = cli("search", "-v", "-w", str(workspace), "slugify", env=env)
    assert f"answered by the running server (pid {server.process.pid})" in still.stderr
    assert server.exit() == 0
    assert not path.exists()
    gone = cli("search", "-v", "-w", str(workspace), "slugify", env=env)
    assert gone.returncode == 0 and "no server is running" in gone.stderr and "slugify" in gone.stdout

    crashed = Server(workspace, env, tmp_path / "crashed.log")
    wait_until_answering(workspace, env, crashed)
    crashed.kill()
    assert path.exists()  # left behind by the killed server
    stale = cli("search", "-v", "-w", str(workspace), "slugify", env=env)
    assert stale.returncode == 0 and "no server answers" in stale.stderr and "slugify" in stale.stdout

    replacement = Server(workspace, env, tmp_path / "replacement.log")
    wait_until_answering(workspace, env, replacement)  # took the stale socket over
    assert replacement.exit() == 0
    assert not path.exists() and not Path(str(path) + ".lock").exists()

