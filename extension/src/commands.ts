/**
 * The palette: every server command behind a SpecPilot command with a title, asking the user
 * for what the server needs (an idea, a spec, a task, a position) and showing the outcome.
 * The server reports long work with work-done progress, which VS Code shows by itself;
 * proposed edits come as `workspace/applyEdit` with confirmation, i.e. the refactor preview.
 */

import * as vscode from "vscode";
import { ExecuteCommandRequest, type LanguageClient } from "vscode-languageclient/node";
import { outcomeMessage, type StageOutcome } from "./outcome";
import type { SpecTreeSpec } from "./specs_model";

export type ClientGetter = () => LanguageClient | undefined;

export async function runServerCommand<T = unknown>(client: LanguageClient | undefined, command: string,
                                                   args: unknown[] = []): Promise<T | undefined> {
  if (!client) {
    void vscode.window.showErrorMessage("SpecPilot: the server is not running (Restart Server, or see the SpecPilot log).");
    return undefined;
  }
  try {
    return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args })) as T;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(`SpecPilot: ${message}`);
    return undefined;
  }
}

/** Shows a stage command's outcome: the gate, and a button that opens the document. */
export async function showOutcome(outcome: StageOutcome | undefined): Promise<void> {
  if (!outcome) return;
  const { text, failed } = outcomeMessage(outcome);
  const show = failed ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const choice = outcome.uri ? await show(text, "Open") : await show(text);
  if (choice === "Open" && outcome.uri) await vscode.window.showTextDocument(vscode.Uri.parse(outcome.uri));
}

export async function pickSpec(client: LanguageClient | undefined, title: string): Promise<SpecTreeSpec | undefined> {
  if (!client) return undefined;
  const tree = await client.sendRequest<{ specs: SpecTreeSpec[] }>("specpilot/specTree", {});
  if (tree.specs.length === 0) {
    void vscode.window.showInformationMessage("SpecPilot: no spec yet. Run 'SpecPilot: New Spec' first.");
    return undefined;
  }
  if (tree.specs.length === 1) return tree.specs[0];
  const picked = await vscode.window.showQuickPick(
    tree.specs.map((spec) => ({ label: spec.title || spec.name, description: `${spec.name} · ${spec.stage}`, spec })),
    { title, placeHolder: "Which spec?" });
  return picked?.spec;
}

