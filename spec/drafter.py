"""The deterministic spec drafter: requirements, tasks and design drafts with no model.

Used when no model is configured (and as the skeleton a model fills in). It only
rearranges what the idea says: each statement is split into its distinct needs
(``clauses.sentence_clauses``: "be fast and not break existing apps" is two) and each
need is sorted into goals, user stories, acceptance criteria (rewritten to EARS by
``ears.rewrite``), SLAs, constraints and compatibility, so that every need of the idea
is an item (a goal's needs too, unless another item states them); the title is at most
8 words, cut only at a phrase boundary; every item carries its clarity score (``clarity.score``) as
``<!-- clarity: 0.8 -->`` and every item under 0.6 gets clarifying questions
``Q1 (R1.2) ...``. What needs judgement (design candidates, data flow) is written
as "needs a model: ..." rather than invented. Output is Markdown in the format of
the spec documents (front matter, then sections); IDs are R1, R1.1, S1, C1, K1,
Q1 and T1, numbered in the order the idea states things, so the same idea always
gives the same IDs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from specpilot.spec import clarity, ears
from specpilot.spec.clauses import covers, is_base_verb, sentence_clauses, split_sentences
from specpilot.spec.store import slugify

__all__ = ["split_sentences"]  # re-exported: the idea's statements (spec/clauses.py)

PROFILES = ("default", "ml")
_GOAL = re.compile(r"^(goal:|the goal|our goal|we want|i want|the idea is|the aim|aim:|purpose:|in order to|"
                   r"let users|help users|allow users to)", re.IGNORECASE)
_STORY_LEAD = re.compile(r"^as an? [^,]+,", re.IGNORECASE)
_SLA = re.compile(r"\b(p9\d|p50|latency|uptime|availability|throughput|response time|requests? per second|rps|"
                  r"within \d|under \d+\s*(ms|s|seconds?|minutes?)|at most \d+\s*(ms|s|seconds?|minutes?))\b",
                  re.IGNORECASE)
_CONSTRAINT = re.compile(r"\b(must not|no new|without (adding|any|new)|only (use|uses|using)|must use|limited to|"
                         r"dependenc(y|ies)|budget|licen[cs]e|no network|offline|not allowed|forbidden)\b",
                         re.IGNORECASE)
_COMPATIBILITY = re.compile(r"\b(python \d|compatib\w*|works (on|in|with)|backward|browsers?|windows|macos|linux|"
                            r"chrome|firefox|safari|ios \d+|android \d+|"
                            r"node \d|version \d|\d+\.\d+\+)\b", re.IGNORECASE)
_HUMAN_STORY = re.compile(r"^(?:the |a |an |each |every )?(users?|admins?|administrators?|analysts?|developers?|"
                          r"customers?|operators?|maintainers?|members?|visitors?|reviewers?|researchers?|"
                          r"engineers?|managers?|clients?)\s+(?:can|could|may|should be able to|must be able to|"
                          r"shall be able to|will be able to|wants? to|needs? to)\s+(?P<want>.+)$", re.IGNORECASE)


_CODE_SPAN = re.compile(r"`[^`]*`")
_MEASURED = re.compile(
    r"\d[\d,.]*\s*(%|percent\b|ms\b|milliseconds?\b|µs\b|s\b|secs?\b|seconds?\b|min\b|minutes?\b|h\b|hours?\b|"
    r"days?\b|[kKMGT]i?B\b|bytes?\b|rows?\b|records?\b|requests?\b|rps\b|qps\b|users?\b|items?\b|files?\b|"
    r"epochs?\b|param(eter)?s?\b|[kKMB]\b|x\b|times\b)"
    r"|\b(at least|at most|under|within|below|above|less than|more than|fewer than|up to|no more than|over)\s+\d",
    re.IGNORECASE)
_ML_ACTION = re.compile(r"\b(train|trains|training|trained|retrain\w*|pre-?train\w*|fine-?tun\w*|evaluat\w*|"
                        r"benchmark(s|ing)? (the |a |our )?models?)\b", re.IGNORECASE)
_ML_OBJECT = re.compile(r"\b(models?|classifiers?|regressors?|detectors?|cnns?|rnns?|lstms?|grus?|transformers?|"
                        r"neural|networks?|resnet\w*|\w*bert\w*|gpt\w*|llms?|vit|embeddings?|epochs?|checkpoints?|"
                        r"mnist|cifar\w*|imagenet|(validation |test )?accuracy|f1|auc|perplexity|loss)\b",
                        re.IGNORECASE)


def infer_profile(idea: str) -> str:
    """"ml" when the idea is about training or evaluating a model (a training/evaluation verb and a model, metric or
    dataset word: "Train a small CNN to classify MNIST digits"), else "default"."""
    return "ml" if _ML_ACTION.search(idea) and _ML_OBJECT.search(idea) else "default"


@dataclass(frozen=True, slots=True)
class RequirementItem:
    """One item of a requirements document, as the tasks and design drafts take it.
    ``kind``: "story", "criterion", "sla", "constraint" or "compatibility";
    ``parent``: the story ID of a criterion (None otherwise)."""

    id: str
    text: str
    kind: str
    parent: str | None = None
    score: float = 1.0


@dataclass(frozen=True, slots=True)
class AffectedCode:
    """A place in the code that retrieval found relevant to the spec."""

    path: str
    symbol: str
    line: int


@dataclass(slots=True)
class RequirementsDraft:
    """The structured draft behind ``draft_requirements``' Markdown."""

    title: str
    goals: list[str]
    items: list[RequirementItem]
    questions: list[tuple[str, str]]  # (item id, question)
    clarity: dict[str, clarity.Clarity]  # item id -> its score and findings


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


