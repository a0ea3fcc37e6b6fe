"""For every test (and every process a test starts, which inherits the environment):

- learning is off unless a test turns it on, so the agent's choices are the fixed defaults the tests expect, and
  the learning store is a file of this test session, never the user's (rl/policy.py reads both variables);
- the user cache (``XDG_CACHE_HOME``) is a folder of this session, so a reranker the user trained
  (``models/reranker``) does not reorder the searches the tests check, and nothing a test trains or mines lands
  in the user's cache. The query encoder's exported models are linked from the user's cache, so they are not
  exported again;
- no AWS variable, profile or instance role of the user reaches a test (the shared index reads them); tests
  that need an S3 server take ``s3_server`` (one real server on loopback per session) or ``s3_env`` (its
  variables set in this process).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback.s3_server import S3Server


def _session_cache() -> str:
    real = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "specpilot" / "models"
    cache = Path(tempfile.mkdtemp(prefix="specpilot-cache-"))
    models = cache / "specpilot" / "models"
    models.mkdir(parents=True)
    if real.is_dir():
        for entry in real.iterdir():
            if entry.is_dir() and entry.name != "reranker":
                (models / entry.name).symlink_to(entry, target_is_directory=True)
    return str(cache)


# The shared index reads the standard AWS places: never the user's profile or keys in a test.
for _name in [n for n in os.environ if n.startswith("AWS_")]:
    del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["SPECPILOT_LEARNING"] = "off"
os.environ["SPECPILOT_LEARNING_STORE"] = str(Path(tempfile.mkdtemp(prefix="specpilot-learning-")) / "feedback.sqlite3")
os.environ["XDG_CACHE_HOME"] = _session_cache()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 server (SeaweedFS) on loopback for the whole session; tests use prefixes of their own."""
    server = S3Server(tmp_path_factory.mktemp("s3")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The standard AWS variables of ``s3_server`` in this process's environment."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return s3_server
