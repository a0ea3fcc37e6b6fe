/**
 * The task board: to do / in progress / done, with Run and Mark done, and for a finished
 * task "Show diff" (the host opens it) plus the diff inline when the build log has one.
 */
import { html, nothing, type TemplateResult } from "lit";
import type { SpecDetail, Task, TaskState } from "../src/panel/protocol";
import { actionButton, placeLink, section, type PanelView } from "./view";

const COLUMNS: readonly { state: TaskState; title: string }[] = [
  { state: "todo", title: "To do" },
  { state: "in_progress", title: "In progress" },
  { state: "done", title: "Done" },
];

function diffLineClass(line: string): string {
  if (line.startsWith("+++") || line.startsWith("---")) return "file";
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "del";
  return "ctx";
}

function renderDiff(task: Task, diff: string): TemplateResult {
  const lines = diff.replace(/\n$/, "").split("\n");
  return html`<pre class="diff" tabindex="0" aria-label=${`Diff of ${task.id}`}>${lines.map(
    (line) => html`<span class="diff-line ${diffLineClass(line)}">${line}</span>\n`,
  )}</pre>`;
}

function renderActions(view: PanelView, task: Task): TemplateResult {
  const name = `${task.id}: ${task.title}`;
  if (task.state === "done") {
    return actionButton(view, "Show diff", `Show the diff of ${name}`, { type: "showDiff", task: task.id }, { secondary: true, task: task.id });
  }
  return html`${actionButton(view, task.state === "todo" ? "Run" : "Run again", `Run ${name}`, { type: "runTask", task: task.id }, { task: task.id })}
    ${actionButton(view, "Mark done", `Mark ${name} done`, { type: "markDone", task: task.id }, { secondary: true, task: task.id })}`;
}

function renderTask(view: PanelView, task: Task): TemplateResult {
  return html`<li class="task" data-task=${task.id} data-state=${task.state}>
    <div class="task-head"><span class="task-id">${task.id}</span> <span class="task-title">${task.title}</span></div>
    <div class="task-meta">
      ${task.requirements.length ? html`<span class="muted">covers ${task.requirements.join(", ")}</span>` : nothing}
      ${placeLink(view, task.place)}
    </div>
    <div class="task-actions">${renderActions(view, task)}</div>
    ${task.state === "done" && task.diff ? renderDiff(task, task.diff) : nothing}
  </li>`;
}

export function renderBoard(view: PanelView, spec: SpecDetail): TemplateResult {
  const done = spec.tasks.filter((task) => task.state === "done").length;
  return section(view, "tasks", "Tasks", `${done} of ${spec.tasks.length} done`, true, html`<div class="board">
    ${COLUMNS.map(({ state, title }) => {
      const tasks = spec.tasks.filter((task) => task.state === state);
      return html`<section class="column" data-column=${state} aria-label=${`${title}: ${tasks.length}`}>
        <h3 class="column-title">${title} <vscode-badge variant="counter">${tasks.length}</vscode-badge></h3>
        ${tasks.length
          ? html`<ul class="tasks">${tasks.map((task) => renderTask(view, task))}</ul>`
          : html`<p class="muted">Nothing here.</p>`}
      </section>`;
    })}
  </div>`);
}
