/** The review matrix (requirement → tasks → code → tests, gaps highlighted) and drift warnings. */
import { html, nothing, type TemplateResult } from "lit";
import type { Place, ReviewRow, SpecDetail } from "../src/panel/protocol";
import { count, placeLink, section, type PanelView } from "./view";

function places(view: PanelView, items: readonly Place[]): TemplateResult {
  if (items.length === 0) return html`<span class="missing">none</span>`;
  return html`${items.map((place) => html`<div>${placeLink(view, place)}</div>`)}`;
}

function renderRow(view: PanelView, spec: SpecDetail, row: ReviewRow): TemplateResult {
  const requirement = spec.requirements.find((item) => item.id === row.requirement);
  return html`<tr class=${row.gap ? "gap" : "complete"} data-requirement=${row.requirement}>
    <th scope="row" title=${requirement?.text ?? nothing}>${row.requirement}</th>
    <td>${row.tasks.length ? row.tasks.join(", ") : html`<span class="missing">none</span>`}</td>
    <td>${places(view, row.code)}</td>
    <td>${places(view, row.tests)}</td>
    <td>${row.gap ? html`<span class="gap-text"><span aria-hidden="true">⚠ </span>${row.gap}</span>` : html`<span class="ok-text">✓ complete</span>`}</td>
  </tr>`;
}

export function renderReview(view: PanelView, spec: SpecDetail): TemplateResult {
  const gaps = spec.review.filter((row) => row.gap).length;
  const body = spec.review.length === 0
    ? html`<p class="muted">No review yet.</p>`
    : html`<div class="table-wrap"><table class="matrix">
        <caption class="sr-only">Requirement to tasks, code and tests</caption>
        <thead><tr><th scope="col">Requirement</th><th scope="col">Tasks</th><th scope="col">Code</th><th scope="col">Tests</th><th scope="col">Gap</th></tr></thead>
        <tbody>${spec.review.map((row) => renderRow(view, spec, row))}</tbody>
      </table></div>`;
  return section(view, "review", "Review", gaps ? count(gaps, "gap") : "no gaps", true, body);
}

export function renderDrift(view: PanelView, spec: SpecDetail): TemplateResult {
  const body = spec.drift.length === 0
    ? html`<p class="muted">No drift.</p>`
    : html`<ul class="drift">${spec.drift.map((item) => html`<li class="drift-item" role="note">
        <span class="warn-icon" aria-hidden="true">⚠</span>
        <span>${item.message}</span> ${placeLink(view, item.place)}</li>`)}</ul>`;
  return section(view, "drift", "Drift", spec.drift.length ? count(spec.drift.length, "warning") : "none", spec.drift.length > 0, body);
}
