"""The MCP tools of the spec workflow: status, the gates, and requirement -> code -> test traceability.

They answer from the same engine as ``specpilot spec status``, ``specpilot spec gates`` and ``specpilot spec
show`` (spec/workflow.py, spec/gate_check.py, spec/panel.py). Nothing here writes a spec document.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from specpilot.agents.tools import Observation, Tool, ToolArgs, ToolContext, ToolError
from specpilot.mcp_server.workspace import McpWorkspace

SpecName = Annotated[str | None, Field(description="the spec's folder ('001-export-csv'), slug or number; "
                                                   "default: the spec changed last")]
MARKS = {True: "pass", False: "FAIL", None: "-"}


class _SpecTool(Tool[Any]):
    def __init__(self, workspace: McpWorkspace) -> None:
        self.workspace = workspace


class SpecStatusArgs(ToolArgs):
    pass


class SpecStatus(_SpecTool):
    name = "spec_status"
    description = ("The workspace's specs (.specpilot/specs/): each one's stage (requirements, design, tasks, "
                   "implementation, review, done), whether each stage's gate passed, and the files changed since "
                   "its review. Read a document with the resources specpilot://specs/<spec>/<document>.md.")
    args_model = SpecStatusArgs

    def run(self, ctx: ToolContext, args: SpecStatusArgs) -> Observation:
        rows = self.workspace.project.workflow(author=False, retrieval=False).status()
        if not rows:
            return self.ok("no specs yet (`specpilot spec new \"an idea\"` starts one)", data={"specs": []})
        lines = []
        specs: list[dict[str, Any]] = []
        for row in rows:
            gates = ", ".join(f"{document} {MARKS[passed]}" for document, passed in row.gates.items())
            stale = f"; STALE: {', '.join(row.stale[:3])} changed since the review" if row.stale else ""
            lines.append(f"{row.spec.name}: {row.spec.title} (stage {row.spec.stage}, {row.spec.status}); "
                         f"gates: {gates}{stale}")
            specs.append({"spec": row.spec.name, "stage": row.spec.stage, "gates": row.gates,
                          "stale": bool(row.stale)})
        return self.ok("\n".join(lines), data={"specs": specs})


class SpecArgs(ToolArgs):
    spec: SpecName = None


class SpecGates(_SpecTool):
    name = "spec_gates"
    description = ("Run a spec's gates again on its documents as they are now: requirements (clear, testable "
                   "items), design (compared candidates, a choice), tasks (every criterion has a task); the "
                   "review gate as the last review recorded it. Lists each failing check.")
    args_model = SpecArgs

    def run(self, ctx: ToolContext, args: SpecArgs) -> Observation:
        from specpilot.spec.gate_check import check_gates, render
        from specpilot.spec.store import SpecError

        try:
            info, checks = check_gates(self.workspace.project.specs, args.spec)
        except SpecError as exc:
            raise ToolError(str(exc)) from None
        return self.ok(render(info, checks), data={"spec": info.name, "gates": [c.as_json() for c in checks],
                                                   "passed": all(c.passed is not False for c in checks)})


class TraceArgs(ToolArgs):
    spec: SpecName = None
    requirement: Annotated[str | None, Field(description="one requirement, e.g. 'R1.2'; default: all")] = None


class SpecTrace(_SpecTool):
    name = "spec_trace"
    description = ("Requirement -> task -> code -> test traceability of a spec: for each acceptance criterion, "
                   "the tasks that cite it, the code and the tests whose 'Requirements: R1.2' comments cite it, "
                   "and the gap (no task, no code, no test).")
    args_model = TraceArgs

    def run(self, ctx: ToolContext, args: TraceArgs) -> Observation:
        from specpilot.agents.session import trajectory_dir
        from specpilot.spec.lookup import load
        from specpilot.spec.panel import spec_detail
        from specpilot.spec.store import SpecError

        project = self.workspace.project
        try:
            info = project.specs.resolve(args.spec)
        except SpecError as exc:
            raise ToolError(str(exc)) from None
        catalog = load(project.root, settings=project.settings)
        model = spec_detail(catalog, info.name, trajectory_dir(project.root, project.settings))
        if model is None:
            raise ToolError(f"no spec named {info.name!r}")
        rows = [r for r in model["review"] if args.requirement in (None, r["requirement"])]
        if not rows:
            known = ", ".join(r["requirement"] for r in model["review"]) or "none"
            raise ToolError(f"{info.name} has no requirement {args.requirement!r} (its requirements: {known})")
        lines = [f"{info.name}: {info.title}"]
        for row in rows:
            code = ", ".join(p["label"] for p in row["code"]) or "-"
            tests = ", ".join(p["label"] for p in row["tests"]) or "-"
            gap = f"  GAP: {row['gap']}" if row["gap"] else ""
            lines.append(f"{row['requirement']}: tasks {', '.join(row['tasks']) or '-'}; code {code}; "
                         f"tests {tests}{gap}")
        return self.ok("\n".join(lines), data={"spec": info.name,
                                               "gaps": sum(1 for r in rows if r["gap"]), "rows": len(rows)})
