"""SpecPilot: a spec-driven coding agent that lives in the editor."""

__version__ = "0.1.0"
