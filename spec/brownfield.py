"""Specs for code that already exists (``specpilot spec from-code PATH``): requirements.md and design.md drafted
from what the code under PATH does today, so an existing project can adopt specs.

Python files are read with the standard library's :mod:`ast` (nothing is imported or run). Each public module
and each public class becomes a user story; each public function, method and argparse option becomes an
acceptance criterion in EARS form describing the observed behaviour (``WHEN `f(a, b)` is called THE SYSTEM
SHALL <docstring summary>``), and each exception a function raises explicitly becomes an ``IF ... THE SYSTEM
SHALL raise ...`` criterion. Every item is scored with :mod:`specpilot.spec.clarity`; an undocumented item scores
at most 0.3 and gets a clarifying question asking what it should do. IDs follow the files in path order and the
code in source order, so the same code always gives the same IDs.

design.md lists the affected code as real paths with symbols and lines, the data flow between the modules
(internal imports and the calls across them), and two candidates: A "as built" (chosen) and B, which needs a
model. Files that are not Python are listed under affected code only; Python files that do not parse are listed
with the reason, and named under risks.
"""

from __future__ import annotations

from dataclasses import dataclass

from specpilot.spec import clarity, ears
from specpilot.spec.code_survey import (
    UNDOCUMENTED_SCORE,
    BrownfieldError,
    CodeSymbol,
    ModuleSurvey,
    Survey,
    survey,
)
from specpilot.spec.frontmatter import dump_front_matter

__all__ = ["BrownfieldError", "CodeSymbol", "ModuleSurvey", "Survey", "UNDOCUMENTED_SCORE", "draft_from_code",
           "survey"]


# --- requirements.md ----------------------------------------------------------------------------------------


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


# Verbs a docstring opens with in the imperative ("Return the sum."); a present-tense one ("Returns the sum.")
# is recognised by its ending (ears.base_verb).
_VERBS = clarity.IMPERATIVE_VERBS | {
    "return", "get", "set", "compute", "calculate", "read", "encode", "decode", "serialize", "deserialize", "scan",
    "format", "open", "close", "find", "search", "register", "call", "run", "apply", "yield", "raise", "construct",
    "initialize", "initialise", "load", "dump", "save", "copy", "join", "quote", "unquote", "escape", "wrap",
    "process", "emit", "flush", "iterate", "append", "extend", "insert", "clear", "reset", "start", "stop", "wait",
    "accept", "connect", "bind", "prepare", "render", "fold", "attach", "detach", "walk", "normalize", "verify",
    "decide", "determine", "print", "translate", "map", "look", "try", "feed", "push", "pop", "put", "serve",
    "match", "mark", "sort", "strip", "take", "turn", "give", "receive", "respond", "test", "tell",
    "produce", "extract", "collect", "count", "compare", "hash", "sign", "unsign", "finish", "end",
    "begin", "flatten", "assemble", "split", "consume", "skip", "add", "do", "be", "have", "pretty-print",
    "disable", "separate", "suppress", "include", "exclude", "ignore", "indent", "limit", "override", "force", "keep",
    "select", "specify", "list", "listen", "dispatch", "parse", "fetch", "send", "post", "attempt",
}
# A plural noun, not a verb, when the next word is one of these ("Options for the parser").
_NOT_AFTER_VERB = {"of", "for", "are", "were", "and", "that", "which", "in", "to", "is", "was"}


def _behaviour(summary: str) -> str | None:
    """A docstring summary as the part after SHALL when it opens with a verb: ``Returns the sum.`` ->
    ``return the sum``; None when it does not ("This reflects ...", "Constructor for ..."), so that the caller
    quotes it instead of cutting a word into a verb."""
    text = summary.rstrip(".!").strip()
    first, _, rest = text.partition(" ")
    second = rest.split(" ", 1)[0].lower()
    if not rest:
        return None
    if first.lower() in _VERBS:
        return _lower_first(text)
    base = ears.base_verb(first)
    if base is not None and second not in _NOT_AFTER_VERB:
        return _lower_first(f"{base} {rest}")
    return None


def _response(summary: str, *, attribute: bool = False) -> str:
    """The response after SHALL for a documented item: its summary as a verb phrase, ``return <noun phrase>``
    for an attribute, else the summary quoted whole."""
    behaviour = _behaviour(summary)
    if behaviour is not None:
        return behaviour
    text = summary.rstrip(".!").strip()
    first = text.split(" ", 1)[0].lower()
    if attribute and first in {"the", "a", "an", "whether", "true", "how", "which", "what", "number", "list",
                               "name", "path", "size", "length"}:
        return f"return {_lower_first(text)}"
    return f"behave as its docstring says: \"{text}\""


@dataclass(slots=True)
class _Item:
    id: str
    text: str
    score: clarity.Clarity
    question: str | None = None  # a question of our own (undocumented items)


