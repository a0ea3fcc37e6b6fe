"""Feature modules, registered in this order by ``server.main.create_server``.

Each module has ``register(server)`` that adds its handlers; nothing happens at import.
"""

from __future__ import annotations

from specpilot.server import commands
from specpilot.server.features import (
    agent,
    code_actions,
    doctor,
    documents,
    learning,
    lifecycle,
    prompts,
    refactor,
    search,
    spec_commands,
    specs,
    stats,
    steering,
    symbols,
)

FEATURES = (lifecycle, documents, symbols, search, refactor, code_actions, agent, specs, spec_commands, steering,
            doctor, learning, prompts, stats, commands)