_GOAL_LEAD = re.compile(r"^(?:goal:|aim:|purpose:|(?:the|our) (?:goal|aim|idea|purpose) is(?: to)?|we want(?: to)?|"
                        r"i want(?: to)?|we need(?: to)?|in order to)\s+", re.IGNORECASE)
_LET = re.compile(r"^(?:let|help|allow|enable)\s+(?:the\s+)?(?P<actor>(?:[\w-]+\s+)??[\w-]+s)\s+(?:to\s+)?"
                  r"(?P<want>.+)$", re.IGNORECASE)  # "Let support agents merge ...": a plural actor of one or two words
_TITLE_WORDS = 8
_TITLE_BREAK = {"to", "for", "from", "with", "using", "by", "in", "into", "on", "at", "of", "that", "which", "so",
                "when", "if", "without", "because", "after", "before", "until", "and", "or", "as", "while", "whose",
                "where", "than", "within", "under", "over", "per", "via", "about", "against", "across", "between",
                "through", "during", "like", "how", "what", "whether", "but"}
_TITLE_TAIL = _TITLE_BREAK | {"the", "a", "an", "its", "their", "our", "your", "each", "every", "all", "is", "are",
                              "can", "should", "must", "will", "be", "not", "no", "more", "less", "at", "least"}


def _goal_want(goal: str) -> tuple[str | None, str]:
    """(the person a goal names, or None; what it wants) of a goal sentence: "Let customers save items" ->
    ("customers", "save items"), "We want to predict churn" -> (None, "predict churn")."""
    text = _GOAL_LEAD.sub("", goal.strip().rstrip(".!"))
    let = _LET.match(text)
    if let and not let.group("actor").lower().endswith("ss"):
        return let.group("actor"), let.group("want")
    return None, text


def _title_from(goal: str) -> str:
    """A short title from the idea's goal: what it wants, at most 8 words, cut only at a phrase boundary (before
    "to", "with", "that", ..., or a comma) and never inside a word or on a function word."""
    story = ears.STORY.match(goal.strip().rstrip(".!"))
    _, text = _goal_want(story.group("want") if story else goal)
    text = re.sub(r"^(users?|people|analysts?|developers?|customers?)\s+(to\s+)?"
                  r"(can\s+|wants?\s+to\s+|needs?\s+to\s+)?", "", text, flags=re.IGNORECASE)
    text = re.split(r"[,;:(](?=\s|$)|\(|\s[-\u2013\u2014]\s", text.replace("`", ""))[0]  # not "3,000-line"
    words = text.split()
    if len(words) > _TITLE_WORDS:
        cuts = [k for k in range(2, _TITLE_WORDS + 1) if k < len(words) and words[k].lower() in _TITLE_BREAK]
        words = words[:cuts[-1]] if cuts else words[:_TITLE_WORDS]
    while len(words) > 1 and words[-1].lower().strip(".") in _TITLE_TAIL:
        words.pop()
    title = " ".join(words).rstrip(".!?")
    return title[:1].upper() + title[1:] if title else "Untitled"


