"""For every test (and every process a test starts, which inherits the environment): learning is off
unless a test turns it on, so the agent's choices are the fixed defaults the tests expect, and the
learning store is a file of this test session, never the user's (rl/policy.py reads both variables)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ["SPECPILOT_LEARNING"] = "off"
os.environ["SPECPILOT_LEARNING_STORE"] = str(Path(tempfile.mkdtemp(prefix="specpilot-learning-")) / "feedback.sqlite3")
