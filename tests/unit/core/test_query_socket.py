"""The query socket's listener and client: real Unix sockets, real processes, no server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from specpilot.core.query_socket import (
    MAX_LINE_BYTES,
    PROTOCOL_VERSION,
    QuerySocket,
    SocketUnavailable,
    ask,
    serving_pid,
    socket_path,
)


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private, short XDG_RUNTIME_DIR (socket paths are limited to about 100 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="spq", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def echo(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("op") == "fail":
        raise RuntimeError("the handler broke")
    return {"ok": True, "echo": request.get("query"), "pid": os.getpid()}


@pytest.fixture
def listening(runtime: Path, tmp_path: Path) -> Iterator[QuerySocket]:
    listener = QuerySocket(tmp_path, echo)
    assert listener.start()
    yield listener
    listener.stop()


def raw(path: Path, payload: bytes, *, close_write: bool = True) -> dict[str, Any]:
    """Send bytes as they are and read the one answer line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(10)
        conn.connect(str(path))
        conn.sendall(payload)
        if close_write:
            conn.shutdown(socket.SHUT_WR)
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    return json.loads(answer)  # type: ignore[no-any-return]


def test_a_request_is_answered_by_the_handler(listening: QuerySocket, tmp_path: Path) -> None:
    answer = ask(tmp_path, {"op": "search", "query": "parse headers"})
    assert answer == {"v": PROTOCOL_VERSION, "ok": True, "echo": "parse headers", "pid": os.getpid()}


def test_only_the_owner_may_enter_the_folder_or_open_the_socket(listening: QuerySocket, runtime: Path) -> None:
    assert listening.path is not None and listening.path.parent == runtime / "specpilot"
    folder, sock = os.lstat(listening.path.parent), os.lstat(listening.path)
    assert stat.S_ISSOCK(sock.st_mode) and stat.S_IMODE(sock.st_mode) == 0o600
    assert stat.S_IMODE(folder.st_mode) == 0o700
    assert sock.st_uid == folder.st_uid == os.geteuid()


def test_a_folder_others_can_enter_is_not_used(runtime: Path, tmp_path: Path) -> None:
    (runtime / "specpilot").mkdir(mode=0o755)
    os.chmod(runtime / "specpilot", 0o755)
    assert socket_path(tmp_path, create=True) is None
    assert not QuerySocket(tmp_path, echo).start()
    with pytest.raises(SocketUnavailable, match="no private socket folder"):
        ask(tmp_path, {"op": "search", "query": "x"})


CONNECT_AS_NOBODY = """
import json, socket, sys
conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    conn.connect(sys.argv[1])
except OSError as exc:
    print("refused", exc.errno); sys.exit(0)
conn.sendall(b'{"v": 1, "op": "search", "query": "x"}\\n')
print("answer", conn.makefile().readline().strip())
"""


# A client run as another user needs root, and an interpreter that user may run (the venv's may be
# under /root): the system's python3 runs the few stdlib lines.
OTHER_PYTHON = "/usr/bin/python3"


@pytest.mark.skipif(os.geteuid() != 0 or not os.access(OTHER_PYTHON, os.X_OK),
                    reason="needs root and a system python3 to run a client as another user")
def test_another_user_cannot_connect_and_is_refused_even_where_the_modes_let_it(
        listening: QuerySocket, runtime: Path) -> None:
    assert listening.path is not None

    def become_nobody() -> None:
        os.setgid(65534)
        os.setuid(65534)

    def as_nobody() -> str:
        done = subprocess.run([OTHER_PYTHON, "-I", "-c", CONNECT_AS_NOBODY, str(listening.path)],
                              capture_output=True, text=True, timeout=60, cwd="/",
                              preexec_fn=become_nobody)  # noqa: PLW1509
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert as_nobody().startswith("refused 13")  # EACCES: the 0700 folder and the 0600 file
    os.chmod(runtime, 0o755)  # now every mode lets the other user through ...
    os.chmod(listening.path.parent, 0o777)
    os.chmod(listening.path, 0o777)
    answer = as_nobody()
    assert answer.startswith("answer ")  # ... and the server itself refuses by the peer's user id
    assert json.loads(answer.removeprefix("answer "))["error"] == "forbidden"


@pytest.mark.parametrize("payload, error", [
    (b"this is not json\n", "bad-request"),
    (b"[1, 2, 3]\n", "bad-request"),
    (b'{"v": 99, "op": "search", "query": "x"}\n', "version"),
    (b'{"op": "search", "query": "x"}\n', "version"),
    (b"", "bad-request"),
    (b"\xff\xfe\x00garbage\n", "bad-request"),
    (b'{"v": 1, "op": "fail"}\n', "internal"),
])
def test_a_malformed_request_gets_an_error_and_the_listener_keeps_answering(
        listening: QuerySocket, tmp_path: Path, payload: bytes, error: str) -> None:
    assert listening.path is not None
    answer = raw(listening.path, payload)
    assert answer["ok"] is False and answer["error"] == error and answer["message"]
    assert ask(tmp_path, {"op": "search", "query": "still here"})["echo"] == "still here"


