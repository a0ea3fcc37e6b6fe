/**
 * Semantic search as a QuickPick: results update as the user types (debounced; a stale answer
 * is dropped), each item shows `file:line` and a preview, and Enter opens the location.
 * With learning on, an answer carries a `decisionId`; opening a result sends
 * `specpilot/feedback {decisionId, accepted: true, rank, uri}` (rank: 1-based, the hit's place in the
 * list as the server ranked it and the QuickPick shows it). Closing without a choice sends nothing:
 * the server expires the decision as ignored.
 */

import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { FEEDBACK } from "./proposals";
import { type Hit, hitItem, SEARCH_DEBOUNCE_MS } from "./search_items";

export const SEARCH_REQUEST = "specpilot/search";

export interface SearchFeedback {
  log?: vscode.LogOutputChannel;
  /** Called after a result's feedback reached the server (the Learning view refreshes). */
  sent?: () => void;
}

export async function semanticSearch(client: LanguageClient | undefined, initial = "", feedback: SearchFeedback = {}): Promise<void> {
  if (!client) {
    void vscode.window.showErrorMessage("SpecPilot: the server is not running (see the SpecPilot log).");
    return;
  }
  const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { hit?: Hit; rank?: number; decisionId?: string }>();
  pick.title = "SpecPilot: Semantic Search";
  pick.placeholder = "Describe the code you look for (natural language or a name)";
  pick.matchOnDescription = false;
  pick.matchOnDetail = false;
  pick.value = initial;
  let timer: NodeJS.Timeout | undefined;
  let asked = 0;
  const run = (query: string): void => {
    if (timer) clearTimeout(timer);
    if (!query.trim()) {
      pick.items = [];
      return;
    }
    timer = setTimeout(async () => {
      const mine = ++asked;
      pick.busy = true;
      try {
        const answer = await client.sendRequest<{ hits: Hit[]; decisionId?: string }>(SEARCH_REQUEST, { query, k: 20 });
        if (mine !== asked) return; // the user typed on: a newer query owns the list
        // QuickPick filters items by label against the typed text; alwaysShow keeps semantic hits.
        const decisionId = typeof answer.decisionId === "string" ? answer.decisionId : undefined;
        pick.items = answer.hits.map((hit, index) => ({ ...hitItem(hit), alwaysShow: true, hit, rank: index + 1, decisionId }));
      } catch (error) {
        if (mine === asked) pick.items = [{ label: "$(error) search failed", detail: String(error), alwaysShow: true }];
      } finally {
        if (mine === asked) pick.busy = false;
      }
    }, SEARCH_DEBOUNCE_MS);
  };
  pick.onDidChangeValue(run);
  pick.onDidAccept(async () => {
    const chosen = pick.selectedItems[0];
    const hit = chosen?.hit;
    if (!hit) return;
    pick.hide();
    if (chosen.decisionId && chosen.rank) {
      const verdict = { decisionId: chosen.decisionId, accepted: true, rank: chosen.rank, uri: hit.uri };
      client.sendRequest(FEEDBACK, verdict).then(() => {
        feedback.log?.info(`search ${verdict.decisionId}: result ${verdict.rank} opened; sent as feedback`);
        feedback.sent?.();
      }, (error: unknown) => feedback.log?.warn(`search ${verdict.decisionId}: the click was not recorded: ${String(error)}`));
    }
    const start = new vscode.Position(hit.range.start.line, hit.range.start.character);
    const editor = await vscode.window.showTextDocument(vscode.Uri.parse(hit.uri), { selection: new vscode.Range(start, start) });
    editor.revealRange(new vscode.Range(start, start), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
  if (initial) run(initial);
}
