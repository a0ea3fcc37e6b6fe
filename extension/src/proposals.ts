/**
 * The agent's proposed edits as a diff with Accept and Reject (setting `specpilot.agent.review`:
 * "diff"). The extension announces `experimental.specpilot.proposals`; the server then sends each
 * proposal as `specpilot/proposal {decisionId, label, uri, edit}` instead of opening the refactor
 * preview. Accept applies the edit (VS Code refuses it if a file changed since the agent read it),
 * Reject discards it, and either verdict goes back as `specpilot/feedback {decisionId, accepted, note,
 * uri}`: the learning loop's input. A proposal left open stays pending (no verdict is sent).
 */

import * as vscode from "vscode";
import type { LanguageClient, WorkspaceEdit as LspEdit } from "vscode-languageclient/node";
import {
  asProposal, type FileChange, fileChanges, type LspWorkspaceEdit, type Proposal, proposalSummary, proposedText,
} from "./proposal_text";

export const PROPOSAL = "specpilot/proposal";
export const FEEDBACK = "specpilot/feedback";
export const SCHEME = "specpilot-proposal";
const PENDING_CONTEXT = "specpilot.proposalPending";

interface Shown extends FileChange { before: string; after: string }
interface Pending { proposal: Proposal; files: Shown[] }

/** `specpilot-proposal:/<decisionId>/<file index>/<before|after>/<file name>`: the name keeps the tab label and language. */
function sideUri(id: string, index: number, side: "before" | "after", file: FileChange): vscode.Uri {
  const name = decodeURIComponent(file.uri.split("/").pop() ?? "file");
  return vscode.Uri.from({ scheme: SCHEME, path: `/${encodeURIComponent(id)}/${index}/${side}/${name}` });
}

function parseSide(uri: vscode.Uri): { id: string; index: number; side: string } | undefined {
  if (uri.scheme !== SCHEME) return undefined;
  const [, id, index, side] = uri.path.split("/");
  return id ? { id: decodeURIComponent(id), index: Number(index), side } : undefined;
}

