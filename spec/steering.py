"""Steering documents: what the team tells every model about the project.

``.specpilot/steering/*.md`` goes into every spec stage's prompt and the agent's, within the
context budget (:func:`read_steering`). ``specpilot steering init`` drafts ``product.md``,
``tech.md`` and ``structure.md`` from the workspace (:func:`init`): the README, the packaging
files, the folder map with what each folder holds, the languages and sizes (from the index's
manifest when there is one, else from a scan; never the embedding model) and the test command.

A drafted file starts with a comment holding the hash of what SpecPilot wrote. A file whose text
no longer matches that hash (or that has no such comment) was written or edited by someone, and
``init`` keeps it unless ``force``. Writes go through the compare-and-swap writer and are
redacted like spec documents.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specpilot.core import cas
from specpilot.core.config import Settings
from specpilot.core.errors import SpecPilotError
from specpilot.core.paths import cache_dir
from specpilot.core.scanner import workspace_files
from specpilot.index.languages import language_for_path
from specpilot.llm.safety.redaction import redact
from specpilot.spec import steering_draft

STEERING_DIR = Path(".specpilot") / "steering"
DOCUMENTS = ("product.md", "tech.md", "structure.md")
_MARK = re.compile(r"^<!-- specpilot steering: drafted from the workspace by `specpilot steering init`; "
                   r"edit freely \(an edited file is never overwritten without --force\)\. "
                   r"sha256=(?P<hash>[0-9a-f]{64}) -->\n")
_MARK_TEXT = ("<!-- specpilot steering: drafted from the workspace by `specpilot steering init`; "
              "edit freely (an edited file is never overwritten without --force). sha256={hash} -->\n")
_ANY_MARK = re.compile(r"^<!-- specpilot steering:.*?-->\n?", re.MULTILINE)
_README_NAMES = ("README.md", "README.rst", "README.txt", "README", "readme.md", "Readme.md")
_NPM_DEFAULT_TEST = "no test specified"


class SteeringError(SpecPilotError, ValueError):
    """A workspace steering cannot be drafted for; the message says why."""


# -- reading ---------------------------------------------------------------------------------
def read_steering(root: Path, budget: int) -> str:
    """The steering documents as one prompt section (``### name`` per file, sorted), cut to
    ``budget`` tokens; SpecPilot's own marker comments are left out. Empty when there are none."""
    folder = root / STEERING_DIR
    parts: list[str] = []
    used = 0
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        if used >= budget:
            break
        try:
            text = _ANY_MARK.sub("", path.read_text(encoding="utf-8")).strip()
        except (OSError, UnicodeDecodeError):
            continue
        cost = _tokens(text)
        if used + cost > budget:
            text = text[:max(0, (budget - used) * 4)] + "\n[... cut to fit the prompt]"
            cost = budget - used
        parts.append(f"### {path.name}\n{text}")
        used += cost
    return "\n\n".join(parts)


def _tokens(text: str) -> int:
    """The prompt templates' estimate (about four characters a token); spec/ sits below agents/."""
    return (len(text) + 3) // 4


# -- the survey ------------------------------------------------------------------------------
@dataclass(slots=True)
class FolderInfo:
    path: str  # workspace-relative, forward slashes, no trailing slash
    files: int
    languages: list[str]
    description: str = ""


@dataclass(slots=True)
class Survey:
    """What the drafts are made of."""

    name: str
    readme_title: str = ""
    readme_summary: str = ""
    packaging: list[tuple[str, list[str]]] = field(default_factory=list)  # (file, facts)
    description: str = ""
    languages: list[tuple[str, int, int]] = field(default_factory=list)  # (language, files, bytes)
    total_files: int = 0
    total_bytes: int = 0
    sizes_from: str = "scan"  # "index" or "scan"
    folders: list[FolderInfo] = field(default_factory=list)
    test_commands: list[tuple[str, str]] = field(default_factory=list)  # (command, where it comes from)


def survey(root: Path, settings: Settings | None = None, sizes: Mapping[str, int] | None = None) -> Survey:
    """Read the workspace for the drafts. ``sizes`` (path -> bytes) is the index's file list when the
    caller has it open; otherwise the manifest on disk is read, or the workspace is scanned."""
    root = root.resolve()
    if not root.is_dir():
        raise SteeringError(f"{root} is not a folder")
    settings = settings or Settings()
    result = Survey(name=root.name)
    _read_readme(root, result)
    _read_packaging(root, result)
    files = {f.path: f.size for f in workspace_files(root, settings)}
    indexed = dict(sizes) if sizes is not None else _manifest_sizes(root, settings)
    if indexed:
        files, result.sizes_from = {p: s for p, s in indexed.items() if not p.startswith(".specpilot/")}, "index"
    _count_languages(files, result)
    result.folders = _folder_map(root, files)
    result.test_commands = _test_commands(root)
    return result


def _manifest_sizes(root: Path, settings: Settings) -> dict[str, int]:
    """Path -> size from the index's manifest, when the workspace has an index (read only)."""
    from specpilot.index.manifest import Manifest

    path = cache_dir(root, settings.cache_path) / "index" / "manifest.db"
    if not path.is_file():
        return {}
    try:
        manifest = Manifest(path)
    except Exception:  # an unreadable index only means the scan's figures are used
        return {}
    try:
        return {p: record.size for p, record in manifest.files.items()}
    finally:
        manifest.close()


def _read_readme(root: Path, result: Survey) -> None:
    path = next((root / n for n in _README_NAMES if (root / n).is_file()), None)
    if path is None:
        return
    text = _read(path)
    title, body = "", False
    paragraph: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not title:
            if stripped.startswith("#") or (stripped and not stripped.startswith(("<", "[!", "!["))):
                title = stripped.lstrip("#").strip()
            continue
        if not stripped:
            if paragraph:
                break
            body = True
            continue
        if stripped.startswith(("#", "<", "[!", "![", "```", "===", "---")) or not body and not paragraph:
            if paragraph:
                break
            if stripped.startswith("#"):
                body = True
            continue
        paragraph.append(stripped)
    result.readme_title = title
    result.readme_summary = " ".join(paragraph)[:800]


def _read(path: Path, limit: int = 200_000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:limit]
    except OSError:
        return ""


def _read_packaging(root: Path, result: Survey) -> None:
    readers = {"pyproject.toml": _pyproject, "setup.cfg": _setup_cfg, "package.json": _package_json,
               "Cargo.toml": _cargo, "go.mod": _go_mod}
    for name, reader in readers.items():
        path = root / name
        if not path.is_file():
            continue
        try:
            facts, description = reader(_read(path))
        except (ValueError, KeyError, TypeError, configparser.Error) as exc:
            result.packaging.append((name, [f"(could not be read: {exc})"]))
            continue
        if facts:
            result.packaging.append((name, facts))
        result.description = result.description or description


def _names(values: Any, limit: int = 15) -> str:
    items = [str(v) for v in (values or [])]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _pyproject(text: str) -> tuple[list[str], str]:
    data = tomllib.loads(text)
    project = data.get("project") or data.get("tool", {}).get("poetry") or {}
    facts = []
    if project.get("name"):
        facts.append(f"name: {project['name']}")
    if project.get("requires-python"):
        facts.append(f"Python {project['requires-python']}")
    deps = project.get("dependencies")
    if deps:
        facts.append("dependencies: " + _names(list(deps) if isinstance(deps, dict) else deps))
    if project.get("scripts"):
        facts.append("commands: " + _names(list(project["scripts"])))
    return facts, str(project.get("description", ""))


def _setup_cfg(text: str) -> tuple[list[str], str]:
    parser = configparser.ConfigParser()
    parser.read_string(text)
    if not parser.has_section("metadata"):
        return [], ""
    facts = [f"name: {parser.get('metadata', 'name')}"] if parser.has_option("metadata", "name") else []
    if parser.has_option("options", "install_requires"):
        deps = [d.strip() for d in parser.get("options", "install_requires").splitlines() if d.strip()]
        facts.append("dependencies: " + _names(deps))
    return facts, parser.get("metadata", "description", fallback="")


def _package_json(text: str) -> tuple[list[str], str]:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("package.json is not an object")
    facts = [f"name: {data['name']}"] if data.get("name") else []
    for key in ("dependencies", "devDependencies"):
        if isinstance(data.get(key), dict) and data[key]:
            facts.append(f"{key}: " + _names(list(data[key])))
    if isinstance(data.get("scripts"), dict) and data["scripts"]:
        facts.append("scripts: " + _names(list(data["scripts"])))
    return facts, str(data.get("description", ""))


def _cargo(text: str) -> tuple[list[str], str]:
    data = tomllib.loads(text)
    package = data.get("package", {})
    facts = [f"name: {package['name']}"] if package.get("name") else []
    if package.get("edition"):
        facts.append(f"Rust edition {package['edition']}")
    if data.get("dependencies"):
        facts.append("dependencies: " + _names(list(data["dependencies"])))
    return facts, str(package.get("description", ""))


def _go_mod(text: str) -> tuple[list[str], str]:
    facts, requires, block = [], [], False
    for line in (raw.split("//")[0].strip() for raw in text.splitlines()):
        if line.startswith("module "):
            facts.append(f"module: {line.split()[1]}")
        elif line.startswith("go ") and len(line.split()) == 2:
            facts.append(f"Go {line.split()[1]}")
        elif line.startswith("require ("):
            block = True
        elif block and line == ")":
            block = False
        elif (block and line) or line.startswith("require "):
            requires.append(line.removeprefix("require ").split()[0])
    if requires:
        facts.append("requires: " + _names(requires))
    return facts, ""


def _count_languages(files: Mapping[str, int], result: Survey) -> None:
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for path, size in files.items():
        language = language_for_path(path) or "other"
        counts[language] += 1
        sizes[language] += size
    result.languages = sorted(((lang, counts[lang], sizes[lang]) for lang in counts),
                              key=lambda item: (-item[2], item[0]))
    result.total_files, result.total_bytes = len(files), sum(files.values())


def _folder_map(root: Path, files: Mapping[str, int], top_limit: int = 40, sub_limit: int = 12) -> list[FolderInfo]:
    """Top-level folders and, under each, its second-level folders (the biggest first, capped)."""
    members: dict[str, list[str]] = {}
    for path in files:
        parts = path.split("/")
        for depth in (1, 2):
            if len(parts) > depth:
                members.setdefault("/".join(parts[:depth]), []).append(path)
    tops = sorted(f for f in members if "/" not in f)[:top_limit]
    infos: list[FolderInfo] = []
    for top in tops:
        infos.append(_folder_info(root, top, members[top]))
        subs = sorted((f for f in members if f.startswith(top + "/")), key=lambda f: (-len(members[f]), f))
        infos += [_folder_info(root, sub, members[sub]) for sub in sorted(subs[:sub_limit])]
    return infos


def _folder_info(root: Path, folder: str, paths: list[str]) -> FolderInfo:
    languages = Counter(language_for_path(p) for p in paths)
    named = [lang for lang, _ in languages.most_common() if lang][:3]
    return FolderInfo(folder, len(paths), named, _describe(root / folder))


def _describe(folder: Path) -> str:
    """A line on what the folder holds: its package docstring, else its README's heading."""
    init = folder / "__init__.py"
    if init.is_file():
        found = re.match(r'\s*(?:#[^\n]*\n\s*)*[rRuU]?("""|\'\'\')\s*(?P<text>.*?)(?:\1|\n\s*\n)',
                         _read(init, 20_000), re.DOTALL)
        if found and found.group("text").strip():
            return _sentence(found.group("text"))
    for name in _README_NAMES:
        if (folder / name).is_file():
            for line in _read(folder / name, 20_000).splitlines():
                if line.strip() and not line.lstrip().startswith(("<", "![", "[!")):
                    return _sentence(line.strip().lstrip("#"))
    return ""


def _sentence(text: str, limit: int = 160) -> str:
    line = " ".join(text.split())
    end = line.find(". ")
    line = line[:end + 1] if 0 < end < limit else line
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"


def _test_commands(root: Path) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and re.search(r"^\[tool\.pytest(\.ini_options)?\]", _read(pyproject), re.MULTILINE):
        found.append(("pytest", "pyproject.toml [tool.pytest.ini_options]"))
    elif (root / "pytest.ini").is_file():
        found.append(("pytest", "pytest.ini"))
    elif (root / "tox.ini").is_file() and "[pytest]" in _read(root / "tox.ini"):
        found.append(("pytest", "tox.ini [pytest]"))
    elif (root / "setup.cfg").is_file() and "[tool:pytest]" in _read(root / "setup.cfg"):
        found.append(("pytest", "setup.cfg [tool:pytest]"))
    package = root / "package.json"
    if package.is_file():
        try:
            script = (json.loads(_read(package)).get("scripts") or {}).get("test")
        except (ValueError, AttributeError):
            script = None
        if isinstance(script, str) and _NPM_DEFAULT_TEST not in script:
            found.append(("npm test", f"package.json scripts.test: {script}"))
    makefile = next((root / n for n in ("Makefile", "makefile", "GNUmakefile") if (root / n).is_file()), None)
    if makefile is not None and re.search(r"^test\s*:", _read(makefile), re.MULTILINE):
        found.append(("make test", f"{makefile.name} target test"))
    if (root / "Cargo.toml").is_file():
        found.append(("cargo test", "Cargo.toml"))
    if (root / "go.mod").is_file():
        found.append(("go test ./...", "go.mod"))
    if not any(cmd == "pytest" for cmd, _ in found) and (root / "tests").is_dir() and \
            any((root / "tests").rglob("test_*.py")):
        found.append(("pytest", "tests/ holds test_*.py files"))
    return found


# -- writing ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    path: Path
    status: str  # written | updated | unchanged | kept
    reason: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "path": str(self.path), "status": self.status, "reason": self.reason}


