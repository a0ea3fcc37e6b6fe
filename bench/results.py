"""Shared helpers for benchmarks: the machine description and ``bench/RESULTS.md``.

Each benchmark owns one section of RESULTS.md, delimited by
``<!-- bench:NAME -->`` … ``<!-- /bench:NAME -->``; rewriting a section leaves the
others untouched, so benchmarks can be re-run independently.
"""

from __future__ import annotations

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# SpecPilot benchmark results\n\n"
    "Each section is written by the script named in it; re-run that script to refresh it.\n"
)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def write_section(name: str, markdown: str, path: Path = RESULTS_PATH) -> Path:
    """Replace the section ``name`` of RESULTS.md with ``markdown`` (append it if new)."""
    start, end = _markers(name)
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        # A function replacement, so backslashes in the markdown are not read as group references.
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    return path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1024 * 1024)  # value is in kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def _usable_cores() -> int:
    # The affinity mask is what this process may actually use (containers, taskset).
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _torch_version() -> str:
    try:
        import torch

        return torch.__version__
    except ImportError:
        return "not installed"


def machine_info() -> str:
    """One line: CPU model, cores, RAM, Python and torch versions, and today's date (UTC)."""
    ram = _ram_gib()
    ram_text = f"{ram:.1f} GiB RAM" if ram is not None else "RAM unknown"
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    return (f"{_cpu_model()}, {_usable_cores()} cores, {ram_text}; "
            f"Python {platform.python_version()}, torch {_torch_version()}; {date}")


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank, no interpolation): what every benchmark's p95 is."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
