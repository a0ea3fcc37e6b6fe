/**
 * What the panel keeps across being hidden and shown again: the last SpecDetail and the
 * UI state (typed answer drafts, which sections are open, the scroll position). Stored
 * with the webview API's setState/getState, which VS Code keeps while the panel exists.
 */
import type { SpecDetail } from "../src/panel/protocol";

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

export interface ViewState {
  version: 1;
  spec: SpecDetail | null;
  /** Unsent answers, by draftKey(spec, requirement, question). */
  drafts: Record<string, string>;
  /** Sections the user opened or closed, by section id. */
  open: Record<string, boolean>;
  scrollY: number;
}

export function emptyState(): ViewState {
  return { version: 1, spec: null, drafts: {}, open: {}, scrollY: 0 };
}

/** Drafts are kept per spec, requirement and question id. */
export function draftKey(spec: string, requirement: string, question: string): string {
  return JSON.stringify([spec, requirement, question]);
}

function specOfKey(key: string): string | null {
  try {
    const parsed: unknown = JSON.parse(key);
    return Array.isArray(parsed) && typeof parsed[0] === "string" ? parsed[0] : null;
  } catch {
    return null;
  }
}

/** The drafts without those of `spec.name` whose question is no longer open (answered elsewhere). */
export function openDrafts(drafts: Record<string, string>, spec: SpecDetail): Record<string, string> {
  const open = new Set(spec.requirements.flatMap((requirement) =>
    requirement.questions.map((question) => draftKey(spec.name, requirement.id, question.id))));
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(drafts)) {
    if (!open.has(key) && specOfKey(key) === spec.name) continue;
    kept[key] = value;
  }
  return kept;
}

function isRecordOf(value: unknown, kind: "string" | "boolean"): value is Record<string, never> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    && Object.values(value).every((item) => typeof item === kind);
}

/** The stored state, or an empty one when nothing (or something unreadable) is stored. */
export function readState(api: VsCodeApi): ViewState {
  const stored = api.getState() as Partial<ViewState> | undefined | null;
  const state = emptyState();
  if (typeof stored !== "object" || stored === null || stored.version !== 1) return state;
  if (typeof stored.spec === "object" && stored.spec !== null && Array.isArray(stored.spec.gates)) {
    state.spec = stored.spec;
  }
  if (isRecordOf(stored.drafts, "string")) state.drafts = { ...stored.drafts };
  if (isRecordOf(stored.open, "boolean")) state.open = { ...stored.open };
  if (typeof stored.scrollY === "number" && stored.scrollY >= 0) state.scrollY = stored.scrollY;
  return state;
}
