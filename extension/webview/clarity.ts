/**
 * Clarity per requirement: the score (a meter and a number), the open questions, and an
 * answer box per question that posts {type: "answer"} on Enter or with its Send button.
 */
import { html, nothing, type TemplateResult } from "lit";
import { live } from "lit/directives/live.js";
import type { Question, Requirement, SpecDetail } from "../src/panel/protocol";
import { draftKey } from "./state";
import { count, placeLink, section, type PanelView } from "./view";

interface AnswerField extends HTMLElement {
  value: string;
}

/** `question` is the question's id. */
function send(view: PanelView, spec: string, requirement: string, question: string): void {
  const key = draftKey(spec, requirement, question);
  const answer = view.draft(key).trim();
  if (!answer || view.busy !== null) return;
  view.post({ type: "answer", requirement, question, answer });
  view.setDraft(key, "");
}

function renderQuestion(view: PanelView, spec: string, requirement: Requirement, question: Question): TemplateResult {
  const key = draftKey(spec, requirement.id, question.id);
  const fieldId = `answer-${requirement.id}-${question.id}`;
  const onInput = (event: Event): void => view.setDraft(key, (event.currentTarget as AnswerField).value);
  const onKey = (event: KeyboardEvent): void => {
    if (event.key !== "Enter" || event.isComposing) return;
    event.preventDefault();
    view.setDraft(key, (event.currentTarget as AnswerField).value);
    send(view, spec, requirement.id, question.id);
  };
  return html`<li class="question" data-requirement=${requirement.id} data-question=${question.id}>
    <label class="question-text" for=${fieldId}><span class="question-id">${question.id}</span> ${question.text}</label>
    <div class="answer-row">
      <vscode-textfield id=${fieldId} class="answer" placeholder="Type an answer, press Enter"
        .label=${`Answer to ${requirement.id} ${question.id}: ${question.text}`} .value=${live(view.draft(key))}
        @input=${onInput} @keydown=${onKey}></vscode-textfield>
      <vscode-button class="send" data-action="answer" ?disabled=${view.busy !== null}
        aria-label=${`Send the answer to ${requirement.id} ${question.id}`}
        @click=${() => send(view, spec, requirement.id, question.id)}>Send</vscode-button>
    </div>
  </li>`;
}

function scoreText(clarity: number | null): string {
  return clarity === null ? "not scored" : `${Math.round(clarity * 100)}%`;
}

function renderRequirement(view: PanelView, spec: string, requirement: Requirement): TemplateResult {
  const level = requirement.clarity === null ? "none" : requirement.clarity >= 0.8 ? "high" : requirement.clarity >= 0.5 ? "medium" : "low";
  return html`<article class="requirement clarity-${level}" data-requirement=${requirement.id}
      aria-label=${`${requirement.id}, clarity ${scoreText(requirement.clarity)}`}>
    <header class="requirement-head">
      <span class="requirement-id">${requirement.id}</span>
      <vscode-badge variant="counter" class="kind">${requirement.kind}</vscode-badge>
      <span class="score" data-score=${requirement.clarity ?? "none"}>${scoreText(requirement.clarity)}</span>
      ${placeLink(view, requirement.place)}
    </header>
    ${requirement.clarity === null ? nothing : html`<meter class="clarity" min="0" max="1" low="0.5" high="0.8" optimum="1"
      .value=${requirement.clarity} aria-label=${`Clarity of ${requirement.id}`}></meter>`}
    <p class="requirement-text">${requirement.text}</p>
    ${requirement.questions.length === 0
      ? html`<p class="muted">No open questions.</p>`
      : html`<ul class="questions" aria-label=${`Open questions on ${requirement.id}`}>
          ${requirement.questions.map((question) => renderQuestion(view, spec, requirement, question))}</ul>`}
  </article>`;
}

export function renderClarity(view: PanelView, spec: SpecDetail): TemplateResult {
  const open = spec.requirements.reduce((sum, requirement) => sum + requirement.questions.length, 0);
  return section(view, "clarity", "Clarity", `${count(spec.requirements.length, "requirement")} · ${count(open, "open question")}`, true,
    html`<div class="requirements">${spec.requirements.map((requirement) => renderRequirement(view, spec.name, requirement))}</div>`);
}
