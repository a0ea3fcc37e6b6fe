"""The VS Code extension's manifest (the root package.json) agrees with the server and with the
extension's code: its settings are the server's one schema, every command it declares is
registered by the extension and every command the extension registers is declared, every menu
entry names a declared command, and the bundle it points to is what the build writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from specpilot.core.config import contributes_configuration

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
SOURCES = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "extension" / "src").rglob("*.ts"))


def registered_commands() -> set[str]:
    """Command ids the extension registers: ``registerCommand("id"`` and its ``add("id"`` helpers."""
    return set(re.findall(r'(?:registerCommand|\badd|\bstage)\(\s*"(specpilot\.[\w.]+)"', SOURCES))


def test_settings_are_generated_from_the_servers_schema() -> None:
    assert MANIFEST["contributes"]["configuration"] == contributes_configuration()
    done = subprocess.run([sys.executable, str(ROOT / "extension" / "scripts" / "sync_settings.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_editor_only_settings_are_in_the_one_schema() -> None:
    properties = MANIFEST["contributes"]["configuration"]["properties"]
    assert properties["specpilot.server.python"]["default"] == ""
    assert properties["specpilot.trace.server"]["enum"] == ["off", "messages", "compact", "verbose"]
    # The extension reads the first two; vscode-languageclient reads `<client id>.trace.server`.
    assert '.get<string>("server.python")' in SOURCES and '.get<string>("server.installSource")' in SOURCES
    assert 'CLIENT_ID = "specpilot"' in SOURCES


def test_every_declared_command_is_registered_and_every_registered_one_declared() -> None:
    declared = {c["command"] for c in MANIFEST["contributes"]["commands"]}
    assert declared == registered_commands()
    assert all(c["category"] == "SpecPilot" for c in MANIFEST["contributes"]["commands"])


def test_menus_name_declared_commands_and_the_palette_hides_tree_only_ones() -> None:
    declared = {c["command"] for c in MANIFEST["contributes"]["commands"]}
    menus = MANIFEST["contributes"]["menus"]
    for entries in menus.values():
        assert {e["command"] for e in entries} <= declared
    hidden = {e["command"] for e in menus["commandPalette"] if e.get("when") == "false"}
    assert hidden == {c for c in declared if c.startswith("specpilot.tree.")}


def test_client_commands_do_not_collide_with_the_servers() -> None:
    """vscode-languageclient registers each server command under its own id: an extension command
    with the same id would fail to register."""
    schema = json.loads((ROOT / "server" / "command_schema.json").read_text(encoding="utf-8"))
    assert not {c["command"] for c in MANIFEST["contributes"]["commands"]} & set(schema["properties"])


def test_the_manifest_points_at_the_bundle_the_build_writes() -> None:
    build = (ROOT / "extension" / "scripts" / "build.mjs").read_text(encoding="utf-8")
    assert MANIFEST["main"] == "./extension/dist/extension.js"
    assert '"dist", "extension.js"' in build
    assert MANIFEST["contributes"]["viewsContainers"]["activitybar"][0]["id"] == "specpilot"
    assert (ROOT / MANIFEST["contributes"]["viewsContainers"]["activitybar"][0]["icon"]).is_file()
    assert MANIFEST["version"] == __import__("specpilot").__version__


def test_the_learning_view_sits_under_specs_with_its_title_commands() -> None:
    """The Learning view (extension/src/learning.ts) reads the server's learn.status and learn.reset, which
    exist in the server's schema; its title bar refreshes, opens the report and (in its overflow) resets."""
    views = [v["id"] for v in MANIFEST["contributes"]["views"]["specpilot"]]
    assert views == ["specpilot.specs", "specpilot.learning", "specpilot.playbooks"]
    titles = {e["command"]: e["group"] for e in MANIFEST["contributes"]["menus"]["view/title"]
              if e["when"] == "view == specpilot.learning"}
    assert titles == {"specpilot.refreshLearning": "navigation@1", "specpilot.openLearningReport": "navigation@2",
                      "specpilot.showStats": "navigation@3", "specpilot.resetLearning": "9_reset@1"}
    schema = json.loads((ROOT / "server" / "command_schema.json").read_text(encoding="utf-8"))
    assert '"specpilot.stats"' in SOURCES and "specpilot.stats" in schema["properties"]  # Show Stats' command
    assert {"specpilot.learn.status", "specpilot.learn.reset"} <= set(schema["properties"])
    assert '"specpilot.learn.status"' in SOURCES and '"specpilot.learn.reset"' in SOURCES
    assert "{ modal: true }, \"Reset Learning\"" in SOURCES  # the reset asks first


def test_the_prompts_view_offers_each_action_where_it_applies() -> None:
    """The Prompts view (extension/src/playbooks.ts) reads the server's specpilot.prompts.* commands; a version row
    offers Compare, Use and Approve only when its context value (playbooks_text.versionContext) says it may."""
    schema = json.loads((ROOT / "server" / "command_schema.json").read_text(encoding="utf-8"))
    used = set(re.findall(r'"(specpilot\.prompts\.\w+)"', SOURCES))
    assert used == {"specpilot.prompts.history", "specpilot.prompts.show", "specpilot.prompts.rollback",
                    "specpilot.prompts.approve", "specpilot.prompts.curate"} and used <= set(schema["properties"])
    rows = {(e["command"], e["group"]): e["when"] for e in MANIFEST["contributes"]["menus"]["view/item/context"]
            if "view == specpilot.playbooks" in e["when"]}
    version = ("playbook.version compare use approve", "playbook.version use", "playbook.version compare")

    def offered(command: str, group: str) -> list[bool]:
        pattern = rows[(command, group)]
        words = re.findall(r"viewItem =~ /(.+?)/", pattern)
        return [all(re.search(w, value) for w in words) for value in version]

    assert offered("specpilot.tree.approvePlaybookVersion", "2_change@1") == [True, False, False]
    assert offered("specpilot.tree.usePlaybookVersion", "2_change@2") == [True, True, False]
    assert offered("specpilot.tree.comparePlaybookVersion", "inline") == [True, False, True]
    assert rows[("specpilot.curatePlaybook", "inline")].endswith("viewItem == playbook.role")
    assert "{ modal: true }, \"Use This Version\"" in SOURCES and "\"Approve\");" in SOURCES  # both ask first
