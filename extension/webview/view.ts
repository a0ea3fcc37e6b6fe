/**
 * What the section renderers get from the panel: the busy action, a way to post
 * requests, answer drafts and open/closed sections; and the small shared pieces
 * (a link to a place, a collapsible section that remembers whether it is open).
 */
import { html, nothing, type TemplateResult } from "lit";
import type { PanelRequest, Place, Stage } from "../src/panel/protocol";

export interface PanelView {
  /** The action the host is running, null when idle: actions are disabled meanwhile. */
  readonly busy: string | null;
  post(request: PanelRequest): void;
  draft(key: string): string;
  setDraft(key: string, value: string): void;
  isOpen(section: string, fallback: boolean): boolean;
  setOpen(section: string, open: boolean): void;
}

const STAGE_NAMES: Record<Stage, string> = {
  requirements: "Requirements",
  design: "Design",
  tasks: "Tasks",
  implement: "Implement",
  review: "Review",
};

/** "1 warning", "2 warnings". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

export function stageName(stage: Stage): string {
  return STAGE_NAMES[stage];
}

/** A keyboard-reachable link that asks the host to open a place. */
export function placeLink(view: PanelView, place: Place | undefined): TemplateResult | typeof nothing {
  if (!place) return nothing;
  return html`<button type="button" class="link" data-action="open"
    title=${`${place.uri}:${place.line}`} aria-label=${`Open ${place.label}`}
    @click=${() => view.post({ type: "open", place })}>${place.label}</button>`;
}

interface CollapsibleElement extends HTMLElement {
  open: boolean;
}

/** Space toggles the header too (the component itself only answers Enter). */
function onCollapsibleKey(view: PanelView, id: string, event: KeyboardEvent): void {
  const element = event.currentTarget as CollapsibleElement;
  const origin = event.composedPath()[0] as Node | undefined;
  if (event.key !== " " || !origin || origin.getRootNode() !== element.shadowRoot) return;
  event.preventDefault();
  event.stopPropagation();
  element.open = !element.open;
  view.setOpen(id, element.open);
}

/** A section that opens and closes by mouse or keyboard and remembers its state. */
export function section(
  view: PanelView,
  id: string,
  heading: string,
  description: string,
  defaultOpen: boolean,
  body: TemplateResult,
): TemplateResult {
  return html`<vscode-collapsible class="section" data-section=${id} heading=${heading}
    description=${description} .open=${view.isOpen(id, defaultOpen)}
    @vsc-collapsible-toggle=${(event: CustomEvent<{ open: boolean }>) => view.setOpen(id, event.detail.open)}
    @keydown=${(event: KeyboardEvent) => onCollapsibleKey(view, id, event)}>${body}</vscode-collapsible>`;
}

/** A button posting `request`; disabled while the host is busy. */
export function actionButton(
  view: PanelView,
  label: string,
  ariaLabel: string,
  request: PanelRequest,
  options: { secondary?: boolean; task?: string } = {},
): TemplateResult {
  return html`<vscode-button ?secondary=${options.secondary ?? false} ?disabled=${view.busy !== null}
    data-action=${request.type} data-task=${options.task ?? nothing} aria-label=${ariaLabel} title=${ariaLabel}
    @click=${() => view.post(request)}>${label}</vscode-button>`;
}
