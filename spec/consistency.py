"""Whether a project's README, config files and code agree: the ml profile's review check.

From the facts :func:`specpilot.spec.facts.gather` reads, each disagreement a user would trip over is one
:class:`Finding`:

``missing script``
    the README runs a workspace script or module that does not exist.
``unknown option``
    the README passes an option (or names one alone) that the script's argparse/click parser does not define;
    argparse's unique-prefix abbreviations count as defined. Scripts whose options come from fire, hydra, typer
    and the like, from ``sys.argv`` by hand, from a file they ``exec``, or from ``add_argument(f"--{key}")``
    in a loop, are not checked.
``missing file``
    the README, a README command's ``--config`` or a string literal in the code names a config file that does
    not exist.
``bad config``
    a config file does not parse.
``value``
    the README states a value for a setting (prose, a table, a YAML/TOML block) that no config file sets and
    no code default or constant keyword argument has; a README command's own values are the user's choice and
    are not compared. Config values differing from code defaults are not a finding: configs override defaults.
    An error for tables and YAML/TOML blocks; a warning for prose and inline code, which may describe something
    else (how a published checkpoint was trained, another model's figures).
``unread key``
    a config file sets a key that no code mentions (no identifier, attribute, keyword or string of that name).
    When the code reads a key spelled nearly the same, it is a typo and an error; otherwise a library may read it
    (Lightning's ``Trainer(**cfg)``), so it is a warning. Files a framework reads (detectron2-style UPPER_CASE
    keys, a ``_BASE_``) are not checked.
``unset key``
    code reads ``cfg["key"]`` (a ``KeyError`` when missing) and no config file sets it, nor does the code put it
    in a dict itself or test ``"key" in cfg`` first.
``undocumented``
    the README states a setting that neither a config file nor the code mentions at all (a warning).

A README value that one of the README's own commands passes (``for 25 epochs:`` above ``--epochs 25``) describes
that run and is not compared. Errors fail the ml profile's review gate; warnings are listed in review.md.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from specpilot.spec.facts import Facts, Setting, gather, show

__all__ = ["Consistency", "Finding", "check_consistency"]

_MAX_LISTED = 8


@dataclass(frozen=True, slots=True)
class Finding:
    """One disagreement. ``severity`` is ``error`` when it is certain (the review gate fails) and ``warning`` when
    something outside the workspace may account for it: a config key no code names (a library may read it), or
    a README setting nothing mentions."""

    kind: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return self.message


@dataclass(slots=True)
class Consistency:
    """The facts that were compared and the findings; :attr:`agrees` when there are none."""

    facts: Facts
    findings: list[Finding] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.findings

    @property
    def errors(self) -> list[Finding]:
        """The certain disagreements: each fails the ml profile's review gate."""
        return [finding for finding in self.findings if finding.severity == "error"]

    def summary(self) -> str:
        facts = self.facts
        configs = ", ".join(c.path for c in facts.configs[:_MAX_LISTED]) or "none"
        compared = sum(1 for s in facts.settings if s.source == "readme")
        return (f"Checked {facts.readme or 'no README'}, config files ({configs}) and "
                f"{len(facts.python_files)} Python file(s): {len(facts.commands)} README command(s), "
                f"{compared} README setting(s), {sum(len(o) for o in facts.options.values())} option(s).")

    def report(self) -> str:
        """Markdown for review.md's "README and code" section."""
        if self.agrees:
            return self.summary() + " They agree."
        lines = [self.summary() + f" {len(self.findings)} disagreement(s):", ""]
        lines += [f"- {finding.message}" + (" (warning)" if finding.severity == "warning" else "")
                  for finding in self.findings]
        return "\n".join(lines)


