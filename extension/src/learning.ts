/**
 * The Learning view (activity bar "SpecPilot", under Specs): what the server's learning loop knows,
 * from `specpilot.learn.status`: decision points → arms with acceptance, 95 % interval, rewarded and
 * pulls, the default (★) and the leader marked, promotions with their evidence. It refreshes on demand,
 * when it becomes visible, and after a verdict the extension sent (`specpilot/feedback`). Open Learning
 * Report runs `specpilot.learn.report` and opens its markdown in the preview (the plots show there);
 * Reset Learning asks first, then runs `specpilot.learn.reset`. Show Stats runs `specpilot.stats` (the event
 * log's latency, acceptance and model spend, with plots) and opens its page the same way.
 */

import * as vscode from "vscode";
import { ExecuteCommandRequest, type LanguageClient } from "vscode-languageclient/node";
import {
  armDescription, armRole, armTooltip, asLearningStatus, isUnknownCommand, type LearningArm, type LearningPoint,
  type LearningPromotion, type LearningStatus, pointDescription, pointTable, promotionDescription, promotionLabel,
  promotionTooltip, sortedArms, sortedPoints, viewMessage,
} from "./learning_text";

export const LEARNING_VIEW = "specpilot.learning";
const STATUS = "specpilot.learn.status";
const RESET = "specpilot.learn.reset";
const REPORT = "specpilot.learn.report";
const STATS = "specpilot.stats";

type Node =
  | { kind: "point"; point: LearningPoint }
  | { kind: "arm"; point: LearningPoint; arm: LearningArm }
  | { kind: "promotion"; point: LearningPoint; promotion: LearningPromotion; index: number };

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class LearningView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<Node>;
  private readonly disposables: vscode.Disposable[] = [];
  private status: LearningStatus | undefined;
  private stale = true;
  private asking: Promise<void> | undefined;

  constructor(private readonly client: () => LanguageClient | undefined, private readonly log: vscode.LogOutputChannel) {
    this.view = vscode.window.createTreeView(LEARNING_VIEW, { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(this.view, this.view.onDidChangeVisibility((event) => {
      if (event.visible && this.stale) void this.refresh();
    }));
  }

  /** Ask the server again now (coalesced with a request in flight). */
  refresh(): Promise<void> {
    this.asking ??= this.ask().finally(() => {
      this.asking = undefined;
    });
    return this.asking;
  }

  /** After something changed on the server: refresh if the view is shown, else when it is shown next. */
  changedOnServer(): void {
    this.stale = true;
    if (this.view.visible) void this.refresh();
  }

  private async ask(): Promise<void> {
    this.stale = false;
    const client = this.client();
    let problem: string | undefined;
    if (!client) {
      problem = "The SpecPilot server is not running.";
    } else {
      try {
        const raw = await client.sendRequest(ExecuteCommandRequest.type, { command: STATUS, arguments: [{}] });
        this.status = asLearningStatus(raw);
      } catch (error) {
        problem = `Could not read the learning status: ${errorText(error)}`;
        this.log.warn(problem);
      }
    }
    if (problem) this.status = undefined;
    this.view.message = viewMessage(this.status, problem);
    this.changed.fire(undefined);
  }

  getChildren(node?: Node): Node[] {
    if (!node) return sortedPoints(this.status?.points ?? []).map((point) => ({ kind: "point", point }));
    if (node.kind !== "point") return [];
    const arms: Node[] = sortedArms(node.point.arms).map((arm) => ({ kind: "arm", point: node.point, arm }));
    const promotions: Node[] = [...node.point.promotions].reverse()
      .map((promotion, index) => ({ kind: "promotion", point: node.point, promotion, index }));
    return [...arms, ...promotions];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case "point": {
        const item = new vscode.TreeItem(node.point.point, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `point:${node.point.point}`;
        item.description = pointDescription(node.point);
        item.tooltip = new vscode.MarkdownString(pointTable(node.point));
        item.iconPath = new vscode.ThemeIcon("symbol-event");
        item.contextValue = "learning.point";
        return item;
      }
      case "arm": {
        const item = new vscode.TreeItem(node.arm.arm, vscode.TreeItemCollapsibleState.None);
        item.id = `arm:${node.point.point}/${node.arm.arm}`;
        item.description = armDescription(node.point, node.arm);
        item.tooltip = armTooltip(node.point, node.arm);
        const role = armRole(node.point, node.arm.arm);
        item.iconPath = role === "default" || role === "default+leader"
          ? new vscode.ThemeIcon("star-full")
          : role === "leader" ? new vscode.ThemeIcon("arrow-up", new vscode.ThemeColor("testing.iconPassed")) : new vscode.ThemeIcon("circle-outline");
        item.contextValue = "learning.arm";
        return item;
      }
      case "promotion": {
        const item = new vscode.TreeItem(promotionLabel(node.promotion), vscode.TreeItemCollapsibleState.None);
        item.id = `promotion:${node.point.point}/${node.promotion.at}/${node.index}`;
        item.description = promotionDescription(node.promotion);
        item.tooltip = promotionTooltip(node.point.point, node.promotion);
        item.iconPath = new vscode.ThemeIcon(node.promotion.kind === "rollback" ? "history" : "rocket");
        item.contextValue = "learning.promotion";
        return item;
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}

/** Run a server command that writes a markdown page with plots (``{markdown, images}``) and open it in the
 * Markdown preview: the learning report (`specpilot.learn.report`) and the stats (`specpilot.stats`). */
async function openMarkdown(client: LanguageClient | undefined, log: vscode.LogOutputChannel, command: string,
                            what: string, fallback: string): Promise<void> {
  if (!client) {
    void vscode.window.showErrorMessage("SpecPilot: the server is not running (Restart Server, or see the SpecPilot log).");
    return;
  }
  let answer: { markdown?: string; images?: string[] } | undefined;
  try {
    answer = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `SpecPilot: writing the ${what}` },
      async () => (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [{}] })) as typeof answer);
  } catch (error) {
    const message = errorText(error);
    log.warn(`${what}: ${message}`);
    void vscode.window.showErrorMessage(isUnknownCommand(message)
      ? `SpecPilot: this server cannot write the ${what} yet (no ${command}); update SpecPilot, or run \`${fallback}\` in a terminal.`
      : `SpecPilot: the ${what} failed: ${message}`);
    return;
  }
  if (!answer?.markdown) {
    void vscode.window.showErrorMessage(`SpecPilot: the server wrote no ${what}.`);
    return;
  }
  const uri = vscode.Uri.file(answer.markdown);
  log.info(`${what}: ${answer.markdown} (${(answer.images ?? []).length} plot(s))`);
  try {
    await vscode.commands.executeCommand("markdown.showPreview", uri);
  } catch (error) { // no Markdown extension: the file itself
    log.warn(`markdown.showPreview: ${errorText(error)}`);
    await vscode.window.showTextDocument(uri);
  }
}

