"""``specpilot stats``: what the event log (core/events.py) says about SpecPilot's work on this machine.

:func:`summarise` reads the events and answers, as JSON-ready data: latency per LSP method and per search mode
(count, p50, p95, failures), index runs and the embedding rate, acceptance by decision point, agent runs and
tool calls, and model spend per model (tokens and the estimated cost where the price is known). :func:`write`
adds a markdown page and, with ``plots``, PNG plots (matplotlib, drawn off screen) next to it: what the VS Code
command *SpecPilot: Show Stats* opens.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specpilot.core.events import read_events


def _latency(values: Sequence[float], failures: int = 0) -> dict[str, Any]:
    array = np.asarray(values, dtype=float)
    return {"count": len(values), "p50_ms": round(float(np.percentile(array, 50)), 2) if len(values) else None,
            "p95_ms": round(float(np.percentile(array, 95)), 2) if len(values) else None, "failures": failures}


def summarise(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    requests: dict[str, list[float]] = defaultdict(list)
    request_failures: dict[str, int] = defaultdict(int)
    searches: dict[str, list[float]] = defaultdict(list)
    verdicts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # point -> [accepted, all]
    models: dict[str, dict[str, Any]] = defaultdict(lambda: {"calls": 0, "failed": 0, "input_tokens": 0,
                                                              "output_tokens": 0, "cost_usd": 0.0, "unpriced": 0})
    tools: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # tool -> [ok, all]
    index = {"runs": 0, "files": 0, "embedded": 0, "reused": 0, "seconds": 0.0}
    embedded, embed_seconds = 0, 0.0
    runs: list[int] = []
    faces: dict[str, int] = defaultdict(int)
    first = last = None
    spend_by_day: dict[str, float] = defaultdict(float)
    for event in events:
        kind, at = event.get("kind"), float(event.get("at") or 0)
        first = at if first is None else min(first, at)
        last = at if last is None else max(last, at)
        faces[str(event.get("face", "?"))] += 1
        try:
            if kind == "request":
                method, ms = str(event["method"]), float(event["ms"])
                requests[method].append(ms)
                request_failures[method] += 0 if event.get("ok", True) else 1
            elif kind == "search":
                ms = float(event["ms"])
                searches[str(event.get("mode"))].append(ms)
            elif kind == "index":
                index["runs"] += 1
                for key in ("files", "embedded", "reused", "seconds"):
                    index[key] += event.get(key) or 0
            elif kind == "embed":
                embedded += int(event["count"])
                embed_seconds += float(event["seconds"])
            elif kind == "feedback":
                counts = verdicts[str(event.get("point", ""))]
                counts[0] += 1 if event.get("accepted") else 0
                counts[1] += 1
            elif kind == "model_call":
                model = models[f"{event.get('provider', '')}:{event.get('model', '')}"]
                model["calls"] += 1
                model["failed"] += 0 if event.get("ok", True) else 1
                model["input_tokens"] += int(event.get("input_tokens") or 0)
                model["output_tokens"] += int(event.get("output_tokens") or 0)
                if event.get("cost_usd") is None:
                    model["unpriced"] += 1 if event.get("ok", True) else 0
                else:
                    model["cost_usd"] += float(event["cost_usd"])
                    spend_by_day[dt.datetime.fromtimestamp(at, dt.UTC).date().isoformat()] += float(event["cost_usd"])
            elif kind == "tool_call":
                counts = tools[str(event.get("tool", ""))]
                counts[0] += 1 if event.get("ok") else 0
                counts[1] += 1
            elif kind == "agent_run":
                runs.append(int(event.get("steps") or 0))
        except (KeyError, TypeError, ValueError):
            continue  # an event of an older or damaged shape: skipped, never fatal
    return {
        "events": sum(faces.values()), "faces": dict(faces), "first": first, "last": last,
        "requests": {m: _latency(v, request_failures[m]) for m, v in sorted(requests.items())},
        "searches": {m: _latency(v) for m, v in sorted(searches.items())},
        "index": {**index, "seconds": round(index["seconds"], 2),
                  "embed_rate": round(embedded / embed_seconds, 1) if embed_seconds else None,
                  "embedded_chunks": embedded},
        "acceptance": {p: {"accepted": a, "verdicts": n, "rate": round(a / n, 3)}
                       for p, (a, n) in sorted(verdicts.items())},
        "agent": {"runs": len(runs), "mean_steps": round(float(np.mean(runs)), 2) if runs else None,
                  "tools": {t: {"ok": ok, "calls": n} for t, (ok, n) in sorted(tools.items())}},
        "models": {m: {**v, "cost_usd": round(v["cost_usd"], 4)} for m, v in sorted(models.items())},
        "spend_usd": round(sum(v["cost_usd"] for v in models.values()), 4),
        "spend_by_day": {d: round(c, 4) for d, c in sorted(spend_by_day.items())},
    }


def load(folder: Path | None = None, since_days: float | None = None) -> dict[str, Any]:
    since = time.time() - since_days * 86400 if since_days else 0.0
    return summarise(read_events(folder, since))


def _when(at: float | None) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if at else "–"


def lines(summary: Mapping[str, Any]) -> list[str]:
    """The summary as text for a terminal."""
    out = [f"{summary['events']} events from {_when(summary['first'])} to {_when(summary['last'])} "
           f"({', '.join(f'{k} {v}' for k, v in sorted(summary['faces'].items())) or 'none'})"]
    if not summary["events"]:
        out.append("nothing recorded yet: the event log fills as the editor, the CLI and agents work "
                   "(setting observability.eventLog)")
        return out
    for title, table in (("requests", summary["requests"]), ("searches", summary["searches"])):
        if table:
            out.append(f"{title}:  count      p50 ms      p95 ms  failed")
            out += [f"  {name:<52} {row['count']:>6} {row['p50_ms']:>11} {row['p95_ms']:>11} {row['failures']:>7}"
                    for name, row in table.items()]
    idx = summary["index"]
    if idx["runs"]:
        rate = f", embedding {idx['embed_rate']} chunks/s" if idx["embed_rate"] else ""
        out.append(f"index: {idx['runs']} runs, {idx['files']} files written, {idx['embedded']} vectors computed, "
                   f"{idx['reused']} reused{rate}")
    if summary["acceptance"]:
        out.append("acceptance by decision point:")
        out += [f"  {p:<30} {row['rate']:.0%} of {row['verdicts']}" for p, row in summary["acceptance"].items()]
    agent = summary["agent"]
    if agent["runs"]:
        out.append(f"agent: {agent['runs']} runs, {agent['mean_steps']} steps on average; tool calls: " + ", ".join(
            f"{t} {row['calls']} ({row['ok']} ok)" for t, row in agent["tools"].items()))
    if summary["models"]:
        out.append(f"model spend: ${summary['spend_usd']:.4f} (estimated from list prices)")
        out += [f"  {m}: {row['calls']} calls, {row['input_tokens']} in / {row['output_tokens']} out tokens, "
                f"${row['cost_usd']:.4f}" + (f" ({row['unpriced']} without a known price)" if row["unpriced"] else "")
                for m, row in summary["models"].items()]
    return out


def write(summary: Mapping[str, Any], out: Path, *, plots: bool = True) -> dict[str, Any]:
    """``out/stats.md`` (and, with ``plots``, its PNGs); answers ``{markdown, images}``."""
    out.mkdir(parents=True, exist_ok=True)
    images = _plots(summary, out) if plots else []
    body = ["# SpecPilot stats", "", "```", *lines(summary), "```", ""]
    body += [f"![{Path(p).stem.replace('_', ' ')}]({Path(p).name})" for p in images]
    markdown = out / "stats.md"
    markdown.write_text("\n".join(body) + "\n", encoding="utf-8")
    return {"markdown": str(markdown), "images": images}


def _plots(summary: Mapping[str, Any], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images: list[str] = []

    def save(fig: Any, name: str) -> None:
        path = out / name
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        images.append(str(path))

    latency = {**{f"search:{m}": r for m, r in summary["searches"].items()}, **summary["requests"]}
    latency = {k: v for k, v in latency.items() if v["count"]}
    if latency:
        names = sorted(latency, key=lambda k: -latency[k]["count"])[:15]
        fig, ax = plt.subplots(figsize=(8, 0.4 * len(names) + 1.5))
        y = np.arange(len(names))
        ax.barh(y - 0.2, [latency[n]["p50_ms"] for n in names], 0.4, label="p50")
        ax.barh(y + 0.2, [latency[n]["p95_ms"] for n in names], 0.4, label="p95")
        ax.set_yticks(y, [n[-45:] for n in names])
        ax.set_xlabel("ms")
        ax.set_xscale("log")
        ax.legend()
        ax.set_title("Latency by method")
        save(fig, "latency_by_method.png")
    if summary["acceptance"]:
        points = list(summary["acceptance"])
        fig, ax = plt.subplots(figsize=(8, 0.4 * len(points) + 1.5))
        ax.barh(points, [summary["acceptance"][p]["rate"] for p in points])
        ax.set_xlim(0, 1)
        ax.set_xlabel("accepted share of verdicts")
        ax.set_title("Acceptance by decision point")
        save(fig, "acceptance_by_point.png")
    if summary["spend_by_day"]:
        days = list(summary["spend_by_day"])
        fig, ax = plt.subplots(figsize=(8, 3))
        ax.bar(days, [summary["spend_by_day"][d] for d in days])
        ax.set_ylabel("USD (estimated)")
        ax.set_title("Model spend by day")
        ax.tick_params(axis="x", rotation=45)
        save(fig, "spend_by_day.png")
    return images
