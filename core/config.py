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
from specpilot.core.settings_sections import (
    MIB,
    AgentSettings,
    EmbedderSettings,
    IndexSettings,
    LearningSettings,
    McpSettings,
    ModelSettings,
    ObservabilitySettings,
    RerankSettings,
    SearchSettings,
    ServerSettings,
    TraceSettings,
)

__all__ = ["MIB", "AgentSettings", "ConfigProblem", "EmbedderSettings", "IndexSettings", "LearningSettings",
           "McpSettings", "ModelSettings", "ObservabilitySettings", "RerankSettings", "SearchSettings",
           "ServerSettings", "SettingInfo",
           "Settings", "TraceSettings"]


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
    mcp: McpSettings = field(default_factory=McpSettings)
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)


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
