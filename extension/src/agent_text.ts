/** How one agent event reads in the agent's output channel (no `vscode`: unit-tested). */

export interface AgentEvent {
  title: string;
  kind: "start" | "text" | "tool" | "observation" | "critique" | "stop" | string;
  step: number;
  message: string;
}

const LABELS: Record<string, string> = {
  tool: "→ tool",
  observation: "  saw",
  critique: "critic",
  stop: "■ stop",
};

/** The text to append; streamed text continues the current line, other events start their own. */
export function eventLines(event: AgentEvent, midLine: boolean): { text: string; endsLine: boolean } {
  if (event.kind === "text") return { text: event.message, endsLine: event.message.endsWith("\n") };
  const lead = midLine ? "\n" : "";
  if (event.kind === "start") return { text: `${lead}# ${event.title}\n${event.message}\n\n`, endsLine: true };
  const label = LABELS[event.kind] ?? event.kind;
  const message = event.kind === "observation" && event.message.length > 400 ? `${event.message.slice(0, 399)}…` : event.message;
  return { text: `${lead}[step ${event.step}] ${label}: ${message}\n`, endsLine: true };
}