def _scored(item_id: str, text: str, documented: bool, question: str | None = None) -> _Item:
    found = clarity.score(text)
    if not documented:
        found = clarity.Clarity(min(found.score, UNDOCUMENTED_SCORE), found.vague, [*found.missing, "docstring"],
                                found.questions)
    return _Item(item_id, text, found, question if not documented else None)


def _criteria(module: ModuleSurvey, symbols: list[CodeSymbol], story: str) -> list[_Item]:
    items: list[_Item] = []

    def add(text: str, documented: bool, question: str | None = None) -> None:
        items.append(_scored(f"{story}.{len(items) + 1}", text, documented, question))

    for symbol in symbols:
        call = f"`{symbol.signature}`"
        attribute = symbol.kind == "property"
        event = "the attribute " + call + " is read" if attribute else f"{call} is called"
        if symbol.summary:
            add(f"WHEN {event} THE SYSTEM SHALL {_response(symbol.summary, attribute=attribute)}.", True)
        else:
            add(f"WHEN {event} THE SYSTEM SHALL do what the code at `{module.path}` line {symbol.line} "
                "does (it has no docstring).", False,
                f"What should {call} in `{module.path}` do? It has no docstring: name its result, its side effects "
                "and its errors.")
        for exception, message in symbol.raises:
            said = f" with the message \"{message}\"" if message else ""
            add(f"IF {call} rejects its input or state THE SYSTEM SHALL raise `{exception}`{said}.", True)
    return items


def _option_criteria(module: ModuleSurvey, story: str, start: int) -> list[_Item]:
    items = []
    for n, option in enumerate(module.options, start):
        positional = not option.flags.startswith("-")
        trigger = (f"WHEN the user runs `{module.path}` with the argument `{option.flags}`" if positional
                   else f"WHEN the user passes `{option.flags}` to `{module.path}`")
        if option.help:
            behaviour = _behaviour(option.help)
            response = f"use it to {behaviour}" if behaviour is not None else \
                f"treat it as its help text says: \"{option.help.strip().rstrip('.')}\""
            items.append(_scored(f"{story}.{n}", f"{trigger} THE SYSTEM SHALL {response}.", True))
        else:
            items.append(_scored(f"{story}.{n}", f"{trigger} THE SYSTEM SHALL act on it (the option has no help "
                                 "text).", False, f"What does `{option.flags}` of `{module.path}` do? It has no "
                                 "help text."))
    return items


def _story(story_id: str, user: str, summary: str | None, kind: str, benefits: tuple[str, str], question: str) -> _Item:
    """The user story of a module or class (``user``): what its docstring's ``summary`` says, else a placeholder
    that scores low and asks ``question``. ``benefits``: the "so that I can ..." of each case."""
    if summary:
        return _scored(story_id, f"As a developer using {user}, I want it to work as documented "
                       f"(\"{summary.rstrip('.')}\"), so that I can {benefits[0]}.", True)
    return _scored(story_id, f"As a developer using {user}, I want what the {kind} provides, "
                   f"so that I can {benefits[1]}.", False, question)


def _stories(found: Survey) -> list[tuple[_Item, list[_Item]]]:
    stories: list[tuple[_Item, list[_Item]]] = []
    for module in found.modules:
        functions = [s for s in module.symbols if s.kind == "function"]
        story_id = f"R{len(stories) + 1}"
        story = _story(story_id, f"`{module.path}`", module.summary, "module",
                       ("rely on what the module does today", "rely on it"),
                       f"What is `{module.path}` for? It has no module docstring.")
        criteria = _criteria(module, functions, story_id)
        criteria += _option_criteria(module, story_id, len(criteria) + 1)
        stories.append((story, criteria))
        for cls in (s for s in module.symbols if s.kind == "class"):
            story_id = f"R{len(stories) + 1}"
            methods = [s for s in module.symbols
                       if s.kind in ("method", "property") and s.name.startswith(f"{cls.name}.")]
            story = _story(story_id, f"`{cls.name}` from `{module.path}`", cls.summary, "class",
                           ("build on it", "build on it"),
                           f"What is `{cls.name}` in `{module.path}` for? It has no docstring.")
            stories.append((story, _criteria(module, methods, story_id)))
    return stories