def states_a_number(sentence: str) -> bool:
    """Whether ``sentence`` states a measurable target: a number with a unit or a percentage ("within 50 ms",
    "2 GB", "98% accuracy"), or a bound such as "at least 3" (numbers in `code` do not count)."""
    return bool(_MEASURED.search(_CODE_SPAN.sub(" ", sentence)))


_MEASURE_LEAD = {"in", "on", "for", "within", "under", "at", "by", "during", "over", "after", "before", "below",
                 "above"}


def _before_number(sentence: str) -> str:
    """What a sentence wants, without the target it states ("Search the logs within 50 ms" -> "Search the logs"),
    for a title; the whole sentence when that leaves too little."""
    cut = _MEASURED.search(sentence)
    head = re.sub(r"\s+(in|on|for|with|to|at|of|reach|reaches|shall reach|by)$", "",
                  sentence[:cut.start()].strip()) if cut else sentence
    head = re.sub(r"\bshall\b", "to", head, flags=re.IGNORECASE)
    words = head.split()
    cuts = [k for k, word in enumerate(words) if k >= 2 and word.lower() in _MEASURE_LEAD] if cut else []
    head = " ".join(words[:cuts[-1]]) if cuts else head  # "cancel in the next 30 days" -> "cancel"
    return head if len(head.split()) >= 2 else sentence


def _is_goal(sentence: str) -> bool:
    return bool(_GOAL.match(sentence)) and not states_a_number(sentence)  # a number is a target to trace


def _without_goal_lead(sentence: str) -> str:
    """"We want the classifier to reach 98% accuracy" -> "The classifier shall reach 98% accuracy": a goal's lead
    taken off a sentence that states a number, so it reads as the requirement it is."""
    text = re.sub(r"^(goal:|aim:|purpose:|(the|our) (goal|aim|idea) is( to)?|we want( to)?|i want( to)?|"
                  r"in order to)\s+", "", sentence.strip(), flags=re.IGNORECASE)
    text = re.sub(r"^((?:the|a|an|our|each|every)\s+[\w-]+(?:\s+[\w-]+)?)\s+to\s+", r"\1 shall ", text,
                  count=1, flags=re.IGNORECASE)
    return text[:1].upper() + text[1:] if text else sentence


def _goal_story(goal: str) -> str:
    """The user story of a goal clause: "Let customers save items" -> "As a customer, I want to save items."."""
    actor, want = _goal_want(goal)
    if actor is None and not want.lower().startswith(("as a", "as an")) and ears._split_subject(want)[0]:
        want = "this solved: " + want[:1].lower() + want[1:]  # a problem, not a wish: "Users keep losing ..."
    person = ears._actor_phrase(actor) if actor else "a user"
    person = re.sub(r"^(the|each|every)\s", "a ", person)
    first = want.split()[0] if want.split() else ""
    wanted = want[:1].lower() + want[1:] if not (len(want) > 1 and want[1].isupper()) else want
    return f"As {person}, I want {'to ' if is_base_verb(first) else ''}{wanted.rstrip('.!')}."


