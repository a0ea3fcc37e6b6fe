/**
 * What the Prompts view shows (no `vscode`: unit-tested): each role's prompt playbook from
 * `specpilot.prompts.history` (rl/playbook_actions.py) as versions with where each stands (in use, on
 * trial, awaiting a person's approval, rejected by the evidence gate, earlier), what made it and what was
 * measured; and the read-only documents a version opens as (`specpilot-playbook:` URIs).
 */

export const ROLES = ["planner", "architect", "coder", "reviewer"] as const;
export const SCHEME = "specpilot-playbook";

export type VersionState = "current" | "on trial" | "awaiting approval" | "rejected" | "earlier";

export interface PlaybookOp {
  op: string;
  section?: string;
  text?: string;
  entry?: string;
  entries?: string[];
  items?: string[];
}

export interface PlaybookVersion {
  version: number;
  parent: number | null;
  created: string;
  state: VersionState;
  reason: string;
  ops: PlaybookOp[];
  measured: Record<string, unknown> | null; // from its prompt_updated event: the parent's runs and mean score
}

export interface PlaybookHistory {
  role: string;
  current: number;
  candidate: number | null;
  versions: PlaybookVersion[];
}

const STATES: readonly VersionState[] = ["current", "on trial", "awaiting approval", "rejected", "earlier"];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The server's history answer, checked enough that the view cannot throw on a malformed one. */
export function asHistory(raw: unknown): PlaybookHistory {
  if (!raw || typeof raw !== "object") throw new Error("the playbook history is not an object");
  const r = raw as Record<string, unknown>;
  const int = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) ? v : null);
  const events = (Array.isArray(r.events) ? r.events : []).filter((e) => e && typeof e === "object") as Record<string, unknown>[];
  const current = int(r.current) ?? 1;
  const versions = (Array.isArray(r.versions) ? r.versions : [])
    .filter((v) => v && typeof v === "object" && int((v as Record<string, unknown>).version) !== null)
    .map((v: Record<string, unknown>): PlaybookVersion => {
      const version = int(v.version) as number;
      const change = v.change && typeof v.change === "object" ? (v.change as Record<string, unknown>) : {};
      const state = STATES.includes(v.state as VersionState) ? (v.state as VersionState)
        : version === current ? "current" : "earlier";
      const updated = [...events].reverse().find((e) => e.kind === "prompt_updated" && e.new === version);
      const measured = updated?.measured && typeof updated.measured === "object" && Object.keys(updated.measured).length
        ? (updated.measured as Record<string, unknown>) : null;
      return {
        version, parent: int(v.parent), created: typeof v.created === "string" ? v.created : "", state,
        reason: typeof change.reason === "string" ? change.reason : typeof change.kind === "string" ? change.kind : "",
        ops: (Array.isArray(change.ops) ? change.ops : []).filter((o) => o && typeof o.op === "string") as PlaybookOp[],
        measured,
      };
    });
  return { role: typeof r.role === "string" ? r.role : "", current, candidate: int(r.candidate), versions };
}

/** Versions newest first: what changed last is what a person looks for. */
export function newestFirst(history: PlaybookHistory): PlaybookVersion[] {
  return [...history.versions].sort((a, b) => b.version - a.version);
}

/** The version waiting for something (approval or the gate's verdict), if any. */
export function pending(history: PlaybookHistory): PlaybookVersion | undefined {
  return history.versions.find((v) => v.state === "awaiting approval" || v.state === "on trial");
}

/** "v2 in use · 3 versions · v3 awaiting approval" (the built-in version alone: "built-in, never changed"). */
export function roleDescription(history: PlaybookHistory): string {
  if (history.versions.length <= 1) return `v${history.current} in use · built-in, never changed`;
  const parts = [`v${history.current} in use`, plural(history.versions.length, "version", "versions")];
  const waiting = pending(history);
  if (waiting) parts.push(`v${waiting.version} ${waiting.state}`);
  return parts.join(" · ");
}

/** One edit in words: "prune bp-1", "add to learned patterns: Run the tests first". */
export function opText(op: PlaybookOp): string {
  const target = op.entry ?? (op.entries?.length ? op.entries.join(" + ") : "");
  const where = op.section ? ` ${op.op === "replace_section" ? "" : "to "}${op.section}` : "";
  const words = op.text || (op.items ?? []).join(" / ");
  const head = `${op.op.replace("_", " ")}${target ? ` ${target}` : ""}${target ? "" : where}`;
  return words ? `${head}: ${clip(words, 80)}` : head;
}

function clip(text: string, n: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
}

