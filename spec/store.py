"""The specs of a workspace on disk: ``.specpilot/specs/NNN-slug/`` folders holding the spec documents.

A spec's title, stage and status come from the front matter of its requirements.md (the title falls back to the
document's ``# heading``, then to the folder's slug). Documents are read and written as bytes decoded as UTF-8,
so CRLF line breaks survive; every write goes through the compare-and-swap writer (core/cas.py): a
temporary file in the same folder replaces the document, so a crash never leaves half a file behind, and a
document that changed since this store read it is not overwritten.

The same store serves the CLI, the server and the agent's spec tools, so all of them agree on what a spec folder
is, how a new one is named and which spec is "the latest". Given the editor's open buffers, a spec folder that
exists only in an unsaved buffer is listed too, and a spec with an open document counts as changed now.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from specpilot.core import cas
from specpilot.core.errors import SpecPilotError
from specpilot.core.paths import SPECPILOT_DIR
from specpilot.llm.safety.redaction import redact
from specpilot.spec.documents import Requirements, parse_requirements, render_requirements

SPECS_DIR = f"{SPECPILOT_DIR}/specs"
DOCUMENTS = ("requirements.md", "design.md", "tasks.md", "build_log.md", "review.md")
_SPEC_FOLDER = re.compile(r"^(\d{3,})-([a-z0-9][a-z0-9-]*)$")


class SpecError(SpecPilotError):
    """A spec or document that cannot be found or written; the message is for the user."""


@dataclass(frozen=True, slots=True)
class SpecInfo:
    """One spec. ``changed`` is the newest modification time (seconds since the epoch) of its folder's files."""

    name: str
    folder: Path
    title: str
    stage: str
    status: str
    changed: float

    @property
    def number(self) -> int:
        return int(self.name.split("-", 1)[0])

    @property
    def slug(self) -> str:
        return self.name.split("-", 1)[1]


def slugify(title: str, limit: int = 40) -> str:
    """``"CSV export!"`` -> ``"csv-export"``: lowercase ASCII words joined by dashes, ``spec`` when none are left."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    return slug.strip("-") or "spec"


def _document_name(document: str) -> str:
    name = document if document.endswith(".md") else f"{document}.md"
    if name not in DOCUMENTS:
        raise SpecError(f"unknown spec document {document!r}; expected one of {', '.join(DOCUMENTS)}")
    return name


def spec_folder_name(name: str) -> bool:
    """Whether ``name`` is a spec folder's name (``003-login-rate-limit``)."""
    return _SPEC_FOLDER.match(name) is not None


