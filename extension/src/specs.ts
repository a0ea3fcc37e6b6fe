/**
 * The Specs view (activity bar "SpecPilot"): specs → stages with gate icons → requirements and
 * tasks, from `specpilot/specTree`. It refreshes when the server says a spec changed
 * (`specpilot/specsChanged`) and on demand.
 */

import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { clarityLabel, gateIcon, STAGE_ORDER, type SpecTreeSpec } from "./specs_model";

export const TREE_REQUEST = "specpilot/specTree";
export const SPECS_CHANGED = "specpilot/specsChanged";

type Node =
  | { kind: "spec"; spec: SpecTreeSpec }
  | { kind: "stage"; spec: SpecTreeSpec; stage: string }
  | { kind: "requirement"; spec: SpecTreeSpec; index: number }
  | { kind: "task"; spec: SpecTreeSpec; index: number }
  | { kind: "message"; text: string };

const ICON: Record<string, vscode.ThemeIcon> = {
  pass: new vscode.ThemeIcon("pass", new vscode.ThemeColor("testing.iconPassed")),
  fail: new vscode.ThemeIcon("error", new vscode.ThemeColor("testing.iconFailed")),
  pending: new vscode.ThemeIcon("circle-outline"),
};

export class SpecsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private specs: SpecTreeSpec[] = [];
  private problem: string | undefined;

  constructor(private readonly client: () => LanguageClient | undefined) {}

  async refresh(): Promise<void> {
    const client = this.client();
    if (!client) {
      this.problem = "The SpecPilot server is not running.";
    } else {
      try {
        const answer = await client.sendRequest<{ specs: SpecTreeSpec[] }>(TREE_REQUEST, {});
        this.specs = answer.specs;
        this.problem = undefined;
      } catch (error) {
        this.problem = `Could not read the specs: ${String(error)}`;
      }
    }
    this.changed.fire(undefined);
  }

  find(name: string): SpecTreeSpec | undefined {
    return this.specs.find((s) => s.name === name);
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      if (this.problem) return [{ kind: "message", text: this.problem }];
      return this.specs.map((spec) => ({ kind: "spec", spec }));
    }
    if (node.kind === "spec") return STAGE_ORDER.map((stage) => ({ kind: "stage", spec: node.spec, stage }));
    if (node.kind === "stage" && node.stage === "requirements") {
      return node.spec.requirements.map((_, index) => ({ kind: "requirement", spec: node.spec, index }));
    }
    if (node.kind === "stage" && node.stage === "tasks") {
      return node.spec.tasks.map((_, index) => ({ kind: "task", spec: node.spec, index }));
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const None = vscode.TreeItemCollapsibleState.None;
    switch (node.kind) {
      case "message":
        return new vscode.TreeItem(node.text, None);
      case "spec": {
        const item = new vscode.TreeItem(node.spec.title || node.spec.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `${node.spec.stage}${node.spec.stale ? " · stale" : ""}`;
        item.contextValue = "spec";
        item.iconPath = new vscode.ThemeIcon("notebook");
        item.id = `${node.spec.folder}#${node.spec.name}`;
        item.command = { command: "specpilot.openSpecPanel", title: "Open", arguments: [node.spec] };
        return item;
      }
      case "stage": {
        const expandable = (node.stage === "requirements" && node.spec.requirements.length > 0)
          || (node.stage === "tasks" && node.spec.tasks.length > 0);
        const item = new vscode.TreeItem(node.stage, expandable ? vscode.TreeItemCollapsibleState.Collapsed : None);
        const icon = gateIcon(node.spec, node.stage);
        item.iconPath = ICON[icon];
        item.description = icon === "pass" ? "gate passes" : icon === "fail" ? "gate fails" : "not run";
        item.contextValue = `stage.${node.stage}`;
        item.id = `${node.spec.folder}#${node.spec.name}/${node.stage}`;
        return item;
      }
      case "requirement": {
        const r = node.spec.requirements[node.index];
        const item = new vscode.TreeItem(`${r.id} ${r.text}`, None);
        item.description = clarityLabel(r.clarity);
        item.tooltip = `${r.kind}: ${r.text}\n${r.tasks.length} task(s), ${r.tests} test(s)`;
        item.contextValue = "requirement";
        item.command = { command: "vscode.open", title: "Open", arguments: [vscode.Uri.parse(r.uri), { selection: new vscode.Range(r.line - 1, 0, r.line - 1, 0) }] };
        return item;
      }
      case "task": {
        const t = node.spec.tasks[node.index];
        const item = new vscode.TreeItem(`${t.id} ${t.title}`, None);
        item.iconPath = new vscode.ThemeIcon(t.done ? "pass-filled" : "circle-large-outline");
        item.description = t.done ? "done" : t.requirements.join(", ");
        item.contextValue = t.done ? "task.done" : "task.open";
        item.command = { command: "vscode.open", title: "Open", arguments: [vscode.Uri.parse(t.uri), { selection: new vscode.Range(t.line - 1, 0, t.line - 1, 0) }] };
        return item;
      }
    }
  }

  /** What a context-menu command receives: the spec, and the task id for a task. */
  static specOf(node: Node | SpecTreeSpec | undefined): SpecTreeSpec | undefined {
    if (!node) return undefined;
    if ("name" in node && "gates" in node) return node;
    return "spec" in node ? node.spec : undefined;
  }

  static taskOf(node: Node | undefined): string | undefined {
    return node && node.kind === "task" ? node.spec.tasks[node.index].id : undefined;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
