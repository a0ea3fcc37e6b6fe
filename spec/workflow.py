"""The spec workflow's stages, shared by ``specpilot spec ...`` and the language server.

``new`` drafts requirements.md from an idea; ``clarify`` lists the open
questions and writes answers back (rescoring the items they clarify: spec/answers.py); ``design``
and ``tasks`` draft the next documents. Each stage first checks the previous
stage's gate and refuses, naming what fails, unless forced. Without a model the
drafts come from the deterministic drafter (spec/drafter.py), and the design's
candidate table is marked as needing a model. Nothing here prints or knows LSP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specpilot.core.config import Settings
from specpilot.core.policy import FixedPolicy, Policy
from specpilot.spec.answers import OpenQuestion, answer_questions, open_questions
from specpilot.spec.authoring import Author
from specpilot.spec.clauses import added_note, repair
from specpilot.spec.consistency import check_consistency
from specpilot.spec.documents import (
    Requirements,
    Review,
    parse_design,
    parse_requirements,
    parse_tasks,
    render_review,
    set_task_done,
)
from specpilot.spec.draft_verdicts import Asked, PlaybookVerdict, report, report_answers, with_choice
from specpilot.spec.drafter import (
    AffectedCode,
    RequirementItem,
    draft_design,
    draft_requirements,
    draft_tasks,
    infer_profile,
)
from specpilot.spec.drift import Drift, check, record
from specpilot.spec.frontmatter import set_fields, split_front_matter
from specpilot.spec.gates import (
    GateResult,
    design_gate,
    force_gate,
    record_gate,
    requirements_gate,
    review_gate,
    tasks_gate,
)
from specpilot.spec.implementation import log_entry, new_log, task_prompt
from specpilot.spec.review_report import excerpts, readme_mentions, verdict
from specpilot.spec.stage_prompts import design_query
from specpilot.spec.store import SpecError, SpecInfo, SpecStore
from specpilot.spec.trace import Citation, find_citations, traceability, unknown_citations

Retrieve = Callable[[str, int], list[tuple[str, str, int]]]  # query, k -> (path, symbol, line)
RunAgent = Callable[[str], Any]  # task text -> the agent's RunResult (agents/loop.py)


class GateFailed(SpecError):
    """A stage asked for before the previous stage's gate passes."""

    def __init__(self, result: GateResult) -> None:
        listed = "; ".join(result.problems[:5]) + (f"; and {len(result.problems) - 5} more"
                                                   if len(result.problems) > 5 else "")
        fix = {"requirements": "Fix them (spec clarify answers questions)",
               "design": "Fix design.md (a model, or a person, writes the candidates)"}.get(result.stage, "Fix them")
        super().__init__(f"the {result.stage} gate fails: {listed}. {fix} or use --force")
        self.result = result


@dataclass(slots=True)
class StageResult:
    spec: SpecInfo
    document: str
    path: Path
    gate: GateResult
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class StatusRow:
    spec: SpecInfo
    gates: dict[str, bool | None]  # document -> passed (None: not written yet)
    stale: list[str] = field(default_factory=list)  # cited files changed since the review


def _items(model: Requirements) -> list[RequirementItem]:
    return [RequirementItem(i.id, i.text, i.kind, i.parent, i.clarity if i.clarity is not None else 1.0)
            for i in model.items]


