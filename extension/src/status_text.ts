/** What the status bar says for a set of folder index states (no `vscode`: unit-tested). */

export interface IndexStatus {
  folder: string;
  state: string;
  files: number;
  chunks: number;
  embedded: number;
  lastUpdate?: string | null;
  error?: string | null;
  /** With `index.uri` set: the shared index's vectors this folder reused, or why it is not used. */
  shared?: { uri: string; reused: number; asked: number; problem: string } | null;
}

export interface StatusView {
  text: string;
  details: string[];
  error: boolean;
}

/** The server's folder states: starting | indexing | embedding | ready | cancelled | error. */
const SCANNING = new Set(["starting", "indexing"]);

export function percent(status: IndexStatus): number {
  if (status.chunks <= 0) return 0;
  return Math.max(0, Math.min(100, Math.floor((100 * status.embedded) / status.chunks)));
}

function folderName(uri: string): string {
  const parts = uri.replace(/\/+$/, "").split("/");
  return decodeURIComponent(parts[parts.length - 1] || uri);
}

function sharedLine(shared: NonNullable<IndexStatus["shared"]>): string {
  if (shared.problem) return `Shared index ${shared.uri}: not used (${shared.problem})`;
  if (shared.asked === 0) return `Shared index ${shared.uri}: nothing asked of it yet`;
  return `Shared index ${shared.uri}: ${shared.reused} of ${shared.asked} vectors reused`;
}

export function describeStatus(statuses: IndexStatus[], problem: string | undefined, model: string): StatusView {
  const details = statuses.map((s) => {
    const line = `**${folderName(s.folder)}**: ${s.state}, ${s.files} files, ${s.chunks} chunks, ${s.embedded} embedded`;
    return s.error ? `${line}; error: ${s.error}` : line;
  });
  for (const s of statuses) {
    if (s.shared) details.push(sharedLine(s.shared));
  }
  details.push(`Model: ${model}`);
  if (problem) {
    return { text: "$(error) SpecPilot: error", details: [`Error: ${problem}`, ...details], error: true };
  }
  const failed = statuses.find((s) => s.error);
  if (failed) return { text: "$(error) SpecPilot: index error", details, error: true };
  if (statuses.length === 0) return { text: "$(sync~spin) SpecPilot: starting", details, error: false };
  if (statuses.some((s) => s.state === "error")) return { text: "$(error) SpecPilot: index error", details, error: true };
  if (statuses.some((s) => SCANNING.has(s.state))) return { text: "$(sync~spin) SpecPilot: indexing", details, error: false };
  const embedding = statuses.filter((s) => s.state === "embedding");
  if (embedding.length > 0) {
    const chunks = embedding.reduce((n, s) => n + s.chunks, 0);
    const embedded = embedding.reduce((n, s) => n + s.embedded, 0);
    const share = percent({ folder: "", state: "", files: 0, chunks, embedded });
    return { text: `$(sync~spin) SpecPilot: indexing ${share}%`, details, error: false };
  }
  if (statuses.every((s) => s.state === "cancelled")) return { text: "$(circle-slash) SpecPilot: cancelled", details, error: false };
  return { text: "$(check) SpecPilot: indexed", details, error: false };
}