def test_an_oversized_or_unfinished_request_gets_an_error(listening: QuerySocket, tmp_path: Path) -> None:
    assert listening.path is not None
    assert raw(listening.path, b"x" * (MAX_LINE_BYTES + 70_000))["error"] == "bad-request"
    started = time.monotonic()
    assert raw(listening.path, b'{"v": 1, "op"', close_write=False)["error"] == "bad-request"  # times out
    assert time.monotonic() - started < 10
    assert ask(tmp_path, {"op": "search", "query": "after"})["echo"] == "after"


def test_one_listener_per_workspace_and_the_socket_file_goes_when_it_stops(runtime: Path, tmp_path: Path) -> None:
    first = QuerySocket(tmp_path, echo)
    assert first.start()
    second = QuerySocket(tmp_path, lambda request: {"ok": True, "echo": "second"})
    assert not second.start()  # the first owns it ...
    assert ask(tmp_path, {"op": "search", "query": "q"})["echo"] == "q"  # ... and still answers
    assert first.path is not None and first.path.exists()
    first.stop()
    assert not first.path.exists()
    assert not Path(str(first.path) + ".lock").exists()  # nothing is left behind
    with pytest.raises(SocketUnavailable, match="no server is running"):
        ask(tmp_path, {"op": "search", "query": "q"})
    assert second.start()  # free again
    assert ask(tmp_path, {"op": "search", "query": "q"})["echo"] == "second"
    second.stop()


def test_ping_names_the_serving_process_without_asking_the_handler(runtime: Path, tmp_path: Path) -> None:
    """`specpilot mcp` asks whether a server keeps the workspace's index before it indexes itself."""
    assert serving_pid(tmp_path) is None  # nobody serves it
    asked: list[dict[str, Any]] = []
    listener = QuerySocket(tmp_path, lambda request: asked.append(request) or {"ok": True})
    assert listener.start()
    try:
        assert serving_pid(tmp_path) == os.getpid()
        assert serving_pid(tmp_path / "other") is None  # another workspace: not served
    finally:
        listener.stop()
    assert asked == []  # the listener answered the ping itself
    assert serving_pid(tmp_path) is None


CRASHING_SERVER = """
import os, signal, sys, time
from pathlib import Path
from specpilot.core.query_socket import QuerySocket
listener = QuerySocket(Path(sys.argv[1]), lambda request: {"ok": True})
assert listener.start()
print("listening", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_socket_file_left_by_a_killed_server_is_refused_quickly_then_replaced(
        runtime: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", CRASHING_SERVER, str(tmp_path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL and "listening" in done.stdout
    left = socket_path(tmp_path)
    assert left is not None and left.exists()  # nobody removed it
    started = time.monotonic()
    with pytest.raises(SocketUnavailable, match="no server answers"):
        ask(tmp_path, {"op": "search", "query": "q"})
    assert time.monotonic() - started < 0.5
    replacement = QuerySocket(tmp_path, echo)
    assert replacement.start()  # the dead server's lock went with it
    assert ask(tmp_path, {"op": "search", "query": "new"})["echo"] == "new"
    replacement.stop()


def test_a_file_that_is_not_a_socket_is_never_connected_to(runtime: Path, tmp_path: Path) -> None:
    path = socket_path(tmp_path, create=True)
    assert path is not None
    path.write_text("not a socket")
    with pytest.raises(SocketUnavailable, match="not this user's socket"):
        ask(tmp_path, {"op": "search", "query": "q"})


def test_a_long_answer_arrives_whole(runtime: Path, tmp_path: Path) -> None:
    """200 hits with their snippets are far longer than a request may be."""
    hits = [{"path": f"pkg/module_{i}.py", "snippet": "x = 1\n" * 300} for i in range(200)]
    listener = QuerySocket(tmp_path, lambda request: {"ok": True, "hits": hits})
    assert listener.start()
    try:
        answer = ask(tmp_path, {"op": "search", "query": "q"})
    finally:
        listener.stop()
    assert answer["hits"] == hits and len(json.dumps(answer)) > MAX_LINE_BYTES


def test_a_lock_file_removed_by_its_exiting_owner_is_taken_afresh(tmp_path: Path) -> None:
    import fcntl

    from specpilot.core.query_socket import _take_lock

    lock = tmp_path / "ws.sock.lock"
    holder = _take_lock(lock)
    assert holder is not None and _take_lock(lock) is None  # held by a live owner
    late = os.open(lock, os.O_RDWR)  # a second server opened the file just before the owner exits
    lock.unlink()
    os.close(holder)
    fcntl.flock(late, fcntl.LOCK_EX | fcntl.LOCK_NB)  # it would win the lock of a file with no name ...
    os.close(late)
    taken = _take_lock(lock)  # ... which is why a lock counts only on the file the path names now
    assert taken is not None and lock.exists() and os.fstat(taken).st_ino == lock.stat().st_ino
    os.close(taken)
