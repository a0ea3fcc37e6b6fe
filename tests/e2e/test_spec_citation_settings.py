"""The editor's settings decide which files cite requirements, through the real server: a test folder that only the
editor's ``index.exclude`` leaves out counts no tests in the lenses, the sidebar and references
(server/features/specs.py passes the folder's settings to spec/lookup.py's ``load``)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from specpilot.server.lsp_utils import plain
from tests.e2e.conftest import NO_MODEL, start
from tests.unit.spec.test_lookup import CODE, REQUIREMENTS, SPEC, TASKS, TEST, line_of


async def test_a_folder_the_editor_excludes_cites_nothing(client: LanguageClient, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    for rel, text in {f"{SPEC}/requirements.md": REQUIREMENTS, f"{SPEC}/tasks.md": TASKS, "report/csv.py": CODE,
                      "tests/test_csv.py": TEST}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    assert not (root / "pyproject.toml").exists()  # the exclusion is the editor's only
    await start(client, root, options={**NO_MODEL, "index": {"exclude": ["tests/"]}})

    tree = plain(await client.protocol.send_request_async("specpilot/specTree", {}))
    r11 = next(r for r in tree["specs"][0]["requirements"] if r["id"] == "R1.1")
    assert r11["tasks"] == ["T1"] and r11["tests"] == 0

    requirements = (root / SPEC / "requirements.md").as_uri()
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(requirements)))
    titles = {(lens.range.start.line, lens.command.title) for lens in lenses or [] if lens.command}
    assert (line_of(REQUIREMENTS, "- R1.1") - 1, "1 task · 0 tests") in titles

    code = (root / "report" / "csv.py").as_uri()
    at = types.Position(1, CODE.splitlines()[1].index("R1.1") + 1)
    references = await client.text_document_references_async(types.ReferenceParams(
        context=types.ReferenceContext(include_declaration=False), text_document=types.TextDocumentIdentifier(code),
        position=at))
    assert [(Path(r.uri).name, r.range.start.line) for r in references or []] == [
        ("tasks.md", line_of(TASKS, "T1 Add") - 1), ("csv.py", 1)]
