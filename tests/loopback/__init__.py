"""Loopback model servers: real HTTP on 127.0.0.1 that speaks a provider's wire format.

The provider SDKs talk to these exactly as they talk to the real APIs, so tests
exercise our code, the SDK and HTTP together. Each test scripts the replies as a
queue (``server.push(...)``): a JSON answer, a streamed answer (SSE frames), an
HTTP error with headers such as ``retry-after``, or a stall that makes the
client time out. Every request is recorded (``server.requests``: method, path,
headers, ``raw`` body text, ``body`` as parsed JSON), so a test can assert what
was sent -- and that nothing that must stay local ever was (``server.seen()``).

The wire shapes live in ``openai_server.py`` and ``anthropic_server.py``. The
``openai_server`` and ``anthropic_server`` fixtures are in tests/unit/conftest.py
(a fixture here would share its name with the submodule, and an import of the
submodule would replace it); another test folder's conftest can define them the
same way with ``serving``.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    raw: str  # the body exactly as sent

    @property
    def body(self) -> dict[str, Any]:
        try:
            value = json.loads(self.raw) if self.raw else {}
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}


@dataclass
class Reply:
    """What the server answers to the next request."""

    status: int = 200
    body: Any = None  # JSON, sent with a Content-Length
    events: list[str] | None = None  # SSE frames, sent one by one as text/event-stream
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait this long before answering (longer than the client's timeout: a stall)
    cut: bool = False  # drop the connection after the events, mid-body (a stream that breaks off)


def failure(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, body=body if body is not None else {}, headers=dict(headers or {}))


def stall(seconds: float, then: Reply | None = None) -> Reply:
    """No answer for ``seconds`` (then ``then``, or a 200 with an empty body if the client still waits)."""
    reply = then or Reply(body={})
    return dataclasses.replace(reply, delay_s=seconds)


S = TypeVar("S", bound="LoopbackServer")


class LoopbackServer:
    """A scripted HTTP server on 127.0.0.1 answering POSTs to ``path``."""

    path = "/"
    base_path = ""  # what the SDK's base_url ends with

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._replies: deque[Reply] = deque()
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name=type(self).__name__,
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_path}"

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def seen(self) -> str:
        """Every header and body received, as one text: for asserting a secret never arrived."""
        return "\n".join(f"{r.method} {r.path}\n" + "\n".join(f"{k}: {v}" for k, v in r.headers.items()) + f"\n{r.raw}"
                         for r in self.requests)

    def seen_decoded(self) -> str:
        """:meth:`seen`, then every string of every JSON body decoded: a secret that JSON escaping
        changed on the wire (``\\n`` in a key, ``\\"``) is found in its plain form too."""
        decoded: list[str] = []
        stack: list[Any] = [r.body for r in self.requests]
        while stack:
            value = stack.pop()
            if isinstance(value, str):
                decoded.append(value)
            elif isinstance(value, list):
                stack.extend(value)
            elif isinstance(value, dict):
                stack.extend(value.values())
        return self.seen() + "\n" + "\n".join(decoded)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()  # ends any stall at once
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _next(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            if recorded.path.split("?")[0] != self.path:
                return failure(404, {"error": {"message": f"loopback: no route {recorded.path}"}})
            if not self._replies:
                return failure(500, {"error": {"message": "loopback: no scripted reply left"}})
            return self._replies.popleft()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # chunked streams; every reply closes its connection

            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode("utf-8", "replace")
                headers = {name.lower(): value for name, value in self.headers.items()}
                reply = server._next(Recorded("POST", self.path, headers, raw))
                if reply.delay_s and server._closing.wait(reply.delay_s):
                    return
                try:
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to do

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("connection", "close")
                if reply.events is not None:  # chunked, one SSE frame a chunk, as the real APIs stream
                    self.send_header("content-type", "text/event-stream")
                    self.send_header("transfer-encoding", "chunked")
                    self.end_headers()
                    for frame in reply.events:
                        data = frame.encode("utf-8")
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                        self.wfile.flush()
                    if not reply.cut:
                        self.wfile.write(b"0\r\n\r\n")
                    return
                data = json.dumps(reply.body if reply.body is not None else {}).encode("utf-8")
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
                pass  # keep test output clean

        return Handler


@contextmanager
def serving(server: S) -> Iterator[S]:
    """``server`` started for the block and closed after it (the fixtures' body)."""
    server.start()
    try:
        yield server
    finally:
        server.close()
