"""Header parsing."""

from __future__ import annotations


class HeaderMap:
    """Case-insensitive multi-valued header storage."""

    def __init__(self) -> None:
        self._items: dict[str, list[str]] = {}

    def add(self, name: str, value: str) -> None:
        self._items.setdefault(name.lower(), []).append(value)

    def get_all(self, name: str) -> list[str]:
        return list(self._items.get(name.lower(), []))


def parse_headers(raw: bytes) -> HeaderMap:
    """Split raw header bytes into lines and collect each ``Name: value`` pair."""
    headers = HeaderMap()
    for line in raw.decode("latin-1").split("\r\n"):
        if not line:
            break
        name, _, value = line.partition(":")
        headers.add(name.strip(), value.strip())
    return headers
