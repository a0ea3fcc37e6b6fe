"""The parts of a spec's review.md that the workflow composes: the verdict from what the report lists, the cited
code the reviewer model reads, and whether the README mentions the terms the requirements quote."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from specpilot.spec.documents import Requirements
from specpilot.spec.trace import Citation

__all__ = ["excerpts", "readme_mentions", "verdict"]


def verdict(gaps: Sequence[str], disagreements: Sequence[str], warnings: Sequence[object], profile: str) -> str:
    """The review's verdict, from what its report lists: the Gaps section and the README/config/code findings."""
    if gaps or disagreements:
        listed = [f"{len(gaps)} gap(s) under Gaps"] if gaps else []
        listed += [f"{len(disagreements)} README/config/code disagreement(s) under README and code"] if disagreements \
            else []
        return f"Changes needed: {' and '.join(listed)}."
    if profile != "ml":
        return "Approved: every requirement has a task, code and a test."
    if warnings:
        return (f"Approved: every requirement has a task, code and a test; the README, config files and code have "
                f"no certain disagreement ({len(warnings)} warning(s) under README and code to check).")
    return "Approved: every requirement has a task, code and a test; the README, config files and code agree."


def excerpts(root: Path, citations: Sequence[Citation], *, before: int = 3, after: int = 30,
              budget: int = 16_000) -> str:
    """The cited code and tests for the reviewer: a window of lines around each citation, per file, numbered,
    until ``budget`` characters."""
    windows: dict[str, list[tuple[int, int]]] = {}
    for citation in citations:
        windows.setdefault(citation.path, []).append((max(1, citation.line - before), citation.line + after))
    parts: list[str] = []
    used = 0
    for path, spans in sorted(windows.items()):
        try:
            lines = (root / path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        for start, end in merged:
            body = "\n".join(f"{n:5} {lines[n - 1]}" for n in range(start, min(end, len(lines)) + 1))
            part = f"--- {path} lines {start}-{min(end, len(lines))}\n{body}"
            if used + len(part) > budget:
                return "\n\n".join(parts + [f"(more cited code left out: over {budget} characters)"])
            parts.append(part)
            used += len(part)
    return "\n\n".join(parts)


def readme_mentions(root: Path, requirements: Requirements) -> str:
    """Terms the requirements quote in backticks (commands, flags, names) and whether the
    README mentions them."""
    terms = sorted({t for item in requirements.items for t in re.findall(r"`([^`]+)`", item.text)})
    readme = next((root / n for n in ("README.md", "README.rst", "README") if (root / n).is_file()), None)
    if not terms:
        return "The requirements quote no commands, flags or names to look for."
    if readme is None:
        return "The workspace has no README; not checked: " + ", ".join(f"`{t}`" for t in terms)
    text = readme.read_text(encoding="utf-8", errors="replace")
    missing = [t for t in terms if t not in text]
    if not missing:
        return f"{readme.name} mentions every quoted term: " + ", ".join(f"`{t}`" for t in terms)
    return f"{readme.name} does not mention: " + ", ".join(f"`{t}`" for t in missing)
