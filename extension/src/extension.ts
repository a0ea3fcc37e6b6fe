/**
 * SpecPilot for VS Code: starts the SpecPilot language server (client.ts) and gives every
 * capability a way in: the palette (commands.ts), semantic search (search.ts), the status bar
 * (status.ts), API keys in SecretStorage (secrets.ts), the Specs view (specs.ts) and the spec
 * panel (panel/host.ts), proposed edits as a diff (proposals.ts), the Learning view (learning.ts), the Prompts view of the
 * roles' playbooks (playbooks.ts). Code actions, diagnostics, hover, code lenses, rename and workspace
 * symbols come through LSP itself.
 */

import * as vscode from "vscode";
import { AGENT_EVENT, AgentView } from "./agent_view";
import type { AgentEvent } from "./agent_text";
import { ServerConnection } from "./client";
import { pickSpec, registerCommands } from "./commands";
import { registerLearning } from "./learning";
import { SpecPanel } from "./panel/host";
import { registerPlaybooks } from "./playbooks";
import { PROPOSAL, Proposals } from "./proposals";
import { semanticSearch } from "./search";
import { sendKeys, setApiKey } from "./secrets";
import { SPECS_CHANGED, SpecsView } from "./specs";
import { StatusItem } from "./status";
import type { IndexStatus } from "./status_text";

export const INDEX_STATUS = "specpilot/indexStatus";

export interface SpecPilotApi {
  /** For tests and other extensions: the running client's state and the last index states. */
  serverRunning(): boolean;
  indexStatuses(): IndexStatus[];
}

export async function activate(context: vscode.ExtensionContext): Promise<SpecPilotApi> {
  const started = Date.now();
  const log = vscode.window.createOutputChannel("SpecPilot", { log: true });
  const server = new ServerConnection(log);
  const status = new StatusItem();
  const client = () => server.running();
  const specs = new SpecsView(client);
  const panel = new SpecPanel(context.extensionUri, client, log);
  const agent = new AgentView();
  const proposals = new Proposals(client, log);
  context.subscriptions.push(log, server, status, specs, panel, agent, proposals,
    vscode.window.registerTreeDataProvider("specpilot.specs", specs));
  const learned = registerLearning(context, client, log);
  const playbooks = registerPlaybooks(context, client, log);
  const learning = { changedOnServer: () => { learned.changedOnServer(); playbooks.changedOnServer(); } };

  server.onDidStart((running) => {
    status.starting(); // a new server: forget the last one's folders and error
    // The server opens its folders after it starts: the tree asked at start may be empty. Ask again
    // when each folder reports its index for the first time.
    const seen = new Set<string>();
    context.subscriptions.push(
      running.onNotification(INDEX_STATUS, (payload: IndexStatus) => {
        status.update(payload);
        if (!seen.has(payload.folder)) {
          seen.add(payload.folder);
          void specs.refresh();
        }
      }),
      running.onNotification(AGENT_EVENT, (event: AgentEvent) => agent.show(event)),
      running.onNotification(PROPOSAL, (proposal: unknown) => void proposals.receive(proposal).then(() => learning.changedOnServer())),
      running.onNotification(SPECS_CHANGED, () => {
        void specs.refresh();
        void panel.reload();
      }));
    void sendKeys(context.secrets, running);
    void specs.refresh();
    learning.changedOnServer();
    void vscode.commands.executeCommand("setContext", "specpilot.serverRunning", true);
    log.info(`activated and the server is up in ${Date.now() - started} ms`);
  });

  const add = (id: string, handler: (...args: any[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  add("specpilot.restartServer", async () => {
    status.starting();
    void vscode.commands.executeCommand("setContext", "specpilot.serverRunning", false);
    if (!(await server.restart())) status.failed("the server did not start");
  });
  add("specpilot.showLog", () => log.show());
  add("specpilot.showStatus", async () => {
    const choice = await vscode.window.showInformationMessage(status.details().join("\n"), { modal: false }, "Show Log", "Restart Server");
    if (choice === "Show Log") log.show();
    if (choice === "Restart Server") await vscode.commands.executeCommand("specpilot.restartServer");
  });
  add("specpilot.setApiKey", () => setApiKey(context.secrets));
  add("specpilot.acceptProposal", (target?: unknown) => proposals.decide(true, target).then(() => learning.changedOnServer()));
  add("specpilot.rejectProposal", (target?: unknown) => proposals.decide(false, target).then(() => learning.changedOnServer()));
  add("specpilot.semanticSearch", () => {
    const editor = vscode.window.activeTextEditor;
    const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).slice(0, 200) : "";
    return semanticSearch(client(), selected, { log, sent: () => learning.changedOnServer() });
  });
  add("specpilot.refreshSpecs", () => specs.refresh());
  add("specpilot.openSpecPanel", async (node?: unknown) => {
    const spec = SpecsView.specOf(node as never) ?? await pickSpec(client(), "SpecPilot: Open Spec Panel");
    if (spec) await panel.show(spec);
  });
  registerCommands(context, client);
  // Context-menu variants of the task commands receive a tree node: hand on its spec and task.
  add("specpilot.tree.runTask", (node: never) =>
    vscode.commands.executeCommand("specpilot.runSpecTask", SpecsView.specOf(node), SpecsView.taskOf(node)));
  add("specpilot.tree.markDone", (node: never) =>
    vscode.commands.executeCommand("specpilot.markTaskDone", SpecsView.specOf(node), SpecsView.taskOf(node)));
  const stageCommands: Record<string, string> = {
    requirements: "specpilot.clarifySpec", design: "specpilot.designSpec", tasks: "specpilot.planTasks", review: "specpilot.reviewSpec",
  };
  add("specpilot.tree.runStage", (node: { stage?: string } & never) => {
    const command = stageCommands[(node as { stage?: string }).stage ?? ""];
    return command ? vscode.commands.executeCommand(command, SpecsView.specOf(node)) : undefined;
  });
  add("specpilot.tree.clarify", (node: never) => vscode.commands.executeCommand("specpilot.clarifySpec", SpecsView.specOf(node)));

  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration("specpilot.server.python")) {
      void vscode.window.showInformationMessage("SpecPilot: the server's interpreter changed.", "Restart Server")
        .then((choice) => choice && vscode.commands.executeCommand("specpilot.restartServer"));
    }
  }), context.secrets.onDidChange((event) => {
    if (event.key.startsWith("specpilot.apiKey.")) void sendKeys(context.secrets, client());
  }));

  if (!(await server.start())) status.failed("the server did not start (see the SpecPilot log)");
  return {
    serverRunning: () => server.running() !== undefined,
    indexStatuses: () => status.statuses(),
  };
}

export function deactivate(): void {
  // Disposables (the client among them) are stopped by VS Code through context.subscriptions.
}