def analyse_idea(idea: str, *, title: str | None = None) -> RequirementsDraft:
    """Sort the idea's needs into goals and numbered items (see the module docstring). Each statement is split into
    its clauses (spec/clauses.py: "be fast and not break existing apps" is two needs) and every clause becomes an
    item: a story, an EARS criterion, or an SLA, constraint or compatibility item. A goal sentence is recorded as a
    goal, and each of its clauses that no other item covers becomes an item too (the first story when there is
    none yet). A statement with a number (a latency, a size, an accuracy) is never a goal: it is traced."""
    sentences = [_without_goal_lead(s) if _GOAL.match(s) and states_a_number(s) else s for s in split_sentences(idea)]
    is_goal = [_is_goal(s) for s in sentences]
    if not any(is_goal) and len(sentences) > 1 and not _STORY_LEAD.match(sentences[0]) \
            and not _HUMAN_STORY.match(sentences[0].rstrip(".")) and not states_a_number(sentences[0]):
        is_goal[0] = True  # an opening sentence states the goal
    goals = [_sentence(s) for s, goal in zip(sentences, is_goal, strict=True) if goal]
    parts = [(part, goal) for s, goal in zip(sentences, is_goal, strict=True) for part in sentence_clauses(s)]
    others = [part for part, goal in parts if not goal]
    first_goal = next((s for s, goal in zip(sentences, is_goal, strict=True) if goal), None)
    stated = sentence_clauses(first_goal)[0] if first_goal else _before_number(others[0]) if others else "Untitled"
    if ears._split_subject(_goal_want(stated)[1])[0]:  # a statement, not a wish: the first order in the idea names it
        stated = next((c for c in others if is_base_verb(c.split()[0])), stated)
    final_title = title or _title_from(stated)

    items: list[RequirementItem] = []
    scores: dict[str, clarity.Clarity] = {}
    counters = {"S": 0, "C": 0, "K": 0}
    story_id: str | None = None
    stories = criteria = 0

    def add_story(text: str) -> str:
        nonlocal stories, criteria
        stories += 1
        criteria = 0
        scores[f"R{stories}"] = clarity.score(text)
        items.append(RequirementItem(f"R{stories}", text, "story", None, scores[f"R{stories}"].score))
        return f"R{stories}"

    for raw, goal in parts:
        if goal:
            if any(covers(other, raw) for other in others):
                continue  # the goal's need is stated again, in more detail, by an item
            if story_id is None:
                story_id = add_story(_goal_story(raw))
                continue
            raw = _without_goal_lead(raw)
        text = _sentence(raw)
        body = text.rstrip(".!?")
        is_behaviour = bool(_HUMAN_STORY.match(body) or _STORY_LEAD.match(body)) or ears.classify(text) != "plain"
        kind = ("sla" if _SLA.search(text) and not is_behaviour
                else "constraint" if _CONSTRAINT.search(text) and not is_behaviour
                else "compatibility" if _COMPATIBILITY.search(text) and not is_behaviour
                else "criterion")
        if kind != "criterion":
            prefix = {"sla": "S", "constraint": "C", "compatibility": "K"}[kind]
            counters[prefix] += 1
            item_id = f"{prefix}{counters[prefix]}"
            scores[item_id] = clarity.score(text)
            items.append(RequirementItem(item_id, text, kind, None, scores[item_id].score))
            continue
        human = _HUMAN_STORY.match(body)
        if _STORY_LEAD.match(body):
            story_id = add_story(text)
        elif human:
            actor = human.group(1).lower().rstrip("s") if human.group(1).lower() != "users" else "user"
            article = "an" if actor[0] in "aeio" else "a"
            story_id = add_story(f"As {article} {actor}, I want to {human.group('want')}.")
        elif story_id is None:
            wanted = final_title[:1].lower() + final_title[1:]
            verb = is_base_verb(wanted.split()[0])
            story_id = add_story(f"As a user, I want {'to ' if verb else ''}{wanted}.")
        criteria += 1
        rewritten = ears.rewrite(text)
        # A rewrite cannot make a requirement clearer than what was said: keep the lower score.
        item_id = f"{story_id}.{criteria}"
        scores[item_id] = min(clarity.score(text), clarity.score(rewritten), key=lambda c: c.score)
        items.append(RequirementItem(item_id, rewritten, "criterion", story_id, scores[item_id].score))

    questions = [(item.id, q) for item in items if item.score < clarity.CLEAR_THRESHOLD
                 for q in scores[item.id].questions[:3]]
    return RequirementsDraft(final_title, goals, items, questions, scores)


def _front_matter(fields: dict[str, str]) -> str:
    return "---\n" + "".join(f"{key}: {value}\n" for key, value in fields.items()) + "---\n"


def _gate(problems: Sequence[str]) -> str:
    passed = "false" if problems else "true"
    return f"{{passed: {passed}, problems: [{', '.join(json.dumps(p) for p in problems)}]}}"


