"""The Markdown of the drafted steering documents (product.md, tech.md, structure.md) from a
:class:`specpilot.spec.steering.Survey`. Facts found in the workspace are stated; what only the
team knows is left as a "(to write: ...)" line for the user to fill in."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from specpilot.spec.steering import Survey

TODO = "(to write: {})"


def render(facts: Survey) -> dict[str, str]:
    return {"product.md": product(facts), "tech.md": tech(facts), "structure.md": structure(facts)}


def product(facts: Survey) -> str:
    name = facts.readme_title or facts.name
    lines = [f"# Product: {name}", "", "## What it is"]
    summary = facts.description or facts.readme_summary
    lines.append(summary if summary else TODO.format("one paragraph on what the project does and for whom"))
    if facts.readme_summary and facts.readme_summary != summary:
        lines += ["", "From the README:", "", f"> {facts.readme_summary}"]
    lines += ["", "## Users and goals", "- " + TODO.format("who uses it and what they need from it"),
              "", "## Out of scope", "- " + TODO.format("what the project deliberately does not do"), ""]
    return "\n".join(lines)


def tech(facts: Survey) -> str:
    lines = ["# Tech", "", "## Languages"]
    if facts.languages:
        source = "the workspace index" if facts.sizes_from == "index" else "a scan of the workspace"
        lines += [f"{facts.total_files} files, {_size(facts.total_bytes)} (from {source}).", "",
                  "| language | files | size |", "|---|---|---|"]
        lines += [f"| {lang} | {files} | {_size(size)} |" for lang, files, size in facts.languages[:12]]
    else:
        lines.append("(no source files found)")
    lines += ["", "## Packaging"]
    if facts.packaging:
        for name, found in facts.packaging:
            lines.append(f"- `{name}`: " + "; ".join(found))
    else:
        lines.append("- (no packaging file found: pyproject.toml, setup.cfg, package.json, Cargo.toml, go.mod)")
    lines += ["", "## Tests"]
    if facts.test_commands:
        command, source = facts.test_commands[0]
        lines.append(f"Run the tests with `{command}` (from {source}).")
        lines += [f"- Also: `{cmd}` (from {src})" for cmd, src in facts.test_commands[1:]]
    else:
        lines.append(TODO.format("the command that runs the tests"))
    lines += ["", "## Conventions", "- " + TODO.format("code style, libraries to prefer or avoid, rules for changes"),
              ""]
    return "\n".join(lines)


def structure(facts: Survey) -> str:
    lines = ["# Structure", "", "## Folders"]
    if not facts.folders:
        lines.append("(every file is at the top level)")
    for folder in facts.folders:
        indent = "  " * folder.path.count("/")
        count = f"{folder.files} file" + ("" if folder.files == 1 else "s")
        held = f"{count}: {', '.join(folder.languages)}" if folder.languages else count
        about = f": {folder.description}" if folder.description else ""
        lines.append(f"{indent}- `{folder.path}/` ({held}){about}")
    lines += ["", "## Where to start", "- " + TODO.format("the entry points and the modules to read first"), ""]
    return "\n".join(lines)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
