/**
 * The Prompts view (activity bar "SpecPilot", under Learning): each role's prompt playbook (planner,
 * architect, coder, reviewer) and its versions from `specpilot.prompts.history`, each marked with where it
 * stands. A version opens read-only (its sections and entries, then the prompt it renders); Compare with
 * Previous opens VS Code's diff of the two outlines; Use This Version (`specpilot.prompts.rollback`) and
 * Approve (`specpilot.prompts.approve`) ask first; Curate Now (`specpilot.prompts.curate`) writes a version
 * that only the evidence gate puts in use. The view refreshes on demand, when shown, and after verdicts.
 */

import * as vscode from "vscode";
import { ExecuteCommandRequest, type LanguageClient } from "vscode-languageclient/node";
import { isUnknownCommand } from "./learning_text";
import {
  asHistory, docPath, documentText, newestFirst, parseDoc, type PlaybookDoc, type PlaybookHistory, type PlaybookVersion,
  ROLES, roleDescription, SCHEME, stateIcon, versionContext, versionDescription, versionTooltip,
} from "./playbooks_text";

export const PLAYBOOKS_VIEW = "specpilot.playbooks";

type Node =
  | { kind: "folder"; folder: string }
  | { kind: "role"; folder?: string; role: string; history?: PlaybookHistory; problem?: string }
  | { kind: "version"; folder?: string; role: string; version: PlaybookVersion };

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The workspace folders to show: none named when there is one (the server's default folder). */
function folders(): (string | undefined)[] {
  const all = vscode.workspace.workspaceFolders ?? [];
  return all.length > 1 ? all.map((f) => f.uri.fsPath) : [undefined];
}

async function ask(client: LanguageClient | undefined, command: string, args: Record<string, unknown>): Promise<unknown> {
  if (!client) throw new Error("the SpecPilot server is not running (Restart Server, or see the SpecPilot log)");
  try {
    return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [args] });
  } catch (error) {
    const message = errorText(error);
    throw new Error(isUnknownCommand(message) ? `this server has no ${command}; update SpecPilot` : message);
  }
}

const withFolder = (folder: string | undefined, args: Record<string, unknown>) => (folder ? { ...args, folder } : args);