def draft_requirements(idea: str, *, title: str | None = None, profile: str = "default",
                       spec: str | None = None) -> str:
    """requirements.md for ``idea`` (a paragraph or bullets): front matter (stage
    requirements, status draft, profile), goals, stories with EARS criteria, SLAs,
    constraints, compatibility, each scored, and questions for items under 0.6."""
    if profile not in PROFILES:
        raise ValueError(f"unknown spec profile {profile!r}; use one of: {', '.join(PROFILES)}")
    if not idea.strip():
        raise ValueError("the idea is empty: describe what should be built in a sentence or a few bullets")
    draft = analyse_idea(idea, title=title)
    problems = [f"{item.id}: clarity {clarity.format_score(item.score)} < {clarity.CLEAR_THRESHOLD} and no answer"
                for item in draft.items if item.score < clarity.CLEAR_THRESHOLD]
    lines = [_front_matter({"spec": spec or slugify(draft.title, limit=48), "title": draft.title,
                            "stage": "requirements", "status": "draft", "profile": profile,
                            "gate": _gate(problems)}),
             f"# {draft.title}", "", "## Goals"]
    lines += [f"- {goal}" for goal in draft.goals] or [f"- {draft.title}."]
    lines += ["", "## User stories"]
    for item in draft.items:
        if item.kind == "story":
            lines.append(f"### {item.id} {item.text} {draft.clarity[item.id].comment()}")
        elif item.kind == "criterion":
            lines.append(f"- {item.id} {item.text} {draft.clarity[item.id].comment()}")
    for heading, kind in (("SLAs", "sla"), ("Constraints", "constraint"), ("Compatibility", "compatibility")):
        section = [f"- {i.id} {i.text} {draft.clarity[i.id].comment()}" for i in draft.items if i.kind == kind]
        if section:
            lines += ["", f"## {heading}", *section]
    lines += ["", "## Clarifying questions"]
    lines += [f"- Q{n} ({item_id}) {question}" for n, (item_id, question) in enumerate(draft.questions, 1)]
    if not draft.questions:
        lines.append("(none: every item scores 0.6 or more)")
    return "\n".join(lines) + "\n"


@dataclass(slots=True)
class _Task:
    title: str
    inputs: str
    outputs: str
    test: str
    estimate: str
    requirements: list[str]
    depends: list[int]


def _short(text: str, words: int = 8) -> str:
    text = re.sub(r"^(WHEN|IF|WHILE|WHERE)\b.*?\bSHALL\s+|^THE .*?SHALL\s+", "", text).rstrip(".")
    parts = text.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")


def _test_name(spec_slug: str, item_id: str, text: str) -> str:
    words = re.findall(r"[a-z0-9]+", _short(text, 5).lower())
    return f"`tests/test_{spec_slug.replace('-', '_')}.py::test_{item_id.lower().replace('.', '_')}_{'_'.join(words)}`"


def draft_tasks(requirements: Iterable[RequirementItem], *, title: str, spec: str | None = None,
                profile: str = "default") -> str:
    """tasks.md: at least one task per acceptance criterion, SLA, constraint and
    compatibility item, in dependency order, each citing what it implements;
    profile "ml" adds the environment task first and a 1-epoch mini-dataset run
    before full training."""
    if profile not in PROFILES:
        raise ValueError(f"unknown spec profile {profile!r}; use one of: {', '.join(PROFILES)}")
    items = list(requirements)
    spec_slug = spec or slugify(title, limit=48)
    stories = [i for i in items if i.kind == "story"]
    tasks: list[_Task] = []
    env = 0
    if profile == "ml":
        tasks.append(_Task("Set up the environment", "the requirements; the machine's Python and GPU",
                           "`venv.md` (Python version, how to create the venv) and `requirements.txt` with pinned "
                           "versions", "`python -c 'import torch'` runs in the new venv", "0.5h",
                           [s.id for s in stories] or [i.id for i in items[:1]], []))
        env = 1
    story_first: dict[str, int] = {}
    for item in items:
        if item.kind == "criterion":
            parent = item.parent or ""
            first = story_first.get(parent)
            refs = [item.id] if first else [parent, item.id] if parent else [item.id]
            unwanted = ears.classify(item.text) == "unwanted"
            tasks.append(_Task(f"{'Handle' if unwanted else 'Implement'} {item.id}: {_short(item.text)}",
                               f"{item.id} and the affected code in design.md",
                               f"the code change that makes {item.id} hold",
                               _test_name(spec_slug, item.id, item.text), "1h" if unwanted else "2h",
                               refs, [first] if first else ([env] if env else [])))
            story_first.setdefault(parent, len(tasks))
    for story in stories:
        if story.id not in story_first:  # a story with no criteria still gets a task
            tasks.append(_Task(f"Implement {story.id}: {_short(story.text)}", story.id,
                               f"the code change that makes {story.id} hold",
                               _test_name(spec_slug, story.id, story.text), "2h", [story.id],
                               [env] if env else []))
            story_first[story.id] = len(tasks)
    build = list(range(env + 1, len(tasks) + 1))
    if profile == "ml":
        refs = [s.id for s in stories] or [i.id for i in items[:1]]
        tasks.append(_Task("Validate on the mini dataset for 1 epoch", "the mini dataset sample (see design.md)",
                           "a finished 1-epoch run and its loss curve; no full training before it passes",
                           "`python train.py --epochs 1 --data data/mini` (or `--dry-run`) exits 0 and the loss "
                           "is finite", "1h", refs, build or [env]))
        tasks.append(_Task("Train on the full dataset", "the full dataset; the validated configuration",
                           "the trained checkpoint and its evaluation report", "the evaluation metrics in the "
                           "requirements are met on the held-out split", "needs a measurement from the 1-epoch run",
                           refs, [len(tasks)]))
        build = [len(tasks)]
    verify = {"sla": ("Measure", "a benchmark run against the stated bound", "`bench/` result meeting"),
              "constraint": ("Check", "a check in CI", "CI check for"),
              "compatibility": ("Verify", "a CI matrix entry", "CI matrix job for")}
    for item in items:
        if item.kind in verify:
            verb, output, test = verify[item.kind]
            tasks.append(_Task(f"{verb} {item.id}: {_short(item.text)}", f"{item.id}; the built feature", output,
                               f"{test} {item.id}", "1h", [item.id], build or ([env] if env else [])))
    lines = [_front_matter({"spec": spec_slug, "stage": "tasks", "gate": _gate([])}), f"# Tasks: {title}", ""]
    for n, task in enumerate(tasks, 1):
        lines += [f"- [ ] T{n} {task.title}", f"  - Inputs: {task.inputs}", f"  - Outputs: {task.outputs}",
                  f"  - Acceptance test: {task.test}", f"  - Estimate: {task.estimate}",
                  f"  - Depends on: {', '.join(f'T{d}' for d in task.depends) or '(none)'}",
                  f"  - _Requirements: {', '.join(task.requirements)}_"]
    return "\n".join(lines) + "\n"


