"""The LSP base protocol on a byte stream: ``Content-Length`` frames, read robustly.

pygls' reader matches ``Content-Length`` case-sensitively, allocates whatever
length a header claims and loses sync on a malformed frame. This reader:

* reads header names case-insensitively (the base protocol says so);
* refuses a body over ``limit`` bytes without reading it into memory: it answers
  the request (when its id is in the bytes already received) and skips ahead to
  the next frame header;
* logs garbage between frames, a header without a length and a body that is not
  JSON, and resynchronises on the next ``Content-Length`` header (valid JSON
  cannot contain a raw line break after such text, so the marker is unambiguous).

No LSP types here: ``FrameReader`` yields bodies, ``Oversized`` tells the caller
about a refused frame.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

log = logging.getLogger("specpilot.server.framing")

DEFAULT_LIMIT = 64 << 20
CHUNK_BYTES = 1 << 16
MAX_HEADER_BYTES = 8 << 10  # a header block larger than this is garbage
KEEP_FOR_MARKER = 64  # bytes kept while skipping, so a header split across reads is still found
ID_PEEK_BYTES = 4 << 10

LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\d+)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
MARKER = re.compile(rb"content-length[ \t]*:[ \t]*\d+[ \t]*\r?\n", re.IGNORECASE)
HEADER_END = re.compile(rb"\r?\n\r?\n")
HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*[ \t]*:.*$")


@dataclass(frozen=True)
class Oversized:
    """A frame whose ``Content-Length`` is over the limit; ``msg_id`` if the body's
    first bytes showed a top-level ``"id"``."""

    length: int
    limit: int
    msg_id: int | str | None


ReadChunk = Callable[[], Awaitable[bytes]]


class FrameReader:
    """Bodies of the frames on a stream (``read_chunk`` returns b"" at its end)."""

    def __init__(self, read_chunk: ReadChunk, limit: int = DEFAULT_LIMIT) -> None:
        self._read = read_chunk
        self.limit = limit
        self._buffer = bytearray()
        self._eof = False
        self.skipped_bytes = 0  # garbage dropped so far (for tests and logs)

    async def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = await self._read()
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def _drop(self, count: int, why: str) -> None:
        if count <= 0:
            return
        sample = bytes(self._buffer[:min(count, 80)])
        log.warning("skipped %d bytes of %s: %r%s", count, why, sample, "..." if count > 80 else "")
        self.skipped_bytes += count
        del self._buffer[:count]

    async def frames(self) -> AsyncIterator[bytes | Oversized]:
        while True:
            header = await self._header()
            if header is None:
                return
            length = header
            if length > self.limit:
                refused = Oversized(length, self.limit, peek_id(bytes(self._buffer[:ID_PEEK_BYTES])))
                log.warning("refused a message of %d bytes (server.maxMessageBytes is %d); skipping to the "
                            "next frame", length, self.limit)
                yield refused
                if not await self._skip_to_marker():
                    return
                continue
            while len(self._buffer) < length:
                if not await self._fill():
                    if self._buffer:
                        log.warning("the stream ended inside a frame (%d of %d bytes)", len(self._buffer), length)
                    return
            body = bytes(self._buffer[:length])
            del self._buffer[:length]
            yield body

    async def _header(self) -> int | None:
        """The next frame's length, with its header consumed; None at the end of the stream."""
        while True:
            end = HEADER_END.search(self._buffer)
            if end is None:
                if len(self._buffer) > MAX_HEADER_BYTES:
                    self._trim_garbage()
                if not await self._fill():
                    if self._buffer.strip():
                        self._drop(len(self._buffer), "trailing data at the end of the stream")
                    return None
                continue
            block = bytes(self._buffer[:end.start()])
            found = list(LENGTH.finditer(block))
            if not found:
                self._drop(end.end(), "a frame header without a Content-Length")
                continue
            last = found[-1]
            before = block[:last.start()]
            if before.strip() and not all(HEADER_LINE.match(line.strip())
                                           for line in before.splitlines() if line.strip()):
                self._drop(len(before), "data between frames")
                del self._buffer[:end.end() - len(before)]
            else:
                del self._buffer[:end.end()]
            return int(last.group(1))

    def push_back(self, data: bytes) -> None:
        """Read ``data`` again before the rest (a body that was not JSON but held the next frame)."""
        self._buffer[:0] = data

    def _trim_garbage(self) -> None:
        marker = MARKER.search(self._buffer)
        if marker is not None and marker.start() > 0:
            self._drop(marker.start(), "data between frames")
        elif marker is not None:  # a header that never ends
            self._drop(marker.end(), "an unterminated frame header")
        else:
            self._drop(len(self._buffer) - KEEP_FOR_MARKER, "data between frames")

    async def _skip_to_marker(self) -> bool:
        """Drop bytes up to the next ``Content-Length`` header; False at the end of the stream."""
        dropped = 0
        while True:
            found = MARKER.search(self._buffer)
            if found is not None:
                dropped += found.start()
                del self._buffer[:found.start()]
                log.info("resynchronised after skipping %d bytes", dropped)
                self.skipped_bytes += dropped
                return True
            keep = min(len(self._buffer), KEEP_FOR_MARKER)
            dropped += len(self._buffer) - keep
            del self._buffer[:len(self._buffer) - keep]
            if not await self._fill():
                self.skipped_bytes += dropped + len(self._buffer)
                return False