export class PlaybooksView implements vscode.TreeDataProvider<Node>, vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly docsChanged = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.docsChanged.event;
  private readonly view: vscode.TreeView<Node>;
  private readonly disposables: vscode.Disposable[] = [];
  private roles = new Map<string, Node & { kind: "role" }>(); // `${folder}|${role}` → its node, as last read
  private stale = true;
  private asking: Promise<void> | undefined;

  constructor(private readonly client: () => LanguageClient | undefined, private readonly log: vscode.LogOutputChannel) {
    this.view = vscode.window.createTreeView(PLAYBOOKS_VIEW, { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(this.view, vscode.workspace.registerTextDocumentContentProvider(SCHEME, this),
      this.view.onDidChangeVisibility((event) => {
        if (event.visible && this.stale) void this.refresh();
      }));
  }

  /** Read every role's history again (coalesced with a read in flight). */
  refresh(): Promise<void> {
    this.asking ??= this.read().finally(() => {
      this.asking = undefined;
    });
    return this.asking;
  }

  /** After something changed on the server: refresh if the view is shown, else when it is shown next. */
  changedOnServer(): void {
    this.stale = true;
    if (this.view.visible) void this.refresh();
  }

  private async read(): Promise<void> {
    this.stale = false;
    const client = this.client();
    const next = new Map<string, Node & { kind: "role" }>();
    let problem: string | undefined = client ? undefined : "The SpecPilot server is not running.";
    if (client) {
      await Promise.all(folders().flatMap((folder) => ROLES.map(async (role) => {
        const node: Node & { kind: "role" } = { kind: "role", folder, role };
        try {
          node.history = asHistory(await ask(client, "specpilot.prompts.history", withFolder(folder, { role })));
        } catch (error) {
          node.problem = errorText(error);
          this.log.warn(`prompts history ${role}: ${node.problem}`);
        }
        next.set(`${folder ?? ""}|${role}`, node);
      })));
      const failed = [...next.values()].filter((n) => n.problem);
      if (failed.length === next.size && failed.length) problem = `Could not read the playbooks: ${failed[0].problem}`;
    }
    this.roles = next;
    this.view.message = problem ?? (this.roles.size && [...this.roles.values()].every((n) => (n.history?.versions.length ?? 0) <= 1)
      ? "Each role's prompt is a playbook: its learned entries grow by small edits that the evidence gate tries before they are used. None has changed yet."
      : undefined);
    this.changed.fire(undefined);
    for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === SCHEME) this.docsChanged.fire(doc.uri);
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      const named = folders();
      if (named.length > 1) return named.map((folder) => ({ kind: "folder", folder: folder as string }));
      return ROLES.map((role) => this.roles.get(`|${role}`) ?? { kind: "role", role });
    }
    if (node.kind === "folder") return ROLES.map((role) => this.roles.get(`${node.folder}|${role}`) ?? { kind: "role", folder: node.folder, role });
    if (node.kind === "role" && node.history) {
      return newestFirst(node.history).map((version) => ({ kind: "version", folder: node.folder, role: node.role, version }));
    }
    return [];
  }

  getParent(node: Node): Node | undefined {
    if (node.kind === "version") return this.roles.get(`${node.folder ?? ""}|${node.role}`);
    if (node.kind === "role" && node.folder && folders().length > 1) return { kind: "folder", folder: node.folder };
    return undefined;
  }

  /** Select a version in the tree (after a change made it), expanding its role. */
  async reveal(role: string, version: number, folder?: string): Promise<void> {
    const history = this.roles.get(`${folder ?? ""}|${role}`)?.history;
    const found = history?.versions.find((v) => v.version === version);
    if (found) await this.view.reveal({ kind: "version", folder, role, version: found }, { select: true, focus: false, expand: true });
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case "folder": {
        const item = new vscode.TreeItem(vscode.workspace.asRelativePath(node.folder, true), vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = vscode.ThemeIcon.Folder;
        return item;
      }
      case "role": {
        const many = (node.history?.versions.length ?? 0) > 1;
        const item = new vscode.TreeItem(node.role, many ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `role:${node.folder ?? ""}|${node.role}`;
        item.description = node.problem ? `cannot read: ${node.problem}` : node.history ? roleDescription(node.history) : "";
        item.tooltip = node.problem ?? `The ${node.role}'s prompt playbook. Curate Now applies the model-free rules to its votes.`;
        item.iconPath = new vscode.ThemeIcon(node.problem ? "warning" : "note");
        item.contextValue = "playbook.role";
        return item;
      }
      case "version": {
        const v = node.version;
        const item = new vscode.TreeItem(`v${v.version}`, vscode.TreeItemCollapsibleState.None);
        item.id = `version:${node.folder ?? ""}|${node.role}|${v.version}`;
        item.description = versionDescription(v);
        item.tooltip = versionTooltip(node.role, v);
        item.iconPath = new vscode.ThemeIcon(stateIcon(v.state));
        item.contextValue = versionContext(v);
        item.command = { command: "specpilot.tree.openPlaybookVersion", title: "Open Playbook Version", arguments: [node] };
        return item;
      }
    }
  }

  /** The text of a `specpilot-playbook:` document, asked of the server each time it is opened or refreshed. */
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const doc = parseDoc(uri.path, uri.query);
    if (!doc) return `<!-- not a playbook version: ${uri.toString()} -->`;
    try {
      const shown = await ask(this.client(), "specpilot.prompts.show", withFolder(doc.folder, { role: doc.role, version: doc.version }));
      return documentText(shown, doc.outline);
    } catch (error) {
      return `<!-- the ${doc.role} playbook's v${doc.version} could not be read: ${errorText(error)} -->`;
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
    this.docsChanged.dispose();
  }
}

const uriOf = (doc: PlaybookDoc) => vscode.Uri.from({ scheme: SCHEME, ...docPath(doc) });

type VersionNode = Node & { kind: "version" };
type RoleNode = Node & { kind: "role" };

async function open(node: VersionNode): Promise<void> {
  const uri = uriOf({ role: node.role, version: node.version.version, outline: false, folder: node.folder });
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
}

async function compare(node: VersionNode): Promise<void> {
  const v = node.version;
  if (v.parent === null) {
    void vscode.window.showInformationMessage(`SpecPilot: v${v.version} is the built-in ${node.role} playbook; it has no earlier version.`);
    return;
  }
  const side = (version: number) => uriOf({ role: node.role, version, outline: true, folder: node.folder });
  await vscode.commands.executeCommand("vscode.diff", side(v.parent), side(v.version),
    `${node.role} playbook: v${v.parent} ↔ v${v.version}`);
}

async function act(view: PlaybooksView, client: LanguageClient | undefined, what: string, command: string,
                   args: Record<string, unknown>, done: (answer: Record<string, unknown>) => string,
                   shown?: (answer: Record<string, unknown>) => number | undefined): Promise<void> {
  let answer: Record<string, unknown> | undefined;
  try {
    answer = ((await ask(client, command, args)) as Record<string, unknown> | null) ?? {};
    void vscode.window.showInformationMessage(`SpecPilot: ${done(answer)}`);
  } catch (error) {
    void vscode.window.showErrorMessage(`SpecPilot: ${what} failed: ${errorText(error)}`);
  }
  await view.refresh();
  const version = answer && shown?.(answer);
  if (version !== undefined) await view.reveal(String(args.role), version, args.folder as string | undefined);
}

