"""The frame reader on byte streams cut at every size: headers in any case, oversized
frames skipped unread, garbage and broken frames dropped, and the stream back in sync."""

from __future__ import annotations

import json

import pytest

from specpilot.server.framing import FrameReader, Oversized, peek_id


def frame(body: dict[str, object] | bytes, name: bytes = b"Content-Length", extra: bytes = b"") -> bytes:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return name + b": %d\r\n" % len(data) + extra + b"\r\n" + data


async def read_all(stream: bytes, piece: int, limit: int = 1 << 20) -> tuple[list[bytes | Oversized], FrameReader]:
    chunks = [stream[i:i + piece] for i in range(0, len(stream), piece)]

    async def read() -> bytes:
        return chunks.pop(0) if chunks else b""

    reader = FrameReader(read, limit)
    return [f async for f in reader.frames()], reader


REQUEST = {"jsonrpc": "2.0", "id": 7, "method": "workspace/symbol", "params": {"query": "x"}}


@pytest.mark.parametrize("piece", [1, 3, 64, 1 << 16])
async def test_header_names_are_case_insensitive_and_other_headers_are_ignored(piece: int) -> None:
    stream = (frame(REQUEST, b"content-length") + frame(REQUEST, b"CONTENT-LENGTH")
              + frame(REQUEST, extra=b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"))
    frames, reader = await read_all(stream, piece)
    assert [json.loads(f) for f in frames if isinstance(f, bytes)] == [REQUEST] * 3
    assert reader.skipped_bytes == 0


@pytest.mark.parametrize("piece", [1, 7, 1 << 16])
async def test_an_oversized_frame_is_refused_with_its_id_and_the_next_frame_is_read(piece: int) -> None:
    huge = b'Content-Length: 1000000000000\r\n\r\n{"jsonrpc": "2.0", "id": "big-1", "method": "x", "params": {"t": "'
    stream = huge + b"a" * 5000 + frame(REQUEST)
    frames, _ = await read_all(stream, piece, limit=1000)
    refused = frames[0]
    assert isinstance(refused, Oversized) and refused.length == 10**12 and refused.limit == 1000
    # The id is answered when the body's first bytes came with the header.
    assert refused.msg_id == "big-1" if piece > 100 else refused.msg_id in ("big-1", None)
    assert json.loads(frames[1]) == REQUEST  # type: ignore[arg-type]


async def test_garbage_between_frames_and_headers_without_length_are_skipped() -> None:
    stream = (b"garbage line\r\n" + frame(REQUEST) + b"\x00\xff junk" + frame(REQUEST)
              + b"X-Nothing: 1\r\n\r\n" + frame(REQUEST) + b"no newline at all " * 1000 + frame(REQUEST))
    frames, reader = await read_all(stream, 100)
    assert [json.loads(f) for f in frames if isinstance(f, bytes)] == [REQUEST] * 4
    assert reader.skipped_bytes > 18000


async def test_a_frame_cut_short_by_the_end_of_the_stream_is_dropped() -> None:
    frames, _ = await read_all(frame(REQUEST) + b"Content-Length: 500\r\n\r\n{\"jsonrpc\"", 10)
    assert [json.loads(f) for f in frames if isinstance(f, bytes)] == [REQUEST]


def test_peek_id_finds_only_the_top_level_id() -> None:
    assert peek_id(b'{"jsonrpc":"2.0","params":{"id":5,"x":[{"id":6}]},"id":9,"method":"m"') == 9
    assert peek_id(b'{"id": "a\\"b", "method": "m"}') == 'a\\"b'
    assert peek_id(b'{"method":"m","params":{"text":"\\"id\\": 3') is None
    assert peek_id(b'{"method":"m","params":{"id":3}') is None
