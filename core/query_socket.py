"""The local query socket: a running ``specpilot serve`` answers ``specpilot search``.

A server that serves a workspace listens on a Unix domain socket for it; the CLI asks
there first and only opens the index itself (seconds: LanceDB, the query encoder)
when nobody answers. The protocol is one JSON line each way::

    -> {"v": 1, "op": "search", "workspace": "/abs/root", "settings": "<fingerprint>",
        "query": "...", "k": 10, "mode": "hybrid", "filters": {"path": null, ...}, "graph": null}
    <- {"v": 1, "ok": true, "hits": [...], "pid": 1234}
    <- {"v": 1, "ok": false, "error": "settings", "message": "..."}
    -> {"v": 1, "op": "ping"}          (answered by the listener itself: who serves this workspace)
    <- {"v": 1, "ok": true, "pid": 1234, "workspace": "/abs/root"}

Safety: the socket lives in a folder only its user can enter (``$XDG_RUNTIME_DIR/specpilot``
or ``/tmp/specpilot-UID``, mode 0700, checked), the socket file itself is 0600, and on
Linux the server also checks the connecting process's user id. One server owns a
workspace's socket: it holds an exclusive ``flock`` on a lock file beside it for its
whole life, so a socket file left by a crashed server (the kernel drops the lock with
the process) is known to be stale and replaced. A bad request gets an error answer;
nothing a client sends can stop the listener.

Only the standard library is imported here: the CLI must reach the socket in a few
milliseconds, before anything heavy is loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import stat
import struct
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("specpilot.core.query_socket")

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 256 * 1024  # a request line; queries are short
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # an answer: up to 200 hits with their snippets
MAX_SOCKET_PATH = 100  # sun_path holds 104-108 bytes depending on the system
CONNECT_TIMEOUT_S = 0.1
ANSWER_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 2.0  # the server's wait for a client's request line
MAX_CLIENTS = 8

Answer = dict[str, Any]
Handler = Callable[[dict[str, Any]], Answer]


class SocketUnavailable(Exception):
    """No server answered (or the one that did refused); the message says why."""


# -- where ------------------------------------------------------------------------------------------
def _private_dir(path: Path, *, create: bool) -> Path | None:
    """``path`` if it is a real folder owned by this user that nobody else can enter."""
    if create:
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700, parents=False)
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        return None
    return path


def socket_folder(*, create: bool = False) -> Path | None:
    """The per-user folder for sockets, or None when no safe one exists."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and _private_dir(Path(runtime), create=False) is not None:
        return _private_dir(Path(runtime) / "specpilot", create=create)
    return _private_dir(Path("/tmp") / f"specpilot-{os.geteuid()}", create=create)


def socket_name(workspace: Path) -> str:
    return hashlib.blake2b(str(workspace).encode(), digest_size=10).hexdigest() + ".sock"


def socket_path(workspace: Path, *, create: bool = False) -> Path | None:
    """The socket of ``workspace`` (a resolved folder), or None (no safe folder; path too long)."""
    if sys.platform == "win32":
        return None
    folder = socket_folder(create=create)
    if folder is None:
        return None
    path = folder / socket_name(workspace)
    return path if len(os.fsencode(str(path))) <= MAX_SOCKET_PATH else None


def settings_fingerprint(settings: Any, cache: Path) -> str:
    """What must agree for the server's answer to be the one the CLI would compute itself:
    the search settings, the embedding model and the index folder."""
    import dataclasses  # the dataclasses module is loaded already by the settings

    parts = {"search": dataclasses.asdict(settings.search), "model": settings.embedder.model,
             "embed": settings.embedder.enabled, "seq": settings.embedder.max_seq_length,
             "cache": str(cache)}
    return hashlib.blake2b(json.dumps(parts, sort_keys=True).encode(), digest_size=12).hexdigest()


