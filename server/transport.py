"""The server's message loop over stdio (and TCP, for debugging), in place of pygls'.

Frames come from ``framing.FrameReader`` (robust to bad headers, oversized and
malformed frames) and go to ``GuardedProtocol.receive``; a fault in one message
is logged and the loop goes on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

from pygls.io_ import StdoutWriter

from specpilot.server.framing import MARKER, FrameReader, Oversized, ReadChunk, ThreadedChunkReader, stream_chunks
from specpilot.server.guard import GuardedProtocol, NotJson

log = logging.getLogger("specpilot.server.transport")


async def serve_frames(protocol: GuardedProtocol, read_chunk: ReadChunk, limit: Callable[[], int],
                       stop: threading.Event) -> None:
    reader = FrameReader(read_chunk, limit())
    async for frame in reader.frames():
        if stop.is_set():
            break
        if isinstance(frame, Oversized):
            protocol.refuse_oversized(frame)
        else:
            try:
                protocol.receive(frame)
            except NotJson as exc:
                marker = MARKER.search(frame)
                if marker is not None:  # its Content-Length was too large: the next frame is inside
                    log.warning("a frame's body is not JSON (%s); reading again from the frame header in it", exc)
                    reader.push_back(frame[marker.start():])
                else:
                    log.warning("skipped a frame whose body is not JSON (%s): %.120r", exc, frame)
            except BrokenPipeError:
                raise
            except Exception:
                log.exception("could not handle a message")
        reader.limit = limit()


def run_stdio(protocol: GuardedProtocol, stdin: BinaryIO, stdout: BinaryIO, limit: Callable[[], int],
              stop: threading.Event) -> None:
    protocol.set_writer(StdoutWriter(stdout))

    async def main() -> None:
        reader = ThreadedChunkReader(stdin, asyncio.get_running_loop())
        await serve_frames(protocol, reader.read, limit, stop)

    try:
        asyncio.run(main())
    except BrokenPipeError:
        log.error("the connection to the client is lost; stopping")
    except (KeyboardInterrupt, SystemExit):
        pass


def run_tcp(protocol: GuardedProtocol, host: str, port: int, limit: Callable[[], int],
            stop: threading.Event) -> None:
    server: Any = None

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        protocol.set_writer(writer)  # type: ignore[arg-type]
        await serve_frames(protocol, stream_chunks(reader), limit, stop)
        server.close()

    async def main() -> None:
        nonlocal server
        server = await asyncio.start_server(connection, host, port)
        async with server:
            try:
                await server.serve_forever()
            except asyncio.CancelledError:
                pass

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, SystemExit):
        pass
