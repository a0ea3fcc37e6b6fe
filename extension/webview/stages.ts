/**
 * The stage stepper (requirements → design → tasks → implement → review, each with its
 * gate state and a Run action) and each gate's checks, the failing ones first.
 */
import { html, nothing, type TemplateResult } from "lit";
import { STAGES, type Gate, type GateCheck, type SpecDetail, type Stage } from "../src/panel/protocol";
import { actionButton, section, stageName, type PanelView } from "./view";

type GateState = "passed" | "failed" | "none";

function gateState(gate: Gate | undefined): GateState {
  if (!gate || gate.passed === null) return "none";
  return gate.passed ? "passed" : "failed";
}

const GATE_ICON: Record<GateState, string> = { passed: "✓", failed: "✗", none: "○" };
const GATE_TEXT: Record<GateState, string> = { passed: "gate passed", failed: "gate failing", none: "not started" };

function gateOf(spec: SpecDetail, stage: Stage): Gate | undefined {
  return spec.gates.find((gate) => gate.stage === stage);
}

export function renderStepper(view: PanelView, spec: SpecDetail): TemplateResult {
  const currentIndex = STAGES.indexOf(spec.stage);
  return html`<nav aria-label="Stages"><ol class="stepper">
    ${STAGES.map((stage, index) => {
      const state = gateState(gateOf(spec, stage));
      const current = stage === spec.stage;
      const position = index < currentIndex ? "before" : current ? "current" : "after";
      return html`<li class="step ${position}" data-stage=${stage} data-gate=${state}
          aria-current=${current ? "step" : nothing}>
        <span class="gate-icon ${state}" aria-hidden="true">${GATE_ICON[state]}</span>
        <span class="step-text">
          <span class="step-name">${stageName(stage)}</span>
          <span class="step-state">${current ? "current · " : ""}${GATE_TEXT[state]}</span>
        </span>
        ${actionButton(view, `Run ${stage}`, `Run the ${stage} stage`, { type: "runStage", stage }, { secondary: !current })}
      </li>`;
    })}
  </ol></nav>`;
}

/** Failing checks first, then the forced ones (failing, let through), then the passing ones. */
export function orderChecks(checks: readonly GateCheck[]): GateCheck[] {
  const rank = (check: GateCheck): number => (check.passed ? 2 : check.forced ? 1 : 0);
  return [...checks].sort((a, b) => rank(a) - rank(b));
}

function renderCheck(check: GateCheck): TemplateResult {
  const kind = check.passed ? "pass" : check.forced ? "forced" : "fail";
  const icon = check.passed ? "✓" : "✗";
  const said = check.passed ? "passed" : check.forced ? "failed, forced through" : "failed";
  return html`<li class="check ${kind}" data-passed=${String(check.passed)}>
    <span class="check-icon" aria-hidden="true">${icon}</span>
    <span class="sr-only">${said}: </span><span class="check-text">${check.text}</span>
    ${check.forced ? html`<vscode-badge class="forced-badge" title="failed, let through with --force">forced</vscode-badge>` : nothing}
  </li>`;
}

function renderGate(view: PanelView, gate: Gate): TemplateResult {
  const state = gateState(gate);
  const failing = gate.checks.filter((check) => !check.passed).length;
  const description = state === "none"
    ? "no document yet"
    : failing === 0 ? `passed · ${gate.checks.length} checks` : `${state === "passed" ? "passed" : "failing"} · ${failing} of ${gate.checks.length} checks fail`;
  const body = gate.checks.length === 0
    ? html`<p class="muted">No checks yet.</p>`
    : html`<ul class="checks" aria-label=${`${stageName(gate.stage)} gate checks`}>${orderChecks(gate.checks).map(renderCheck)}</ul>`;
  return html`<div class="gate" data-gate-stage=${gate.stage} data-gate=${state}>
    ${section(view, `gate:${gate.stage}`, `${stageName(gate.stage)} gate`, description, state === "failed", body)}
  </div>`;
}

export function renderGates(view: PanelView, spec: SpecDetail): TemplateResult {
  const gates = STAGES.map((stage) => gateOf(spec, stage)).filter((gate): gate is Gate => gate !== undefined);
  const failing = gates.filter((gate) => gate.passed === false).length;
  return section(view, "gates", "Gates", failing ? `${failing} failing` : "none failing", true,
    html`<div class="gates">${gates.map((gate) => renderGate(view, gate))}</div>`);
}
