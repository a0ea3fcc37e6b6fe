/**
 * The spec panel's data and messages: one definition shared by the extension host
 * (extension/src/panel/) and the webview (extension/webview/).
 *
 * The host asks the server for a `SpecDetail` (request `specpilot/specDetail`) and posts it
 * to the webview; the webview posts `PanelRequest`s back when the user acts. Every field
 * comes from the server; the webview computes nothing but layout.
 */

export type Stage = "requirements" | "design" | "tasks" | "implement" | "review";

export const STAGES: readonly Stage[] = ["requirements", "design", "tasks", "implement", "review"];

/** Where a thing lives: a file URI and a 1-based line. */
export interface Place {
  uri: string;
  line: number;
  label: string;
}

export interface GateCheck {
  text: string;
  passed: boolean;
  /** A failing check that `--force` let through (recorded in the document). */
  forced?: boolean;
}

export interface Gate {
  stage: Stage;
  /** null: the stage has no document yet. */
  passed: boolean | null;
  checks: GateCheck[];
}

export interface Question {
  /** The id `spec clarify` answers by, e.g. "Q1". */
  id: string;
  text: string;
}

export interface Requirement {
  id: string;
  kind: string;
  text: string;
  /** 0..1, null when not scored. */
  clarity: number | null;
  /** Open clarifying questions; answering one (by its id, e.g. "Q1") re-scores the item. */
  questions: Question[];
  place: Place;
}

export type TaskState = "todo" | "in_progress" | "done";

export interface Task {
  id: string;
  title: string;
  state: TaskState;
  requirements: string[];
  place: Place;
  /** Unified diff of a finished task's change, when the build log has one. */
  diff?: string;
}

export interface ReviewRow {
  requirement: string;
  tasks: string[];
  code: Place[];
  tests: Place[];
  /** What is missing ("no code", "no test", "no task"), null when the row is complete. */
  gap: string | null;
}

export interface Drift {
  message: string;
  place?: Place;
}

export interface SpecDetail {
  name: string;
  title: string;
  /** The folder (URI) the spec belongs to. */
  folder: string;
  /** The stage the spec is at. */
  stage: Stage;
  status: string;
  stale: boolean;
  gates: Gate[];
  requirements: Requirement[];
  tasks: Task[];
  review: ReviewRow[];
  drift: Drift[];
}

/** Messages from the webview to the host. */
export type PanelRequest =
  | { type: "ready" }
  | { type: "runStage"; stage: Stage }
  /** `question` is the Question's id. */
  | { type: "answer"; requirement: string; question: string; answer: string }
  | { type: "runTask"; task: string }
  | { type: "markDone"; task: string }
  | { type: "open"; place: Place }
  | { type: "showDiff"; task: string };

/** Messages from the host to the webview. */
export type PanelUpdate =
  | { type: "spec"; spec: SpecDetail }
  | { type: "busy"; action: string | null }
  | { type: "error"; message: string };

export function isPanelRequest(value: unknown): value is PanelRequest {
  if (typeof value !== "object" || value === null) return false;
  const message = value as Record<string, unknown>;
  const text = (key: string): boolean => typeof message[key] === "string" && (message[key] as string).length > 0;
  switch (message.type) {
    case "ready":
      return true;
    case "runStage":
      return text("stage") && (STAGES as readonly string[]).includes(message.stage as string);
    case "answer":
      return text("requirement") && text("question") && text("answer");
    case "runTask":
    case "markDone":
    case "showDiff":
      return text("task");
    case "open": {
      const place = message.place as Record<string, unknown> | undefined;
      return typeof place === "object" && place !== null && typeof place.uri === "string"
        && typeof place.line === "number";
    }
    default:
      return false;
  }
}
