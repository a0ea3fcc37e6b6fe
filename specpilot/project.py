"""One workspace's engine, as both faces use it: the façade the CLI and the language server build with
:func:`open_project`, so they wire the spec workflow, the model and the agent the same way.

A :class:`Project` holds the workspace's settings, its index (the server lends the one it keeps open; the CLI's
is opened when first needed and closed with the project), its one spec store (which sees the editor's open
buffers), the configured model as the spec stages' author, and the agent session factory. It imports engines
only, never a face: the server and the CLI import it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specpilot.core.config import ConfigProblem, Settings, load_settings
from specpilot.spec.store import SpecStore
from specpilot.spec.workflow import SpecWorkflow

if TYPE_CHECKING:
    from specpilot.agents.session import AgentSession
    from specpilot.core.policy import Policy
    from specpilot.index.engine import WorkspaceIndex
    from specpilot.llm.base import Provider
    from specpilot.spec.authoring import Author

log = logging.getLogger("specpilot")
Buffers = Mapping[str, tuple[str, int]]
PrepareIndex = Callable[["WorkspaceIndex"], None]


@dataclass
class Project:
    """See the module docstring. ``interactive``: searches never wait for the embedding model (the server
    answers with what is embedded so far); ``prepare_index`` runs on an index the project opens itself before
    its first search (the CLI indexes a never-indexed workspace there, with progress)."""

    root: Path
    settings: Settings
    problems: list[ConfigProblem] = field(default_factory=list)
    buffers: Buffers = field(default_factory=dict)
    api_key: str | None = None
    interactive: bool = False
    prepare_index: PrepareIndex | None = None
    _index: WorkspaceIndex | None = None
    _owns_index: bool = True
    _prepared: bool = False
    _policy: Policy | None = None
    notes: list[str] = field(default_factory=list)  # what the faces should tell the user (learning is off: why)
    specs: SpecStore = field(init=False)

    def __post_init__(self) -> None:
        self.specs = SpecStore(self.root, self.buffers)

    # -- the index ----------------------------------------------------------------------------------------------
    @property
    def index(self) -> WorkspaceIndex:
        """The workspace's index: the one lent by the server, or one this project opens (and closes)."""
        if self._index is None:
            from specpilot.index.engine import WorkspaceIndex

            self._index = WorkspaceIndex(self.root, self.settings)
            self._owns_index = True
            from specpilot.rl.search_clicks import apply_learned_weight

            apply_learned_weight(self._index)
        if self.prepare_index is not None and not self._prepared and self._owns_index:
            self._prepared = True
            self.prepare_index(self._index)
        return self._index

    def lend_index(self, index: WorkspaceIndex | None) -> None:
        """Use ``index``, which someone else opened and closes (the server's, the MCP server's); None: none."""
        if self._index is not None and self._owns_index and self._index is not index:
            self._index.close()
        self._index, self._owns_index = index, index is None

    def retrieve(self, query: str, k: int) -> list[tuple[str, str, int]]:
        """Affected code for a spec: (path, symbol, line) of the best definitions (modules left out)."""
        index = self.index
        if not index.manifest.files:  # nothing to cite: no need to load the embedding model
            return []
        hits = index.search(query, k=k, wait_for_model=not self.interactive)
        return [(h.path, h.qualified_name or h.name, h.start_line) for h in hits if h.kind != "module"]

    # -- the model and the spec workflow ------------------------------------------------------------------------
    def author(self) -> Author | None:
        """The configured model as planner, architect and reviewer; None when none is configured (the
        deterministic drafter writes). A model setting that cannot work is a SpecPilotError saying why."""
        from specpilot.llm.factory import make_provider
        from specpilot.llm.prompt_templates import PromptLibrary
        from specpilot.llm.safety.redact import redact_messages
        from specpilot.rl.policy import learning_wanted
        from specpilot.spec.authoring import Author

        provider = make_provider(self.settings.model, api_key=self.api_key)
        if provider.offline:
            return None
        if learning_wanted(self.settings.learning):  # the roles' prompts are their playbooks
            from specpilot.rl.playbook_prompts import PlaybookLibrary

            prompts: PromptLibrary = PlaybookLibrary(self.root, self.settings)
        else:
            prompts = PromptLibrary(self.root / ".specpilot" / "prompts")
        return Author(provider, prompts, redact_messages,
                      root=self.root, context_tokens=self.settings.agent.context_tokens, policy=self.policy())

    def policy(self) -> Policy:
        """What makes this workspace's learned choices: the learning policy when ``learning.enabled``
        (rl/policy.py), else the fixed default; a store that fails is noted in ``problems`` once."""
        if self._policy is None:
            from specpilot.rl.policy import policy_for

            self._policy, note = policy_for(self.root, self.settings.learning)
            if note:
                self.notes.append(note)
        return self._policy

    def workflow(self, *, author: bool = True, retrieval: bool = True) -> SpecWorkflow:
        """The spec workflow over this project's store; ``author``: with the configured model (when there is
        one); ``retrieval``: the design cites code from the index. Answering a draft's questions is a verdict
        for the learning loop (rl/question_verdicts.py)."""
        from specpilot.rl.question_verdicts import recorder

        policy = self.policy()
        return SpecWorkflow(self.root, retrieve=self.retrieve if retrieval else None,
                            author=self.author() if author else None, store=self.specs, settings=self.settings,
                            policy=policy, asked=recorder(policy), playbook_verdict=self.learn_from_draft)

    def learn_from_draft(self, used: dict[str, Any], kept: bool, draft: str = "") -> None:
        """Feed the verdict on a spec draft a playbook wrote to that role's prompt evolution (learning on); the
        configured model reflects on the draft. Never fails the stage: a problem is logged."""
        from specpilot.rl.policy import learning_wanted

        if learning_wanted(self.settings.learning):
            from specpilot.rl.playbook_prompts import record_draft

            record_draft(self.root, self.settings, used, kept, draft, self._reflector())

    def _reflector(self) -> Provider | None:
        """The configured model, to reflect on a judged run or draft; None when none is configured."""
        from specpilot.llm.factory import make_provider
        from specpilot.llm.settings import ModelConfigError

        try:
            return make_provider(self.settings.model, api_key=self.api_key)
        except ModelConfigError:
            return None

    # -- the agent ----------------------------------------------------------------------------------------------
    def agent_session(self, policy: Policy | None = None) -> AgentSession:
        """An agent session on this workspace, with the editor's buffers, this project's index when one is open,
        and ``policy`` making its choices (None: the learning policy when ``learning.enabled``, rl/policy.py;
        else the fixed default)."""
        from specpilot.agents.session import AgentSession

        session = AgentSession.open(self.root, settings=self.settings, api_key=self.api_key,
                                    buffers=dict(self.buffers), index=self._index)
        session.policy = policy if policy is not None else self.policy()
        session.gather = self.context_gatherer(session)
        from specpilot.rl.policy import learning_wanted

        if learning_wanted(self.settings.learning):  # the coder's prompt is its playbook, and runs feed it
            from specpilot.rl.playbook_prompts import PlaybookLibrary

            session.prompts = PlaybookLibrary(self.root, self.settings)
            session.on_verdict = self.learn_from_run
        session.notes.extend(n for n in self.notes if n not in session.notes)
        return session

    def context_gatherer(self, session: AgentSession) -> Callable[[str, int], list[str]] | None:
        """The promoted PPO context policy bound to the session's index (rl/context_policy.py), or None: learning
        off, ``learning.contextPolicy`` off, no policy trained, or one that was not promoted. A saved policy that
        cannot be used is noted once, and the bandit chooses."""
        from specpilot.rl.policy import learning_wanted

        if not learning_wanted(self.settings.learning):
            return None
        from specpilot.rl.context_policy import gatherer, promoted_policy

        policy, note = promoted_policy(self.settings.learning)
        if note and note not in self.notes:
            self.notes.append(note)
        return gatherer(policy, session.ctx.index) if policy is not None else None

    def feedback(self, decision_id: str, *, accepted: bool, note: str = "", rank: int | None = None) -> str:
        """The user's verdict on a proposal, by the decision id it carried: an agent run's id (its trajectory
        and every decision of the run), else a decision the learning store recorded (a search's results: the
        ``rank`` of the one opened). Which it was ("run" or "decision"); FileNotFoundError or a FeedbackError
        (rl/store.py) with a clear message when there is no such decision."""
        from specpilot.agents.session import run_feedback
        from specpilot.rl.policy import verdict

        try:  # no agent session is opened for this: a verdict needs the trajectory and the policy only
            run_feedback(self.root, self.settings, self.policy(), decision_id, accepted=accepted, note=note)
        except FileNotFoundError:
            pass
        else:
            self.learn_from_run(decision_id, accepted)
            return "run"

        verdict(decision_id, accepted=accepted, rank=rank, note=note, workspace=self.root,
                settings=self.settings.learning)
        return "decision"

    def learn_from_run(self, run_id: str, accepted: bool) -> None:
        """Feed a judged agent run to prompt evolution (rl/playbook_prompts.py) when learning is on; the configured
        model reflects on it. Never fails the verdict: a problem is logged."""
        from specpilot.rl.policy import learning_wanted

        if not learning_wanted(self.settings.learning):
            return
        from specpilot.agents.session import trajectory_dir
        from specpilot.agents.trajectory import read
        from specpilot.rl.playbook_prompts import record_run

        path = trajectory_dir(self.root, self.settings) / f"{run_id}.jsonl"
        try:
            if path.is_file():
                record_run(self.root, self.settings, read(path), accepted, self._reflector())  # logs what it did
        except Exception as exc:  # learning never breaks a verdict
            log.warning("playbook coder: the run was not learned from: %s", exc)

    def close(self) -> None:
        if self._index is not None and self._owns_index:
            self._index.close()
        self._index = None


def open_project(root: Path, *, settings: Settings | None = None, buffers: Buffers | None = None,
                 index: WorkspaceIndex | None = None, api_key: str | None = None, interactive: bool = False,
                 prepare_index: PrepareIndex | None = None) -> Project:
    """The one way both faces build a workspace's engine. ``settings`` None: read from the workspace (its
    problems are kept on the project for the face to report); ``index``: an open index to lend (the server's)."""
    root = Path(root).resolve()
    problems: list[ConfigProblem] = []
    if settings is None:
        settings, problems = load_settings(root)
    project = Project(root, settings, problems, buffers if buffers is not None else {}, api_key, interactive,
                      prepare_index)
    if index is not None:
        project._index, project._owns_index = index, False
    return project
