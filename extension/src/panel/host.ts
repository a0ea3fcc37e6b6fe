/**
 * The spec panel's host side: one webview panel per workspace window, showing one spec.
 * It asks the server for the spec's detail (`specpilot/specDetail`), posts it to the webview,
 * and turns the webview's requests into server commands. The webview keeps its own state
 * (getState/setState), so hiding the panel costs nothing and showing it again restores it.
 */

import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { runServerCommand, showOutcome } from "../commands";
import type { StageOutcome } from "../outcome";
import { makeNonce, panelHtml } from "./html";
import { isPanelRequest, type PanelRequest, type PanelUpdate, type SpecDetail } from "./protocol";

export const DETAIL_REQUEST = "specpilot/specDetail";

const STAGE_COMMANDS: Record<string, string> = {
  requirements: "specpilot.spec.clarify",
  design: "specpilot.spec.design",
  tasks: "specpilot.spec.tasks",
  review: "specpilot.spec.review",
};

export class SpecPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private spec: { name: string; folder: string } | undefined;
  private detail: SpecDetail | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly client: () => LanguageClient | undefined,
              private readonly log: vscode.LogOutputChannel) {}

  get current(): string | undefined {
    return this.spec?.name;
  }

  async show(spec: { name: string; folder: string }): Promise<void> {
    this.spec = { name: spec.name, folder: spec.folder };
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel("specpilot.specPanel", `Spec: ${spec.name}`, vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, "extension", "dist")],
      });
      const webview = this.panel.webview;
      const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "extension", "dist", "webview.js"));
      webview.html = panelHtml({ cspSource: webview.cspSource, scriptUri: script.toString(), nonce: makeNonce(), title: "SpecPilot spec" });
      webview.onDidReceiveMessage((message: unknown) => this.receive(message));
      this.panel.onDidDispose(() => {
        this.panel = undefined;
      });
    } else {
      this.panel.reveal();
    }
    this.panel.title = `Spec: ${spec.name}`;
    await this.reload();
  }

  /** Re-read the spec from the server and post it (after a command, or when the server says it changed). */
  async reload(): Promise<void> {
    const client = this.client();
    if (!this.panel || !this.spec) return;
    if (!client) {
      this.post({ type: "error", message: "The SpecPilot server is not running." });
      return;
    }
    try {
      this.detail = await client.sendRequest<SpecDetail>(DETAIL_REQUEST, { name: this.spec.name, uri: this.spec.folder });
      this.post({ type: "spec", spec: this.detail });
    } catch (error) {
      this.post({ type: "error", message: `Could not read ${this.spec.name}: ${String(error)}` });
    }
  }

  private post(update: PanelUpdate): void {
    void this.panel?.webview.postMessage(update);
  }

  private async busy(action: string, work: () => Promise<unknown>): Promise<void> {
    this.post({ type: "busy", action });
    try {
      await work();
    } finally {
      this.post({ type: "busy", action: null });
      await this.reload();
    }
  }

  private async receive(message: unknown): Promise<void> {
    if (!isPanelRequest(message)) {
      this.log.warn(`spec panel: ignored a malformed message ${JSON.stringify(message).slice(0, 200)}`);
      return;
    }
    const request: PanelRequest = message;
    const spec = this.spec;
    if (!spec) return;
    const base = { name: spec.name, uri: spec.folder };
    switch (request.type) {
      case "ready":
        if (this.detail) this.post({ type: "spec", spec: this.detail });
        else await this.reload();
        return;
      case "runStage": {
        if (request.stage === "implement") {
          const next = this.detail?.tasks.find((t) => t.state !== "done");
          if (next) await this.busy(`running ${next.id}`, () => runServerCommand(this.client(), "specpilot.spec.runTask", [{ ...base, taskId: next.id }]));
          return;
        }
        const command = STAGE_COMMANDS[request.stage];
        await this.busy(`running ${request.stage}`, async () =>
          showOutcome(await runServerCommand<StageOutcome>(this.client(), command, [base])));
        return;
      }
      case "answer":
        await this.busy(`answering ${request.question}`, () =>
          runServerCommand(this.client(), "specpilot.spec.clarify", [{ ...base, answers: { [request.question]: request.answer } }]));
        return;
      case "runTask":
        await this.busy(`running ${request.task}`, () =>
          runServerCommand(this.client(), "specpilot.spec.runTask", [{ ...base, taskId: request.task }]));
        return;
      case "markDone":
        await this.busy(`marking ${request.task} done`, () =>
          runServerCommand(this.client(), "specpilot.spec.markDone", [{ ...base, taskId: request.task, done: true }]));
        return;
      case "open": {
        const line = Math.max(0, request.place.line - 1);
        await vscode.window.showTextDocument(vscode.Uri.parse(request.place.uri), { selection: new vscode.Range(line, 0, line, 0) });
        return;
      }
      case "showDiff": {
        const task = this.detail?.tasks.find((t) => t.id === request.task);
        if (!task?.diff) {
          void vscode.window.showInformationMessage(`SpecPilot: ${request.task} has no recorded diff.`);
          return;
        }
        const doc = await vscode.workspace.openTextDocument({ content: task.diff, language: "diff" });
        await vscode.window.showTextDocument(doc, { preview: true });
        return;
      }
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
