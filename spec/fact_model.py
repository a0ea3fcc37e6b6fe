"""The facts' data model and normal forms (spec/facts.py reads a project into it; spec/consistency.py compares).

Keys are normalised: camelCase split, lower case, ``-`` and spaces to ``_``, and the usual aliases folded
(``learning_rate`` and ``lr``; ``num_epochs``, ``n_epochs``, ``max_epochs`` and ``epochs``; ``bs``, ``batchsize``
and ``batch_size``). Values are normalised too: numbers compare as numbers (``3e-4`` is ``0.0003``), booleans as
booleans. :func:`never_config` says which YAML/TOML/JSON files are never a project's configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

CONFIG_DIRS = {"config", "configs", "conf", "hparams", "hyps", "experiments", "experiment", "cfg"}
_DATA_DIRS = {"data", "dataset", "datasets", "fixtures"}
_OUTPUT_DIRS = {"outputs", "output", "runs", "checkpoints", "results", "logs", "wandb", "mlruns", "lightning_logs",
                "node_modules"}
_TOOLING = {
    "pyproject.toml", "package.json", "package-lock.json", "tsconfig.json", "jsconfig.json", "cargo.toml",
    ".pre-commit-config.yaml", "docker-compose.yml", "docker-compose.yaml", "mkdocs.yml", "environment.yml",
    "environment.yaml", "poetry.lock", "codecov.yml", ".readthedocs.yaml", "renovate.json", "setup.cfg",
}
_ALIASES = {
    "learning_rate": "lr", "learningrate": "lr", "num_epochs": "epochs", "n_epochs": "epochs",
    "max_epochs": "epochs", "epoch": "epochs", "num_train_epochs": "epochs", "batchsize": "batch_size",
    "bs": "batch_size", "random_seed": "seed", "wd": "weight_decay",
}
# Prose about hyper-parameters: "a batch size of 32", "learning rate: 3e-4", "10 epochs".
NUMBER = r"[-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
PATH_LITERAL = re.compile(r"^[\w.-]+(?:/[\w.-]+)*\.(?:ya?ml|toml|json)$")


def normal_key(key: str) -> str:
    """``--Learning-Rate`` -> ``lr``; ``batch size`` -> ``batch_size``; ``maxFileBytes`` -> ``max_file_bytes``."""
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key.strip().strip("`'\"").lstrip("-"))  # camelCase
    key = re.sub(r"[\s-]+", "_", key.lower())
    return _ALIASES.get(key, key)


def normal_value(value: Any) -> Any:
    """Numbers as floats, ``true``/``false`` as booleans, ``null``/``None`` as None, other text stripped of
    quotes; so ``3e-4`` equals ``0.0003`` and ``"32"`` equals ``32``."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().strip("`").strip("'\"").strip()
    lowered = text.lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    if lowered in ("null", "none", "~"):
        return None
    try:
        return float(text.replace("_", "")) if re.fullmatch(NUMBER, text) else text
    except ValueError:
        return text


def show(value: Any) -> str:
    """A normalised value as a person writes it (``32`` rather than ``32.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True, slots=True)
class Setting:
    """``key`` (normalised) has ``value`` (normalised) at ``path:line``; ``source`` is readme, config, code or
    command and ``how`` says in what way (``states``, ``sets``, ``defaults to``, ``passes``). ``exact`` is False
    for what was read out of README prose and inline code, which may describe something else (a published
    checkpoint's training, another model) rather than this project's settings."""

    key: str
    value: Any
    path: str
    line: int
    source: str
    how: str
    exact: bool = True

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where} {self.how} {show(self.value)}"


@dataclass(frozen=True, slots=True)
class Command:
    """A README command running workspace script ``script`` (a path, or a dotted module with ``module``) with
    ``flags`` (long and short options as written, values dropped)."""

    script: str
    module: bool
    flags: tuple[str, ...]
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """``text`` (a path or an option) named at ``path:line``."""

    text: str
    path: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(slots=True)
class ConfigFile:
    """``framework``: the file is read by a framework rather than by the workspace's code, as its keys say:
    detectron2/yacs-style UPPER_CASE keys, or a ``_BASE_`` it inherits from."""

    path: str
    keys: dict[str, int] = field(default_factory=dict)  # every key (leaf or section), normalised -> line
    error: str | None = None
    framework: bool = False


@dataclass(slots=True)
class Facts:
    """Everything :func:`gather` found; see the module docstring."""

    readme: str | None = None
    commands: list[Command] = field(default_factory=list)
    command_values: list[Setting] = field(default_factory=list)  # what README commands pass (the user's choice)
    settings: list[Setting] = field(default_factory=list)
    readme_paths: list[Mention] = field(default_factory=list)
    readme_options: list[Mention] = field(default_factory=list)
    configs: list[ConfigFile] = field(default_factory=list)
    options: dict[str, dict[str, int]] = field(default_factory=dict)  # python file -> option -> line
    free_parsers: set[str] = field(default_factory=set)  # fire/hydra/typer/exec/computed options: not listed
    argv_files: set[str] = field(default_factory=set)  # files reading sys.argv (by hand, unless they use argparse)
    imports: dict[str, set[str]] = field(default_factory=dict)  # python file -> modules it imports (absolute)
    names: set[str] = field(default_factory=set)  # identifiers, attributes, keywords, short strings (normal_key)
    reads: list[Mention] = field(default_factory=list)  # cfg["key"] subscripts (text: the normalised key)
    written_keys: set[str] = field(default_factory=set)  # keys code puts in dicts itself ({"k": ...}, d["k"] = ...)
    guarded_keys: set[str] = field(default_factory=set)  # keys code tests for first: "k" in cfg
    code_paths: list[Mention] = field(default_factory=list)  # config paths in code string literals
    python_files: set[str] = field(default_factory=set)
    data_files: set[str] = field(default_factory=set)  # every YAML/TOML/JSON path, config or not


def never_config(path: str) -> bool:
    """Tooling files (pyproject.toml, package.json, CI), JSON Schemas, files in hidden, test or output folders
    (what training writes: logs/, runs/, checkpoints/), and files in data folders unless in a config folder there
    (data/coco.yaml is data; data/hyps/hyp.yaml is a config)."""
    parts = PurePosixPath(path).parts
    name = parts[-1].lower()
    folders = {part.lower() for part in parts[:-1]}
    return (name in _TOOLING or "schema" in name or any(part.startswith(".") for part in parts) or "tests" in folders
            or bool(folders & _OUTPUT_DIRS) or bool(folders & _DATA_DIRS) and not folders & CONFIG_DIRS)
