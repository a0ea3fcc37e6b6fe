"""The learning loop from the editor: ``specpilot.learn.status [{folder?}]`` answers what
``specpilot learn status --json`` prints (rl/status.py: each decision point's arms, pulls, acceptance and
interval, default, leader, promotions), and ``specpilot.learn.reset`` forgets every recorded decision
(the editor asks the user first). Verdicts arrive as ``specpilot/feedback`` (server/features/agent.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from specpilot.server.app import RequestFailed, SpecPilotServer
from specpilot.server.command_args import LearnResetArgs, LearnStatusArgs
from specpilot.server.commands import typed_command
from specpilot.server.features.agent import folder_for


def status(ls: SpecPilotServer, folder_uri: str | None) -> dict[str, Any]:
    from specpilot.rl.policy import LearningPolicy, policy_for, shared_store
    from specpilot.rl.status import learning_status
    from specpilot.rl.store import FeedbackError

    folders = list(ls.folders.values())
    if not folders:
        raise RequestFailed("no workspace folder is open")
    folder = folder_for(ls, folder_uri) if folder_uri else folders[0]
    policy, problem = policy_for(folder.root, folder.settings.learning)
    try:
        return learning_status(shared_store(), folder.settings.learning, active=isinstance(policy, LearningPolicy),
                               problem=problem)
    except FeedbackError as exc:
        raise RequestFailed(str(exc)) from None


def reset() -> dict[str, Any]:
    from specpilot.rl.policy import shared_store, store_path
    from specpilot.rl.store import FeedbackError, discard_store

    path = store_path()
    try:
        shared_store(path).reset()
    except FeedbackError:  # damaged or too new to open: start afresh with a new file
        discard_store(path)
    return {"reset": True, "store": str(path)}


def register(server: SpecPilotServer) -> None:
    @typed_command(server, "specpilot.learn.status")
    async def learn_status(ls: SpecPilotServer, given: LearnStatusArgs) -> dict[str, Any]:
        return await asyncio.to_thread(status, ls, given.folder)

    @typed_command(server, "specpilot.learn.reset")
    async def learn_reset(ls: SpecPilotServer, given: LearnResetArgs) -> dict[str, Any]:
        return await asyncio.to_thread(reset)
