"""Reading and writing HTTP/1.1 header blocks."""

from __future__ import annotations

MAX_HEADER_LINE = 8192


class HeaderMap:
    """Case-insensitive multi-map of header names to values."""

    def __init__(self) -> None:
        self._items: list[tuple[str, str]] = []

    def add(self, name: str, value: str) -> None:
        self._items.append((name, value))

    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        for key, value in self._items:
            if key.lower() == wanted:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self._items if key.lower() == wanted]

    def __len__(self) -> int:
        return len(self._items)


def parse_headers(lines: list[bytes]) -> HeaderMap:
    """Split raw header lines into names and values, folding continuation lines."""
    headers = HeaderMap()
    last_name = None
    for raw in lines:
        if len(raw) > MAX_HEADER_LINE:
            raise ValueError("header line too long")
        line = raw.decode("latin-1").rstrip("\r\n")
        if not line:
            break
        if line[0] in " \t" and last_name is not None:
            previous = headers.get_all(last_name)[-1]
            headers._items[-1] = (last_name, previous + " " + line.strip())
            continue
        name, _, value = line.partition(":")
        headers.add(name.strip(), value.strip())
        last_name = name.strip()
    return headers


def format_header(name: str, value: str) -> bytes:
    """Render one header line with CRLF."""
    return f"{name}: {value}\r\n".encode("latin-1")
