"""What a project's README, config files and code say about its settings, scripts and options.

The ml profile's review checks that these three agree (:mod:`specpilot.spec.consistency`); this module only
reads them, deterministically and without running anything:

README (``README.md``, ``README.rst`` or ``README``)
    commands in shell blocks, ``$ `` lines and inline code that run a workspace script
    (``python train.py --epochs 3``, ``python -m pkg.train``, ``torchrun ... train.py``, ``accelerate launch``;
    a lone `` `train.py` `` names a file and runs nothing); settings it states: ``key: value`` / ``key = value``
    lines of YAML/TOML blocks and inline code (UPPER_CASE names are environment variables and are left out),
    two-column tables (``| batch_size | 32 |``) and prose about well-known hyper-parameters ("a batch size of
    32", "for 10 epochs" but not "every 30 epochs", "learning rate 3e-4"); config file paths it names
    (``configs/train.yaml``); options it names alone (`` `--warmup` ``).
config files
    YAML, TOML and JSON files in a ``config``/``configs``/``conf``/``hparams``/``experiments`` folder, or whose
    name says config/params/hparams/settings/train/experiment, or that the README or code names. Every scalar
    leaf is a setting at its line. Tooling files (pyproject.toml, package.json, CI, lock files) are not config.
code (Python outside tests)
    argparse ``add_argument`` and click/typer ``option`` flags per file and their defaults; function-parameter
    defaults; constant keyword arguments (``DataLoader(ds, batch_size=32)``); UPPER_CASE module constants and
    class-level fields (dataclass configs); ``cfg["key"]`` subscripts on config-like names (a missing key is a
    ``KeyError``) and the keys it tests first (``"key" in cfg``); config paths with a folder in string literals;
    and every identifier, attribute, keyword and short string constant, normalised like keys, to tell whether a
    config key is read at all.

Keys are normalised: camelCase split, lower case, ``-`` and spaces to ``_``, and the usual aliases folded
(``learning_rate`` and ``lr``; ``num_epochs``, ``n_epochs``, ``max_epochs`` and ``epochs``; ``bs``, ``batchsize``
and ``batch_size``).
Values are normalised too: numbers compare as numbers (``3e-4`` is ``0.0003``), booleans as booleans.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from specpilot.config import Settings, load_settings
from specpilot.index.scanner import read_source, workspace_files
from specpilot.spec.trace import is_test_path

__all__ = ["Command", "ConfigFile", "Facts", "Mention", "Setting", "gather", "normal_key", "normal_value"]

README_NAMES = ("README.md", "README.rst", "README")
CONFIG_SUFFIXES = (".yaml", ".yml", ".toml", ".json")
_CONFIG_DIRS = {"config", "configs", "conf", "hparams", "hyps", "experiments", "experiment", "cfg"}
_DATA_DIRS = {"data", "dataset", "datasets", "fixtures"}
_OUTPUT_DIRS = {"outputs", "output", "runs", "checkpoints", "results", "logs", "wandb", "mlruns", "lightning_logs",
                "node_modules"}
_CONFIG_NAME = re.compile(r"config|conf\b|param|hyp|setting|train|experiment|sweep", re.IGNORECASE)
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
_NUMBER = r"[-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_VOCABULARY = (r"batch[ _-]?size|learning[ _-]rate|lr|epochs?|seed|weight[ _-]decay|dropout|warm[ _-]?up[ _-]steps"
               r"|hidden[ _-]size|max(?:imum)?[ _-](?:sequence[ _-])?length|sequence[ _-]length|momentum")
_PROSE_KEY_FIRST = re.compile(  # not after a dash: "--batch-size -1" is an option given, not a claim
    rf"(?<![-\w])(?P<key>{_VOCABULARY})\b(?:\s+(?:of|is|=|:|to|at|set\s+to|defaults?\s+to|was|equals?)){{0,2}}\s*[:=]?\s*"
    rf"`?(?P<value>{_NUMBER})(?!\w|\.\d)", re.IGNORECASE)
# "for 10 epochs" states the length of training; "every 30 epochs" or "after 5 epochs" does not.
_PROSE_VALUE_FIRST = re.compile(r"\bfor\s+(?P<value>\d+)\s+(?P<key>epochs)\b", re.IGNORECASE)
_KEY_VALUE = re.compile(r"^\s*[\"']?(?P<key>[A-Za-z_][\w.-]*)[\"']?\s*[:=]\s*(?P<value>[^#\s][^#]*?)\s*(?:#.*)?$")
_INLINE_CODE = re.compile(r"``?([^`\n]+)``?")
_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+-]*)")
_SHELL_LANGUAGES = {"", "bash", "sh", "shell", "console", "zsh", "shell-session", "text"}
_CONFIG_LANGUAGES = {"yaml", "yml", "toml", "ini", "json"}
_LAUNCHERS = {"python", "python3", "py", "torchrun", "deepspeed", "accelerate", "uv", "poetry", "pipenv",
              "launch", "run", "srun", "nohup", "time", "exec", "env", "CUDA_VISIBLE_DEVICES"}
_CONFIG_NAMES = re.compile(r"(?:^|_)(?:cfg|config|conf|hparams|hyperparams|params|settings|hp)$", re.IGNORECASE)
_PATH_LITERAL = re.compile(r"^[\w.-]+(?:/[\w.-]+)*\.(?:ya?ml|toml|json)$")
_LAUNCHER_MODULES = ("torch.distributed.", "accelerate", "deepspeed")
_ARG_LIBRARIES = {"fire", "hydra", "typer", "jsonargparse", "simple_parsing", "tyro", "omegaconf", "docopt"}


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
        return float(text.replace("_", "")) if re.fullmatch(_NUMBER, text) else text
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


def gather(root: Path, settings: Settings | None = None) -> Facts:
    """Read the README, the config files and the Python code of the workspace at ``root`` (the files the one
    walker lists with ``settings``; None: the workspace's own)."""
    root = Path(root)
    settings = settings or load_settings(root)[0]
    max_file_bytes = settings.index.max_file_bytes
    facts = Facts()
    candidates: list[tuple[str, Path]] = []
    for scanned in workspace_files(root, settings):
        path = scanned.path
        suffix = PurePosixPath(path).suffix.lower()
        if suffix == ".py" and not is_test_path(path):
            text = read_source(scanned.abs_path, max_file_bytes)
            if isinstance(text, str):
                facts.python_files.add(path)
                _read_python(facts, path, text)
        elif suffix in CONFIG_SUFFIXES:
            candidates.append((path, scanned.abs_path))
            facts.data_files.add(path)
    readme = next((name for name in README_NAMES if (root / name).is_file()), None)
    if readme is not None:
        text = read_source(root / readme, max_file_bytes)
        if isinstance(text, str):
            facts.readme = readme
            _read_readme(facts, readme, text)
    named = {PurePosixPath(m.text).as_posix() for m in facts.readme_paths + facts.code_paths}
    for path, abs_path in candidates:
        if _is_config(path) or path in named and not _never_config(path):
            text = read_source(abs_path, max_file_bytes)
            if isinstance(text, str):
                facts.configs.append(_read_config(facts, path, text))
    return facts


def _never_config(path: str) -> bool:
    """Tooling files (pyproject.toml, package.json, CI), JSON Schemas, files in hidden, test or output folders
    (what training writes: logs/, runs/, checkpoints/), and files in data folders unless in a config folder there
    (data/coco.yaml is data; data/hyps/hyp.yaml is a config)."""
    parts = PurePosixPath(path).parts
    name = parts[-1].lower()
    folders = {part.lower() for part in parts[:-1]}
    return (name in _TOOLING or "schema" in name or any(part.startswith(".") for part in parts) or "tests" in folders
            or bool(folders & _OUTPUT_DIRS) or bool(folders & _DATA_DIRS) and not folders & _CONFIG_DIRS)


def _is_config(path: str) -> bool:
    parts = PurePosixPath(path).parts
    if _never_config(path):
        return False
    return bool(_CONFIG_DIRS & {part.lower() for part in parts[:-1]}) or bool(_CONFIG_NAME.search(parts[-1].lower()))


# --- README -------------------------------------------------------------------------------------------------


def _read_readme(facts: Facts, path: str, text: str) -> None:
    language: str | None = None  # inside a fence: its language
    pending = ""
    for number, line in enumerate(text.splitlines(), 1):
        fence = _FENCE.match(line)
        if fence:
            language = None if language is not None else fence.group(2).lower()
            continue
        if language is not None:
            if language in _CONFIG_LANGUAGES:
                _key_value(facts, path, number, line)
            elif language in _SHELL_LANGUAGES:
                if line.rstrip().endswith("\\"):
                    pending += line.rstrip()[:-1] + " "
                    continue
                _command(facts, path, number, pending + line)
                pending = ""
            continue
        if line.lstrip().startswith("$ "):
            _command(facts, path, number, line)
            continue
        if line.lstrip().startswith("|"):
            _table_row(facts, path, number, line)
        for span in _INLINE_CODE.findall(line):
            _inline(facts, path, number, span)
        prose = _INLINE_CODE.sub(lambda m: m.group(1), line)
        for match in list(_PROSE_KEY_FIRST.finditer(prose)) + list(_PROSE_VALUE_FIRST.finditer(prose)):
            facts.settings.append(Setting(normal_key(match["key"]), normal_value(match["value"]), path, number,
                                          "readme", "states", exact=False))


def _inline(facts: Facts, path: str, number: int, span: str) -> None:
    span = span.strip()
    if " " in span and _command(facts, path, number, span):  # `train.py` alone names a file; it runs nothing
        return
    if _PATH_LITERAL.match(span) and ("/" in span or not span.endswith(".json")):
        facts.readme_paths.append(Mention(span, path, number))
    elif re.fullmatch(r"--[A-Za-z][\w-]*", span):
        facts.readme_options.append(Mention(span, path, number))
    else:
        _key_value(facts, path, number, span, exact=False)


def _key_value(facts: Facts, path: str, number: int, line: str, *, exact: bool = True) -> None:
    match = _KEY_VALUE.match(line)
    if match and match["key"].isupper():  # NCCL_IB_DISABLE=1: an environment variable, not a setting
        return
    if match and not match["value"].startswith(("{", "[", "|", ">")):
        value = normal_value(match["value"])
        if isinstance(value, (float, bool)):
            facts.settings.append(Setting(normal_key(match["key"].rsplit(".", 1)[-1]), value, path, number,
                                          "readme", "states", exact))


def _table_row(facts: Facts, path: str, number: int, line: str) -> None:
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    if len(cells) < 2 or not re.fullmatch(r"`?-{0,2}[A-Za-z_][\w.-]*`?", cells[0]):
        return
    for cell in cells[1:]:
        value = normal_value(cell)
        if isinstance(value, (float, bool)):
            facts.settings.append(Setting(normal_key(cells[0]), value, path, number, "readme", "states"))
            return


def _command(facts: Facts, path: str, number: int, line: str) -> bool:
    """Record ``line`` if it runs a workspace Python script; True if it did."""
    line = line.strip().removeprefix("$").strip()
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError:
        return False
    script: str | None = None
    module = False
    for index, token in enumerate(tokens):
        if token.endswith(".py") and not token.startswith("-"):
            script, rest = token, tokens[index + 1:]
            break
        after_python = index and PurePosixPath(tokens[index - 1]).name.startswith(("python", "py"))
        if token == "-m" and index + 1 < len(tokens) and after_python:
            if tokens[index + 1].startswith(_LAUNCHER_MODULES):  # python -m torch.distributed.launch ... main.py
                continue
            script, module, rest = tokens[index + 1], True, tokens[index + 2:]
            break
        if index and tokens[index - 1] == "-m" and token.startswith(_LAUNCHER_MODULES):
            continue
        if not (token in _LAUNCHERS or PurePosixPath(token).name.startswith("python") or token.startswith("-")
                or "=" in token or (index and tokens[index - 1].startswith("--"))):
            return False
    if script is None:
        return False
    flags: list[str] = []
    for index, token in enumerate(rest):
        if token.startswith("-") and not re.fullmatch(_NUMBER, token):
            flag, _, value = token.partition("=")
            flags.append(flag)
            following = rest[index + 1] if index + 1 < len(rest) else ""
            given = value or ("" if following.startswith("-") and not re.fullmatch(_NUMBER, following) else following)
            if given:
                facts.command_values.append(Setting(normal_key(flag), normal_value(given), path, number, "command",
                                                    "passes"))
            if flag in ("--config", "--config-file", "--cfg", "-c", "--config_file") or flag.endswith("config"):
                value = value or (rest[index + 1] if index + 1 < len(rest) else "")
                if value.endswith(CONFIG_SUFFIXES):
                    facts.readme_paths.append(Mention(value, path, number))
    facts.commands.append(Command(script, module, tuple(flags), number, line))
    return True


# --- config files -------------------------------------------------------------------------------------------


def _read_config(facts: Facts, path: str, text: str) -> ConfigFile:
    config = ConfigFile(path)
    suffix = PurePosixPath(path).suffix.lower()
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        config.error = _parse_error(exc)
        return config
    lines = text.splitlines()

    def line_of(key: str, after: int) -> int:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[:=]")
        for number in range(after, len(lines)):
            if pattern.match(lines[number]):
                return number + 1
        return after or 1

    def walk(node: Any, after: int) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            number = line_of(str(key), after)
            config.keys.setdefault(normal_key(str(key)), number)
            if isinstance(value, dict):
                walk(value, number)
            elif not isinstance(value, list) and re.fullmatch(r"[A-Za-z_][\w.-]*", str(key)):  # not {0: person}
                facts.settings.append(Setting(normal_key(str(key)), normal_value(value), path, number, "config",
                                              "sets"))

    walk(data, 0)
    raw = [str(key) for key in data] if isinstance(data, dict) else []
    upper = sum(key.isupper() for key in raw)
    config.framework = "_base_" in {key.lower() for key in raw} or bool(raw) and upper * 2 > len(raw)
    return config


def _parse_error(exc: Exception) -> str:
    """``line 8: expected ',' or ']'``: the first line of a YAML, JSON or TOML parser's complaint."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        return f"line {exc.problem_mark.line + 1}: {exc.problem or exc.context}"
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}: {exc.msg}"
    return " ".join(str(exc).split())[:200]


# --- code ---------------------------------------------------------------------------------------------------


def _constant(node: ast.AST | None) -> tuple[bool, Any]:
    """(True, value) for a literal number, string, bool or None (``-1`` included)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        ok, value = _constant(node.operand)
        return (ok, -value) if ok and isinstance(value, (int, float)) and not isinstance(value, bool) else (False, 0)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return True, node.value
    return False, None


def _root_name(node: ast.AST) -> str | None:
    """``cfg`` for ``cfg["a"]["b"]``, ``self.cfg["a"]``, ``cfg.train["a"]``'s closest name-like part."""
    while True:
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Attribute):
            return node.attr
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def _read_python(facts: Facts, path: str, text: str) -> None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    options = facts.options.setdefault(path, {})
    names = facts.names
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(normal_key(node.id))
        elif isinstance(node, ast.Attribute):
            names.add(normal_key(node.attr))
            if node.attr == "argv":
                facts.argv_files.add(path)
        elif isinstance(node, ast.arg):
            names.add(normal_key(node.arg))
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(normal_key(node.arg))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if len(node.value) <= 64:
                names.add(normal_key(node.value))
            if _PATH_LITERAL.match(node.value) and "/" in node.value and not _never_config(node.value):
                facts.code_paths.append(Mention(node.value, path, node.lineno))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else _from_modules(path, node)
            facts.imports.setdefault(path, set()).update(modules)
            if any(m.split(".")[0] in _ARG_LIBRARIES for m in modules) or any(
                    a.name == "HfArgumentParser" for a in node.names):
                facts.free_parsers.add(path)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "exec" or \
                    isinstance(node.func, ast.Attribute) and node.func.attr in ("run_path", "run_module"):
                facts.free_parsers.add(path)  # exec(open("configurator.py").read()): options parsed elsewhere
            _call(facts, path, node, options)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            _defaults(facts, path, node)
        elif isinstance(node, ast.Subscript):
            ok, key = _constant(node.slice)
            root = _root_name(node.value)
            if ok and isinstance(key, str) and isinstance(node.ctx, ast.Store):
                facts.written_keys.add(normal_key(key))
            elif ok and isinstance(key, str) and root and _CONFIG_NAMES.search(root):
                facts.reads.append(Mention(normal_key(key), path, node.lineno))
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and isinstance(
                node.left.value, str) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            facts.guarded_keys.add(normal_key(node.left.value))
        elif isinstance(node, ast.Dict):
            facts.written_keys.update(normal_key(k.value) for k in node.keys
                                      if isinstance(k, ast.Constant) and isinstance(k.value, str))
    for node in tree.body:
        _assignment(facts, path, node, module_level=True)
        if isinstance(node, ast.ClassDef):
            for child in node.body:
                _assignment(facts, path, child, module_level=False)