# -- the client ------------------------------------------------------------------------------------
def _read_line(conn: socket.socket, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        newline = chunk.find(b"\n")
        if newline >= 0:
            chunks.append(chunk[:newline])
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise ValueError(f"line longer than {limit} bytes")
    return b"".join(chunks)


def ask(workspace: Path, request: dict[str, Any], *, timeout: float = ANSWER_TIMEOUT_S) -> Answer:
    """Send ``request`` to the server of ``workspace``; its answer, or SocketUnavailable."""
    path = socket_path(workspace)
    if path is None:
        raise SocketUnavailable("no private socket folder")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise SocketUnavailable("no server is running for this workspace") from None
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.geteuid():
        raise SocketUnavailable(f"{path} is not this user's socket")
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(CONNECT_TIMEOUT_S)
        try:
            conn.connect(str(path))
        except OSError as exc:  # ECONNREFUSED: a socket file left by a server that is gone
            raise SocketUnavailable(f"no server answers ({exc.strerror or exc})") from None
        conn.settimeout(timeout)
        try:
            conn.sendall(json.dumps({"v": PROTOCOL_VERSION, **request}).encode() + b"\n")
            line = _read_line(conn, MAX_ANSWER_BYTES)
        except (OSError, ValueError) as exc:
            raise SocketUnavailable(f"the server did not answer ({exc})") from None
    finally:
        conn.close()
    try:
        answer = json.loads(line)
    except ValueError:
        raise SocketUnavailable("the server's answer is not JSON") from None
    if not isinstance(answer, dict) or answer.get("v") != PROTOCOL_VERSION:
        raise SocketUnavailable("the server speaks another protocol version")
    if not answer.get("ok"):
        raise SocketUnavailable(f"the server refused: {answer.get('message') or answer.get('error')}")
    return answer


def serving_pid(workspace: Path, *, timeout: float = 1.0) -> int | None:
    """The pid of the ``specpilot serve`` that answers for ``workspace`` (it keeps that workspace's index up to
    date), or None when none does. Asks ``{"op": "ping"}``, which the listener answers itself."""
    try:
        answer = ask(workspace, {"op": "ping", "workspace": str(workspace)}, timeout=timeout)
    except SocketUnavailable:
        return None
    pid = answer.get("pid")
    return pid if isinstance(pid, int) else None


# -- the server ------------------------------------------------------------------------------------
def error_answer(code: str, message: str) -> Answer:
    return {"v": PROTOCOL_VERSION, "ok": False, "error": code, "message": message}


def _peer_uid(conn: socket.socket) -> int | None:
    """The connecting process's user id (Linux), None where the system cannot tell."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    raw = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    return int(struct.unpack("3i", raw)[1])


def _same_file(fd: int, path: Path) -> bool:
    try:
        ours, named = os.fstat(fd), os.lstat(path)
    except OSError:
        return False
    return (ours.st_dev, ours.st_ino) == (named.st_dev, named.st_ino)


def _take_lock(path: Path) -> int | None:
    """An open, exclusively locked ``path``; None when another live process holds it. A server
    that exits removes its lock file while it still holds the lock, so a lock taken on a file
    that no longer has that name is given up and taken again on the new file."""
    import fcntl

    for _ in range(5):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        if _same_file(fd, path):
            return fd
        os.close(fd)
    return None


class QuerySocket:
    """Listens on ``workspace``'s socket and answers each request line with ``handler``."""

    def __init__(self, workspace: Path, handler: Handler) -> None:
        self.workspace = workspace
        self.handler = handler
        self.path: Path | None = None
        self._lock_fd: int | None = None
        self._listener: socket.socket | None = None
        self._inode: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)

    def start(self) -> bool:
        """Take the socket; False (and a log line) when another server owns it or none can be made."""
        path = socket_path(self.workspace, create=True)
        if path is None:
            log.info("no query socket for %s: no private folder for it, or its path is too long", self.workspace)
            return False
        try:
            lock_fd = _take_lock(Path(str(path) + ".lock"))
        except OSError as exc:
            log.warning("no query socket for %s: %s", self.workspace, exc)
            return False
        if lock_fd is None:
            log.info("another server answers searches for %s; this one does not listen", self.workspace)
            return False
        try:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # we hold the lock: a socket file here was left by a server that died
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(path))
            os.chmod(path, 0o600)  # the folder is 0700 already; the file says so too
            listener.listen(MAX_CLIENTS)
            listener.settimeout(0.2)  # the accept loop looks at the stop flag this often
        except OSError as exc:
            os.close(lock_fd)
            log.warning("no query socket for %s: %s", self.workspace, exc)
            return False
        info = os.stat(path)
        self.path, self._lock_fd, self._listener = path, lock_fd, listener
        self._inode = (info.st_dev, info.st_ino)
        self._thread = threading.Thread(target=self._accept_loop, name="specpilot-query-socket", daemon=True)
        self._thread.start()
        log.info("answering searches for %s on %s", self.workspace, path)
        return True

    def stop(self) -> None:
        """Stop listening and remove the socket file (if it is still ours)."""
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes a waiting accept() (Linux)
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._listener is not None:
            self._listener.close()
        if self.path is not None:
            with contextlib.suppress(OSError):
                info = os.lstat(self.path)
                if (info.st_dev, info.st_ino) == self._inode:
                    self.path.unlink()
        if self._lock_fd is not None:
            lock = Path(str(self.path) + ".lock")
            with contextlib.suppress(OSError):
                if _same_file(self._lock_fd, lock):  # removed while still locked: see _take_lock
                    lock.unlink()
            os.close(self._lock_fd)  # releases the flock
        self._listener = self._lock_fd = self._thread = None

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                if not self._stopping.is_set():
                    log.warning("query socket of %s: %s", self.workspace, exc)
                return
            if not self._slots.acquire(blocking=False):
                self._reply(conn, error_answer("busy", "too many clients"))
                conn.close()
                continue
            threading.Thread(target=self._serve, args=(conn,), name="specpilot-query-client", daemon=True).start()

    def _reply(self, conn: socket.socket, answer: Answer) -> None:
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps(answer).encode() + b"\n")

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(READ_TIMEOUT_S)
            self._reply(conn, self._answer(conn))
        except Exception:  # a fault answering one client never reaches the listener
            log.exception("query socket of %s: answering a client failed", self.workspace)
        finally:
            conn.close()
            self._slots.release()

    def _answer(self, conn: socket.socket) -> Answer:
        uid = _peer_uid(conn)
        # Read the request line even from a client about to be refused (and do nothing with it): a
        # reply and close before its request was sent would break its pipe instead of answering it.
        line, unread = b"", None
        try:
            line = _read_line(conn, MAX_LINE_BYTES)
        except (OSError, ValueError) as exc:
            unread = exc
        if uid is not None and uid != os.geteuid():
            log.warning("query socket of %s: refused a client of user %d", self.workspace, uid)
            return error_answer("forbidden", "this socket answers its owner only")
        try:
            if unread is not None:
                raise unread
            request = json.loads(line)
        except (OSError, ValueError) as exc:
            return error_answer("bad-request", f"expected one JSON line: {exc}")
        if not isinstance(request, dict):
            return error_answer("bad-request", "the request must be a JSON object")
        if request.get("v") != PROTOCOL_VERSION:
            return error_answer("version", f"this server speaks version {PROTOCOL_VERSION}, "
                                           f"not {request.get('v')!r}")
        if request.get("op") == "ping":  # is anyone serving this workspace (mcp_server/ asks before it indexes)
            return {"v": PROTOCOL_VERSION, "ok": True, "pid": os.getpid(), "workspace": str(self.workspace)}
        try:
            answer = self.handler(request)
        except Exception as exc:
            log.exception("query socket of %s: the request failed", self.workspace)
            return error_answer("internal", f"{type(exc).__name__}: {exc}")
        return {"v": PROTOCOL_VERSION, **answer}
