/**
 * The agent's steps as they stream (`specpilot/agentEvent`): the plan's text, each tool call and
 * what it saw, and the stop, in the "SpecPilot Agent" output channel, shown when a run starts.
 * The proposed edit itself opens in VS Code's refactor preview (the server's applyEdit).
 */

import * as vscode from "vscode";
import { type AgentEvent, eventLines } from "./agent_text";

export const AGENT_EVENT = "specpilot/agentEvent";

export class AgentView implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel("SpecPilot Agent");
  private midLine = false;

  show(event: AgentEvent): void {
    if (event.kind === "start") {
      this.channel.clear();
      this.channel.show(true);
    }
    const { text, endsLine } = eventLines(event, this.midLine);
    this.channel.append(text);
    this.midLine = !endsLine;
  }

  dispose(): void {
    this.channel.dispose();
  }
}