class SpecWorkflow:
    def __init__(self, root: Path, *, retrieve: Retrieve | None = None, author: Author | None = None,
                 store: SpecStore | None = None, settings: Settings | None = None,
                 policy: Policy | None = None, asked: Asked | None = None,
                 playbook_verdict: PlaybookVerdict | None = None) -> None:
        """``author``: a model that writes requirements and designs (spec/authoring.py);
        None or an offline one: the deterministic drafter writes them. ``store``: the workspace's spec store
        (one that sees the editor's buffers); None: a store of the folder. ``settings`` decide which files
        the review and status scan for citations (the server's include the editor's); None: the workspace's.
        ``policy``: told the verdict on the model's drafts (spec/draft_verdicts.py); None: the author's.
        ``asked``: records a draft's questions so that answering one is a verdict (the façade's); None: not.
        ``playbook_verdict``: told the verdict on a draft a playbook's prompt wrote (the façade's prompt
        evolution); None: not."""
        self.root = root.resolve()
        self.settings = settings
        self.playbook_verdict = playbook_verdict
        self.store = store if store is not None else SpecStore(self.root)
        self.retrieve = retrieve
        self.author = author if author is not None and author.available else None
        self.policy: Policy = policy or (author.policy if author is not None else FixedPolicy())
        self.asked = asked

    # -- stages ---------------------------------------------------------------------------------

    def _verdict(self, text: str | None, *, kept: bool) -> None:
        """The user's verdict on a model's draft, to its policy and (when a playbook wrote it) to the playbook."""
        report(self.policy, text, kept=kept, playbook=self.playbook_verdict)
    def new(self, idea: str, *, title: str | None = None, profile: str | None = None) -> StageResult:
        """``profile``: None chooses it from the idea (ml when it is about training or evaluating a model)."""
        if not idea.strip():
            raise SpecError("the idea is empty: describe the feature in a sentence or two")
        notes: list[str] = []
        if profile is None:
            profile = infer_profile(idea)
            if profile == "ml":
                notes.append("profile ml, chosen from the idea (training or evaluating a model); "
                             "--profile default overrides it")
        draft = draft_requirements(idea, title=title, profile=profile)  # refuses a bad profile before a folder exists
        if self.author is not None:
            front: dict[str, object] = {"stage": "requirements", "status": "draft", "profile": profile}
            written, note = self.author.requirements(idea, profile=profile, front=front)
            notes += [note] if note else []
            if written is not None:  # every clause stays: what the model's draft left out is added (spec/clauses.py)
                written, added = repair(idea, written)
                notes += [added_note(added)] if added else []
            draft = written or draft
        model, _ = parse_requirements(draft)
        info = self.store.create(title or model.title or "spec")
        text = set_fields(draft, {"spec": info.name})
        if self.author is not None and draft is written:
            text = with_choice(text, self.author.last_choice, self.author.last_playbook)
        return self._write_requirements(info, text, notes)

    def from_code(self, path: str | Path, *, title: str | None = None) -> tuple[StageResult, ...]:
        """A spec describing the existing code under ``path`` (spec/brownfield.py): requirements.md, and design.md
        only when the requirements gate passes (else ``spec design`` drafts it, as built, once the questions are
        answered). Each gate is recorded; the design's candidate B is a placeholder, so its gate fails until a
        model or a person writes B (or ``--force`` at the tasks stage)."""
        from specpilot.spec.brownfield import BrownfieldError, draft_from_code, survey

        try:
            found = survey(self.root, path)
        except BrownfieldError as exc:
            raise SpecError(str(exc)) from None
        info = self.store.create(title or f"As built: {found.target}")
        requirements_text, design_text = draft_from_code(found, title=info.title, spec=info.name)
        requirements_text = set_fields(requirements_text, {"from_code": found.target})
        requirements = self._write_requirements(info, requirements_text, [])
        if not requirements.gate.passed:
            requirements.notes.append("design.md not written: the requirements gate fails; answer the questions "
                                      "(`spec clarify`), then `spec design` drafts the design as built")
            return (requirements,)
        return requirements, self._write_design(info, design_text, "default", force=False, skipped=None,
                                                notes=[f"A describes the code as built ({len(found.modules)} Python "
                                                       f"modules, {len(found.other_files)} other files listed)"])

    def clarify(self, name: str | None = None, answers: Mapping[str, str] | None = None
                ) -> tuple[StageResult, list[OpenQuestion]]:
        """Write ``answers`` (question id -> text), rescore the items they clarify, and list
        the questions still open. Each question newly answered is an accepted proposal of the draft's prompt
        variant (spec/draft_verdicts.py's ``report_answers``; never an error for this stage)."""
        info = self.store.resolve(name)
        before = self.store.read(info, "requirements")
        text, notes = answer_questions(before, answers or {}, spec=info.name)
        result = self._write_requirements(info, text, notes)
        report_answers(self.policy, self.asked, before, text)
        return result, open_questions(self.store.read(info, "requirements"))

    def design(self, name: str | None = None, *, force: bool = False) -> StageResult:
        info = self.store.resolve(name)
        model, skipped = self._gate_requirements(info, force)
        profile = _profile(model)
        as_built = self._as_built_design(info, model)
        if as_built is not None:
            return self._write_design(info, as_built, profile, force=force, skipped=skipped,
                                      notes=["A describes the code as built (from-code)"])
        affected: list[AffectedCode] = []
        notes: list[str] = []
        if self.retrieve is not None:
            try:
                found = self.retrieve(design_query(model, info.title), 8)
            except Exception as exc:  # retrieval helps; without it the design still gets written
                found = []
                notes.append(f"no affected code listed: {exc}")
            affected = [AffectedCode(path, symbol, line) for path, symbol, line in found
                        if (self.root / path).is_file()]
        else:
            notes.append("no affected code listed: the workspace has no index")
        written = None
        if self.author is not None:
            requirements_text = self.store.read(info, "requirements")
            self._verdict(requirements_text, kept=True)  # the design builds on the requirements
            if self.store.has(info, "design"):
                self._verdict(self.store.read(info, "design"), kept=False)  # drafted again
            found = [(a.path, a.symbol, a.line) for a in affected]
            written, note = self.author.design(requirements_text, found, profile=profile,
                                               front={"spec": info.name, "stage": "design"})
            notes += [note] if note else []
            if written is not None:
                written = with_choice(written, self.author.last_choice, self.author.last_playbook)
        text = written or draft_design(model.title or info.title, _items(model), affected, spec=info.name,
                                       profile=profile)
        return self._write_design(info, text, profile, force=force, skipped=skipped, notes=notes)

    def _write_design(self, info: SpecInfo, text: str, profile: str, *, force: bool, skipped: GateResult | None,
                      notes: list[str]) -> StageResult:
        """design.md with its gate recorded. Placeholder candidates ("needs a model") fail the gate; ``force``
        passes it and records what it let through (and the requirements gate's ``skipped`` problems)."""
        design, _ = parse_design(text)
        gate = design_gate(design, profile=profile)
        if any("placeholders" in problem for problem in gate.problems):
            notes.append("the candidates are placeholders (needs a model): a model or a person writes real ones; "
                         "until then the design gate fails" + (" (passed here by --force)" if force else ""))
        if force:
            gate = _forced(gate, skipped, notes)
        path = self.store.write(info, "design", record_gate(text, gate))
        self._set_stage(info, "design")
        return StageResult(self.store.resolve(info.name), "design", path, gate, notes)

    def _as_built_design(self, info: SpecInfo, model: Requirements) -> str | None:
        """For a spec from ``from-code``: the design describing the code as built (None for other specs, or when
        the code is gone)."""
        from specpilot.spec.brownfield import BrownfieldError, draft_from_code, survey

        source = model.front.get("from_code")
        if not source:
            return None
        try:
            return draft_from_code(survey(self.root, str(source)), title=model.title or info.title, spec=info.name)[1]
        except BrownfieldError:
            return None

    def tasks(self, name: str | None = None, *, force: bool = False) -> StageResult:
        info = self.store.resolve(name)
        model, _ = parse_requirements(self.store.read(info, "requirements"))
        profile = _profile(model)
        skipped: GateResult | None = None
        if not self.store.has(info, "design"):
            if not force:
                raise SpecError(f"{info.name} has no design yet: run `specpilot spec design` first (or --force)")
            skipped = GateResult("design", False, ["no design.md"])
        else:
            design_text = self.store.read(info, "design")
            design, _ = parse_design(design_text)
            recorded = split_front_matter(design_text).fields.get("gate")
            accepted = set(recorded.get("forced") or []) if isinstance(recorded, dict) else set()
            remaining = [p for p in design_gate(design, profile=profile).problems if p not in accepted]
            if remaining and not force:
                raise GateFailed(GateResult("design", False, remaining))
            skipped = GateResult("design", not remaining, remaining)
            self._verdict(design_text, kept=True)  # the tasks build on the design
        text = draft_tasks(_items(model), title=model.title or info.title, spec=info.name, profile=profile)
        tasks, _ = parse_tasks(text)
        gate = tasks_gate(tasks, model)
        notes: list[str] = []
        if force:
            gate = _forced(gate, skipped, notes)
        text = record_gate(text, gate)
        path = self.store.write(info, "tasks", text)
        self._set_stage(info, "tasks")
        return StageResult(self.store.resolve(info.name), "tasks", path, gate, notes)

    def run_task(self, task_id: str, name: str | None = None, *, run_agent: RunAgent,
                 apply: bool = False) -> tuple[Any, StageResult]:
        """Run the agent on one task of tasks.md with the spec as context; its result is a
        proposed edit (written only with ``apply``, which also ticks the task). Every run
        is recorded in build_log.md (task, outcome, files touched, tests run)."""
        from specpilot.ast_tools.edits import Refusal
        from specpilot.ast_tools.edits import apply as write_edit

        info = self.store.resolve(name)
        if not self.store.has(info, "tasks"):
            raise SpecError(f"{info.name} has no tasks yet: run `specpilot spec tasks` first")
        tasks_text = self.store.read(info, "tasks")
        tasks, _ = parse_tasks(tasks_text)
        task = next((t for t in tasks.tasks if t.id.upper() == task_id.upper()), None)
        if task is None:
            raise SpecError(f"{info.name} has no task {task_id} (its tasks: "
                            f"{', '.join(t.id for t in tasks.tasks) or 'none'})")
        requirements, _ = parse_requirements(self.store.read(info, "requirements"))
        prompt = task_prompt(info.name, task, requirements, several_specs=len(self.store.list()) > 1)
        result = run_agent(prompt)
        edit = getattr(result, "edit", None)
        files = [f.path for f in edit.files] if edit is not None else []
        applied = False
        if apply and edit is not None:
            try:
                write_edit(edit, self.root)
            except Refusal as exc:
                raise SpecError(str(exc)) from None
            applied = True
            # tasks.md as it is now (the user may have edited it during the run), ticked, compare-and-swap
            self.store.write(info, "tasks", set_task_done(self.store.read(info, "tasks"), task.id, True))
        entry = log_entry(task, result, applied=applied, files=files, edited=edit is not None)
        log = self.store.read(info, "build_log") if self.store.has(info, "build_log") else \
            new_log(info.name, requirements.title or info.title)
        path = self.store.write(info, "build_log", log.rstrip("\n") + "\n\n" + entry)
        self._set_stage(info, "implementation")
        gate = GateResult("implementation", result.stop in ("answered", "offline"), [] if result.stop in (
            "answered", "offline") else [f"the agent stopped: {result.stop}"])
        return result, StageResult(self.store.resolve(info.name), "build_log", path, gate, [])

    def review(self, name: str | None = None) -> StageResult:
        """review.md: the traceability matrix (requirement -> tasks -> code -> tests) from
        ``# Requirements:`` citations and test names, the gaps, README/code consistency, and a
        verdict; records what was checked (drift). README/code consistency is, with the ml profile,
        whether the README, config files and code agree (:mod:`specpilot.spec.consistency`; each
        certain disagreement fails the gate, warnings are listed), and otherwise whether the README
        mentions the terms the requirements quote (informative only)."""
        info = self.store.resolve(name)
        requirements_text = self.store.read(info, "requirements")
        requirements, _ = parse_requirements(requirements_text)
        profile = _profile(requirements)
        tasks_text = self.store.read(info, "tasks") if self.store.has(info, "tasks") else None
        tasks = parse_tasks(tasks_text)[0] if tasks_text is not None else None
        found = find_citations(self.root, self.settings)  # one scan of the workspace
        citations = _citing(info.name, requirements, found)
        rows = traceability(requirements, tasks, citations)
        gaps = [f"{row.requirement}: {row.status}" for row in rows if row.status != "ok"]
        elsewhere = {item.id for other in self.store.list() if other.name != info.name
                     for item in parse_requirements(self.store.read(other, "requirements"))[0].items}
        gaps += [str(u) for u in unknown_citations(requirements, found, spec=info.name, elsewhere=elsewhere)]
        disagreements: list[str] = []
        consistency = None
        if profile == "ml":
            consistency = check_consistency(self.root)
            readme = consistency.report()
            disagreements = [str(finding) for finding in consistency.errors]  # warnings are listed, not gated
        else:
            readme = readme_mentions(self.root, requirements)
        review = Review(front={"spec": info.name, "stage": "review"}, title=f"Review: {requirements.title}",
                        matrix=rows, gaps=gaps, readme=readme)
        gate = review_gate(review, requirements, disagreements)
        review.gaps += [p for p in gate.problems if p not in gaps and not p.startswith("README/config/code: ")]
        warnings = [f for f in consistency.findings if f.severity != "error"] if consistency is not None else []
        review.verdict = verdict(review.gaps, disagreements, warnings, profile)
        notes: list[str] = []
        if self.author is not None:
            if self.store.has(info, "review"):
                self._verdict(self.store.read(info, "review"), kept=False)  # reviewed again
            opinion, note = self.author.review(requirements_text, tasks_text or "(no tasks.md)",
                                               render_review(review), excerpts(self.root, citations))
            notes += [note] if note else []
            if opinion is not None:
                review.texts["Reviewer notes"] = opinion.notes
                review.front["author"] = opinion.author
                # the gate stays mechanical; the reviewer's judgement is the verdict, beside it
                review.verdict = opinion.verdict if gate.passed else f"{review.verdict} Reviewer: {opinion.verdict}"
                if not opinion.approved:
                    gate.notes.append(f"the reviewer asks for changes: {opinion.verdict}")
        text = record_gate(render_review(review), gate)
        text = set_fields(text, {"checked": record(self.root, citations)})
        if self.author is not None and review.front.get("author"):
            text = with_choice(text, self.author.last_choice, self.author.last_playbook)
        path = self.store.write(info, "review", text)
        self._set_stage(info, "review")
        return StageResult(self.store.resolve(info.name), "review", path, gate, notes)

    def drift(self, info: SpecInfo, found: list[Citation] | None = None) -> Drift:
        """Whether code the spec's review saw has changed since (the spec is then stale).
        ``found``: the workspace's citations, when the caller has scanned for them already."""
        if not self.store.has(info, "review"):
            return Drift(False, [], checked=False)
        requirements, _ = parse_requirements(self.store.read(info, "requirements"))
        found = find_citations(self.root, self.settings) if found is None else found
        citations = _citing(info.name, requirements, found)
        front = split_front_matter(self.store.read(info, "review")).fields
        return check(front, citations, self.root)

    def status(self) -> list[StatusRow]:
        rows = []
        found: list[Citation] | None = None  # scanned once, and only if a spec has a review
        for info in self.store.list():
            gates: dict[str, bool | None] = {}
            for document in ("requirements", "design", "tasks", "review"):
                gates[document] = self._recorded_gate(info, document)
            if gates["review"] is not None and found is None:
                found = find_citations(self.root, self.settings)
            rows.append(StatusRow(info, gates, self.drift(info, found).changed))
        return rows

    # -- helpers --------------------------------------------------------------------------------
    def _write_requirements(self, info: SpecInfo, text: str, notes: list[str]) -> StageResult:
        model, _ = parse_requirements(text)
        gate = requirements_gate(model)
        text = record_gate(text, gate)
        path = self.store.write(info, "requirements", text)
        return StageResult(self.store.resolve(info.name), "requirements", path, gate, notes)

    def _gate_requirements(self, info: SpecInfo, force: bool) -> tuple[Requirements, GateResult]:
        model, problems = parse_requirements(self.store.read(info, "requirements"))
        errors = [p for p in problems if p.severity == "error"]
        if errors and not force:
            raise SpecError(f"{info.name}/requirements.md has problems: "
                            + "; ".join(f"line {p.line}: {p.message}" for p in errors[:5]))
        gate = requirements_gate(model)
        if not gate.passed and not force:
            raise GateFailed(gate)
        return model, gate

    def _set_stage(self, info: SpecInfo, stage: str) -> None:
        order = ("requirements", "design", "tasks", "implementation", "review", "done")
        current = info.stage if info.stage in order else "requirements"
        if order.index(stage) > order.index(current):
            text = self.store.read(info, "requirements")
            self.store.write(info, "requirements", set_fields(text, {"stage": stage}))

    def _recorded_gate(self, info: SpecInfo, document: str) -> bool | None:
        if not self.store.has(info, document):
            return None
        gate = split_front_matter(self.store.read(info, document)).fields.get("gate")
        return bool(gate.get("passed")) if isinstance(gate, dict) else None


def _forced(gate: GateResult, skipped: GateResult | None, notes: list[str]) -> GateResult:
    """``gate`` passed by --force, with what the force let through recorded (and said in ``notes``)."""
    forced = force_gate(gate, skipped if skipped is not None and not skipped.passed else None)
    if forced.forced:
        notes.append("--force let through: " + "; ".join(forced.forced))
    return forced


def _profile(requirements: Requirements) -> str:
    return str(requirements.front.get("profile", "default") or "default")


def _citing(spec: str, requirements: Requirements, found: list[Citation]) -> list[Citation]:
    """The citations that cite one of the spec's requirements (or link a test by name), narrowed to the IDs
    they cite in the spec folder ``spec`` (an ID qualified with another spec is that spec's)."""
    known = {item.id for item in requirements.items}
    narrowed = [n for c in found if (n := c.for_spec(spec)) is not None]
    return [c for c in narrowed if known & set(c.ids) or c.by_name]