@dataclass(slots=True)
class InitResult:
    folder: Path
    outcomes: list[Outcome]
    sizes_from: str
    redacted: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "sizes_from": self.sizes_from, "redacted": self.redacted,
                "documents": [o.to_json() for o in self.outcomes]}


def with_mark(body: str) -> str:
    """The file SpecPilot writes: the marker comment (with the body's hash), then the body."""
    return _MARK_TEXT.format(hash=cas.digest(body)) + body


def edited(text: str) -> bool:
    """True unless ``text`` is exactly what SpecPilot wrote (its marker's hash matches the rest)."""
    found = _MARK.match(text)
    return found is None or cas.digest(text[found.end():]) != found.group("hash")


def init(root: Path, *, force: bool = False, settings: Settings | None = None,
         sizes: Mapping[str, int] | None = None) -> InitResult:
    """Draft the three documents into ``.specpilot/steering/``; a file someone wrote or edited is
    kept unless ``force``."""
    facts = survey(root, settings, sizes)
    root = root.resolve()
    folder = root / STEERING_DIR
    outcomes: list[Outcome] = []
    redacted = 0
    drafts = steering_draft.render(facts)
    for name in DOCUMENTS:
        cleaned = redact(drafts[name])
        redacted += len(cleaned.findings)
        text = with_mark(cleaned.text)
        path = folder / name
        try:
            before, expected = cas.read_text(path)
        except FileNotFoundError:
            before, expected = None, None
        except (OSError, UnicodeDecodeError) as exc:
            outcomes.append(Outcome(name, path, "kept", f"cannot be read ({exc})"))
            continue
        if before is not None and _ANY_MARK.sub("", before, count=1) == cleaned.text:
            outcomes.append(Outcome(name, path, "unchanged"))
            continue
        if before is not None and edited(before) and not force:
            outcomes.append(Outcome(name, path, "kept", "edited since SpecPilot wrote it; --force replaces it"))
            continue
        try:
            cas.write_text(path, text, expected)
        except cas.WriteConflict:
            outcomes.append(Outcome(name, path, "kept", "changed while it was being written; run again"))
            continue
        outcomes.append(Outcome(name, path, "written" if before is None else "updated"))
    return InitResult(root, outcomes, facts.sizes_from, redacted)
