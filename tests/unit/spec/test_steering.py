"""``specpilot steering init``: drafts of product.md, tech.md and structure.md from a real workspace,
the never-overwrite rule, and the steering text in the prompts a loopback model receives (the
planner's and the agent's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tests.loopback.openai_server as wire
from specpilot.agents.session import AgentSession
from specpilot.core.config import ModelSettings, Settings
from specpilot.index.manifest import FileRecord, Manifest
from specpilot.llm.factory import make_provider
from specpilot.llm.prompt_templates import PromptLibrary
from specpilot.llm.safety.redact import redact_messages
from specpilot.spec.authoring import Author
from specpilot.spec.steering import STEERING_DIR, edited, init, read_steering, survey
from specpilot.spec.workflow import SpecWorkflow
from tests.fixtures import write_files
from tests.loopback.openai_server import OpenAIServer

GUIDANCE = "Every public function returns a Result; never raise across the API boundary."
PLANNED = """# Throttle uploads

## User stories
### R1 As a user, I want uploads throttled, so that the link stays usable.
- R1.1 WHEN an upload starts THE SYSTEM SHALL cap it at 1 MB/s.
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    files = {
        "README.md": "[![build](https://ci/badge.svg)](https://ci)\n\n# Shopfront\n\n"
                     "Shopfront sells vintage maps online.\nIt runs on a single server.\n\n## Install\n\npip\n",
        "pyproject.toml": '[project]\nname = "shopfront"\ndescription = "An online shop for vintage maps"\n'
                          'requires-python = ">=3.11"\ndependencies = ["flask>=3", "sqlalchemy"]\n\n'
                          '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
        "package.json": json.dumps({"name": "shopfront-web", "scripts": {"test": "vitest run"},
                                    "devDependencies": {"vitest": "^1"}}),
        "Makefile": "test:\n\tpytest\n",
        "shop/__init__.py": '"""Catalogue, basket and checkout.\n\nMore words here."""\n',
        "shop/basket.py": "def add(item):\n    return [item]\n",
        "shop/payments/__init__.py": '"""Card payments through the provider\'s API."""\n',
        "shop/payments/cards.py": "def charge(amount):\n    return amount\n",
        "web/README.md": "# The browser front end\n",
        "web/app.ts": "export const answer = 42;\n",
        "tests/test_basket.py": "from shop.basket import add\n\n\ndef test_add():\n    assert add(1) == [1]\n",
    }
    return write_files(root, files)


def steering(root: Path, name: str) -> str:
    return (root / STEERING_DIR / name).read_text()


def test_the_drafts_say_what_the_workspace_holds(workspace: Path) -> None:
    result = init(workspace)
    assert [(o.name, o.status) for o in result.outcomes] == \
        [("product.md", "written"), ("tech.md", "written"), ("structure.md", "written")]
    product, tech, structure = (steering(workspace, n) for n in ("product.md", "tech.md", "structure.md"))
    assert "# Product: Shopfront" in product and "An online shop for vintage maps" in product
    assert "> Shopfront sells vintage maps online. It runs on a single server." in product
    assert "| python | 5 |" in tech and "| typescript | 1 |" in tech and "(from a scan of the workspace)" in tech
    assert "`pyproject.toml`: name: shopfront; Python >=3.11; dependencies: flask>=3, sqlalchemy" in tech
    assert "`package.json`: name: shopfront-web; devDependencies: vitest; scripts: test" in tech
    assert "Run the tests with `pytest` (from pyproject.toml [tool.pytest.ini_options])." in tech
    assert "- Also: `npm test` (from package.json scripts.test: vitest run)" in tech
    assert "- Also: `make test` (from Makefile target test)" in tech
    assert "- `shop/` (4 files: python): Catalogue, basket and checkout." in structure
    assert "  - `shop/payments/` (2 files: python): Card payments through the provider's API." in structure
    assert "- `web/` (2 files: markdown, typescript): The browser front end" in structure
    assert "- `tests/` (1 file: python)" in structure
    assert ".specpilot" not in structure  # its own folder is no part of the map


def test_sizes_and_languages_come_from_the_index_when_there_is_one(workspace: Path) -> None:
    index = workspace / ".specpilot" / "cache" / "index"
    index.mkdir(parents=True)
    manifest = Manifest(index / "manifest.db")
    manifest.files["shop/basket.py"] = FileRecord("h1", 3 * 1024 * 1024, 1)
    manifest.files["lib/parse.go"] = FileRecord("h2", 2048, 1)
    manifest.save()
    manifest.close()
    facts = survey(workspace)
    assert facts.sizes_from == "index" and facts.total_files == 2
    assert facts.languages == [("python", 1, 3 * 1024 * 1024), ("go", 1, 2048)]
    init(workspace)
    tech = steering(workspace, "tech.md")
    assert "2 files, 3.0 MB (from the workspace index)." in tech and "| go | 1 | 2.0 KB |" in tech


def test_an_edited_file_is_never_overwritten_without_force(workspace: Path) -> None:
    init(workspace)
    tech = workspace / STEERING_DIR / "tech.md"
    mine = tech.read_text().replace("(to write: code style", "Black, 100 columns. (to write: code style")
    tech.write_text(mine)
    (workspace / "shop" / "orders.py").write_text("def place():\n    return 1\n")  # the drafts change
    again = init(workspace)
    assert {o.name: o.status for o in again.outcomes} == \
        {"product.md": "unchanged", "tech.md": "kept", "structure.md": "updated"}
    assert "--force" in next(o.reason for o in again.outcomes if o.name == "tech.md")
    assert tech.read_text() == mine and edited(mine)
    assert "- `shop/` (5 files: python)" in steering(workspace, "structure.md")
    forced = init(workspace, force=True)
    assert {o.name: o.status for o in forced.outcomes}["tech.md"] == "updated"
    assert "Black, 100 columns" not in tech.read_text() and not edited(tech.read_text())