def draft_design(title: str, requirements: Iterable[RequirementItem], affected: Sequence[AffectedCode | tuple],
                 *, spec: str | None = None, profile: str = "default") -> str:
    """design.md: the affected code retrieval found, placeholders for what needs a
    model (candidates, choice, data flow), and the risks the requirements show;
    profile "ml" adds model candidates and a dataset plan with fields to fill."""
    if profile not in PROFILES:
        raise ValueError(f"unknown spec profile {profile!r}; use one of: {', '.join(PROFILES)}")
    items = list(requirements)
    places = [a if isinstance(a, AffectedCode) else AffectedCode(str(a[0]), str(a[1]), int(a[2])) for a in affected]
    need = "needs a model: "
    lines = [_front_matter({"spec": spec or slugify(title, limit=48), "stage": "design", "gate": _gate([])}),
             f"# Design: {title}", "", "## Candidates",
             "| | A: needs a model: first candidate | B: needs a model: second candidate |", "|---|---|---|"]
    for row in ("complexity", "risk", "performance", "fit with the existing code"):
        lines.append(f"| {row} | {need}compare | {need}compare |")
    lines += ["", "## Choice", f"A, provisionally: {need}compare A and B, choose one and say why.", "",
              "## Affected code"]
    lines += [f"- `{p.path}` `{p.symbol}` (line {p.line})" for p in places] or ["- (retrieval found nothing)"]
    lines += ["", "## Data flow", f"{need}describe how data moves through the affected code for: "
              + ", ".join(i.id for i in items if i.kind in ("criterion", "sla")) + "."]
    if profile == "ml":
        lines += ["", "## Models", "| | A: needs a model: first candidate | B: needs a model: second candidate |",
                  "|---|---|---|"]
        for row in ("parameters", "memory (training, inference)", "training time (1 epoch, full run)",
                    "expected quality"):
            lines.append(f"| {row} | {need}estimate | {need}estimate |")
        lines += ["", "## Dataset plan",
                  "- Mini sample: a small fixed subset for the 1-epoch validation run; size and selection: "
                  f"{need}decide.", f"- Full set: source, size, splits (train/validation/test): {need}decide."]
    lines += ["", "## Risks"]
    unclear = [i for i in items if i.score < clarity.CLEAR_THRESHOLD]
    lines += [f"- {i.id} is unclear (clarity {clarity.format_score(i.score)}): the design may have to change "
              "when its questions are answered." for i in unclear]
    lines.append(f"- {need}list the technical risks of the chosen candidate.")
    return "\n".join(lines) + "\n"
