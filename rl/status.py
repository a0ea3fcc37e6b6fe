"""What ``specpilot learn status`` (and the editor's learning view) shows: for each decision point, its
arms with pulls, rewarded decisions, acceptance and a 95 % interval, the current default (``default``: a
promoted arm, or null; ``builtin``: the first option, today's behaviour) and the leader,
and the promotions and rollbacks with their evidence. Computed from the store's per-arm aggregates, so it
stays fast however many decisions the store holds.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from specpilot.core.config import LearningSettings
from specpilot.rl.store import FeedbackStore

Z95 = 1.959964


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (``successes`` may be a sum of rewards in [0, 1])."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def learning_status(store: FeedbackStore, settings: LearningSettings, *, active: bool,
                    problem: str = "") -> dict[str, Any]:
    """The status as JSON data: ``enabled`` (the setting), ``active`` (learning runs in this process),
    the bandit, the store's path, a problem if any, and one entry per decision point."""
    points: dict[str, dict[str, Any]] = {}
    for row in store.summary():
        entry = points.setdefault(row.point, {"point": row.point, "arms": [], "default": None, "builtin": None,
                                              "leader": None, "promotions": []})
        mean = row.mean_reward
        low, high = wilson((mean or 0.0) * row.rewarded, row.rewarded)
        entry["arms"].append({"arm": row.arm, "pulls": row.pulls, "rewarded": row.rewarded,
                              "acceptance": None if mean is None else round(mean, 4),
                              "low": round(low, 4), "high": round(high, 4)})
    for point, entry in points.items():
        entry["default"] = store.current_default(point)
        recent = store.logged(point, limit=1) or store.pending(point)[-1:]
        offered = recent[0].arms if recent else ()
        entry["builtin"] = offered[0] if offered else None  # the first option: today's behaviour
        rated = [a for a in entry["arms"] if a["rewarded"] > 0]
        if rated:
            entry["leader"] = max(rated, key=lambda a: a["low"])["arm"]
        promotions = store.promotions(point)
        if point == "search":  # the fusion weight learned from the results opened (rl/search_clicks.py)
            promotions = sorted([*promotions, *store.promotions("search.fusion")], key=lambda p: p.at)
            weight = store.current_default("search.fusion")
            entry["default"] = f"hybrid@{weight}" if weight is not None else entry["default"]
        entry["promotions"] = [{"kind": p.kind, "arm": p.arm, "previous": p.previous, "at": p.at,
                                "evidence": p.evidence} for p in promotions][-5:]
    return {"enabled": settings.enabled, "active": active, "bandit": settings.bandit, "floor": settings.floor,
            "store": str(store.path), "problem": problem, "points": sorted(points.values(), key=lambda e: e["point"])}


def status_of(workspace: Path, settings: LearningSettings) -> dict[str, Any]:
    """The status both faces show for ``workspace``'s settings (FeedbackError when the store cannot be opened)."""
    from specpilot.rl.policy import LearningPolicy, policy_for, shared_store

    store = shared_store()
    policy, problem = policy_for(workspace, settings)
    status = learning_status(store, settings, active=isinstance(policy, LearningPolicy), problem=problem)
    status["context_policy"] = context_policy_status(settings)
    status["playbooks"] = playbook_status(workspace)
    return status


def playbook_status(workspace: Path) -> list[dict[str, Any]]:
    """Each role's playbook: the version in use, a version on trial or waiting for approval, the last change."""
    from specpilot.rl.playbook import ROLES, PlaybookError
    from specpilot.rl.playbook_store import PlaybookStore

    store = PlaybookStore(workspace)
    out: list[dict[str, Any]] = []
    for role in ROLES:
        try:
            book, notes = store.current(role)
        except PlaybookError as exc:
            out.append({"role": role, "problem": str(exc)})
            continue
        events = store.events(role)
        out.append({"role": role, "current": book.version, "versions": len(store.versions(role)),
                    "candidate": store.candidate(role), "notes": notes, "last_event": events[-1] if events else None})
    return out


def context_policy_status(settings: LearningSettings) -> dict[str, Any]:
    """The PPO context policy (rl/ppo.py): trained or not, promoted or not and why, used or not."""
    from specpilot.rl.ppo import PolicyFileError, policy_dir, read_card

    folder = policy_dir()
    if not folder.exists():
        return {"trained": False, "used": False, "folder": str(folder),
                "note": "no context policy trained (`specpilot train policy`): the bandit chooses"}
    try:
        card = read_card(folder)
    except PolicyFileError as exc:
        return {"trained": False, "used": False, "folder": str(folder), "note": str(exc)}
    promoted = bool(card.get("promoted"))
    used = promoted and settings.context_policy != "off"
    return {"trained": True, "promoted": promoted, "used": used, "folder": str(folder), "date": card.get("date"),
            "verdict": card.get("verdict", ""), "held_out_success": card.get("held_out_success", {}),
            "note": "" if used else ("learning.contextPolicy is off" if promoted else "not promoted: the bandit "
                                                                                      "chooses")}


def status_lines(status: dict[str, Any]) -> list[str]:
    """The status as text lines for a terminal."""
    state = "on" if status["active"] else ("on, but not active here" if status["enabled"] else "off")
    lines = [f"learning: {state}; bandit {status['bandit']}, exploration floor {status['floor']:g}; "
             f"store {status['store']}"]
    if status.get("problem"):
        lines.append(f"problem: {status['problem']}")
    if not status["points"]:
        lines.append("no decisions recorded yet")
    for book in status.get("playbooks", []):
        if book.get("problem"):
            lines.append(f"playbook {book['role']}: {book['problem']}")
        elif book["versions"] > 1:
            trial = f", v{book['candidate']} on trial or waiting" if book.get("candidate") else ""
            lines.append(f"playbook {book['role']}: v{book['current']} in use of {book['versions']}{trial}")
    ppo = status.get("context_policy")
    if ppo:
        state = "used by the agent" if ppo["used"] else ppo["note"]
        lines.append(f"context policy (PPO): {state}" + (f"; trained {ppo['date']}" if ppo.get("date") else ""))
        if ppo.get("verdict"):
            lines.append(f"  {ppo['verdict']}")
    for entry in status["points"]:
        default = entry["default"] or (f"{entry['builtin']} (built-in)" if entry.get("builtin") else "built-in")
        leader = f", leader {entry['leader']}" if entry["leader"] else ""
        lines.append(f"{entry['point']}: default {default}{leader}")
        for arm in entry["arms"]:
            acceptance = "-" if arm["acceptance"] is None else f"{100 * arm['acceptance']:.1f}%"
            lines.append(f"  {arm['arm']:<24} pulls {arm['pulls']:>7}  rewarded {arm['rewarded']:>7}  "
                         f"acceptance {acceptance:>6}  95% [{100 * arm['low']:.1f}, {100 * arm['high']:.1f}]")
        for p in entry["promotions"]:
            lines.append(f"  {p['kind']}: {p['arm']} (was {p['previous'] or 'built-in'})")
    return lines
