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

This module reads the README and the config files; the data model and the normal forms are in
:mod:`specpilot.spec.fact_model`, the Python reader in :mod:`specpilot.spec.facts_code`.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from specpilot.core.config import Settings, load_settings
from specpilot.core.scanner import read_source, workspace_files
from specpilot.spec.fact_model import (
    CONFIG_DIRS,
    NUMBER,
    PATH_LITERAL,
    Command,
    ConfigFile,
    Facts,
    Mention,
    Setting,
    never_config,
    normal_key,
    normal_value,
    show,
)
from specpilot.spec.facts_code import read_python
from specpilot.spec.trace import is_test_path

__all__ = ["Command", "ConfigFile", "Facts", "Mention", "Setting", "gather", "normal_key", "normal_value", "show"]

README_NAMES = ("README.md", "README.rst", "README")
CONFIG_SUFFIXES = (".yaml", ".yml", ".toml", ".json")
_CONFIG_NAME = re.compile(r"config|conf\b|param|hyp|setting|train|experiment|sweep", re.IGNORECASE)
_VOCABULARY = (r"batch[ _-]?size|learning[ _-]rate|lr|epochs?|seed|weight[ _-]decay|dropout|warm[ _-]?up[ _-]steps"
               r"|hidden[ _-]size|max(?:imum)?[ _-](?:sequence[ _-])?length|sequence[ _-]length|momentum")
_PROSE_KEY_FIRST = re.compile(  # not after a dash: "--batch-size -1" is an option given, not a claim
    rf"(?<![-\w])(?P<key>{_VOCABULARY})\b(?:\s+(?:of|is|=|:|to|at|set\s+to|defaults?\s+to|was|equals?)){{0,2}}\s*[:=]?\s*"
    rf"`?(?P<value>{NUMBER})(?!\w|\.\d)", re.IGNORECASE)
# "for 10 epochs" states the length of training; "every 30 epochs" or "after 5 epochs" does not.
_PROSE_VALUE_FIRST = re.compile(r"\bfor\s+(?P<value>\d+)\s+(?P<key>epochs)\b", re.IGNORECASE)
_KEY_VALUE = re.compile(r"^\s*[\"']?(?P<key>[A-Za-z_][\w.-]*)[\"']?\s*[:=]\s*(?P<value>[^#\s][^#]*?)\s*(?:#.*)?$")
_INLINE_CODE = re.compile(r"``?([^`\n]+)``?")
_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+-]*)")
_SHELL_LANGUAGES = {"", "bash", "sh", "shell", "console", "zsh", "shell-session", "text"}
_CONFIG_LANGUAGES = {"yaml", "yml", "toml", "ini", "json"}
_LAUNCHERS = {"python", "python3", "py", "torchrun", "deepspeed", "accelerate", "uv", "poetry", "pipenv",
              "launch", "run", "srun", "nohup", "time", "exec", "env", "CUDA_VISIBLE_DEVICES"}
_LAUNCHER_MODULES = ("torch.distributed.", "accelerate", "deepspeed")


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
                read_python(facts, path, text)
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
        if _is_config(path) or path in named and not never_config(path):
            text = read_source(abs_path, max_file_bytes)
            if isinstance(text, str):
                facts.configs.append(_read_config(facts, path, text))
    return facts


def _is_config(path: str) -> bool:
    parts = PurePosixPath(path).parts
    if never_config(path):
        return False
    return bool(CONFIG_DIRS & {part.lower() for part in parts[:-1]}) or bool(_CONFIG_NAME.search(parts[-1].lower()))


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
    if PATH_LITERAL.match(span) and ("/" in span or not span.endswith(".json")):
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
        if token.startswith("-") and not re.fullmatch(NUMBER, token):
            flag, _, value = token.partition("=")
            flags.append(flag)
            following = rest[index + 1] if index + 1 < len(rest) else ""
            given = value or ("" if following.startswith("-") and not re.fullmatch(NUMBER, following) else following)
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