def test_a_file_the_team_wrote_is_kept_and_one_that_is_missing_is_written(workspace: Path) -> None:
    (workspace / STEERING_DIR).mkdir(parents=True)
    (workspace / STEERING_DIR / "product.md").write_text("# Product\nOur own words.\n")
    result = init(workspace)
    assert {o.name: o.status for o in result.outcomes} == \
        {"product.md": "kept", "tech.md": "written", "structure.md": "written"}
    assert steering(workspace, "product.md") == "# Product\nOur own words.\n"


def test_secrets_found_in_the_workspace_are_redacted_from_the_drafts(workspace: Path) -> None:
    token = "ghp_" + "SteerT0k3nV4lu3F0rT3st1ngOnly12345"
    (workspace / "README.md").write_text(f"# Shopfront\n\nDeploy with GITHUB_TOKEN={token} from CI.\n")
    result = init(workspace)
    assert result.redacted == 1 and token not in steering(workspace, "product.md")
    assert "[REDACTED:" in steering(workspace, "product.md")
    assert {o.status for o in init(workspace).outcomes} == {"unchanged"}  # the redacted text is what was hashed


def test_read_steering_leaves_out_the_marker_and_fits_the_budget(workspace: Path) -> None:
    init(workspace)
    text = read_steering(workspace, 10_000)
    assert text.startswith("### product.md\n# Product: Shopfront") and "sha256=" not in text
    assert "### structure.md" in text and "### tech.md" in text
    cut = read_steering(workspace, 40)
    assert len(cut) < 40 * 4 + 100 and cut.endswith("[... cut to fit the prompt]")
    assert read_steering(workspace / "shop", 100) == ""


def test_a_workspace_that_is_not_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "specpilot", "steering", "init", "-w", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "does not exist" in done.stderr and not (tmp_path / "nope").exists()


def test_the_command_line_drafts_and_reports_json(workspace: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "specpilot", "steering", "init", "-w", str(workspace), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert [d["status"] for d in answer["documents"]] == ["written"] * 3
    plain = subprocess.run([sys.executable, "-m", "specpilot", "steering", "init", "-w", str(workspace)],
                           capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0 and plain.stdout.count("unchanged") == 3


# -- the prompts a model receives -----------------------------------------------------------
def _write_guidance(root: Path) -> None:
    init(root)
    tech = root / STEERING_DIR / "tech.md"
    tech.write_text(tech.read_text() + f"\n{GUIDANCE}\n")


def test_the_planner_prompt_holds_the_steering_documents(workspace: Path, model: OpenAIServer) -> None:
    _write_guidance(workspace)
    model.push(wire.answer(PLANNED))
    provider = make_provider(ModelSettings(provider="openai", base_url=model.base_url, model=wire.MODEL,
                                           max_retries=1), env={}, api_key="sk-test-SteerKey0123456789")
    author = Author(provider, PromptLibrary(workspace / ".specpilot" / "prompts"), redact_messages,
                    root=workspace, context_tokens=6_000)
    SpecWorkflow(workspace, author=author).new("Throttle uploads")
    system = model.requests[0].body["messages"][0]["content"]
    assert "You are the planner" in system and GUIDANCE in system
    assert "# Product: Shopfront" in system and "`shop/payments/`" in system and "sha256=" not in system


def test_steering_beyond_the_budget_is_cut_in_the_planner_prompt(workspace: Path, model: OpenAIServer) -> None:
    (workspace / STEERING_DIR).mkdir(parents=True)
    (workspace / STEERING_DIR / "huge.md").write_text("word " * 20_000 + "\nTHE-END-MARKER\n")
    model.push(wire.answer(PLANNED))
    provider = make_provider(ModelSettings(provider="openai", base_url=model.base_url, model=wire.MODEL,
                                           max_retries=1), env={}, api_key="sk-test-SteerKey0123456789")
    author = Author(provider, redactor=redact_messages, root=workspace, context_tokens=1_000)
    SpecWorkflow(workspace, author=author).new("Throttle uploads")
    system = model.requests[0].body["messages"][0]["content"]
    assert "[... cut to fit the prompt]" in system and "THE-END-MARKER" not in system
    assert len(system) < 8_000  # half of 1,000 tokens of steering plus the template


def test_the_agent_prompt_holds_the_steering_documents(workspace: Path, model: OpenAIServer) -> None:
    _write_guidance(workspace)
    model.push(wire.answer("Nothing to change."), wire.answer("DONE"))
    settings = Settings()
    settings.model.provider, settings.model.base_url, settings.model.model = "openai", model.base_url, wire.MODEL
    settings.model.max_retries = 1
    settings.embedder.enabled = False
    agent = AgentSession.open(workspace, settings=settings, api_key="sk-test-SteerKey0123456789", env={})
    try:
        result = agent.run("Explain the basket")
    finally:
        agent.close()
    assert result.stop == "answered"
    system = model.requests[0].body["messages"][0]["content"]
    assert GUIDANCE in system and "# Product: Shopfront" in system and GUIDANCE in model.seen_decoded()
