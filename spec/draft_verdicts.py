"""A spec stage's draft as a decision the user answers. The prompt-variant choice that wrote a draft
(spec/authoring.py's policy) is kept in the document's front matter as ``choice``; the workflow then
reports the user's verdict to that policy: kept (reward 1) when the next stage is drafted from it, and
rejected (reward 0) when the same stage is drafted again. A draft nobody builds on expires as ignored.
A policy that does not learn (the fixed one) gives no decision id, and nothing is recorded.
"""

from __future__ import annotations

from specpilot.core.policy import Choice, Policy, choices_from_json
from specpilot.spec.frontmatter import set_fields, split_front_matter

CHOICE_FIELD = "choice"


def with_choice(text: str, choice: Choice | None) -> str:
    """``text`` with the choice that wrote it in its front matter (unchanged when the choice has no decision id)."""
    if choice is None or not choice.decision:
        return text
    return set_fields(text, {CHOICE_FIELD: choice.as_json()})


def choice_of(text: str | None) -> Choice | None:
    """The choice recorded in a draft's front matter, if any."""
    if not text:
        return None
    found = choices_from_json([split_front_matter(text).fields.get(CHOICE_FIELD)])
    return found[0] if found and found[0].decision else None


def report(policy: Policy, text: str | None, *, kept: bool) -> None:
    """Tell ``policy`` the verdict on the draft ``text``: kept (the next stage builds on it) or redone."""
    choice = choice_of(text)
    if choice is not None:
        policy.update([choice], 1.0 if kept else 0.0)
