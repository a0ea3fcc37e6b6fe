"""The agent's tools: each a typed pydantic argument model and a ``run`` that answers
an ``Observation``; the registry validates every call and never raises.

Reading tools go through the path guard and read open buffers before the disk;
editing tools only propose (an ``EditResult``); running tools use the command
runner in agents/safety. See registry.py for the list.
"""

from __future__ import annotations

from specpilot.agents.tools.base import Observation, Tool, ToolArgs, ToolError, truncate
from specpilot.agents.tools.context import SourceText, ToolContext
from specpilot.agents.tools.registry import ToolRegistry, default_registry

__all__ = ["Observation", "SourceText", "Tool", "ToolArgs", "ToolContext", "ToolError", "ToolRegistry",
           "default_registry", "truncate"]
