"""The manifest: what each indexed file looked like when it was last indexed.

Saved atomically (temp file + rename) after each committed batch, so a crash
mid-index loses at most the batch in flight; those files are simply indexed
again next time (upserts make that harmless).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

MANIFEST_VERSION = 1


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(slots=True)
class FileRecord:
    hash: str
    size: int
    mtime_ns: int
    chunks: int = 0


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.files: dict[str, FileRecord] = {}
        self.last_update: float = 0.0
        # Paths whose rows were being written when the manifest was last saved: after a
        # crash they may have rows the manifest does not list, so they count as existing.
        self.in_flight: list[str] = []
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != MANIFEST_VERSION:
                return
            self.files = {p: FileRecord(**rec) for p, rec in data.get("files", {}).items()}
            self.last_update = float(data.get("last_update", 0.0))
            self.in_flight = [str(p) for p in data.get("in_flight", [])]
        except (OSError, ValueError, TypeError):
            self.files = {}  # a missing or broken manifest only costs a full re-check

    def save(self) -> None:
        data = {"version": MANIFEST_VERSION, "last_update": self.last_update, "in_flight": self.in_flight,
                "files": {p: asdict(rec) for p, rec in self.files.items()}}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.files = {}
        self.last_update = 0.0
        self.in_flight = []
