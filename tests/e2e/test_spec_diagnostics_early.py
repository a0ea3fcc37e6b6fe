"""Documents the editor opens at start-up (a ``didOpen`` sent right after ``initialized``, before the folder is
ready) get their spec diagnostics, and open spec documents never become code: no search hit cites them. A spec
design asked for before the folder's first index pass is done waits for it and cites code."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import NO_MODEL, open_document, search, start, symbols, until, wait_for_status
from tests.lsp_messages import did_replace
from tests.unit.spec.test_lookup import CODE, SPEC, write_spec_workspace


async def test_documents_opened_with_initialized_get_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    root = write_spec_workspace(tmp_path / "ws")
    await start(client, root, options=NO_MODEL, wait=False)
    opened = time.monotonic()
    # What an editor does for every buffer already open: didOpen at once, the folder not ready yet.
    requirements = open_document(client, root / SPEC / "requirements.md", language="markdown")
    tasks = open_document(client, root / SPEC / "tasks.md", language="markdown")
    code = open_document(client, root / "report" / "csv.py")

    async def published() -> bool:
        return all(client.diagnostics.get(uri) for uri in (requirements, tasks, code))

    await until(published, timeout=20)
    took = time.monotonic() - opened
    print(f"diagnostics {took:.2f}s after the early didOpen")  # shown with -s (the figure in the README notes)
    assert took < 10, f"diagnostics took {took:.1f}s"
    assert [d.code for d in client.diagnostics[requirements] if d.code == "clarity"] == ["clarity"]
    assert "T2 cites R9" in client.diagnostics[tasks][0].message
    assert client.diagnostics[code][0].message.startswith("R7 is not a requirement")

    # The early buffers were adopted by the index too: the code buffer's own text (not the disk's) is indexed,
    # and the open spec documents are not code.
    client.text_document_did_change(did_replace(code, 2, CODE + "\ndef export_spreadsheet_rows():\n    pass\n"))
    await wait_for_status(client, lambda s: s["state"] == "ready")
    assert await until(lambda: _has_symbol(client, "export_spreadsheet_rows"))
    found = await search(client, query="CSV export analyst spreadsheet overwriting", mode="bm25", k=20)
    assert found["hits"], "the code itself is found"
    assert not [h["path"] for h in found["hits"] if h["path"].startswith(".specpilot/")]


async def _has_symbol(client: LanguageClient, name: str) -> bool:
    return name in await symbols(client, name)


async def test_spec_design_before_the_first_index_pass_waits_for_it_and_cites_code(client: LanguageClient,
                                                                                   tmp_path: Path) -> None:
    root = tmp_path / "big"
    for n in range(400):  # enough that the first pass is still running when the command arrives
        package = root / f"pkg{n // 50:02d}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"mod{n:03d}.py").write_text(
            "".join(f"def filler_{n}_{i}(value):\n    return value + {i}\n\n\n" for i in range(20)))
    (root / "zz_uploads").mkdir()
    (root / "zz_uploads" / "limits.py").write_text(
        "def throttle_uploads(client, quota):\n    \"\"\"Throttle a client over its upload quota for sixty "
        "seconds.\"\"\"\n    return client.uploads > quota\n")
    created = subprocess.run([sys.executable, "-m", "specpilot", "spec", "new", "-w", str(root), "--title",
                              "Upload throttling", "Throttle uploads: a client that exceeds its upload quota is "
                              "throttled for sixty seconds."], capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr

    await start(client, root, options=NO_MODEL, wait=False)
    await wait_for_status(client, lambda s: s["state"] == "indexing")
    design = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.spec.design", [{"force": True}]))
    assert design is not None
    text = (root / ".specpilot" / "specs" / design["spec"] / "design.md").read_text(encoding="utf-8")
    assert "`zz_uploads/limits.py` `throttle_uploads`" in text, text
    assert not [line for line in text.splitlines() if line.startswith("- `.specpilot")]
    messages = [getattr(r, "message", None) or "" for t, reports in client.progress_reports.items()
                if "/spec/" in str(t) for r in reports]
    assert any("indexing big first" in m for m in messages), messages