def peek_id(prefix: bytes) -> int | str | None:
    """The top-level ``"id"`` of a JSON object from its first bytes, if they show it."""
    text = prefix.decode("utf-8", errors="replace")
    depth, i, key_expected = 0, 0, False
    while i < len(text):
        ch = text[i]
        if ch in "{[":
            depth += 1
            key_expected = ch == "{"
        elif ch in "}]":
            depth -= 1
        elif ch == ",":
            key_expected = depth == 1 or key_expected
        elif ch == '"':
            end = _string_end(text, i)
            if end < 0:
                return None
            if depth == 1 and key_expected and text[i + 1:end] == "id":
                return _id_value(text[end + 1:])
            i = end
            key_expected = False
        i += 1
    return None


def _string_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    return -1


def _id_value(rest: str) -> int | str | None:
    found = re.match(r'\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")', rest)
    if found is None:
        return None
    raw = found.group(1)
    return raw[1:-1] if raw.startswith('"') else int(raw)


class ThreadedChunkReader:
    """Chunks of a blocking binary stream (stdin), read by a daemon thread so that a
    pending read never holds up the process's exit. At most a few chunks wait."""

    def __init__(self, stream: BinaryIO, loop: asyncio.AbstractEventLoop, queue_size: int = 8) -> None:
        self._stream = stream
        self._loop = loop
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(queue_size)
        self._thread = threading.Thread(target=self._pump, name="specpilot-stdin", daemon=True)
        self._thread.start()

    def _read_once(self) -> bytes:
        try:
            # The file descriptor, not the buffered object: a thread blocked in a buffered read
            # holds its lock, and the interpreter aborts if it must flush that object at exit.
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None
        try:
            if fd is not None:
                return os.read(fd, CHUNK_BYTES)
            read1: Callable[[int], bytes] | None = getattr(self._stream, "read1", None)
            return read1(CHUNK_BYTES) if read1 is not None else self._stream.read(CHUNK_BYTES)
        except (OSError, ValueError) as exc:  # closed under us
            log.info("the input stream closed: %s", exc)
            return b""

    def _pump(self) -> None:
        while True:
            chunk = self._read_once()
            try:
                asyncio.run_coroutine_threadsafe(self._queue.put(chunk), self._loop).result()
            except (RuntimeError, Exception):  # the loop is gone
                return
            if not chunk:
                return

    async def read(self) -> bytes:
        return await self._queue.get()


def stream_chunks(reader: Any) -> ReadChunk:
    """``read_chunk`` for an asyncio ``StreamReader`` (the TCP transport)."""
    async def read() -> bytes:
        data: bytes = await reader.read(CHUNK_BYTES)
        return data
    return read
