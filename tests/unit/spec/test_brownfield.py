"""``specpilot spec from-code``: requirements.md and design.md drafted from a real package on disk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from specpilot.spec.brownfield import BrownfieldError, draft_from_code, survey
from specpilot.spec.documents import parse_design, parse_requirements, parse_tasks
from specpilot.spec.gates import design_gate, requirements_gate
from specpilot.spec.workflow import GateFailed, SpecWorkflow

DOCUMENTED = '''"""Arithmetic helpers for invoices."""


def add_tax(amount, rate=0.2):
    """Return the amount with the tax rate added, rounded to 2 decimals."""
    if rate < 0:
        raise ValueError("rate must not be negative")
    return round(amount * (1 + rate), 2)


class Ledger:
    """A list of invoice totals in the order they were recorded."""

    def record(self, total):
        """Append the total to the ledger."""
        self.totals.append(total)
'''

UNDOCUMENTED = '''from billing.money import add_tax


def net(amount):
    return add_tax(amount, 0)


def _private_helper():
    return 1
'''

CLI = '''"""Command line for billing."""

import argparse

from billing import money


def main(argv=None):
    """Print the taxed amount of each given number."""
    parser = argparse.ArgumentParser()
    parser.add_argument("amounts", nargs="+", help="print the taxed value of each amount")
    parser.add_argument("--rate", type=float, help="use this tax rate instead of 0.2")
    parser.add_argument("--quiet")
    args = parser.parse_args(argv)
    for amount in args.amounts:
        print(money.add_tax(float(amount), args.rate))
'''


def _package(root: Path, *, undocumented: bool = True) -> Path:
    package = root / "billing"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "money.py").write_text(DOCUMENTED, encoding="utf-8")
    if undocumented:
        (package / "net.py").write_text(UNDOCUMENTED, encoding="utf-8")
        (package / "cli.py").write_text(CLI, encoding="utf-8")
    (package / "rates.json").write_text("{}", encoding="utf-8")
    return package


def test_documented_code_gives_documents_that_parse_and_pass_their_gates(tmp_path: Path) -> None:
    _package(tmp_path, undocumented=False)
    requirements_text, design_text = draft_from_code(survey(tmp_path, "billing"), title="Billing", spec="001-billing")
    requirements, problems = parse_requirements(requirements_text)
    assert [p for p in problems if p.severity == "error"] == []
    assert requirements_gate(requirements).passed, requirements_gate(requirements).problems
    assert [i.id for i in requirements.items] == ["R1", "R1.1", "R1.2", "R2", "R2.1", "C1"]
    assert requirements.item("R1.1").text.startswith("WHEN `add_tax(amount, rate)` is called THE SYSTEM SHALL "
                                                     "return the amount with the tax rate added")
    assert "raise `ValueError` with the message \"rate must not be negative\"" in requirements.item("R1.2").text
    assert "Ledger" in requirements.item("R2").text and "record" in requirements.item("R2.1").text
    assert requirements.questions == []
    design, problems = parse_design(design_text)
    assert [p for p in problems if p.severity == "error"] == []
    assert design_gate(design, allow_placeholders=True).passed
    assert not design_gate(design).passed  # candidate B is a placeholder until a model drafts it


def test_affected_code_names_real_paths_symbols_and_lines(tmp_path: Path) -> None:
    _package(tmp_path)
    _, design_text = draft_from_code(survey(tmp_path, "billing"), title="Billing", spec="001-billing")
    design, _ = parse_design(design_text)
    symbols = {(a.path, a.symbol): a.code_line for a in design.affected}
    assert symbols[("billing/money.py", "add_tax")] == 4
    assert symbols[("billing/money.py", "Ledger.record")] == 14
    assert ("billing/net.py", "_private_helper") not in symbols
    for entry in design.affected:
        assert (tmp_path / entry.path).is_file()
        if entry.symbol and entry.code_line and entry.code_line > 1:
            line = (tmp_path / entry.path).read_text(encoding="utf-8").splitlines()[entry.code_line - 1]
            assert entry.symbol.split(".")[-1] in line
    assert any(a.path == "billing/rates.json" and a.symbol is None for a in design.affected)
    flow = design.texts["Data flow"]
    assert "`billing/net.py` imports `billing/money.py` (`add_tax`)" in flow
    assert "`billing/cli.py` `main` calls `billing.money.add_tax`" in flow


def test_undocumented_items_get_low_scores_and_questions(tmp_path: Path) -> None:
    _package(tmp_path)
    requirements_text, _ = draft_from_code(survey(tmp_path, "billing"), title="Billing", spec="001-billing")
    requirements, _ = parse_requirements(requirements_text)
    net_story = next(i for i in requirements.items if i.kind == "story" and "billing/net.py" in i.text)
    net_criterion = requirements.criteria(net_story.id)[0]
    assert "`net(amount)`" in net_criterion.text and net_criterion.clarity is not None
    assert net_criterion.clarity < 0.6 and net_story.clarity is not None and net_story.clarity < 0.6
    asked = {q.item: q.text for q in requirements.questions}
    assert "no docstring" in asked[net_criterion.id] and "no module docstring" in asked[net_story.id]
    cli = requirements.criteria(next(i.id for i in requirements.items if i.kind == "story" and "cli.py" in i.text))
    texts = [c.text for c in cli]
    assert any("`--rate`" in t and "use this tax rate instead of 0.2" in t for t in texts)
    assert any("the argument `amounts`" in t for t in texts)
    quiet = next(c for c in cli if "`--quiet`" in c.text)
    assert "no help text" in asked[quiet.id]
    gate = requirements_gate(requirements)
    assert not gate.passed and any(p.startswith(f"{net_criterion.id}:") for p in gate.problems)


def test_a_file_that_does_not_parse_is_listed_as_a_risk(tmp_path: Path) -> None:
    package = _package(tmp_path, undocumented=False)
    (package / "broken.py").write_text("def oops(:\n", encoding="utf-8")
    _, design_text = draft_from_code(survey(tmp_path, "billing"), title="Billing", spec="001-billing")
    design, _ = parse_design(design_text)
    assert "`billing/broken.py` does not parse (SyntaxError (line 1))" in design.texts["Risks"]


def test_paths_outside_the_workspace_or_missing_are_refused(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    with pytest.raises(BrownfieldError, match="outside the workspace"):
        survey(tmp_path / "ws", "..")
    with pytest.raises(BrownfieldError, match="does not exist"):
        survey(tmp_path / "ws", "nothing_here")


def test_the_cli_writes_a_spec_whose_gates_are_recorded(tmp_path: Path) -> None:
    _package(tmp_path, undocumented=False)
    done = subprocess.run([sys.executable, "-m", "specpilot", "spec", "from-code", "billing/money.py", "--title",
                           "Money as built", "-w", str(tmp_path)], capture_output=True, text=True, timeout=120)
    # candidate B is a placeholder offline: the design is written, its gate fails and the command exits 1
    assert done.returncode == 1, done.stderr
    assert "requirements gate passes" in done.stdout and "design gate fails" in done.stdout
    assert "the candidates are placeholders (needs a model)" in done.stdout
    folder = tmp_path / ".specpilot" / "specs" / "001-money-as-built"
    requirements, _ = parse_requirements((folder / "requirements.md").read_text(encoding="utf-8"))
    assert requirements.front["gate"]["passed"] is True and requirements.front["stage"] == "design"
    assert requirements.title == "Money as built"
    design, _ = parse_design((folder / "design.md").read_text(encoding="utf-8"))
    assert {a.path for a in design.affected} == {"billing/money.py"}
    assert design.front["gate"]["passed"] is False
    # the workflow goes on from here only by --force, which tasks.md records
    with pytest.raises(GateFailed, match="placeholders"):
        SpecWorkflow(tmp_path).tasks("001")
    tasks = SpecWorkflow(tmp_path).tasks("001", force=True)
    assert tasks.gate.passed
    recorded, _ = parse_tasks(tasks.path.read_text(encoding="utf-8"))
    assert recorded.front["gate"]["forced"] == ["design gate: the candidates are placeholders (needs a model)"]


def test_from_code_writes_no_design_while_its_requirements_gate_fails(tmp_path: Path) -> None:
    _package(tmp_path, undocumented=True)
    flow = SpecWorkflow(tmp_path)
    results = flow.from_code("billing")
    assert [r.document for r in results] == ["requirements"] and not results[0].gate.passed
    assert any("design.md not written" in note for note in results[0].notes)
    folder = results[0].path.parent
    assert not (folder / "design.md").exists()
    with pytest.raises(GateFailed):  # spec design is refused as for any spec
        flow.design(folder.name)
    # once forced (or answered), spec design drafts the as-built design, not the generic one
    design = flow.design(folder.name, force=True)
    parsed, _ = parse_design(design.path.read_text(encoding="utf-8"))
    assert parsed.candidates is not None and parsed.candidates.candidates[0] == "A: as built"
    assert design.gate.passed and design.gate.forced[0].startswith("requirements gate: ")


SESSIONS = '''"""Session helpers."""


class Session:
    """A signed cookie session."""

    def __init__(self, data):
        """This reflects the data the client sent, unchanged."""
        self.data = data

    @property
    def permanent(self):
        """Whether the session outlives the browser window."""
        return self.data.get("_permanent", False)

    @permanent.setter
    def permanent(self, value):
        self.data["_permanent"] = value

    def its_keys(self):
        """Its keys, in insertion order."""
        return list(self.data)

    def pop(self, key):
        """Removes the key and returns its value."""
        return self.data.pop(key)
'''


def _sessions(root: Path) -> tuple[str, str]:
    package = root / "src" / "flask"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A tiny web framework."""\n', encoding="utf-8")
    (package / "sessions.py").write_text(SESSIONS, encoding="utf-8")
    return draft_from_code(survey(root, "src"), title="Sessions", spec="sessions")