class SpecStore:
    """The specs under ``root/.specpilot/specs`` (``root`` is the workspace folder).

    ``buffers``: the editor's open buffers (workspace-relative path -> (text, version)), read live."""

    def __init__(self, root: Path, buffers: Mapping[str, tuple[str, int]] | None = None) -> None:
        self.root = Path(root)
        self.folder = self.root / SPECS_DIR
        self.buffers: Mapping[str, tuple[str, int]] = buffers if buffers is not None else {}
        self._seen: dict[Path, str] = {}  # document -> content hash of what this store last read or wrote

    def list(self) -> list[SpecInfo]:
        """Every spec, in number order: the folders on disk and those open only in unsaved buffers."""
        on_disk = ({path.name for path in self.folder.iterdir() if path.is_dir() and spec_folder_name(path.name)}
                   if self.folder.is_dir() else set())
        open_folders = {rel.split("/")[2] for rel in self.buffers
                        if rel.startswith(f"{SPECS_DIR}/") and rel.count("/") == 3}
        names = on_disk | {name for name in open_folders if spec_folder_name(name)}
        found = [self._info(self.folder / name) for name in names]
        return sorted(found, key=lambda info: (info.number, info.name))

    def next_name(self, title: str) -> str:
        """The folder name a new spec called ``title`` gets: the next number and a slug of the title."""
        number = max((info.number for info in self.list()), default=0) + 1
        return f"{number:03d}-{slugify(title)}"

    def create(self, title: str) -> SpecInfo:
        """A new spec folder with the next number and a slug of ``title``, holding a draft requirements.md."""
        title = " ".join(title.split())
        if not title:
            raise SpecError("a spec needs a title")
        self.folder.mkdir(parents=True, exist_ok=True)
        number = int(self.next_name(title).split("-", 1)[0])
        while True:
            name = f"{number:03d}-{slugify(title)}"
            try:
                (self.folder / name).mkdir()
                break
            except FileExistsError:  # another writer took this number between list() and mkdir()
                number += 1
        front = {"spec": name, "title": title, "stage": "requirements", "status": "draft", "profile": "default"}
        model = Requirements(front=front, title=title)
        self._write(self.folder / name / "requirements.md", render_requirements(model))
        return self._info(self.folder / name)

    def resolve(self, name: str | None = None) -> SpecInfo:
        """The spec called ``name``: its full folder name, its number (``001`` or ``1``), its slug, or a unique
        prefix of its folder name. None picks the most recently changed spec."""
        specs = self.list()
        if not specs:
            raise SpecError(f"there are no specs yet in {SPECS_DIR}; create one first")
        if name is None:
            return max(specs, key=lambda info: (info.changed, info.number))
        found = self._match(specs, name)
        if found is None:
            listing = ", ".join(info.name for info in specs)
            raise SpecError(f"no spec called {name!r}; the specs are: {listing}")
        return found

    def find(self, name: str) -> SpecInfo | None:
        """The spec called ``name`` (as :meth:`resolve` matches it), None when there is none; a name that
        matches several specs is a SpecError."""
        return self._match(self.list(), name)

    @staticmethod
    def _match(specs: Sequence[SpecInfo], name: str) -> SpecInfo | None:
        wanted = name.strip().rstrip("/").rsplit("/", 1)[-1]
        for matches in (
            [info for info in specs if info.name == wanted],
            [info for info in specs if wanted.isdigit() and info.number == int(wanted)],
            [info for info in specs if info.slug == wanted],
            [info for info in specs if info.name.startswith(wanted) or info.slug.startswith(wanted)],
        ):
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                names = ", ".join(info.name for info in matches)
                raise SpecError(f"{name!r} matches several specs: {names}; give more of the name")
        return None

    def path(self, spec: SpecInfo | str, document: str) -> Path:
        info = spec if isinstance(spec, SpecInfo) else self.resolve(spec)
        return info.folder / _document_name(document)

    def has(self, spec: SpecInfo | str, document: str) -> bool:
        return self.path(spec, document).is_file()

    def read(self, spec: SpecInfo | str, document: str) -> str:
        """The document's text exactly as on disk (line breaks kept). The store remembers its
        content hash: a later ``write`` of the document through this store is refused if the
        file changed in between (someone edited it while SpecPilot worked)."""
        path = self.path(spec, document)
        try:
            data = path.read_bytes()
            text = data.decode("utf-8")
        except FileNotFoundError:
            raise SpecError(f"{path.parent.name} has no {path.name} yet") from None
        except UnicodeDecodeError as exc:
            raise SpecError(f"{path} is not UTF-8 text: {exc}") from None
        self._seen[path] = cas.digest(data)
        return text

    def write(self, spec: SpecInfo | str, document: str, text: str) -> Path:
        """Replace the document with ``text``; returns its path. Compare-and-swap: if this store
        read the document, the file must still hold what it read; a document it never read is
        replaced as it is at the moment of writing (created if missing). A SpecError says which
        file changed, and nothing is written."""
        path = self.path(spec, document)
        if not path.parent.is_dir():
            raise SpecError(f"the spec folder {path.parent} does not exist")
        self._write(path, text)
        return path

    def _write(self, path: Path, text: str) -> None:
        # Spec documents are committed and shared: they get the same redacted text as anything that leaves.
        text = redact(text).text
        expected = self._seen[path] if path in self._seen else cas.current(path)
        try:
            cas.write_text(path, text, expected)
        except cas.WriteConflict:
            raise SpecError(f"{path.parent.name}/{path.name} was changed by someone else while SpecPilot worked on "
                            "it; nothing was written. Run the command again to work from the new text") from None
        self._seen[path] = cas.digest(text)

    def _info(self, folder: Path) -> SpecInfo:
        slug = folder.name.split("-", 1)[1]
        fields: dict[str, object] = {}
        heading = None
        prefix = f"{SPECS_DIR}/{folder.name}/"
        opened = [rel for rel in self.buffers if rel.startswith(prefix)]
        requirements = folder / "requirements.md"
        if f"{prefix}requirements.md" in self.buffers:
            text = self.buffers[f"{prefix}requirements.md"][0]
        else:
            try:
                text = requirements.read_bytes().decode("utf-8", errors="replace")
            except OSError:
                text = ""
        if text:
            model, _ = parse_requirements(text)
            fields, heading = model.front, model.title
        if opened:  # a document open in the editor is being changed now
            times = [time.time()]
        else:
            times = ([path.stat().st_mtime for path in folder.iterdir() if path.is_file()]
                     or [folder.stat().st_mtime])
        title = str(fields.get("title") or heading or slug.replace("-", " "))
        return SpecInfo(folder.name, folder, title, str(fields.get("stage") or "requirements"),
                        str(fields.get("status") or "draft"), max(times))
