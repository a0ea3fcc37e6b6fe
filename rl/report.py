"""``specpilot learn report``: what the user's own decisions say, as PNG plots and a markdown summary.

:func:`write_report` reads the feedback store (rl/store.py) and writes, into a folder (by default
``user_cache_dir()/learning/report``):

- ``acceptance-<point>.png`` per decision point: each arm's acceptance over time (its rewarded decisions
  in equal-count bins, oldest first) above each arm's share of the decisions, with the promotions and
  rollbacks marked;
- ``position-bias.png``: the share of opened search results by rank with the fitted examination curve
  (rl/report_bias.py; a sentence instead when no search result was opened yet);
- ``report.md``: the settings, per point the arms with pulls, acceptance and a 95 % interval (rl/status.py),
  the current default and the leader, every promotion and rollback with its evidence, links to the plots,
  and the latest simulation (``simulation.png``, written by :func:`write_simulation` when
  ``specpilot learn simulate`` ran) if there is one.

matplotlib is imported inside the functions that draw (server start-up time), and only its object API is
used (no pyplot), so drawing is safe in a server's worker thread.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specpilot.core.config import LearningSettings
from specpilot.core.paths import user_cache_dir
from specpilot.rl.report_bias import position_bias_section
from specpilot.rl.status import learning_status
from specpilot.rl.store import FeedbackStore, Promotion

if TYPE_CHECKING:
    from specpilot.rl.benchmark import Row

SIMULATION_IMAGE = "simulation.png"
SIMULATION_TABLE = "simulation.json"
BINS = 10


def default_report_dir() -> Path:
    """Where reports go unless told otherwise: ``user_cache_dir()/learning/report``."""
    return user_cache_dir() / "learning" / "report"


@dataclass(frozen=True)
class Report:
    markdown: Path
    images: list[Path] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"markdown": str(self.markdown), "images": [str(p) for p in self.images]}


@dataclass(frozen=True)
class Outcome:
    at: float  # seconds since the epoch, when the decision was made
    arm: str
    reward: float


def outcomes(store: FeedbackStore) -> dict[str, list[Outcome]]:
    """Every rewarded decision per point, oldest first (read through a read-only connection of its own)."""
    if not store.path.exists():
        return {}
    db = sqlite3.connect(f"{store.path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT p.text, a.text, d.created_at, d.reward FROM decisions d JOIN labels p ON p.id = d.point "
            "JOIN labels a ON a.id = d.arm WHERE d.reward IS NOT NULL ORDER BY d.created_at, d.id").fetchall()
    finally:
        db.close()
    found: dict[str, list[Outcome]] = defaultdict(list)
    for point, arm, created, reward in rows:
        found[point].append(Outcome(created / 1000, arm, float(reward)))
    return dict(found)


@dataclass(frozen=True)
class ArmSeries:
    """Per bin (equal counts of decisions, oldest first): the bin's first and last time, and per arm its
    pulls and acceptance (NaN where the arm was not chosen in the bin)."""

    starts: list[float]
    ends: list[float]
    pulls: dict[str, list[int]]
    acceptance: dict[str, list[float]]


def by_arm(events: Sequence[Outcome], bins: int = BINS) -> ArmSeries:
    """``events`` in up to ``bins`` equal-count bins, with each arm's pulls and acceptance per bin."""
    arms = list(dict.fromkeys(e.arm for e in events))
    count = max(1, min(bins, len(events)))
    edges = [round(i * len(events) / count) for i in range(count + 1)]
    series = ArmSeries([], [], {a: [] for a in arms}, {a: [] for a in arms})
    for lo, hi in zip(edges, edges[1:], strict=False):
        part = events[lo:hi]
        if not part:
            continue
        series.starts.append(part[0].at)
        series.ends.append(part[-1].at)
        for arm in arms:
            mine = [e.reward for e in part if e.arm == arm]
            series.pulls[arm].append(len(mine))
            series.acceptance[arm].append(sum(mine) / len(mine) if mine else math.nan)
    return series


