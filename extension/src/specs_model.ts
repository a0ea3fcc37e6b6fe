/** The `specpilot/specTree` answer and how the Specs view shows it (no `vscode`: unit-tested). */

export interface SpecTreeRequirement {
  id: string;
  kind: string;
  text: string;
  clarity: number | null;
  tasks: string[];
  tests: number;
  line: number;
  uri: string;
}

export interface SpecTreeTask {
  id: string;
  title: string;
  done: boolean;
  requirements: string[];
  line: number;
  uri: string;
}

export interface SpecTreeSpec {
  name: string;
  title: string;
  stage: string;
  status: string;
  stale: boolean;
  /** Gate state per stage document: true passed, false failed, null not run. */
  gates: Record<string, boolean | null>;
  requirements: SpecTreeRequirement[];
  tasks: SpecTreeTask[];
  folder: string;
}

export const STAGE_ORDER = ["requirements", "design", "tasks", "review"] as const;

export type GateIcon = "pass" | "fail" | "pending";

export function gateIcon(spec: SpecTreeSpec, stage: string): GateIcon {
  const gate = spec.gates[stage];
  return gate === true ? "pass" : gate === false ? "fail" : "pending";
}

export function clarityLabel(clarity: number | null): string {
  return clarity === null ? "" : `clarity ${Math.round(clarity * 100)}%`;
}