def test_module_names_start_at_the_package_root_not_the_source_folder(tmp_path: Path) -> None:
    _, design = _sessions(tmp_path)
    assert "- `src/flask/sessions.py` `flask.sessions` (line 1)" in design
    assert "- `src/flask/__init__.py` `flask` (line 1)" in design
    assert "src.flask" not in design


def test_docstrings_that_do_not_open_with_a_verb_are_quoted_whole_not_cut(tmp_path: Path) -> None:
    requirements, _ = _sessions(tmp_path)
    assert "SHALL thi " not in requirements and "SHALL it keys" not in requirements
    assert 'SHALL behave as its docstring says: "This reflects the data the client sent, unchanged".' in requirements
    assert 'SHALL behave as its docstring says: "Its keys, in insertion order".' in requirements
    assert "WHEN `Session.pop(key)` is called THE SYSTEM SHALL remove the key and returns its value." \
        in requirements


def test_properties_are_read_as_attributes_not_called(tmp_path: Path) -> None:
    requirements, design = _sessions(tmp_path)
    assert "WHEN the attribute `Session.permanent` is read THE SYSTEM SHALL return whether the session outlives " \
        "the browser window." in requirements
    assert "permanent(" not in requirements
    assert design.count("`Session.permanent`") == 1  # the setter is not a second name


def test_criteria_are_ears_and_summary_counts_agree_with_the_body(tmp_path: Path) -> None:
    from specpilot.spec.ears import classify

    requirements, design = _sessions(tmp_path)
    criteria = [line for line in requirements.splitlines() if line.startswith("- R")]
    assert criteria and all(classify(line.split(" ", 2)[2]) in ("event", "unwanted") for line in criteria)
    affected = design.split("## Affected code\n")[1].split("\n\n")[0].splitlines()
    modules = [row for row in affected if row.endswith("(line 1)") and "`Session" not in row]
    symbols = len(affected) - len(modules)
    assert f"{len(modules)} Python module(s), {symbols} public symbol(s)" in design
    assert f"keep the {symbols} public names listed under affected code" in requirements
