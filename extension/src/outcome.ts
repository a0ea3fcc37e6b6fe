/** A spec stage command's answer, in one line for a notification (no `vscode`: unit-tested). */

export interface StageOutcome {
  spec: string;
  stage: string;
  uri?: string;
  notes?: string[];
  gate?: { passed: boolean; problems: string[]; notes: string[] };
}

export function outcomeMessage(outcome: StageOutcome): { text: string; failed: boolean } {
  const gate = outcome.gate;
  if (!gate) return { text: `SpecPilot: ${outcome.spec}: ${outcome.stage} written.`, failed: false };
  if (gate.passed) return { text: `SpecPilot: ${outcome.spec}: the ${outcome.stage} gate passes.`, failed: false };
  const first = gate.problems[0] ?? "see the document";
  const more = gate.problems.length > 1 ? ` (+${gate.problems.length - 1} more)` : "";
  return { text: `SpecPilot: ${outcome.spec}: the ${outcome.stage} gate fails: ${first}${more}`, failed: true };
}
