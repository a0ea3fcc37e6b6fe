/**
 * The spec panel's webview entry (bundled to extension/dist/webview.js): defines the
 * components, connects <spec-panel> to the host and keeps its scroll position.
 */
import "@vscode-elements/elements/dist/vscode-badge/index.js";
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-collapsible/index.js";
import "@vscode-elements/elements/dist/vscode-progress-ring/index.js";
import "@vscode-elements/elements/dist/vscode-textfield/index.js";
import { definePanel, isPanelUpdate, SpecPanel } from "./panel";

function start(): void {
  definePanel();
  let panel = document.querySelector("spec-panel");
  if (!(panel instanceof SpecPanel)) {
    panel = document.createElement("spec-panel") as SpecPanel;
    document.body.append(panel);
  }
  const element = panel as SpecPanel;

  window.addEventListener("message", (event: MessageEvent) => {
    if (isPanelUpdate(event.data)) element.receive(event.data);
  });

  let scrollQueued = false;
  window.addEventListener("scroll", () => {
    if (scrollQueued) return;
    scrollQueued = true;
    requestAnimationFrame(() => {
      scrollQueued = false;
      element.rememberScroll(window.scrollY);
    });
  }, { passive: true });

  element.attach(acquireVsCodeApi());
  // Back where the user was once the restored spec is drawn.
  const scrollY = element.savedScrollY;
  if (scrollY > 0) {
    void element.updateComplete.then(() => requestAnimationFrame(() => window.scrollTo(0, scrollY)));
  }
}

start();
