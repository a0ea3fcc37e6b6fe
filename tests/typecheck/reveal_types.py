"""Checked by tests/test_architecture.py with mypy: cross-package imports resolve to their real types, never Any.
Not imported by anything; each reveal_type's expected output is in expected_reveals.txt."""

from pathlib import Path

from specpilot.agents.session import AgentSession
from specpilot.core.config import load_settings
from specpilot.core.policy import FixedPolicy
from specpilot.index.engine import WorkspaceIndex
from specpilot.llm.safety.redaction import redact
from specpilot.spec.store import SpecStore

reveal_type(load_settings(Path(".")))  # noqa: F821
reveal_type(SpecStore(Path(".")).resolve)  # noqa: F821
reveal_type(WorkspaceIndex.close)  # noqa: F821
reveal_type(redact("text").text)  # noqa: F821
reveal_type(AgentSession.feedback)  # noqa: F821
reveal_type(FixedPolicy().choose)  # noqa: F821