/** "2026-12-04T16:05:00+00:00" → "2026-12-04 16:05"; anything else as it is. */
export function shortTime(created: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(created);
  return m ? `${m[1]} ${m[2]}` : created;
}

/** "on trial · 2 edits · 2026-12-04 16:05" (the first version: "built-in"). */
export function versionDescription(v: PlaybookVersion): string {
  const parts: string[] = [v.state === "current" ? "★ in use" : v.state];
  if (v.parent === null) parts.push("built-in");
  else if (v.ops.length) parts.push(v.ops.length === 1 ? opText(v.ops[0]) : plural(v.ops.length, "edit", "edits"));
  if (v.created) parts.push(shortTime(v.created));
  return parts.join(" · ");
}

const MEANING: Record<VersionState, string> = {
  current: "in use: every run of this role renders this version",
  "on trial": "on trial: runs try it beside the version in use; the evidence gate promotes it if it scores better, drops it if worse",
  "awaiting approval": "awaiting approval: a high-risk change (many entries, or a whole section); it is tried only after you approve it",
  rejected: "rejected: the evidence gate found it worse than the version it was weighed against",
  earlier: "earlier: kept, so it can be used again",
};

export function versionTooltip(role: string, v: PlaybookVersion): string {
  const lines = [`${role} playbook v${v.version}${v.parent !== null ? ` (from v${v.parent})` : ""}`, MEANING[v.state]];
  if (v.reason) lines.push(`why: ${v.reason}`);
  for (const op of v.ops) lines.push(`  ${opText(op)}`);
  if (v.measured) {
    const runs = v.measured.runs, mean = v.measured.mean_score, from = v.measured.version;
    lines.push(`measured before the change: v${from ?? "?"} scored ${typeof mean === "number" ? mean.toFixed(3) : "–"} over ${runs ?? 0} runs`);
  }
  if (v.created) lines.push(`written ${shortTime(v.created)} UTC`);
  return lines.join("\n");
}

/** The context value a version row carries: "playbook.version" and what may be done to it (package.json's
 * menus match the words): `compare` (it has a parent), `use` (not in use), `approve` (awaiting approval). */
export function versionContext(v: PlaybookVersion): string {
  const can = [v.parent !== null ? "compare" : "", v.state !== "current" ? "use" : "", v.state === "awaiting approval" ? "approve" : ""];
  return ["playbook.version", ...can.filter(Boolean)].join(" ");
}

/** The codicon for a state. */
export function stateIcon(state: VersionState): string {
  return { current: "star-full", "on trial": "beaker", "awaiting approval": "shield", rejected: "close", earlier: "history" }[state];
}

/** A version's read-only document: `specpilot-playbook:/coder/v3.md` (`?outline` for the outline only;
 * `folder=` names the workspace folder in a multi-root window). */
export interface PlaybookDoc { role: string; version: number; outline: boolean; folder?: string }

export function docPath(doc: PlaybookDoc): { path: string; query: string } {
  const query = [doc.outline ? "outline" : "", doc.folder ? `folder=${encodeURIComponent(doc.folder)}` : ""].filter(Boolean).join("&");
  return { path: `/${doc.role}/v${doc.version}${doc.outline ? ".outline" : ""}.md`, query };
}

export function parseDoc(path: string, query: string): PlaybookDoc | undefined {
  const m = /^\/([a-z]+)\/v(\d+)(\.outline)?\.md$/.exec(path);
  if (!m || !(ROLES as readonly string[]).includes(m[1])) return undefined;
  const params = new URLSearchParams(query);
  const folder = params.get("folder") ?? undefined;
  return { role: m[1], version: Number(m[2]), outline: Boolean(m[3]) || params.has("outline"), ...(folder ? { folder } : {}) };
}

/** What `specpilot.prompts.show` answers, as the document a version opens as. */
export function documentText(shown: unknown, outlineOnly: boolean): string {
  const s = (shown && typeof shown === "object" ? shown : {}) as Record<string, unknown>;
  const outline = typeof s.outline === "string" ? s.outline : "";
  if (outlineOnly) return outline;
  const notes = Array.isArray(s.notes) ? s.notes.filter((n) => typeof n === "string") : [];
  const head = `<!-- the ${String(s.role)} playbook, v${String(s.version)}${s.version === s.current ? " (in use)" : ` (v${String(s.current)} is in use)`}: read-only; \`specpilot prompts\` or the Prompts view change which version is used -->`;
  return [head, ...notes.map((n) => `<!-- ${n} -->`), "", "# Sections and entries", "", outline.trim(), "",
    "# The prompt it renders", "", typeof s.prompt === "string" ? s.prompt.trim() : "", ""].join("\n");
}
