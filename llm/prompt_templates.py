"""Versioned prompt templates made of sections, read from Markdown files, in variants.

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

A template may come in variants, alternatives a policy chooses between
(core/policy.py; the decision point of a template is ``prompt.<role>``, see
:func:`prompt_point`). ``<name>.md`` is the variant ``default``;
``<name>@<variant>.md`` (front matter ``variant: <variant>``) is another, with
its own version. A variant keeps its role's format contract (the parsers of the
answer do not know which variant asked). A workspace copy of a variant wins over
the built-in one of the same name and variant.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

from specpilot.core.errors import SpecPilotError
from specpilot.core.policy import PROMPT

BUILTIN_DIR = Path(__file__).resolve().parent / "prompts"
_HEADER = re.compile(r"^##\s+(?P<title>[^{\n]+?)\s*(?:\{(?P<attrs>[^}]*)\})?\s*$")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_VARIANT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
DEFAULT_VARIANT = "default"
# The role each template serves: its policy decision point is prompt.<role> (prompt_point).
ROLES = {"spec.planner": "planner", "spec.architect": "architect", "spec.reviewer": "reviewer",
         "agent.system": "coder", "agent.critic": "critic", "ask.system": "ask"}


class PromptError(SpecPilotError, ValueError):
    """A template file that cannot be read; the message names the file and line."""


def as_data(source: str, content: str) -> str:
    """Content the model must treat as data: delimited, with any closing tag inside defused."""
    safe = content.replace("</data>", "</data\u200b>")
    return f'<data source="{source}">\n{safe}\n</data>'


def prompt_point(name: str) -> str:
    """The policy's decision point for the variant of template ``name`` (``agent.system`` -> ``prompt.coder``)."""
    return f"{PROMPT}.{ROLES.get(name, name)}"


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
    variant: str = DEFAULT_VARIANT

    def placeholders(self) -> set[str]:
        """The ``{name}`` variables the sections use."""
        return {m.group(1) for s in self.sections for m in _PLACEHOLDER.finditer(s.body)}

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
    stem_name, _, stem_variant = Path(source).stem.partition("@")
    variant = meta.get("variant", stem_variant or DEFAULT_VARIANT)
    if not _VARIANT_ID.fullmatch(variant):
        raise PromptError(f"{source}: variant {variant!r} must be lower-case letters, digits and '-' "
                          "(at most 40, starting with a letter or digit)")
    return PromptTemplate(meta.get("name", stem_name), version, tuple(sections), source, variant)


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
    """Templates by name and variant: the workspace's evolved copies first, then the built-in ones."""

    def __init__(self, workspace_dir: Path | None = None) -> None:
        self.dirs = [d for d in (workspace_dir, BUILTIN_DIR) if d is not None]

    def get(self, name: str) -> PromptTemplate:
        """The default variant of ``name``."""
        return self.load(name)

    def load(self, name: str, variant: str = DEFAULT_VARIANT) -> PromptTemplate:
        if not _VARIANT_ID.fullmatch(variant):
            raise PromptError(f"prompt template {name!r}: {variant!r} is not a variant id")
        for folder in self.dirs:
            path = folder / _file_name(name, variant)
            if path.is_file():
                return _read(path, name, variant)
        which = "" if variant == DEFAULT_VARIANT else f" variant {variant!r}"
        raise PromptError(f"no prompt template {name!r}{which} (looked in {', '.join(map(str, self.dirs))})")

    def variants(self, name: str) -> tuple[str, ...]:
        """The variant ids of ``name`` in every folder, ``default`` first, then by id. Each file is read, so a
        malformed one is a PromptError naming it now, whichever variant a policy would have chosen."""
        found: dict[str, Path] = {}
        for folder in self.dirs:  # the workspace first: its copy of a variant wins
            for path in sorted(folder.glob(f"{glob.escape(name)}*.md")):
                stem = path.name[:-len(".md")]
                if stem == name:
                    found.setdefault(DEFAULT_VARIANT, path)
                elif stem.startswith(f"{name}@"):
                    found.setdefault(stem[len(name) + 1:], path)
        if not found:
            raise PromptError(f"no prompt template {name!r} (looked in {', '.join(map(str, self.dirs))})")
        for variant, path in found.items():
            _read(path, name, variant)
        return tuple(sorted(found, key=lambda v: (v != DEFAULT_VARIANT, v)))


def _file_name(name: str, variant: str) -> str:
    return f"{name}.md" if variant == DEFAULT_VARIANT else f"{name}@{variant}.md"


def _read(path: Path, name: str, variant: str) -> PromptTemplate:
    """The template in ``path``, which the library found as ``name``'s ``variant``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(f"{path}: cannot be read ({exc})") from None
    template = parse_template(text, str(path))
    if template.variant != variant:
        raise PromptError(f"{path}: the front matter says variant {template.variant!r}, the file name {variant!r}")
    if variant != DEFAULT_VARIANT and template.name != name:
        raise PromptError(f"{path}: the front matter names the template {template.name!r}, the file name {name!r}")
    return template
