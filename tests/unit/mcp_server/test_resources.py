"""The spec and steering documents as MCP resources: listed, read (redacted), and nothing else reachable."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import MCPError

from specpilot.mcp_server.resources import UnknownResource, relative_path
from specpilot.project import open_project
from tests.unit.mcp_server.conftest import Connect, text_of

IDEA = "Export search results as CSV so users can share them"


def make_spec(root: Path) -> str:
    """A spec drafted offline (requirements.md); its folder name."""
    project = open_project(root)
    try:
        return project.workflow(author=False, retrieval=False).new(IDEA).spec.name
    finally:
        project.close()


async def test_spec_and_steering_documents_are_listed_and_read(sample: Path, connect: Connect) -> None:
    spec = make_spec(sample)
    steering = sample / ".specpilot" / "steering"
    steering.mkdir(parents=True)
    (steering / "tech.md").write_text("# Tech\n\nPython 3.11; tests with pytest.\n", encoding="utf-8")
    async with connect(sample) as (client, _):
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        templates = (await client.list_resource_templates()).resource_templates
        requirements = await client.read_resource(f"specpilot://specs/{spec}/requirements.md")
        tech = await client.read_resource("specpilot://steering/tech.md")
    assert set(listed) == {f"specpilot://specs/{spec}/requirements.md", "specpilot://steering/tech.md"}
    assert listed[f"specpilot://specs/{spec}/requirements.md"].mime_type == "text/markdown"
    assert {t.uri_template for t in templates} == {"specpilot://specs/{spec}/{document}",
                                                   "specpilot://steering/{name}"}
    assert text_of(requirements) == (sample / ".specpilot" / "specs" / spec / "requirements.md").read_text(
        encoding="utf-8")
    assert "Python 3.11" in text_of(tech)


async def test_unknown_or_escaping_uris_are_errors_and_secrets_do_not_leave(sample: Path, connect: Connect) -> None:
    spec = make_spec(sample)
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    doc = sample / ".specpilot" / "specs" / spec / "requirements.md"
    doc.write_text(doc.read_text(encoding="utf-8") + f"\nThe CI token is {secret}\n", encoding="utf-8")
    async with connect(sample) as (client, _):
        codes = []
        for uri in ("specpilot://specs/../../etc/passwd", f"specpilot://specs/{spec}/notes.md",
                    "specpilot://specs/999-none/requirements.md", "specpilot://steering/../../../.env",
                    "file:///etc/passwd"):
            with pytest.raises(MCPError) as caught:
                await client.read_resource(uri)
            codes.append(caught.value.code)
        read = await client.read_resource(f"specpilot://specs/{spec}/requirements.md")
    assert codes == [-32002] * 5
    assert secret not in text_of(read) and "[REDACTED:" in text_of(read)


def test_only_the_two_patterns_name_files() -> None:
    assert relative_path("specpilot://specs/001-a/design.md") == ".specpilot/specs/001-a/design.md"
    assert relative_path("specpilot://steering/product.md") == ".specpilot/steering/product.md"
    for uri in ("specpilot://specs/001-a/../design.md", "specpilot://specs/a/b/design.md",
                "specpilot://steering/..md", "specpilot://steering/sub/x.md", "specpilot://specs/001-a/x.txt"):
        with pytest.raises(UnknownResource):
            relative_path(uri)