def check_consistency(root: Path, facts: Facts | None = None) -> Consistency:
    """Compare the README, config files and code of the workspace at ``root``."""
    root = Path(root)
    facts = gather(root) if facts is None else facts
    result = Consistency(facts)
    out = result.findings
    out += _commands(root, facts)
    out += _options_named(facts)
    out += _paths(root, facts)
    out += [Finding("bad config", f"{c.path} does not parse: {c.error}") for c in facts.configs if c.error]
    out += _values(facts)
    out += _unread_keys(facts)
    out += _unset_keys(facts)
    return result


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def _script_path(root: Path, facts: Facts, script: str, module: bool) -> tuple[str | None, bool]:
    """(workspace path of the script or None, whether it should be in the workspace at all). A script missing
    from the root but found in exactly one folder is that one: the README means to run it from there."""
    if not module:
        path = PurePosixPath(script.removeprefix("./")).as_posix()
        if (root / path).is_file():
            return path, True
        elsewhere = [p for p in facts.python_files if p.endswith(f"/{path}")]
        return (elsewhere[0] if len(elsewhere) == 1 else None), True
    parts = script.split(".")
    for base in ("", "src/"):
        for candidate in (f"{base}{'/'.join(parts)}.py", f"{base}{'/'.join(parts)}/__main__.py"):
            if (root / candidate).is_file():
                return candidate, True
    ours = any((root / base / parts[0]).is_dir() or (root / base / f"{parts[0]}.py").is_file()
               for base in ("", "src"))
    return None, ours


def _defines(defined: dict[str, int], flag: str) -> bool:
    if flag in defined or flag in ("-h", "--help"):
        return True
    return flag.startswith("--") and sum(1 for f in defined if f.startswith(flag)) == 1  # argparse abbreviation


def _free(facts: Facts, path: str | None = None) -> bool:
    """True when options may come from somewhere not listed (fire, hydra, ... or sys.argv by hand)."""
    return path in facts.free_parsers if path is not None else bool(facts.free_parsers)


def _module_files(root: Path, module: str, folder: str) -> list[str]:
    """The workspace files of ``module``, from the root, ``src/`` or the importing script's ``folder``."""
    parts = module.split(".")
    bases = dict.fromkeys(("", "src/", f"{folder}/" if folder not in ("", ".") else ""))
    return [candidate for base in bases for candidate in
            (f"{base}{'/'.join(parts)}.py", f"{base}{'/'.join(parts)}/__init__.py") if (root / candidate).is_file()]


def _parser_files(root: Path, facts: Facts, path: str) -> list[str]:
    """``path`` and the workspace modules it imports (two levels deep), where its options may be defined."""
    files, frontier = [path], [path]
    for _ in range(2):
        frontier = [f for p in frontier for m in sorted(facts.imports.get(p, ()))
                    for f in _module_files(root, m, str(PurePosixPath(p).parent)) if f not in files]
        files += list(dict.fromkeys(frontier))
    return files


def _commands(root: Path, facts: Facts) -> list[Finding]:
    found: list[Finding] = []
    for command in facts.commands:
        where = f"{facts.readme}:{command.line}"
        path, ours = _script_path(root, facts, command.script, command.module)
        if path is None:
            if ours:
                found.append(Finding("missing script", f"{where} runs `{command.script}`, which does not exist"))
            continue
        files = _parser_files(root, facts, path)
        defined = {flag: line for f in files for flag, line in facts.options.get(f, {}).items()}
        if any(_free(facts, f) for f in files) or not command.flags or not defined and facts.argv_files & set(files):
            continue
        if not defined:
            found.append(Finding("unknown option", f"{where} passes {', '.join(f'`{f}`' for f in command.flags)}"
                                     f" to {path}, which defines no command-line options"))
            continue
        for flag in command.flags:
            if not _defines(defined, flag):
                known = ", ".join(sorted(f for f in defined if f.startswith("--"))[:_MAX_LISTED])
                found.append(Finding("unknown option", f"{where} passes `{flag}` to {path}, which does not define "
                                     f"it (it defines {known})"))
    return found


def _options_named(facts: Facts) -> list[Finding]:
    everywhere = {flag: line for options in facts.options.values() for flag, line in options.items()}
    if not everywhere or _free(facts):
        return []
    return [Finding("unknown option", f"{m.where} names `{m.text}`, which no script defines")
            for m in facts.readme_options if not _defines(everywhere, m.text)]


