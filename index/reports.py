"""What the index engine reports: progress events, what an update did, and the index's counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from specpilot.index.model import Chunk


@dataclass(frozen=True, slots=True)
class Progress:
    stage: str  # scan | chunk | embed | optimize
    done: int
    total: int
    detail: str = ""


ProgressCallback = Callable[[Progress], None]


@dataclass(slots=True)
class UpdateReport:
    files_seen: int = 0
    files_changed: int = 0
    files_deleted: int = 0
    chunks_written: int = 0
    embedded: int = 0  # vectors computed by the model
    reused: int = 0  # vectors taken from the content-hash cache
    skipped: list[tuple[str, str]] = field(default_factory=list)
    syntax_errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    cancelled: bool = False
    # ``update_paths``: the chunks written without a vector (``WorkspaceIndex.embed_written`` gives them one)
    waiting: list[Chunk] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IndexStatus:
    root: str
    files: int
    chunks: int
    embedded: int
    disk_bytes: int
    last_update: float
    model: str

    @property
    def embedded_percent(self) -> float:
        return 100.0 * self.embedded / self.chunks if self.chunks else 100.0
