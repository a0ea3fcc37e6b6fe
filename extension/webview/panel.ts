/**
 * <spec-panel>: renders one SpecDetail (header, stepper, gates, clarity, task board,
 * review matrix, drift) and posts the user's actions to the host. It keeps the last
 * spec and the UI state in the webview state so that it draws the same thing when the
 * panel is shown again.
 */
import { LitElement, html, nothing, type TemplateResult } from "lit";
import type { PanelRequest, PanelUpdate, SpecDetail } from "../src/panel/protocol";
import { renderBoard } from "./board";
import { renderClarity } from "./clarity";
import { renderDrift, renderReview } from "./review";
import { renderGates, renderStepper } from "./stages";
import { emptyState, openDrafts, readState, type ViewState, type VsCodeApi } from "./state";
import { panelStyles } from "./styles";
import { stageName, type PanelView } from "./view";

export function isPanelUpdate(value: unknown): value is PanelUpdate {
  if (typeof value !== "object" || value === null) return false;
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case "spec": {
      const spec = message.spec as Record<string, unknown> | null;
      return typeof spec === "object" && spec !== null && Array.isArray(spec.gates) && Array.isArray(spec.tasks);
    }
    case "busy":
      return message.action === null || typeof message.action === "string";
    case "error":
      return typeof message.message === "string";
    default:
      return false;
  }
}

/** "running T4" -> "Running T4". */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export class SpecPanel extends LitElement {
  static override styles = panelStyles;

  private api: VsCodeApi | null = null;
  private state: ViewState = emptyState();
  private busyAction: string | null = null;
  private errorMessage: string | null = null;
  private saveQueued = false;

  private readonly view: PanelView = this.makeView();

  private makeView(): PanelView {
    const panel = this;
    return {
      get busy(): string | null {
        return panel.busyAction;
      },
      post: (request) => this.post(request),
      draft: (key) => this.state.drafts[key] ?? "",
      setDraft: (key, value) => {
        if (value) this.state.drafts[key] = value;
        else delete this.state.drafts[key];
        this.save();
        this.requestUpdate();
      },
      isOpen: (id, fallback) => this.state.open[id] ?? fallback,
      setOpen: (id, open) => {
        this.state.open[id] = open;
        this.save();
      },
    };
  }

  /** Connects to the host: restores the stored state, then says it is ready. */
  attach(api: VsCodeApi): void {
    this.api = api;
    this.state = readState(api);
    this.requestUpdate();
    api.postMessage({ type: "ready" } satisfies PanelRequest);
  }

  get spec(): SpecDetail | null {
    return this.state.spec;
  }

  get savedScrollY(): number {
    return this.state.scrollY;
  }

  receive(update: PanelUpdate): void {
    if (update.type === "spec") {
      this.state.spec = update.spec;
      this.state.drafts = openDrafts(this.state.drafts, update.spec);
      this.errorMessage = null;
      this.save();
    } else if (update.type === "busy") {
      this.busyAction = update.action;
    } else {
      this.errorMessage = update.message;
    }
    this.requestUpdate();
  }

  rememberScroll(scrollY: number): void {
    this.state.scrollY = Math.max(0, Math.round(scrollY));
    this.save();
  }

  private post(request: PanelRequest): void {
    if (!this.api) return;
    if (this.busyAction !== null && request.type !== "open" && request.type !== "ready") return;
    this.api.postMessage(request);
  }

  /** Writes the state once per burst of changes (a microtask later). */
  private save(): void {
    if (this.saveQueued || !this.api) return;
    this.saveQueued = true;
    queueMicrotask(() => {
      this.saveQueued = false;
      this.api?.setState(this.state);
    });
  }

  private renderBanners(): TemplateResult {
    return html`
      <div role="status" aria-live="polite">${this.busyAction === null ? nothing : html`<div class="banner busy" data-busy>
        <vscode-progress-ring aria-hidden="true"></vscode-progress-ring><span>${sentence(this.busyAction)}…</span></div>`}</div>
      ${this.errorMessage === null ? nothing : html`<div class="banner error" role="alert">
        <span class="grow">${this.errorMessage}</span>
        <vscode-button secondary aria-label="Dismiss the error" @click=${() => { this.errorMessage = null; this.requestUpdate(); }}>Dismiss</vscode-button>
      </div>`}`;
  }

  protected override render(): TemplateResult {
    const spec = this.state.spec;
    if (!spec) {
      return html`${this.renderBanners()}<p class="muted" data-empty>Select a spec in the Specs view to see it here.</p>`;
    }
    return html`<header>
        <h1>${spec.title}</h1>
        <p class="subtitle"><code>${spec.name}</code> · ${spec.status} · at ${stageName(spec.stage)}
          ${spec.stale ? html`· <span class="stale">stale: the documents changed since the last run</span>` : nothing}</p>
      </header>
      ${this.renderBanners()}
      <main data-spec=${spec.name}>
        ${renderStepper(this.view, spec)}
        ${renderGates(this.view, spec)}
        ${renderClarity(this.view, spec)}
        ${renderBoard(this.view, spec)}
        ${renderReview(this.view, spec)}
        ${renderDrift(this.view, spec)}
      </main>`;
  }
}

export function definePanel(): void {
  if (!customElements.get("spec-panel")) customElements.define("spec-panel", SpecPanel);
}
