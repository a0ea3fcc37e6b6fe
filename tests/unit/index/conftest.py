"""Shared fixtures: the real packaged embedder (loaded once) and fixture workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.core.config import Settings
from specpilot.index.embedder import Embedder, create_embedder
from tests.fixtures import copy_workspace

SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sample_workspace"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return create_embedder()


@pytest.fixture
def sample_ws(tmp_path: Path) -> Path:
    """A copy of the sample workspace plus the awkward files real workspaces have."""
    root = tmp_path / "ws"
    copy_workspace(SAMPLE, root)
    (root / "build").mkdir()
    (root / "build" / "generated.py").write_text("def ignored_by_gitignore():\n    pass\n")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    (root / "latin1.py").write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    (root / "broken.py").write_text("def half_written(:\n    return 1\n\ndef still_found():\n    return 2\n")
    outside = tmp_path / "outside.py"
    outside.write_text("def secret_outside():\n    pass\n")
    (root / "link_out.py").symlink_to(outside)
    return root


@pytest.fixture
def settings() -> Settings:
    return Settings()
