"""The learning report's position-bias curve (rl/report.py): which ranks the opened search results had.

A search result opened is the verdict ``rank:N`` on the search's decision (point ``search``: rl/policy.py's
``verdict``, server/features/search.py). :func:`opened_by_rank` counts them per rank; :func:`fit_eta` fits the
examination curve ``(1/r) ** eta`` of rl/ltr.py to the shares of ranks 1-10 by least squares on their logs;
:func:`position_bias_section` draws both (``position-bias.png``) and writes the markdown table.

Live searches have no swap intervention (rl/ltr.py's ``estimate_eta`` needs one), so this is the observed
click-rank distribution: it mixes position bias with relevance (a good ranking also puts what is opened at the
top), so for a ranking that puts relevant results first the fitted ``eta`` overstates how fast attention falls
with rank: it describes the clicks, not the examination model. A store with no
search verdicts gets a sentence saying so, and no plot.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from specpilot.rl.ltr import examination
from specpilot.rl.store import FeedbackStore

SEARCH_POINT = "search"
RANKS = 10
IMAGE = "position-bias.png"
NO_VERDICTS = ("No search verdicts yet: the position-bias curve needs search results opened from the editor "
               "(each one records the rank it was shown at).")


def opened_by_rank(store: FeedbackStore, point: str = SEARCH_POINT) -> dict[int, int]:
    """How many results were opened at each rank (``rank:N`` outcomes at ``point``), read through a read-only
    connection of its own (as rl/report.py's ``outcomes``)."""
    if not store.path.exists():
        return {}
    db = sqlite3.connect(f"{store.path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT o.text, COUNT(*) FROM decisions d JOIN labels p ON p.id = d.point "
            "JOIN labels o ON o.id = d.outcome WHERE p.text = ? AND o.text LIKE 'rank:%' GROUP BY o.text",
            (point,)).fetchall()
    finally:
        db.close()
    found: dict[int, int] = {}
    for kind, count in rows:
        try:
            rank = int(str(kind).split(":", 1)[1])
        except ValueError:
            continue
        if rank >= 1:
            found[rank] = found.get(rank, 0) + int(count)
    return dict(sorted(found.items()))


def shares(opened: Mapping[int, int], ranks: int = RANKS) -> dict[int, float]:
    """Each rank's share (1..``ranks``) of the results opened within the first ``ranks``."""
    total = sum(opened.get(r, 0) for r in range(1, ranks + 1))
    return {r: opened.get(r, 0) / total if total else 0.0 for r in range(1, ranks + 1)}


def fit_eta(share: Mapping[int, float]) -> float | None:
    """``eta`` of ``share(r) ~ c * (1/r) ** eta``: the least-squares slope of ``-log share`` on ``log r`` over
    the ranks with a share above 0; None with fewer than two such ranks or a curve that does not fall (``eta``
    must be positive: rl/ltr.py's ``examination``)."""
    points = [(math.log(r), math.log(s)) for r, s in share.items() if s > 0]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    eta = -sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return eta if eta > 0 else None


def fitted(eta: float, ranks: int = RANKS) -> dict[int, float]:
    """The examination curve ``(1/r) ** eta`` as shares of ranks 1..``ranks`` (normalised to sum 1)."""
    curve = {r: examination(r, eta) for r in range(1, ranks + 1)}
    total = sum(curve.values())
    return {r: v / total for r, v in curve.items()}


def plot_bias(share: Mapping[int, float], eta: float | None, opened: int, path: Path) -> Path:
    """The observed share of opened results by rank (bars) and the fitted curve, to ``path``."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), layout="constrained")
    axes = figure.subplots()
    ranks = list(share)
    axes.bar(ranks, [100 * share[r] for r in ranks], color="tab:blue", alpha=0.7,
             label=f"observed ({opened} results opened)")
    if eta is not None:
        curve = fitted(eta, len(ranks))
        axes.plot(ranks, [100 * curve[r] for r in ranks], color="tab:red", marker="o",
                  label=f"fitted (1/r)^eta, eta = {eta:.2f}")
    axes.set_title("search results opened by rank (position bias mixed with relevance)")
    axes.set_xlabel("rank of the result opened")
    axes.set_ylabel("share of results opened (%)")
    axes.set_xticks(ranks)
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def position_bias_section(store: FeedbackStore, folder: Path) -> tuple[list[str], Path | None]:
    """The report's markdown lines on position bias and its plot (None when no search result was opened)."""
    lines = ["## Position bias of search results", ""]
    opened = opened_by_rank(store)
    if not opened:
        return [*lines, NO_VERDICTS, ""], None
    share = shares(opened)
    within = sum(opened.get(r, 0) for r in share)
    beyond = sum(opened.values()) - within
    eta = fit_eta(share)
    curve = fitted(eta) if eta is not None else {}
    image = plot_bias(share, eta, within, folder / IMAGE)
    lines += [f"![search results opened by rank]({image.name})", "",
              "The share of opened search results by rank, and the examination curve (1/r)^eta fitted to it by "
              "least squares on the logs. Live searches have no swap intervention, so the observed curve mixes "
              "position bias with relevance (a good ranking also puts the result wanted first): eta describes the "
              "clicks, and overstates how fast attention alone falls with rank.", "",
              f"Fitted eta: {eta:.2f}." if eta is not None else
              "No eta fitted: opens at fewer than two ranks, or a curve that does not fall with rank.", "",
              "| rank | opened | share | fitted |", "|---:|---:|---:|---:|"]
    for rank, value in share.items():
        fit = f"{100 * curve[rank]:.1f} %" if curve else "-"
        lines.append(f"| {rank} | {opened.get(rank, 0)} | {100 * value:.1f} % | {fit} |")
    if beyond:
        lines += ["", f"{beyond} result(s) opened below rank {RANKS} are left out of the shares."]
    return [*lines, ""], image
