"""The deny rule: files SpecPilot never indexes, searches, quotes or reads.

Defined once, here, and used by everything that touches workspace files: the
workspace walker (``index.ignore.IgnoreMatcher``, so the scanner, the watcher and
spec traceability), the indexer's editor-buffer path, search results, every agent
tool (``agents.safety.paths.PathGuard``), the prompt's automatic context and the
language server (which indexes and searches through the same code).

A path is refused when one of its folders is a credentials folder (``.ssh``,
``.aws``, ``.kube``, ...) or version-control metadata, or when its file name is
one that usually holds secrets (``.env``, ``*.pem``, ``id_rsa``, ``.npmrc``,
``secrets.yaml``, ``credentials``, ``kubeconfig``, ...). Case is ignored (on a
case-insensitive disk ``.ENV`` is ``.env``). Templates that only name variables
(``.env.example``) are allowed. A source file whose name merely contains
"secrets" or "credentials" (``secrets.py``, ``credentials.ts``: a module of code,
such as the standard library's ``secrets``) is not refused: its values still
pass through redaction before anything leaves.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from pathlib import PurePosixPath

SECRET_FILE_PATTERNS: tuple[str, ...] = (
    ".env", ".env.*", "*.env", ".envrc", ".flaskenv",
    "*.pem", "*.key", "*.p8", "*.p12", "*.pfx", "*.ppk", "*.keystore", "*.jks", "*.kdbx", "*.ovpn",
    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "*_rsa", "*_ed25519", "*_ecdsa",
    ".netrc", "_netrc", ".pgpass", ".my.cnf", ".npmrc", ".yarnrc.yml", ".pypirc", ".git-credentials", ".boto",
    ".s3cfg", ".vault-token", ".htpasswd", ".dockercfg",
    "credentials", "credentials.*", "credentials-*", "credentials_*", "*credentials.json",
    "secrets", "secrets.*", "*secret*.json", "*secrets.yaml", "*secrets.yml", "*secrets.toml",
    "*.tfstate", "*.tfstate.backup", "*.tfvars", "*.tfvars.json",
    "kubeconfig", "kubeconfig.*", "*.kubeconfig", "service-account*.json", "*-sa-key.json",
)
"""File names (glob, case ignored) that usually hold secrets."""

TEMPLATE_PATTERNS: tuple[str, ...] = (
    ".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults", "*.env.example",
    "*.env.sample", "*.env.template",
)
"""Templates that document which variables exist and hold no values."""

CODE_SUFFIXES: frozenset[str] = frozenset({
    ".py", ".pyi", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java", ".kt", ".rb", ".php",
    ".cs", ".c", ".h", ".cpp", ".hpp", ".swift", ".scala", ".md", ".rst",
})
"""A ``secrets.*``/``credentials.*`` file with one of these suffixes is a module or a document, not a store."""

_CODE_EXEMPT = ("secrets.*", "credentials.*", "credentials-*", "credentials_*")

DENIED_DIRS: frozenset[str] = frozenset({
    ".git", ".hg", ".svn", ".ssh", ".gnupg", ".aws", ".azure", ".docker", ".kube", ".password-store",
    ".gcloud",
})
"""Folder names (case ignored) nothing inside of which is ever read."""


def denied_name(name: str, extra_patterns: Iterable[str] = ()) -> bool:
    """Whether a file called ``name`` is refused (case ignored)."""
    lowered = name.lower()
    if any(fnmatch.fnmatchcase(lowered, pattern) for pattern in TEMPLATE_PATTERNS):
        return False
    for pattern in (*SECRET_FILE_PATTERNS, *(p.lower() for p in extra_patterns)):
        if fnmatch.fnmatchcase(lowered, pattern):
            if pattern in _CODE_EXEMPT and PurePosixPath(lowered).suffix in CODE_SUFFIXES:
                continue
            return True
    return False


def denied_dir(name: str) -> bool:
    """Whether a folder called ``name`` is refused with everything in it (case ignored)."""
    return name.lower() in DENIED_DIRS


def denied_reason(rel_path: str, extra_patterns: Iterable[str] = ()) -> str | None:
    """Why the workspace-relative ``rel_path`` (``/`` or ``\\`` separated) is refused, or None.

    Every folder on the way is checked, then the file name, so ``.ssh/config`` and
    ``deploy/.env`` are refused alike."""
    parts = [p for p in rel_path.replace("\\", "/").split("/") if p not in ("", ".")]
    for folder in parts[:-1]:
        if denied_dir(folder):
            return f"it is inside {folder}/, which SpecPilot may not read"
    if parts and denied_dir(parts[-1]):
        return f"{parts[-1]}/ is a folder SpecPilot may not read"
    if parts and denied_name(parts[-1], extra_patterns):
        return f"{parts[-1]} usually holds secrets, so SpecPilot may not read it"
    return None


def is_denied(rel_path: str) -> bool:
    """Whether the workspace-relative ``rel_path`` is refused (see :func:`denied_reason`)."""
    return denied_reason(rel_path) is not None
