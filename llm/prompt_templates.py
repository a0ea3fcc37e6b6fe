"""Versioned prompt templates made of sections, read from Markdown files.

A template file (``llm/prompts/<name>.md``, or an evolved copy in the
workspace's ``.specpilot/prompts/``, which wins) looks like::

    ---
    name: agent.system
    version: 3
    ---
    ## role {priority=10}
    You are SpecPilot, ...

    ## style {priority=4, mutable}
    Prefer small edits ...

A ``##`` line inside a fenced block (```` ``` ````) is text of the section it is
in, so a section can show a document's own headings. Each ``##`` section has a
priority (higher is kept longer when the prompt must shrink to fit its token
budget) and may be marked ``mutable``: the learning issue's prompt evolver edits
only mutable sections. ``{name}`` placeholders are
filled from the variables given to ``render``; unknown placeholders stay as
written, so a template can show braces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from specpilot.core.errors import SpecPilotError

BUILTIN_DIR = Path(__file__).resolve().parent / "prompts"
_HEADER = re.compile(r"^##\s+(?P<title>[^{\n]+?)\s*(?:\{(?P<attrs>[^}]*)\})?\s*$")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class PromptError(SpecPilotError, ValueError):
    """A template file that cannot be read; the message names the file and line."""


def as_data(source: str, content: str) -> str:
    """Content the model must treat as data: delimited, with any closing tag inside defused."""
    safe = content.replace("</data>", "</data\u200b>")
    return f'<data source="{source}">\n{safe}\n</data>'


def estimate_tokens(text: str) -> int:
    """A model-independent estimate (about four characters a token for English and code)."""
    return (len(text) + 3) // 4


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    body: str
    priority: int = 5
    mutable: bool = False


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    name: str
    version: int
    sections: tuple[Section, ...]
    source: str  # the file it came from

    def render(self, variables: dict[str, str] | None = None, budget_tokens: int | None = None) -> str:
        """The prompt text; with a budget, the lowest-priority sections are dropped (the
        last written first among equals) until it fits."""
        values = variables or {}
        rendered = [(s, _fill(s.body, values)) for s in self.sections]
        kept = list(rendered)
        if budget_tokens is not None:
            order = sorted(range(len(kept)), key=lambda i: (kept[i][0].priority, -i))
            dropped: set[int] = set()
            for index in order:
                if _tokens(kept, dropped) <= budget_tokens:
                    break
                dropped.add(index)
            kept = [item for i, item in enumerate(kept) if i not in dropped]
        return "\n\n".join(text.strip() for _, text in kept if text.strip())


def _tokens(items: list[tuple[Section, str]], dropped: set[int]) -> int:
    return sum(estimate_tokens(text) for i, (_, text) in enumerate(items) if i not in dropped)


def _fill(body: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def parse_template(text: str, source: str) -> PromptTemplate:
    lines = text.splitlines()
    meta: dict[str, str] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        for number, line in enumerate(lines[1:], start=2):
            if line.strip() == "---":
                start = number
                break
            key, sep, value = line.partition(":")
            if not sep:
                raise PromptError(f"{source}:{number}: front matter lines are 'key: value'")
            meta[key.strip()] = value.strip()
        else:
            raise PromptError(f"{source}: the front matter is not closed with ---")
    sections: list[Section] = []
    title, attrs, body = None, "", []  # type: ignore[var-annotated]
    fenced = False
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        header = None if fenced else _HEADER.match(line)
        if header is None:
            if title is None and line.strip():
                raise PromptError(f"{source}:{number}: text before the first '## section' header")
            body.append(line)
            continue
        if title is not None:
            sections.append(_section(title, attrs, body, source))
        title, attrs, body = header.group("title"), header.group("attrs") or "", []
    if title is not None:
        sections.append(_section(title, attrs, body, source))
    if not sections:
        raise PromptError(f"{source}: no '## section' in the template")
    try:
        version = int(meta.get("version", "1"))
    except ValueError:
        raise PromptError(f"{source}: version must be a whole number") from None
    return PromptTemplate(meta.get("name", Path(source).stem), version, tuple(sections), source)


def _section(title: str, attrs: str, body: list[str], source: str) -> Section:
    priority, mutable = 5, False
    for item in (a.strip() for a in attrs.split(",") if a.strip()):
        if item == "mutable":
            mutable = True
        elif item.startswith("priority="):
            try:
                priority = int(item.split("=", 1)[1])
            except ValueError:
                raise PromptError(f"{source}: section {title!r}: priority must be a whole number") from None
        else:
            raise PromptError(f"{source}: section {title!r}: unknown attribute {item!r}")
    return Section(title.strip(), "\n".join(body).strip("\n"), priority, mutable)


class PromptLibrary:
    """Templates by name: the workspace's evolved copies first, then the built-in ones."""

    def __init__(self, workspace_dir: Path | None = None) -> None:
        self.dirs = [d for d in (workspace_dir, BUILTIN_DIR) if d is not None]

    def get(self, name: str) -> PromptTemplate:
        for folder in self.dirs:
            path = folder / f"{name}.md"
            if path.is_file():
                return parse_template(path.read_text(encoding="utf-8"), str(path))
        raise PromptError(f"no prompt template {name!r} (looked in {', '.join(map(str, self.dirs))})")