def _requirements(found: Survey, title: str, spec: str) -> str:
    stories = _stories(found)
    top = sum(1 for m in found.modules for s in m.symbols if s.kind in ("function", "class"))
    members = sum(1 for m in found.modules for s in m.symbols) - top
    constraint = _scored("C1", f"THE SYSTEM SHALL keep the {top + members} public names listed under affected code "
                         f"in design.md ({top} functions and classes, {members} methods and attributes) importable "
                         "from the same modules with the same parameters.", True)
    lines = [f"# {title}", "", "## Goals",
             f"- Describe the code under `{found.target}` as it is built today, so that changes to it can be "
             "specified against it.", "", "## User stories"]
    questions: list[tuple[str, str]] = []
    everything: list[_Item] = []
    for story, criteria in stories:
        lines.append(f"### {story.id} {story.text} {story.score.comment()}")
        lines += [f"- {c.id} {c.text} {c.score.comment()}" for c in criteria]
        everything += [story, *criteria]
    lines += ["", "## Constraints", f"- {constraint.id} {constraint.text} {constraint.score.comment()}"]
    everything.append(constraint)
    for item in everything:
        if item.question:
            questions.append((item.id, item.question))
        elif item.score.score < clarity.CLEAR_THRESHOLD:
            questions += [(item.id, q) for q in item.score.questions[:2]]
    lines += ["", "## Clarifying questions"]
    lines += [f"- Q{n} ({item_id}) {text}" for n, (item_id, text) in enumerate(questions, 1)]
    if not questions:
        lines.append("(none: every item is documented and scores 0.6 or more)")
    front = {"spec": spec, "title": title, "stage": "requirements", "status": "draft", "profile": "default",
             "source": f"from-code {found.target}"}
    return dump_front_matter(front) + "\n".join(lines) + "\n"


# --- design.md ----------------------------------------------------------------------------------------------


def _data_flow(found: Survey) -> list[str]:
    by_dotted = {m.dotted: m for m in found.modules}

    def internal(name: str) -> ModuleSurvey | None:
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            if ".".join(parts[:end]) in by_dotted:
                return by_dotted[".".join(parts[:end])]
        return None

    lines = []
    for module in found.modules:
        for imported, names in sorted(module.imports.items()):
            target = internal(imported) or next((internal(f"{imported}.{n}") for n in names
                                                 if internal(f"{imported}.{n}")), None)
            if target is None or target is module:
                continue
            what = f" ({', '.join(f'`{n}`' for n in names)})" if names else ""
            lines.append(f"- `{module.path}` imports `{target.path}`{what}.")
        for caller, callee in sorted(module.calls):
            target = internal(callee)
            if target is not None and target is not module:
                lines.append(f"- `{module.path}` `{caller}` calls `{callee}` in `{target.path}`.")
    if not lines:
        lines.append(f"- The modules under `{found.target}` do not import one another; each is used on its own "
                     "by its callers.")
    return lines


def _design(found: Survey, title: str, spec: str, requirement_ids: list[str], undocumented: list[str]) -> str:
    affected: list[str] = []
    for module in found.modules:
        affected.append(f"- `{module.path}` `{module.dotted or module.path}` (line 1)")
        affected += [f"- `{module.path}` `{s.name}` (line {s.line})" for s in module.symbols]
    # The summary counts what the body lists: a module row, then a row per public symbol.
    module_rows = len(found.modules)
    symbols = len(affected) - module_rows
    lines_of_code = sum(m.lines for m in found.modules)
    need = "needs a model: "
    rows = [
        ("approach", f"the current code: {module_rows} Python module(s), {symbols} public symbol(s)",
         f"{need}propose an alternative"),
        ("complexity", f"{lines_of_code} lines of Python", f"{need}compare"),
        ("risk", "low: it is the code that runs today", f"{need}compare"),
        ("fit with the existing code", "it is the existing code", f"{need}compare"),
    ]
    out = [f"# Design: {title}", "", "## Candidates", "| | A: as built | B: needs a model: an alternative |",
           "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows), "", "## Choice",
           "A: as built, because it is the code that runs today; a model drafts B when a change is planned.", "",
           "## Affected code", *affected]
    out += [f"- `{path}` (not Python: listed only)" for path in found.other_files]
    out += [f"- `{path}` (does not parse: {why})" for path, why in found.unparsed]
    out += ["", "## Data flow", *_data_flow(found), "", "## Risks"]
    if undocumented:
        out.append(f"- Undocumented behaviour ({', '.join(undocumented)}): the requirements say only that the code "
                   "does what it does until the clarifying questions are answered.")
    out += [f"- `{path}` does not parse ({why}); it is not described." for path, why in found.unparsed]
    out.append(f"- Changing a public name or parameter breaks callers of {', '.join(requirement_ids[:6])}"
               f"{' and others' if len(requirement_ids) > 6 else ''} (constraint C1).")
    front = {"spec": spec, "stage": "design", "source": f"from-code {found.target}"}
    return dump_front_matter(front) + "\n".join(out) + "\n"


def draft_from_code(found: Survey, *, title: str, spec: str) -> tuple[str, str]:
    """(requirements.md, design.md) describing the surveyed code (see the module docstring)."""
    requirements = _requirements(found, title, spec)
    stories = _stories(found)
    ids = [story.id for story, _ in stories]
    undocumented = [item.id for story, criteria in stories for item in (story, *criteria) if item.question]
    return requirements, _design(found, title, spec, ids, undocumented)