def plot_series(series: ArmSeries, title: str, path: Path, marks: Sequence[Promotion] = (),
                xlabel: str = "decisions (equal-count bins, oldest first)") -> Path:
    """Acceptance by arm over the bins (top) and each arm's share of the decisions (bottom), to ``path``."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5.5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    x = list(range(1, len(series.starts) + 1))
    for arm, values in series.acceptance.items():
        top.plot(x, [100 * v for v in values], marker="o", label=arm)
        total = [sum(p[i] for p in series.pulls.values()) for i in range(len(x))]
        bottom.plot(x, [100 * p / t if t else 0.0 for p, t in zip(series.pulls[arm], total, strict=True)],
                    marker=".", label=arm)
    for mark in marks:  # the first bin that ends at or after the promotion
        where = next((i + 1 for i, end in enumerate(series.ends) if end >= mark.at), len(x))
        top.axvline(where, color="green" if mark.kind == "promote" else "red", linestyle="--", alpha=0.6)
        top.annotate(f"{mark.kind} {mark.arm}", (where, 0.0), xytext=(3, 3), textcoords="offset points",
                     fontsize=7, rotation=90, va="bottom")
    top.set_title(title)
    top.set_ylabel("acceptance (%)")
    top.set_ylim(bottom=0)
    top.legend(fontsize=8, loc="upper left")
    top.grid(alpha=0.3)
    bottom.set_ylabel("share of decisions (%)")
    bottom.set_xlabel(xlabel)
    bottom.set_ylim(0, 100)
    bottom.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def plot_regret(curves: Sequence[tuple[str, Sequence[float]]], title: str, path: Path) -> Path:
    """Cumulative regret curves, one per bandit, to ``path``."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), layout="constrained")
    axes = figure.subplots()
    for name, curve in curves:
        axes.plot(range(1, len(curve) + 1), list(curve), label=name)
    axes.set_title(title)
    axes.set_xlabel("round")
    axes.set_ylabel("cumulative regret (accepts lost to the best arm)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def write_simulation(rows: Sequence[Row], folder: Path | None = None, title: str = "") -> list[Path]:
    """Keep a simulation's result for the next report: its regret curves (``simulation.png``) and its
    table (``simulation.json``) in ``folder`` (default :func:`default_report_dir`)."""
    folder = folder or default_report_dir()
    folder.mkdir(parents=True, exist_ok=True)
    rounds = len(rows[0].curve) if rows else 0
    image = plot_regret([(row.label, row.curve.tolist()) for row in rows],
                        title or f"simulated users: cumulative regret over {rounds} rounds", folder / SIMULATION_IMAGE)
    table = folder / SIMULATION_TABLE
    table.write_text(json.dumps({"title": title, "rounds": rounds, "rows": [row.as_json() for row in rows]},
                                indent=2), encoding="utf-8")
    return [image, table]


def _file_name(point: str) -> str:
    return "acceptance-" + (re.sub(r"[^A-Za-z0-9_.-]+", "_", point) or "point") + ".png"


def _evidence_lines(promotion: Promotion) -> list[str]:
    estimates = promotion.evidence.get("estimates", {}) if isinstance(promotion.evidence, dict) else {}
    lines = []
    for arm, found in sorted(estimates.items()):
        try:
            lines.append(f"  - {arm}: {100 * found['value']:.1f}% [{100 * found['low']:.1f}, "
                         f"{100 * found['high']:.1f}] from {found['n']} decisions ({found['method']})")
        except (KeyError, TypeError):
            lines.append(f"  - {arm}: {json.dumps(found)}")
    if not lines and promotion.evidence:
        lines.append(f"  - evidence: `{json.dumps(promotion.evidence, sort_keys=True)}`")
    return lines


def write_report(store: FeedbackStore, folder: Path | None = None,
                 settings: LearningSettings | None = None) -> Report:
    """The report of ``store`` in ``folder`` (default :func:`default_report_dir`): a PNG per decision point
    with rewarded decisions, and ``report.md`` linking them (see the module's doc)."""
    folder = folder or default_report_dir()
    folder.mkdir(parents=True, exist_ok=True)
    settings = settings or LearningSettings()
    status = learning_status(store, settings, active=settings.enabled)
    history = outcomes(store)
    lines = ["# SpecPilot learning report", "",
             f"Bandit `{settings.bandit}`, exploration floor {settings.floor:g}; learning "
             f"{'on' if settings.enabled else 'off'}. Store: `{store.path}`.", ""]
    images: list[Path] = []
    if not status["points"]:
        lines += ["No decisions recorded yet: accept or reject a few proposals first.", ""]
    for entry in status["points"]:
        point = entry["point"]
        lines += [f"## {point}", "", f"Default: {entry['default'] or 'built-in'}; leader (highest lower bound): "
                  f"{entry['leader'] or '-'}.", "",
                  "| arm | pulls | rewarded | acceptance | 95 % interval |", "|---|---:|---:|---:|---|"]
        for arm in entry["arms"]:
            accepted = "-" if arm["acceptance"] is None else f"{100 * arm['acceptance']:.1f} %"
            lines.append(f"| {arm['arm']} | {arm['pulls']} | {arm['rewarded']} | {accepted} | "
                         f"[{100 * arm['low']:.1f}, {100 * arm['high']:.1f}] |")
        lines.append("")
        events = history.get(point, [])
        marks = store.promotions(point)
        if events:
            image = plot_series(by_arm(events), f"{point}: acceptance by arm over time", folder / _file_name(point),
                                marks)
            images.append(image)
            first, last = _day(events[0].at), _day(events[-1].at)
            lines += [f"![acceptance by arm at {point}]({image.name})", "",
                      f"{len(events)} rewarded decisions from {first} to {last}, in {len(by_arm(events).starts)} "
                      "bins of equal count.", ""]
        for mark in marks:
            lines.append(f"- {_day(mark.at)}: **{mark.kind}** {mark.arm} (was {mark.previous or 'built-in'})")
            lines += _evidence_lines(mark)
        if marks:
            lines.append("")
    bias, bias_image = position_bias_section(store, folder)
    lines += bias
    images += [bias_image] if bias_image is not None else []
    simulation = folder / SIMULATION_IMAGE
    if simulation.exists():
        images.append(simulation)
        lines += ["## The latest simulation", "", f"![cumulative regret]({simulation.name})", ""]
        lines += _simulation_table(folder / SIMULATION_TABLE)
    markdown = folder / "report.md"
    markdown.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return Report(markdown, images)


def _simulation_table(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = [(r["bandit"], float(r["regret"]), float(r["ratio"]), float(r["acceptance"])) for r in data["rows"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    lines = [f"{data.get('title') or 'simulated users'} ({data.get('rounds')} rounds)", "",
             "| bandit | cumulative regret | vs uniform | acceptance |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {regret:.1f} | {100 * ratio:.0f} % | {100 * accepted:.1f} % |"
              for name, regret, ratio, accepted in rows]
    return [*lines, ""]


def _day(at: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))

