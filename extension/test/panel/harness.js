// The harness's stand-in for the VS Code webview host (loaded before webview.js, with the
// page's nonce). `window.__fixture` is prepended by the server. It records every message
// the panel posts, persists setState in sessionStorage (so a reload plays "hidden and
// shown again"), answers "ready" with the fixture unless the URL says ?feed=0, and
// records Content-Security-Policy violations.
(() => {
  const STATE_KEY = "specpilot-panel-state";
  const posted = [];
  const violations = [];
  window.__posted = posted;
  window.__violations = violations;
  document.addEventListener("securitypolicyviolation", (event) => {
    violations.push(`${event.violatedDirective} ${event.blockedURI}`);
  });

  const feedOnReady = new URLSearchParams(location.search).get("feed") !== "0";
  window.__feed = (spec) => window.postMessage({ type: "spec", spec }, "*");
  window.__update = (message) => window.postMessage(message, "*");

  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error("acquireVsCodeApi may only be called once");
    acquired = true;
    return {
      postMessage(message) {
        posted.push(JSON.parse(JSON.stringify(message)));
        if (message && message.type === "ready" && feedOnReady) setTimeout(() => window.__feed(window.__fixture));
      },
      getState() {
        const stored = sessionStorage.getItem(STATE_KEY);
        return stored === null ? undefined : JSON.parse(stored);
      },
      setState(state) {
        sessionStorage.setItem(STATE_KEY, JSON.stringify(state));
        return state;
      },
    };
  };

  const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));

  // Posts a "spec" message and times it until the panel has updated its DOM and until the
  // next frame is drawn after that.
  window.__measure = async (spec) => {
    const panel = document.querySelector("spec-panel");
    const delivered = new Promise((resolve) => window.addEventListener("message", resolve, { once: true }));
    const start = performance.now();
    window.postMessage({ type: "spec", spec }, "*");
    await delivered;
    await panel.updateComplete;
    const updated = performance.now();
    await frame();
    return { update: updated - start, frame: performance.now() - start };
  };

  window.__settle = async () => {
    await document.querySelector("spec-panel").updateComplete;
    await frame();
  };
})();