async function reset(client: LanguageClient | undefined, view: LearningView): Promise<void> {
  const sure = await vscode.window.showWarningMessage(
    "Reset SpecPilot's learning? Every recorded decision, verdict and promotion is forgotten, and every choice goes back to its built-in default.",
    { modal: true }, "Reset Learning");
  if (sure !== "Reset Learning") return;
  if (!client) {
    void vscode.window.showErrorMessage("SpecPilot: the server is not running (Restart Server, or see the SpecPilot log).");
    return;
  }
  try {
    const answer = (await client.sendRequest(ExecuteCommandRequest.type, { command: RESET, arguments: [{}] })) as { store?: string } | null;
    void vscode.window.showInformationMessage(`SpecPilot: learning was reset${answer?.store ? ` (${answer.store})` : ""}.`);
  } catch (error) {
    void vscode.window.showErrorMessage(`SpecPilot: the reset failed: ${errorText(error)}`);
  }
  await view.refresh();
}

/** The Learning view and its commands. */
export function registerLearning(context: vscode.ExtensionContext, client: () => LanguageClient | undefined,
                                 log: vscode.LogOutputChannel): LearningView {
  const view = new LearningView(client, log);
  context.subscriptions.push(view,
    vscode.commands.registerCommand("specpilot.refreshLearning", () => view.refresh()),
    vscode.commands.registerCommand("specpilot.openLearningReport",
      () => openMarkdown(client(), log, REPORT, "learning report", "specpilot learn report")),
    vscode.commands.registerCommand("specpilot.showStats",
      () => openMarkdown(client(), log, STATS, "stats", "specpilot stats --plot")),
    vscode.commands.registerCommand("specpilot.resetLearning", () => reset(client(), view)));
  return view;
}
