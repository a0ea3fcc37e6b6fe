"""For every test (and every process a test starts, which inherits the environment):

- learning is off unless a test turns it on, so the agent's choices are the fixed defaults the tests expect, and
  the learning store is a file of this test session, never the user's (rl/policy.py reads both variables);
- the user cache (``XDG_CACHE_HOME``) is a folder of this session, so a reranker the user trained
  (``models/reranker``) does not reorder the searches the tests check, and nothing a test trains or mines lands
  in the user's cache. The query encoder's exported models are linked from the user's cache, so they are not
  exported again;
- no AWS variable, profile or instance role of the user reaches a test (the shared index reads them).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
