/** How a search hit is shown in the QuickPick (no `vscode`: unit-tested). */

export const SEARCH_DEBOUNCE_MS = 150;

export interface Hit {
  uri: string;
  path: string;
  name: string;
  qualifiedName: string;
  kind: string;
  startLine: number;
  endLine: number;
  signature?: string;
  snippet?: string;
  score: number;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

const ICONS: Record<string, string> = {
  function: "symbol-function", method: "symbol-method", class: "symbol-class", module: "symbol-file",
};

export function preview(hit: Hit, chars = 120): string {
  const text = (hit.signature || hit.snippet || "").split("\n").map((l) => l.trim()).filter(Boolean).join(" ");
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

export function hitItem(hit: Hit): { label: string; description: string; detail: string } {
  const icon = ICONS[hit.kind] ?? "symbol-misc";
  return {
    label: `$(${icon}) ${hit.qualifiedName || hit.name}`,
    description: `${hit.path}:${hit.startLine}`,
    detail: preview(hit),
  };
}