async function use(view: PlaybooksView, client: LanguageClient | undefined, node: VersionNode): Promise<void> {
  const v = node.version;
  if (v.state === "current") return;
  const sure = await vscode.window.showWarningMessage(
    `Use v${v.version} of the ${node.role} playbook from now on? The evidence gate keeps weighing it, and rolls it back if the version it replaced scores better.`,
    { modal: true }, "Use This Version");
  if (sure !== "Use This Version") return;
  await act(view, client, "using that version", "specpilot.prompts.rollback", withFolder(node.folder, { role: node.role, version: v.version }),
    (a) => `the ${node.role} playbook is at v${String(a.current ?? v.version)}.`, () => v.version);
}

async function approve(view: PlaybooksView, client: LanguageClient | undefined, node: VersionNode): Promise<void> {
  const v = node.version;
  const sure = await vscode.window.showWarningMessage(
    `Approve v${v.version} of the ${node.role} playbook? It is a high-risk change (${v.reason || "many entries or a whole section"}). Once approved, runs try it beside the version in use and the evidence gate decides.`,
    { modal: true, detail: "Compare with Previous shows what it changes." }, "Approve");
  if (sure !== "Approve") return;
  await act(view, client, "the approval", "specpilot.prompts.approve", withFolder(node.folder, { role: node.role, version: v.version }),
    (a) => `v${v.version} approved: it is tried beside v${String(a.current)}.`, () => v.version);
}

async function curate(view: PlaybooksView, client: LanguageClient | undefined, node: RoleNode): Promise<void> {
  await act(view, client, "curating", "specpilot.prompts.curate", withFolder(node.folder, { role: node.role }), (a) => a.changed
    ? `the ${node.role} playbook's v${String(a.version)} was written (${(a.ops as unknown[] | undefined)?.length ?? 0} edit(s)); it is tried beside v${String(a.current)} and used only if the evidence gate finds it better.`
    : `nothing to curate in the ${node.role} playbook: no entry has enough consistent votes yet.`,
  (a) => (a.changed && typeof a.version === "number" ? a.version : undefined));
}

/** From the palette: which role (and, in a multi-root window, which folder) to curate. */
async function pickRole(): Promise<RoleNode | undefined> {
  const items = folders().flatMap((folder) => ROLES.map((role) => ({
    label: role, description: folder ? vscode.workspace.asRelativePath(folder, true) : "", folder, role })));
  const picked = await vscode.window.showQuickPick(items, { title: "SpecPilot: Curate Playbook", placeHolder: "the role whose playbook to curate" });
  return picked ? { kind: "role", role: picked.role, folder: picked.folder } : undefined;
}

/** The Prompts view and its commands. */
export function registerPlaybooks(context: vscode.ExtensionContext, client: () => LanguageClient | undefined,
                                  log: vscode.LogOutputChannel): PlaybooksView {
  const view = new PlaybooksView(client, log);
  const isVersion = (node: unknown): node is VersionNode => Boolean(node && (node as Node).kind === "version");
  const isRole = (node: unknown): node is RoleNode => Boolean(node && (node as Node).kind === "role");
  const needs = (what: string) => void vscode.window.showInformationMessage(`SpecPilot: pick a ${what} in the Prompts view.`);
  context.subscriptions.push(view,
    vscode.commands.registerCommand("specpilot.refreshPlaybooks", () => view.refresh()),
    vscode.commands.registerCommand("specpilot.tree.openPlaybookVersion", (node?: unknown) => (isVersion(node) ? open(node) : needs("version"))),
    vscode.commands.registerCommand("specpilot.tree.comparePlaybookVersion", (node?: unknown) => (isVersion(node) ? compare(node) : needs("version"))),
    vscode.commands.registerCommand("specpilot.tree.usePlaybookVersion", (node?: unknown) => (isVersion(node) ? use(view, client(), node) : needs("version"))),
    vscode.commands.registerCommand("specpilot.tree.approvePlaybookVersion", (node?: unknown) => (isVersion(node) ? approve(view, client(), node) : needs("version"))),
    vscode.commands.registerCommand("specpilot.curatePlaybook", async (node?: unknown) => {
      const role = isRole(node) ? node : await pickRole();
      if (role) await curate(view, client(), role);
    }));
  return view;
}