async function textOf(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return open.getText();
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

export class Proposals implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly pending = new Map<string, Pending>();
  private readonly registration: vscode.Disposable;

  constructor(private readonly client: () => LanguageClient | undefined, private readonly log: vscode.LogOutputChannel) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const at = parseSide(uri);
    const file = at && this.pending.get(at.id)?.files[at.index];
    if (!file) return "";
    return at.side === "before" ? file.before : file.after;
  }

  /** A `specpilot/proposal` from the server: open its diff and ask for the verdict. */
  async receive(raw: unknown): Promise<void> {
    let proposal: Proposal;
    let shown: Shown[];
    try {
      proposal = asProposal(raw);
      shown = [];
      for (const file of fileChanges(proposal.edit)) {
        const before = file.kind === "create" ? "" : await textOf(vscode.Uri.parse(file.uri));
        shown.push({ ...file, before, after: proposedText(file, before) });
      }
    } catch (error) {
      this.log.error(`a proposed edit could not be shown: ${String(error)}`);
      void vscode.window.showErrorMessage(`SpecPilot: the proposed edit cannot be shown as a diff (${error instanceof Error ? error.message : String(error)}).`);
      return;
    }
    this.pending.set(proposal.decisionId, { proposal, files: shown });
    void vscode.commands.executeCommand("setContext", PENDING_CONTEXT, true);
    this.log.info(`proposal ${proposal.decisionId}: ${shown.length} file(s) shown as a diff`);
    await this.open(proposal.decisionId);
    for (;;) {
      const choice = await vscode.window.showInformationMessage(proposalSummary(proposal, shown), "Accept", "Reject", "Show Diff");
      if (choice === "Show Diff") {
        await this.open(proposal.decisionId);
        continue;
      }
      if (choice === "Accept" || choice === "Reject") await this.decide(choice === "Accept", proposal.decisionId);
      return;
    }
  }

  private async open(id: string): Promise<void> {
    const pending = this.pending.get(id);
    if (!pending) return;
    const sides = pending.files.map((file, index) => [
      vscode.Uri.parse(file.uri),
      file.kind === "edit" ? vscode.Uri.parse(file.uri) : sideUri(id, index, "before", file),
      sideUri(id, index, "after", file),
    ] as const);
    if (sides.length === 1) {
      const [, left, right] = sides[0];
      const name = decodeURIComponent(pending.files[0].uri.split("/").pop() ?? "");
      await vscode.commands.executeCommand("vscode.diff", left, right, `${name} ↔ proposed by ${pending.proposal.label}`, { preview: false });
    } else {
      await vscode.commands.executeCommand("vscode.changes", `${pending.proposal.label}: proposed changes`, sides);
    }
  }

  /** The proposal a command means: the diff it was run from, else the only pending one, else the user's pick. */
  private async target(given: unknown): Promise<string | undefined> {
    const fromUri = given instanceof vscode.Uri ? parseSide(given)?.id : typeof given === "string" ? given : undefined;
    if (fromUri && this.pending.has(fromUri)) return fromUri;
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    const fromTab = input instanceof vscode.TabInputTextDiff ? parseSide(input.modified)?.id : undefined;
    if (fromTab && this.pending.has(fromTab)) return fromTab;
    const ids = [...this.pending.keys()];
    if (ids.length <= 1) return ids[0];
    const picked = await vscode.window.showQuickPick(ids.map((id) => {
      const pending = this.pending.get(id) as Pending;
      return { label: pending.proposal.label, description: pending.files.map((f) => f.uri.split("/").pop()).join(", "), id };
    }), { title: "SpecPilot: which proposal?" });
    return picked?.id;
  }

  /** Accept (apply) or reject a pending proposal, close its diff and send the verdict. */
  async decide(accepted: boolean, given?: unknown): Promise<void> {
    const id = await this.target(given);
    const pending = id ? this.pending.get(id) : undefined;
    if (!id || !pending) {
      void vscode.window.showInformationMessage("SpecPilot: no proposed edit is waiting for a verdict.");
      return;
    }
    const client = this.client();
    if (accepted) {
      if (!client) {
        void vscode.window.showErrorMessage("SpecPilot: the server is not running; the proposal stays pending (Restart Server).");
        return;
      }
      const edit = await client.protocol2CodeConverter.asWorkspaceEdit(pending.proposal.edit as LspWorkspaceEdit as LspEdit);
      if (!(await vscode.workspace.applyEdit(edit))) {
        void vscode.window.showWarningMessage("SpecPilot: the proposed edit no longer applies (a file changed since the agent read it). Reject it, or run the task again.");
        return;
      }
    }
    this.pending.delete(id);
    void vscode.commands.executeCommand("setContext", PENDING_CONTEXT, this.pending.size > 0);
    await this.closeDiffs(id);
    const verdict = { decisionId: id, accepted, note: accepted ? "accepted in the diff view" : "rejected in the diff view",
      ...(pending.proposal.uri ? { uri: pending.proposal.uri } : {}) };
    try {
      if (!client) throw new Error("the server is not running");
      await client.sendRequest(FEEDBACK, verdict);
      this.log.info(`proposal ${id}: ${accepted ? "accepted" : "rejected"}; sent as feedback`);
    } catch (error) {
      this.log.warn(`proposal ${id}: the verdict was not recorded: ${String(error)}`);
    }
    void vscode.window.showInformationMessage(accepted
      ? `SpecPilot: applied to ${pending.files.length} file(s) (unsaved; review and save).`
      : "SpecPilot: the proposed edit was discarded.");
  }

  private async closeDiffs(id: string): Promise<void> {
    const ours = (uri: unknown) => uri instanceof vscode.Uri && parseSide(uri)?.id === id;
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => {
      const input = tab.input as { modified?: unknown; textDiffs?: Array<{ modified: unknown }> } | undefined;
      return ours(input?.modified) || Boolean(input?.textDiffs?.some((d) => ours(d.modified)));
    });
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
  }

  dispose(): void {
    this.registration.dispose();
    this.pending.clear();
  }
}
