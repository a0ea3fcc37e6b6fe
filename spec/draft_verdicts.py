"""A spec stage's draft as a decision the user answers. The prompt-variant choice that wrote a draft
(spec/authoring.py's policy) is kept in the document's front matter as ``choice``; the workflow then
reports the user's verdict to that policy: kept (reward 1) when the next stage is drafted from it, and
rejected (reward 0) when the same stage is drafted again. A draft nobody builds on expires as ignored.
A policy that does not learn (the fixed one) gives no decision id, and nothing is recorded.

The open questions a requirements draft asks are proposals of their own (:func:`report_answers`, called by
``spec clarify`` and the server's ``specpilot.spec.clarify`` alike through spec/workflow.py): each question is a
decision at the point ``prompt.planner.questions`` whose arm is the prompt variant that drafted it (id
``<draft's decision id>:<question id>``, logged with the draft's propensity and context, so the acceptance of
each variant's questions can be estimated off-policy as any other). A question answered is accepted (reward 1);
a question left unanswered expires as ignored (no reward), never a rejection. The questions have a point of
their own so that they do not count twice towards the draft's kept/redrafted verdict at ``prompt.planner``.
The decisions are recorded by the ``asked`` hook the façade hands the workflow (rl/question_verdicts.py: the
spec layer does not see the store), then answered through the policy's ``update``, the one way verdicts reach
the learning loop. Learning never fails the command: with learning off, no choice in the front matter, or a
store that fails, nothing is recorded and the answers are written as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from specpilot.core.policy import Choice, Policy, choices_from_json
from specpilot.spec.documents import parse_requirements
from specpilot.spec.frontmatter import set_fields, split_front_matter

log = logging.getLogger("specpilot.spec")

CHOICE_FIELD = "choice"
PLAYBOOK_FIELD = "playbook"  # {role, version, entries}: the playbook version whose prompt wrote the draft
PlaybookVerdict = Callable[[dict[str, Any], bool, str], None]  # (front matter playbook, kept, the draft)
QUESTIONS_POINT = "prompt.planner.questions"

# Records a draft's questions (decisions derived from the draft's choice) where a verdict can name them; the
# ones it recorded (a draft the store does not know: none). It may raise: the clarify stage carries on.
Asked = Callable[[Choice, Sequence[Choice]], Sequence[Choice]]


def with_choice(text: str, choice: Choice | None, playbook: dict[str, Any] | None = None) -> str:
    """``text`` with the choice that wrote it in its front matter (unchanged when the choice has no decision id),
    and the playbook version and entries its prompt showed when a playbook wrote it (``playbook``)."""
    if choice is None or not choice.decision:
        return text
    fields: dict[str, Any] = {CHOICE_FIELD: choice.as_json()}
    if playbook:
        fields[PLAYBOOK_FIELD] = playbook
    return set_fields(text, fields)


def choice_of(text: str | None) -> Choice | None:
    """The choice recorded in a draft's front matter, if any."""
    if not text:
        return None
    found = choices_from_json([split_front_matter(text).fields.get(CHOICE_FIELD)])
    return found[0] if found and found[0].decision else None


def report(policy: Policy, text: str | None, *, kept: bool, playbook: PlaybookVerdict | None = None) -> None:
    """Tell ``policy`` the verdict on the draft ``text``: kept (the next stage builds on it) or redone; and
    ``playbook`` (the façade's prompt evolution) when a playbook's prompt wrote the draft."""
    choice = choice_of(text)
    if choice is not None:
        policy.update([choice], 1.0 if kept else 0.0)
        front = split_front_matter(text or "")
        used = front.fields.get(PLAYBOOK_FIELD)
        if playbook is not None and isinstance(used, dict):
            try:
                playbook(used, kept, front.body)
            except Exception as exc:  # learning never fails a stage
                log.warning("the draft's verdict did not reach its playbook: %s", exc)


def question_choice(draft: Choice, question_id: str) -> Choice:
    """The decision that a draft (chosen as ``draft``) asked the question ``question_id``."""
    return Choice(QUESTIONS_POINT, draft.option, draft.propensity, f"{draft.decision}:{question_id}")


def report_answers(policy: Policy, asked: Asked | None, before: str, after: str) -> int:
    """Tell ``policy`` that the questions answered between requirements.md ``before`` and ``after`` were accepted,
    once the draft's questions are recorded by ``asked``; how many verdicts were given. A question answered before
    is not answered again; nothing here raises (learning never fails the clarify stage)."""
    draft = choice_of(before)
    if asked is None or draft is None:
        return 0
    try:
        questions = parse_requirements(before)[0].questions
        new = ({q.id for q in parse_requirements(after)[0].questions if (q.answer or "").strip()}
               - {q.id for q in questions if (q.answer or "").strip()})
        recorded = asked(draft, [question_choice(draft, q.id) for q in questions])
        accepted = [c for c in recorded if c.decision.rsplit(":", 1)[-1] in new]
        if accepted:
            policy.update(accepted, 1.0)
        return len(accepted)
    except Exception as exc:  # noqa: BLE001 - a learning failure is logged; the answers are written all the same
        log.info("learning: the answers to %s's questions were not recorded: %s", draft.decision, exc)
        return 0

