/**
 * The status bar item: indexing progress ("SpecPilot: indexing 42%"), the index state
 * ("SpecPilot: indexed"), the model in use and errors, from the server's
 * `specpilot/indexStatus` notifications. Clicking it shows the details.
 */

import * as vscode from "vscode";
import { describeStatus, type IndexStatus } from "./status_text";

export class StatusItem implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem("specpilot.status", vscode.StatusBarAlignment.Left, 10);
  private readonly folders = new Map<string, IndexStatus>();
  private problem: string | undefined;

  constructor() {
    this.item.name = "SpecPilot";
    this.item.command = "specpilot.showStatus";
    this.starting();
    this.item.show();
  }

  starting(): void {
    this.problem = undefined;
    this.folders.clear();
    this.render(); // no folder reported yet: "SpecPilot: starting" (status_text.ts)
  }

  failed(message: string): void {
    this.problem = message;
    this.render();
  }

  update(status: IndexStatus): void {
    this.folders.set(status.folder, status);
    this.render();
  }

  statuses(): IndexStatus[] {
    return [...this.folders.values()];
  }

  private render(): void {
    const model = vscode.workspace.getConfiguration("specpilot").get<string>("model.provider") ?? "none";
    const view = describeStatus(this.statuses(), this.problem, model);
    this.item.text = view.text;
    this.item.tooltip = new vscode.MarkdownString(view.details.join("\n\n"));
    this.item.backgroundColor = view.error ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  details(): string[] {
    const model = vscode.workspace.getConfiguration("specpilot").get<string>("model.provider") ?? "none";
    return describeStatus(this.statuses(), this.problem, model).details;
  }

  dispose(): void {
    this.item.dispose();
  }
}
