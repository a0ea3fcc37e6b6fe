"""A playbook (rl/playbook.py) rendered into a prompt with Jinja2, highest priority first, under a token budget.

The layout is a Jinja2 template: ``base`` lays out the sections (a fixed section's text, rendered with the
prompt's variables; a mutable section's entries as a list, each with its id so a reflector can cite it), and
each role's layout extends it (``{% extends "base" %}``). Rendering runs in Jinja2's sandbox: section text
written in a workspace cannot reach Python.

When the prompt is over its budget (``DEFAULT_BUDGET`` tokens, about four characters each), the lowest-priority
section gives way first: a mutable one loses its least useful entries one by one (the newest among equals), a
fixed one goes whole; the result never exceeds the budget.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from jinja2 import DictLoader, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from specpilot.llm.prompt_templates import estimate_tokens
from specpilot.rl.playbook import Playbook, PlaybookError, Section

DEFAULT_BUDGET = 8_000

BASE = """{%- block prompt -%}
{%- for section in sections %}
{%- block section scoped %}
## {{ section.name }}
{% if section.mutable -%}
{%- for entry in section.entries %}- {{ entry.text }} [{{ entry.id }}]
{% endfor -%}
{%- else -%}
{{ section.text }}
{% endif -%}
{%- endblock %}
{% endfor -%}
{%- endblock -%}
{%- block footer %}{% endblock -%}
"""

LAYOUTS = {
    "base": BASE,
    "planner": '{% extends "base" %}',
    "architect": '{% extends "base" %}',
    "reviewer": '{% extends "base" %}',
    # The coder's tool guidance, when the run has one, closes its prompt.
    "coder": '{% extends "base" %}{% block footer %}{% if guidance %}\n## How to explore\n{{ guidance }}\n'
             '{% endif %}{% endblock %}',
}

_ENV = SandboxedEnvironment(loader=DictLoader(LAYOUTS), keep_trailing_newline=True, autoescape=False)


def _fixed_text(section: Section, variables: Mapping[str, Any]) -> str:
    try:
        return _ENV.from_string(section.body).render(**variables).strip()
    except TemplateError as exc:
        raise PlaybookError(f"section {section.name!r}: {exc}") from None


def _layout(book: Playbook, sections: list[Section], variables: Mapping[str, Any]) -> str:
    shown = [{"name": s.name, "mutable": s.mutable, "entries": [{"id": e.id, "text": e.text} for e in s.entries],
              "text": "" if s.mutable else _fixed_text(s, variables)}
             for s in sections if s.entries or not s.mutable]
    try:
        text = _ENV.get_template(book.role).render(sections=shown, **variables)
    except TemplateError as exc:
        raise PlaybookError(f"the {book.role} layout: {exc}") from None
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.strip().splitlines()))


def render(book: Playbook, variables: Mapping[str, Any] | None = None, budget_tokens: int = DEFAULT_BUDGET) -> str:
    """The prompt of ``book`` with ``variables``, within ``budget_tokens``."""
    values = dict(variables or {})
    ordered = sorted(book.sections, key=lambda s: -s.priority)  # stable: equals keep their order
    kept = list(ordered)
    text = _layout(book, kept, values)
    while estimate_tokens(text) > budget_tokens and kept:
        index = min(range(len(kept)), key=lambda i: (kept[i].priority, -i))  # lowest priority, the last of equals
        section = kept[index]
        if section.mutable and section.entries:
            worst = min(range(len(section.entries)),
                        key=lambda i: (section.entries[i].utility, -section.entries[i].added_in, -i))
            kept[index] = replace(section, entries=section.entries[:worst] + section.entries[worst + 1:])
        else:
            del kept[index]
        text = _layout(book, kept, values)
    return text if estimate_tokens(text) <= budget_tokens else text[:max(budget_tokens, 0) * 4]
