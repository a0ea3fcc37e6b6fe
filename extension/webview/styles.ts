/** The panel's styles: VS Code theme variables only, no fixed colours. */
import { css } from "lit";

export const panelStyles = css`
  :host {
    display: block;
    color: var(--vscode-foreground);
    font-family: var(--vscode-font-family);
    font-size: var(--vscode-font-size);
    line-height: 1.4;
  }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  .muted { color: var(--vscode-descriptionForeground); }
  h1 { font-size: 1.4em; font-weight: 600; margin: 16px 0 4px; }
  .subtitle { margin: 0 0 12px; color: var(--vscode-descriptionForeground); }
  .subtitle code { font-family: var(--vscode-editor-font-family); }
  :focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 1px; }
  button.link {
    background: none; border: none; padding: 0 2px; font: inherit; cursor: pointer;
    color: var(--vscode-textLink-foreground); text-decoration: underline; text-underline-offset: 2px;
  }
  button.link:hover { color: var(--vscode-textLink-activeForeground); }
  button.link:focus-visible { outline: 1px solid var(--vscode-focusBorder); }

  .banner { display: flex; align-items: center; gap: 8px; padding: 6px 10px; margin: 8px 0; border-radius: 2px; }
  .banner.busy { background: var(--vscode-editorWidget-background); border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border)); }
  .banner.error {
    background: var(--vscode-inputValidation-errorBackground);
    border: 1px solid var(--vscode-inputValidation-errorBorder);
  }
  .banner .grow { flex: 1; }
  vscode-progress-ring { width: 16px; height: 16px; }
  .stale { color: var(--vscode-editorWarning-foreground); }

  .stepper { list-style: none; padding: 0; margin: 8px 0 16px; display: flex; flex-wrap: wrap; gap: 6px; counter-reset: step; }
  .step {
    flex: 1 1 150px; display: flex; flex-wrap: wrap; align-items: center; gap: 6px; padding: 8px;
    border: 1px solid var(--vscode-panel-border); border-radius: 3px;
  }
  .step.current { border-color: var(--vscode-focusBorder); background: var(--vscode-list-inactiveSelectionBackground); }
  .step.after .step-name { color: var(--vscode-descriptionForeground); }
  .step-text { display: flex; flex-direction: column; flex: 1; min-width: 80px; }
  .step-name { font-weight: 600; }
  .step-state { font-size: 0.9em; color: var(--vscode-descriptionForeground); }
  .gate-icon { font-weight: 700; width: 1.2em; text-align: center; }
  .gate-icon.passed, .check.pass .check-icon, .ok-text { color: var(--vscode-testing-iconPassed); }
  .gate-icon.failed, .check.fail .check-icon { color: var(--vscode-testing-iconFailed); }
  .gate-icon.none { color: var(--vscode-descriptionForeground); }
  .check.forced .check-icon, .warn-icon, .gap-text { color: var(--vscode-editorWarning-foreground); }

  vscode-collapsible.section { margin: 0 0 10px; }
  .section-body { padding: 8px 12px; }
  .gates { padding: 4px 8px; }
  .gate vscode-collapsible { margin: 4px 0; }
  .checks, .questions, .tasks, .drift { list-style: none; margin: 0; padding: 6px 12px; }
  .check { display: flex; gap: 6px; align-items: baseline; padding: 2px 0; }
  .check.fail .check-text { font-weight: 600; }

  .requirements { display: grid; gap: 10px; padding: 8px 12px; }
  .requirement { border: 1px solid var(--vscode-panel-border); border-radius: 3px; padding: 8px 10px; }
  .requirement-head { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
  .requirement-id, .task-id { font-weight: 700; font-family: var(--vscode-editor-font-family); }
  .score { font-variant-numeric: tabular-nums; margin-left: auto; }
  .clarity-low .score { color: var(--vscode-testing-iconFailed); }
  .clarity-medium .score { color: var(--vscode-editorWarning-foreground); }
  .clarity-high .score { color: var(--vscode-testing-iconPassed); }
  meter.clarity { width: 100%; height: 6px; margin: 6px 0 0; }
  meter.clarity::-webkit-meter-bar { background: var(--vscode-input-background); border: none; border-radius: 2px; }
  meter.clarity::-webkit-meter-optimum-value { background: var(--vscode-testing-iconPassed); }
  meter.clarity::-webkit-meter-suboptimum-value { background: var(--vscode-editorWarning-foreground); }
  meter.clarity::-webkit-meter-even-less-good-value { background: var(--vscode-testing-iconFailed); }
  .requirement-text { margin: 6px 0; }
  .question { padding: 4px 0; }
  .question-text { display: block; margin-bottom: 4px; }
  .answer-row { display: flex; gap: 6px; }
  .answer-row vscode-textfield { flex: 1; }

  .board { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 10px; padding: 8px 12px; }
  .column { border: 1px solid var(--vscode-panel-border); border-radius: 3px; background: var(--vscode-sideBar-background); min-width: 0; }
  .column-title { font-size: 1em; margin: 0; padding: 6px 10px; border-bottom: 1px solid var(--vscode-panel-border); display: flex; gap: 6px; align-items: center; }
  .tasks { display: grid; gap: 8px; padding: 8px; }
  .column .muted { padding: 0 10px; }
  .task { min-width: 0; border: 1px solid var(--vscode-panel-border); border-radius: 3px; padding: 6px 8px; background: var(--vscode-editor-background); }
  .task-meta { display: flex; flex-wrap: wrap; gap: 6px; font-size: 0.9em; margin: 4px 0; }
  .task-actions { display: flex; flex-wrap: wrap; gap: 6px; }
  .diff {
    margin: 8px 0 0; padding: 6px; overflow: auto; max-width: 100%; max-height: 240px; font-size: 0.9em;
    font-family: var(--vscode-editor-font-family); background: var(--vscode-textCodeBlock-background);
  }
  .diff-line.add { background: var(--vscode-diffEditor-insertedTextBackground); }
  .diff-line.del { background: var(--vscode-diffEditor-removedTextBackground); }
  .diff-line.hunk, .diff-line.file { color: var(--vscode-descriptionForeground); }

  .table-wrap { overflow-x: auto; padding: 8px 12px; }
  .matrix { border-collapse: collapse; width: 100%; }
  .matrix th, .matrix td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border); }
  .matrix thead th { color: var(--vscode-descriptionForeground); font-weight: 600; }
  .matrix tr.gap { background: var(--vscode-inputValidation-warningBackground); outline: 1px solid var(--vscode-inputValidation-warningBorder); }
  .missing { color: var(--vscode-descriptionForeground); font-style: italic; }
  .gap-text { font-weight: 600; }
  .drift-item { display: flex; gap: 6px; align-items: baseline; flex-wrap: wrap; padding: 4px 0; }
`;
