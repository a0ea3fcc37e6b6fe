/**
 * The spec panel's webview HTML: one page that loads the bundled webview script
 * (extension/dist/webview.js) under a strict Content-Security-Policy.
 *
 * Pure (no `vscode` import) so that unit tests and the browser harness build the very
 * same page the extension host serves.
 *
 * The policy: nothing by default; scripts only with this page's nonce; styles from the
 * webview's own origin or with the nonce (lit's component styles are constructed
 * stylesheets, which the policy does not govern, so no 'unsafe-inline' is needed);
 * images and fonts only from the webview's own origin (and data: images).
 */

export interface PanelHtmlOptions {
  /** `webview.cspSource`: the origin the webview may load its own resources from. */
  cspSource: string;
  /** `webview.asWebviewUri(...)` of the bundled webview script. */
  scriptUri: string;
  /** A fresh nonce per page (see makeNonce). */
  nonce: string;
  title: string;
}

const NONCE_PATTERN = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;

/** A random nonce: 24 bytes, base64url (32 characters). */
export function makeNonce(): string {
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** One source expression: 'self', a scheme with an optional host (wildcards allowed), or a bare host. */
const CSP_SOURCE = /^(?:'self'|[a-z][a-z0-9+.-]*:(?:\/\/[^\s;,'"]+)?|[^\s;,'":]+)$/i;

/** The Content-Security-Policy of the panel page. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  if (!NONCE_PATTERN.test(nonce)) throw new Error("the nonce must be 16+ base64 characters");
  // VS Code gives one source or several (1.139: `'self' https://*.vscode-cdn.net`); each must be a plain
  // source expression, so nothing can close the directive and add one of its own.
  const sources = cspSource.trim().split(/\s+/);
  if (!cspSource.trim() || sources.some((source) => !CSP_SOURCE.test(source))) {
    throw new Error(`not a CSP source: ${cspSource}`);
  }
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** The panel page. The webview script defines and fills `<spec-panel>`. */
export function panelHtml(options: PanelHtmlOptions): string {
  const { cspSource, scriptUri, nonce, title } = options;
  const policy = contentSecurityPolicy(cspSource, nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeHtml(policy)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <title>${escapeHtml(title)}</title>
  <style nonce="${escapeHtml(nonce)}">
    body { margin: 0; padding: 0 16px 24px; color: var(--vscode-foreground); background: var(--vscode-editor-background); }
  </style>
</head>
<body>
  <spec-panel aria-label="${escapeHtml(title)}"></spec-panel>
  <script nonce="${escapeHtml(nonce)}" src="${escapeHtml(scriptUri)}"></script>
</body>
</html>
`;
}
