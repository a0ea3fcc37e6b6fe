"""The promoted PPO policy at work: the agent's context, gathered step by step against the live index.

:func:`promoted_policy` gives the saved policy (rl/ppo.py) only when ``learning.contextPolicy`` is ``auto`` and
its card says it passed the promotion rule (rl/ppo_eval.py); otherwise None, and the bandit keeps choosing the
context strategy. A policy file that cannot be used is a note (why, and how to retrain), never a failure.
:func:`gather` runs one episode with :class:`LiveSource` and returns the context as the agent shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from specpilot.agents.session import snippet
from specpilot.core.config import LearningSettings
from specpilot.rl.gather import Gathering
from specpilot.rl.gather_sources import LiveSource
from specpilot.rl.ppo import ContextPolicy, PolicyFileError, load, policy_dir

if TYPE_CHECKING:
    from specpilot.index.engine import WorkspaceIndex

log = logging.getLogger("specpilot.rl")


def promoted_policy(settings: LearningSettings, folder: Path | None = None) -> tuple[ContextPolicy | None, str]:
    """The policy the agent should follow, or None; and a note when a saved policy was refused."""
    if settings.context_policy == "off":
        return None, ""
    folder = folder or policy_dir()
    if not folder.exists():
        return None, ""
    try:
        policy = load(folder)
    except PolicyFileError as exc:
        return None, str(exc)
    if not policy.card.get("promoted"):
        return None, ""
    return policy, ""


def gather(policy: ContextPolicy, index: WorkspaceIndex, query: str, budget_tokens: int, *,
           rerank: bool = True) -> list[str]:
    """The context ``policy`` gathers for ``query`` within ``budget_tokens``: each chunk as
    ``path:start-end name`` and its first lines, the best candidates first."""
    state = Gathering(query, LiveSource(index, query, rerank=rerank), budget_tokens)
    while not state.finished:
        state.step(policy.act(state))
    items = state.context()
    rows = index.store.rows_by_id([item.id for item in items])
    out = []
    for item in items:
        row = rows.get(item.id)
        if row is None:  # written over since it was found
            continue
        out.append(snippet(item.path, int(row["start_line"]), int(row["end_line"]), item.name, str(row["text"])))
    log.info("context policy: %s -> %d chunks, %d tokens", ",".join(_actions(state)), len(out), state.tokens)
    return out


def _actions(state: Gathering) -> list[str]:
    return [f"{action}x{count}" for action, count in state.done.items()]


def gatherer(policy: ContextPolicy, index: Callable[[], WorkspaceIndex]) -> Callable[[str, int], list[str]]:
    """``gather`` bound to ``policy`` and an index opened on first use (the agent's ``gather`` callable)."""
    return lambda query, budget: gather(policy, index(), query, budget)