def _paths(root: Path, facts: Facts) -> list[Finding]:
    found: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for mention in facts.readme_paths + facts.code_paths:
        text = mention.text.removeprefix("./")
        here = (root / mention.path).parent / text
        if (root / text).is_file() or here.is_file() or (mention.text, mention.path) in seen:
            continue
        if mention.path == facts.readme and any(p.endswith(f"/{text}") for p in facts.data_files):
            continue  # `--cfg yolov5s.yaml` for models/yolov5s.yaml: the script looks for it there
        seen.add((mention.text, mention.path))
        is_code = mention.path in facts.python_files
        if is_code and not _config_like(text):
            continue  # code also names files it writes (results.json); only config paths are checked there
        found.append(Finding("missing file", f"{mention.where} names {mention.text}, which does not exist"))
    return found


def _config_like(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool({"config", "configs", "conf", "hparams", "experiments"} & {p.lower() for p in parts[:-1]}) or \
        any(word in parts[-1].lower() for word in ("config", "hparam", "param", "setting"))


def _values(facts: Facts) -> list[Finding]:
    found: list[Finding] = []
    others: dict[str, list[Setting]] = {}
    for setting in facts.settings:
        if setting.source != "readme":
            others.setdefault(setting.key, []).append(setting)
    for settings in others.values():
        settings.sort(key=lambda s: (s.source != "config", s.path, s.line))
    known = facts.names | {key for config in facts.configs for key in config.keys}
    seen: set[tuple[str, int]] = set()
    for setting in facts.settings:
        if setting.source != "readme" or (setting.key, setting.line) in seen:
            continue
        if any(c.key == setting.key and _same(c.value, setting.value) for c in facts.command_values):
            continue  # "train for 25 epochs:" above a command passing --epochs 25 describes that run
        seen.add((setting.key, setting.line))
        elsewhere = others.get(setting.key, [])
        if elsewhere and not any(_same(setting.value, other.value) for other in elsewhere):
            listed = "; ".join(str(other) for other in elsewhere[:_MAX_LISTED])
            found.append(Finding("value", f"{setting.where} says {setting.key} is {show(setting.value)}, but "
                                 f"{listed}", "error" if setting.exact else "warning"))
        elif not elsewhere and setting.key not in known:
            found.append(Finding("undocumented", f"{setting.where} states {setting.key} {show(setting.value)}, "
                                 "which neither the config files nor the code mention", "warning"))
    return found


def _close(word: str, candidates: set[str]) -> str | None:
    """A name ``word`` looks like a typo of (``warmup_setps`` -> ``warmup_steps``)."""
    match = difflib.get_close_matches(word, sorted(candidates - {word}), n=1, cutoff=0.85)
    return match[0] if match else None


def _unread_keys(facts: Facts) -> list[Finding]:
    """Config keys no code names. Near a key the code reads, it is a typo (an error); otherwise a library may
    read it (a warning). Files a framework reads (detectron2-style) are left out."""
    if not facts.python_files:
        return []
    framework = {config.path for config in facts.configs if config.framework}
    read = {mention.text for mention in facts.reads}
    found: list[Finding] = []
    for setting in facts.settings:
        if setting.source != "config" or setting.path in framework or setting.key in facts.names:
            continue
        typo = _close(setting.key, read) or _close(setting.key, facts.names)
        if typo:
            found.append(Finding("unread key", f"{setting.where} sets `{setting.key}`, which no code reads; the code "
                                 f"reads `{typo}`"))
        else:
            found.append(Finding("unread key", f"{setting.where} sets `{setting.key}`, which no code in the "
                                 "workspace reads", "warning"))
    return found


def _unset_keys(facts: Facts) -> list[Finding]:
    configs = [config for config in facts.configs if not config.error]
    if not configs:
        return []
    keys = {key for config in configs for key in config.keys}
    found: list[Finding] = []
    seen: set[str] = set()
    for read in facts.reads:
        if read.text in keys | facts.written_keys | facts.guarded_keys or read.text in seen:
            continue
        seen.add(read.text)
        typo = _close(read.text, keys)
        found.append(Finding("unset key", f"{read.where} reads `{read.text}` from the config, which no config file "
                             "sets" + (f"; a config sets `{typo}`" if typo else "")))
    return found