def _from_modules(path: str, node: ast.ImportFrom) -> list[str]:
    """``from .cli import parse`` in ``pkg/train.py`` -> ``pkg.cli`` and ``pkg.cli.parse`` (either may be a module)."""
    base = node.module or ""
    if node.level:
        package = list(PurePosixPath(path).parts[:-1])
        package = package[:len(package) - (node.level - 1)] if node.level > 1 else package
        base = ".".join(package + ([base] if base else []))
    return [base] + [f"{base}.{alias.name}" if base else alias.name for alias in node.names]


def _call(facts: Facts, path: str, node: ast.Call, options: dict[str, int]) -> None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
             and a.value.startswith("-")]
    if name == "add_argument" and node.args and not isinstance(node.args[0], ast.Constant):
        facts.free_parsers.add(path)  # add_argument(f"--{key}", ...) in a loop: the options are not listed
    if name in ("add_argument", "option", "Option") and flags:
        for flag in flags:
            options.setdefault(flag, node.lineno)
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        ok, dest = _constant(keywords.get("dest"))
        long = next((f for f in flags if f.startswith("--")), flags[0])
        key = normal_key(dest if ok and isinstance(dest, str) else long)
        ok, default = _constant(keywords.get("default"))
        if ok and default is not None:
            facts.settings.append(Setting(key, normal_value(default), path, node.lineno, "code", "defaults to"))
        return
    for keyword in node.keywords:
        ok, value = _constant(keyword.value)
        if keyword.arg and ok and value is not None and not isinstance(value, str):
            facts.settings.append(Setting(normal_key(keyword.arg), normal_value(value), path, keyword.value.lineno,
                                          "code", "passes"))


def _defaults(facts: Facts, path: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    positional = node.args.posonlyargs + node.args.args
    pairs = list(zip(positional[len(positional) - len(node.args.defaults):], node.args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True) if d is not None]
    for arg, default in pairs:
        ok, value = _constant(default)
        if ok and value is not None and not isinstance(value, str):
            facts.settings.append(Setting(normal_key(arg.arg), normal_value(value), path, default.lineno, "code",
                                          "defaults to"))


def _assignment(facts: Facts, path: str, node: ast.stmt, *, module_level: bool) -> None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        target, value = node.targets[0].id, node.value
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        target, value = node.target.id, node.value
    else:
        return
    if isinstance(value, ast.Call) and value.args:  # field(default=...) is a keyword; Field(32) is not checked
        return
    if isinstance(value, ast.Call):
        value = next((k.value for k in value.keywords if k.arg == "default"), value)
    if module_level and not target.isupper():
        return
    ok, constant = _constant(value)
    if ok and constant is not None and not isinstance(constant, str):
        facts.settings.append(Setting(normal_key(target), normal_value(constant), path, node.lineno, "code",
                                      "sets"))
