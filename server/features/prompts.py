"""The roles' prompt playbooks from the editor: ``specpilot.prompts.show|history|diff|rollback|curate|approve
{role, version?|versions?, folder?}`` answer what ``specpilot prompts ... --json`` prints (rl/playbook_actions.py),
in a worker thread; a refusal (an unknown version, nothing to roll back to) is a RequestFailed saying why."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from specpilot.core.errors import SpecPilotError
from specpilot.server.app import RequestFailed, SpecPilotServer
from specpilot.server.command_types import PromptsDiffArgs, PromptsRoleArgs, PromptsVersionArgs
from specpilot.server.commands import typed_command
from specpilot.server.features.agent import folder_for


async def _run(ls: SpecPilotServer, folder: str | None, action: Callable[..., dict[str, Any]],
               *args: Any) -> dict[str, Any]:
    root = folder_for(ls, folder).root

    def work() -> dict[str, Any]:
        try:
            return action(root, *args)
        except SpecPilotError as exc:
            raise RequestFailed(str(exc)) from None

    return await asyncio.to_thread(work)


def register(server: SpecPilotServer) -> None:
    from specpilot.rl import playbook_actions as act

    @typed_command(server, "specpilot.prompts.show")
    async def show(ls: SpecPilotServer, given: PromptsVersionArgs) -> dict[str, Any]:
        return await _run(ls, given.folder, act.show, given.role, given.version)

    @typed_command(server, "specpilot.prompts.history")
    async def history(ls: SpecPilotServer, given: PromptsRoleArgs) -> dict[str, Any]:
        return await _run(ls, given.folder, act.history, given.role)

    @typed_command(server, "specpilot.prompts.diff")
    async def diff(ls: SpecPilotServer, given: PromptsDiffArgs) -> dict[str, Any]:
        return await _run(ls, given.folder, act.diff, given.role, list(given.versions))

    @typed_command(server, "specpilot.prompts.rollback")
    async def rollback(ls: SpecPilotServer, given: PromptsVersionArgs) -> dict[str, Any]:
        return await _run(ls, given.folder, act.rollback, given.role, given.version)

    @typed_command(server, "specpilot.prompts.curate")
    async def curate(ls: SpecPilotServer, given: PromptsRoleArgs) -> dict[str, Any]:
        return await _run(ls, given.folder, act.curate, given.role)

    @typed_command(server, "specpilot.prompts.approve")
    async def approve(ls: SpecPilotServer, given: PromptsVersionArgs) -> dict[str, Any]:
        if given.version is None:
            raise RequestFailed("approve needs the version to approve")
        return await _run(ls, given.folder, act.approve, given.role, given.version)