export async function pickTask(spec: SpecTreeSpec, title: string, done?: boolean): Promise<string | undefined> {
  const tasks = spec.tasks.filter((t) => done === undefined || t.done === done);
  if (tasks.length === 0) {
    void vscode.window.showInformationMessage(`SpecPilot: ${spec.name} has no ${done === false ? "open " : ""}task.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    tasks.map((t) => ({ label: `${t.id} ${t.title}`, description: t.done ? "done" : "to do", id: t.id })), { title });
  return picked?.id;
}

function cursor(): { uri: string; line: number; character: number; version: number } | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "python") {
    void vscode.window.showErrorMessage("SpecPilot: put the cursor on a Python function first.");
    return undefined;
  }
  const { line, character } = editor.selection.active;
  return { uri: editor.document.uri.toString(), line, character, version: editor.document.version };
}

export function registerCommands(context: vscode.ExtensionContext, client: ClientGetter): void {
  const add = (id: string, handler: (...args: any[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  };
  add("specpilot.indexStatus", async () => {
    const result = await runServerCommand<Array<{ folder: string; state: string; files: number; chunks: number; embedded: number }>>(
      client(), "specpilot.index.status", [{}]);
    if (result) {
      const lines = result.map((s) => `${decodeURIComponent(s.folder.split("/").pop() ?? s.folder)}: ${s.state}, ${s.files} files, ${s.chunks} chunks, ${s.embedded} embedded`);
      void vscode.window.showInformationMessage(`SpecPilot index: ${lines.join("; ")}`);
    }
  });
  add("specpilot.rebuildIndex", async () => {
    const sure = await vscode.window.showWarningMessage("Rebuild the SpecPilot index from scratch? Search answers from the full text until it is done.", { modal: true }, "Rebuild");
    if (sure) await runServerCommand(client(), "specpilot.index.rebuild", [{}]);
  });
  add("specpilot.runDoctor", async () => {
    const result = await runServerCommand<{ message?: string; healthy?: boolean }>(client(), "specpilot.doctor", [{ repair: false }]);
    if (result) void vscode.window.showInformationMessage(`SpecPilot doctor: ${result.message ?? JSON.stringify(result)}`);
  });
  add("specpilot.initSteering", async () => {
    const result = await runServerCommand<{ written?: string[]; kept?: string[] }>(client(), "specpilot.steering.init", [{}]);
    if (result) void vscode.window.showInformationMessage(`SpecPilot steering: wrote ${(result.written ?? []).length} document(s), kept ${(result.kept ?? []).length} edited one(s).`);
  });
  const agent = async (ask: boolean): Promise<void> => {
    const task = await vscode.window.showInputBox({
      title: ask ? "SpecPilot: Ask" : "SpecPilot: Run Agent Task",
      prompt: ask ? "A question about this workspace" : "What the agent should do (its edits open in the refactor preview)",
      ignoreFocusOut: true,
    });
    if (!task?.trim()) return;
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    await runServerCommand(client(), "specpilot.agent.run", [{ task, ask, uri }]);
  };
  add("specpilot.ask", () => agent(true));
  add("specpilot.runAgentTask", () => agent(false));
  add("specpilot.newSpec", async () => {
    const idea = await vscode.window.showInputBox({ title: "SpecPilot: New Spec", prompt: "The idea, in as many sentences as you like", ignoreFocusOut: true });
    if (idea?.trim()) await showOutcome(await runServerCommand<StageOutcome>(client(), "specpilot.spec.new", [{ idea }]));
  });
  const stage = (id: string, command: string, title: string) => add(id, async (spec?: SpecTreeSpec) => {
    const chosen = spec?.name ? spec : await pickSpec(client(), title);
    if (chosen) await showOutcome(await runServerCommand<StageOutcome>(client(), command, [{ name: chosen.name }]));
  });
  stage("specpilot.designSpec", "specpilot.spec.design", "SpecPilot: Design");
  stage("specpilot.planTasks", "specpilot.spec.tasks", "SpecPilot: Plan Tasks");
  stage("specpilot.reviewSpec", "specpilot.spec.review", "SpecPilot: Review");
  stage("specpilot.clarifySpec", "specpilot.spec.clarify", "SpecPilot: Clarify");
  add("specpilot.runSpecTask", async (spec?: SpecTreeSpec, taskId?: string) => {
    const chosen = spec?.name ? spec : await pickSpec(client(), "SpecPilot: Run Task");
    const task = chosen && (taskId ?? await pickTask(chosen, "SpecPilot: Run Task", false));
    if (chosen && task) await showOutcome(await runServerCommand<StageOutcome>(client(), "specpilot.spec.runTask", [{ name: chosen.name, taskId: task }]));
  });
  add("specpilot.markTaskDone", async (spec?: SpecTreeSpec, taskId?: string) => {
    const chosen = spec?.name ? spec : await pickSpec(client(), "SpecPilot: Mark Task Done");
    const task = chosen && (taskId ?? await pickTask(chosen, "SpecPilot: Mark Task Done", false));
    if (chosen && task) await runServerCommand(client(), "specpilot.spec.markDone", [{ name: chosen.name, taskId: task, done: true }]);
  });
  add("specpilot.changeSignature", async () => {
    const at = cursor();
    if (at) await runServerCommand(client(), "specpilot.refactor.changeSignature", [at]);
  });
  add("specpilot.addDecorator", async () => {
    const at = cursor();
    if (at) await runServerCommand(client(), "specpilot.refactor.addDecorator", [at]);
  });
}
