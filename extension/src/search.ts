/**
 * Semantic search as a QuickPick: results update as the user types (debounced; a stale answer
 * is dropped), each item shows `file:line` and a preview, and Enter opens the location.
 */

import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { type Hit, hitItem, SEARCH_DEBOUNCE_MS } from "./search_items";

export const SEARCH_REQUEST = "specpilot/search";

export async function semanticSearch(client: LanguageClient | undefined, initial = ""): Promise<void> {
  if (!client) {
    void vscode.window.showErrorMessage("SpecPilot: the server is not running (see the SpecPilot log).");
    return;
  }
  const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { hit?: Hit }>();
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
        const answer = await client.sendRequest<{ hits: Hit[] }>(SEARCH_REQUEST, { query, k: 20 });
        if (mine !== asked) return; // the user typed on: a newer query owns the list
        // QuickPick filters items by label against the typed text; alwaysShow keeps semantic hits.
        pick.items = answer.hits.map((hit) => ({ ...hitItem(hit), alwaysShow: true, hit }));
      } catch (error) {
        if (mine === asked) pick.items = [{ label: "$(error) search failed", detail: String(error), alwaysShow: true }];
      } finally {
        if (mine === asked) pick.busy = false;
      }
    }, SEARCH_DEBOUNCE_MS);
  };
  pick.onDidChangeValue(run);
  pick.onDidAccept(async () => {
    const hit = pick.selectedItems[0]?.hit;
    if (!hit) return;
    pick.hide();
    const start = new vscode.Position(hit.range.start.line, hit.range.start.character);
    const editor = await vscode.window.showTextDocument(vscode.Uri.parse(hit.uri), { selection: new vscode.Range(start, start) });
    editor.revealRange(new vscode.Range(start, start), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
  if (initial) run(initial);
}
