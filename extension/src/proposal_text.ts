/**
 * The agent's proposed edit (`specpilot/proposal`, agent.review = "diff") as the files a diff view
 * shows: for each file, its text now and its text after the edit. Pure: no VS Code here, so the
 * unit tests run it on plain data. Positions are LSP's (lines, UTF-16 code units), as VS Code's are.
 */

export interface Position { line: number; character: number }
export interface TextEdit { range: { start: Position; end: Position }; newText: string }

/** The LSP WorkspaceEdit the server sends (the parts the agent's edits use). */
export interface LspWorkspaceEdit {
  changes?: Record<string, TextEdit[]>;
  documentChanges?: Array<
    | { textDocument: { uri: string; version?: number | null }; edits: TextEdit[] }
    | { kind: "create"; uri: string }
    | { kind: "delete"; uri: string }
    | { kind: "rename"; oldUri: string; newUri: string }>;
}

export interface Proposal { decisionId: string; label: string; uri: string; edit: LspWorkspaceEdit }

export interface FileChange {
  uri: string;
  /** "edit": an existing file changes; "create": a new file; "delete": the file goes. */
  kind: "edit" | "create" | "delete";
  edits: TextEdit[];
}

/** The offset of an LSP position in ``text`` (past the end of a line: its end; past the last line: the end). */
export function offsetAt(text: string, at: Position): number {
  let offset = 0;
  for (let line = 0; line < at.line; line++) {
    const next = text.indexOf("\n", offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  const end = text.indexOf("\n", offset);
  const lineEnd = end < 0 ? text.length : (end > offset && text[end - 1] === "\r" ? end - 1 : end);
  return Math.min(offset + at.character, lineEnd);
}

/** ``text`` with LSP text edits applied (non-overlapping, all against the original text, as LSP says). */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const spans = edits.map((e) => ({ start: offsetAt(text, e.range.start), end: offsetAt(text, e.range.end), newText: e.newText }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  let out = "";
  let at = 0;
  for (const span of spans) {
    if (span.start < at) throw new Error("the proposed edits overlap");
    out += text.slice(at, span.start) + span.newText;
    at = span.end;
  }
  return out + text.slice(at);
}

/** The files an edit changes, in order, one entry per file (a created file's edits follow its creation). */
export function fileChanges(edit: LspWorkspaceEdit): FileChange[] {
  const files = new Map<string, FileChange>();
  const entry = (uri: string, kind: FileChange["kind"]): FileChange => {
    let file = files.get(uri);
    if (!file) {
      file = { uri, kind, edits: [] };
      files.set(uri, file);
    } else if (kind !== "edit") {
      file.kind = kind;
    }
    return file;
  };
  for (const change of edit.documentChanges ?? []) {
    if ("textDocument" in change) entry(change.textDocument.uri, "edit").edits.push(...change.edits);
    else if (change.kind === "create") entry(change.uri, "create");
    else if (change.kind === "delete") entry(change.uri, "delete").edits = [];
    else throw new Error(`a proposal that renames ${change.oldUri} cannot be shown as a diff`);
  }
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) entry(uri, "edit").edits.push(...edits);
  return [...files.values()];
}

/** A file's text after the proposal: ``before`` is its text now ("" for a file the proposal creates). */
export function proposedText(file: FileChange, before: string): string {
  return file.kind === "delete" ? "" : applyEdits(file.kind === "create" ? "" : before, file.edits);
}

/** The notification's parameters, checked: a malformed one is refused with why. */
export function asProposal(value: unknown): Proposal {
  const given = value as Partial<Proposal> | null;
  if (!given || typeof given.decisionId !== "string" || !given.decisionId || typeof given.edit !== "object" || !given.edit) {
    throw new Error("a specpilot/proposal needs {decisionId, label, uri, edit}");
  }
  return { decisionId: given.decisionId, label: typeof given.label === "string" ? given.label : "SpecPilot: agent",
    uri: typeof given.uri === "string" ? given.uri : "", edit: given.edit };
}

/** What the notification says: "SpecPilot: agent proposes changes to export.py" (or "to 3 files"). */
export function proposalSummary(proposal: Proposal, files: FileChange[]): string {
  const names = files.map((f) => decodeURIComponent(f.uri.split("/").pop() ?? f.uri));
  const what = names.length === 1 ? names[0] : `${names.length} files`;
  return `${proposal.label} proposes changes to ${what}. Accept applies them; Reject discards them.`;
}
