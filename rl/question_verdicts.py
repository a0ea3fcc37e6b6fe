"""The learning store's side of clarify answers (spec/draft_verdicts.py's ``report_answers``): the questions a
requirements draft asks are recorded as decisions at ``prompt.planner.questions``, one per question, so that
answering one (``spec clarify``, the server's ``specpilot.spec.clarify``) is a verdict the policy's ``update``
can name.

Each question's decision copies the draft's own decision at ``prompt.planner`` (its arm, propensity, context,
arms on offer and policy): the variant that drafted the questions was drawn once, with that propensity, so that
is the probability with which this variant asked them. They expire as the draft does (two weeks at least): a
question nobody answers counts as ignored, with no reward. The façade (specpilot/project.py) hands
:func:`recorder` to the spec workflow; the spec layer never sees the store.
"""

from __future__ import annotations

from collections.abc import Sequence

from specpilot.core.policy import Choice, Policy
from specpilot.rl.policy import SPEC_TTL_S, LearningPolicy
from specpilot.spec.draft_verdicts import Asked


def recorder(policy: Policy) -> Asked | None:
    """What records a draft's questions for ``policy``: None when it does not learn (the fixed policy)."""
    if not isinstance(policy, LearningPolicy):
        return None
    learning = policy

    def record(draft: Choice, asked: Sequence[Choice]) -> Sequence[Choice]:
        return record_questions(learning, draft, asked)

    return record


def record_questions(policy: LearningPolicy, draft: Choice, asked: Sequence[Choice]) -> list[Choice]:
    """Record each of ``asked`` (a question of the draft chosen as ``draft``) as a decision like the draft's; the
    ones recorded (again: a no-op). None when the store does not know the draft (reset since, another store) or
    the policy's store failed earlier in this session. Store errors propagate (the caller logs them)."""
    if policy.problem or not draft.decision:
        return []
    parent = policy.store.decision(draft.decision)
    if parent is None or parent.arm != draft.option:
        return []
    ttl = max(policy.settings.expire_after_s, SPEC_TTL_S)
    recorded: list[Choice] = []
    for question in asked:
        if question.option != parent.arm:
            continue
        policy.store.record_decision(question.decision, question.point, parent.arm, parent.propensity,
                                     context=parent.context, arms=parent.arms, policy=parent.policy,
                                     workspace=policy.workspace, ttl=ttl, at=parent.created_at)
        recorded.append(Choice(question.point, parent.arm, parent.propensity, question.decision))
    return recorded
