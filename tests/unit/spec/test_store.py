"""The spec store on a real folder: listing, order, resolve, create, byte-exact atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specpilot.spec.documents import parse_requirements
from specpilot.spec.store import SpecError, SpecStore, slugify


def touch(path: Path, when: float) -> None:
    os.utime(path, (when, when))


def make_spec(root: Path, name: str, requirements: str | None, when: float) -> Path:
    folder = root / ".specpilot" / "specs" / name
    folder.mkdir(parents=True)
    if requirements is not None:
        (folder / "requirements.md").write_bytes(requirements.encode())
        touch(folder / "requirements.md", when)
    touch(folder, when)
    return folder


@pytest.fixture()
def store(tmp_path: Path) -> SpecStore:
    make_spec(tmp_path, "002-retry-uploads", "---\ntitle: Retry uploads\nstage: design\nstatus: approved\n---\n",
              2_000_000)
    make_spec(tmp_path, "001-csv-export", "# CSV export\r\n\r\n## Goals\r\n", 1_000_000)
    make_spec(tmp_path, "010-dark-mode", None, 3_000_000)
    (tmp_path / ".specpilot" / "specs" / "notes.txt").write_text("not a spec")
    (tmp_path / ".specpilot" / "specs" / "drafts").mkdir()
    return SpecStore(tmp_path)


def test_list_orders_by_number_and_reads_title_stage_status(store: SpecStore) -> None:
    specs = store.list()
    assert [(s.name, s.title, s.stage, s.status) for s in specs] == [
        ("001-csv-export", "CSV export", "requirements", "draft"),
        ("002-retry-uploads", "Retry uploads", "design", "approved"),
        ("010-dark-mode", "dark mode", "requirements", "draft")]
    assert specs[0].changed == 1_000_000 and specs[0].folder == store.folder / "001-csv-export"


def test_an_empty_workspace_has_no_specs(tmp_path: Path) -> None:
    assert SpecStore(tmp_path).list() == []
    with pytest.raises(SpecError, match="no specs yet"):
        SpecStore(tmp_path).resolve(None)


def test_resolve_by_number_slug_prefix_and_recency(store: SpecStore) -> None:
    assert store.resolve(None).name == "010-dark-mode"
    touch(store.folder / "001-csv-export" / "requirements.md", 4_000_000)
    assert store.resolve(None).name == "001-csv-export"
    assert store.resolve("001").name == "001-csv-export"
    assert store.resolve("2").name == "002-retry-uploads"
    assert store.resolve("retry-uploads").name == "002-retry-uploads"
    assert store.resolve("dark").name == "010-dark-mode"
    assert store.resolve("001-csv-export").name == "001-csv-export"


def test_unknown_and_ambiguous_names_list_the_specs(store: SpecStore) -> None:
    with pytest.raises(SpecError) as unknown:
        store.resolve("pdf")
    assert str(unknown.value) == (
        "no spec called 'pdf'; the specs are: 001-csv-export, 002-retry-uploads, 010-dark-mode")
    with pytest.raises(SpecError, match="several specs: 001-csv-export, 002-retry-uploads"):
        store.resolve("00")


def test_create_takes_the_next_number_and_writes_a_draft(store: SpecStore) -> None:
    info = store.create("Export to PDF, fast!")
    assert info.name == "011-export-to-pdf-fast"
    assert (info.title, info.stage, info.status) == ("Export to PDF, fast!", "requirements", "draft")
    model, problems = parse_requirements(store.read(info, "requirements"))
    assert problems == []
    assert model.title == "Export to PDF, fast!" and model.front["spec"] == "011-export-to-pdf-fast"
    assert store.list()[-1] == info
    assert SpecStore(store.root / "fresh").create("First").name == "001-first"
    with pytest.raises(SpecError, match="needs a title"):
        store.create("   ")


def test_slugs() -> None:
    assert slugify("CSV export") == "csv-export"
    assert slugify("¿Qué?") == "qu"
    assert slugify("!!!") == "spec"
    assert slugify("a very long title that goes on and on and on forever") == "a-very-long-title-that-goes-on-and-on"


def test_read_and_write_keep_bytes_and_replace_atomically(store: SpecStore) -> None:
    assert store.read("001", "requirements.md") == "# CSV export\r\n\r\n## Goals\r\n"
    path = store.write("001", "design", "# Design\r\nline with spaces   \r\n")
    assert path.read_bytes() == b"# Design\r\nline with spaces   \r\n"
    before = path.stat().st_ino
    store.write("001", "design", "# Design v2\n")
    assert path.read_bytes() == b"# Design v2\n"
    assert path.stat().st_ino != before  # replaced by rename, never truncated in place
    assert sorted(p.name for p in path.parent.iterdir()) == ["design.md", "requirements.md"]  # no temp files left
    assert store.has("001", "design") and not store.has("001", "tasks")


def test_a_failed_write_leaves_the_old_document_and_no_temp_file(store: SpecStore) -> None:
    store.write("001", "tasks", "# Tasks\n")
    with pytest.raises(UnicodeEncodeError):
        store.write("001", "tasks", "bad \ud800 surrogate")
    folder = store.folder / "001-csv-export"
    assert (folder / "tasks.md").read_bytes() == b"# Tasks\n"
    assert sorted(p.name for p in folder.iterdir()) == ["requirements.md", "tasks.md"]


def test_document_errors_are_clear(store: SpecStore) -> None:
    with pytest.raises(SpecError, match="010-dark-mode has no review.md yet"):
        store.read("dark-mode", "review")
    with pytest.raises(SpecError, match="unknown spec document 'notes'"):
        store.read("001", "notes")


def test_open_buffers_count_as_changed_now_and_unsaved_specs_are_listed(tmp_path: Path) -> None:
    make_spec(tmp_path, "001-csv-export", "# CSV export\n", 1_000_000)
    make_spec(tmp_path, "002-retry-uploads", "# Retry uploads\n", 2_000_000)
    buffers: dict[str, tuple[str, int]] = {}
    store = SpecStore(tmp_path, buffers)
    assert store.resolve().name == "002-retry-uploads"
    buffers[".specpilot/specs/001-csv-export/design.md"] = ("# Design\n", 3)  # read live, not copied
    assert store.resolve().name == "001-csv-export"
    buffers[".specpilot/specs/003-dark-mode/requirements.md"] = ("---\ntitle: Dark mode\n---\n", 1)
    assert [(i.name, i.title) for i in store.list()][-1] == ("003-dark-mode", "Dark mode")
    assert store.next_name("Login rate limit") == "004-login-rate-limit"
    assert store.find("dark") is not None and store.find("billing") is None
    with pytest.raises(SpecError, match="matches several specs"):
        store.find("0")


def test_the_agent_tools_and_the_cli_store_pick_the_same_spec(tmp_path: Path) -> None:
    """One store: the agent's read_spec/update_spec name and resolve specs exactly as `spec` commands do."""
    from specpilot.agents.tools.base import ToolError
    from specpilot.agents.tools.context import ToolContext
    from specpilot.agents.tools.spec import ReadSpec, ReadSpecArgs, UpdateSpec, UpdateSpecArgs

    make_spec(tmp_path, "001-csv-export", "# CSV export\n", 2_000_000)
    make_spec(tmp_path, "0002-a-very-long-title-that-the-old-tool-rule-would-slug-differently", "# Long\n",
              1_000_000)
    ctx = ToolContext.create(tmp_path)
    store = SpecStore(tmp_path)
    assert ReadSpec().run(ctx, ReadSpecArgs()).data["spec"].endswith(store.resolve().name)
    title = "Export every report to a spreadsheet with the column widths the user chose last time"
    proposed = UpdateSpec().run(ctx, UpdateSpecArgs(name=title, document="requirements", content="# R\n"))
    created = store.create(title)
    assert proposed.data is not None and created.name in str(proposed.data)
    with pytest.raises(ToolError, match="matches several specs"):
        UpdateSpec().run(ctx, UpdateSpecArgs(name="00", document="design", content="# D\n"))
