import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, escapeHtml, makeNonce, panelHtml } from "../../src/panel/html";

const CSP_SOURCE = "https://file+.vscode-resource.vscode-cdn.net";
const NONCE = "bm9uY2Utb2YtdGhlLXRlc3QtcGFnZQ";

function page(title = "Spec: search-export"): string {
  return panelHtml({ cspSource: CSP_SOURCE, scriptUri: `${CSP_SOURCE}/ext/dist/webview.js`, nonce: NONCE, title });
}

/** The policy as the browser reads it from the page's meta tag. */
function policyOf(html: string): Map<string, string[]> {
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  expect(match).not.toBeNull();
  const directives = new Map<string, string[]>();
  for (const part of match![1].replace(/&#39;/g, "'").split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    directives.set(name, sources);
  }
  return directives;
}

describe("the panel page's Content-Security-Policy", () => {
  it("allows nothing by default, and scripts only with the nonce", () => {
    const policy = policyOf(page());
    expect(policy.get("default-src")).toEqual(["'none'"]);
    expect(policy.get("script-src")).toEqual([`'nonce-${NONCE}'`]);
  });

  it("names no remote source: only the webview's own origin, the nonce, data: images", () => {
    const policy = policyOf(page());
    expect(policy.get("style-src")).toEqual([CSP_SOURCE, `'nonce-${NONCE}'`]);
    expect(policy.get("img-src")).toEqual([CSP_SOURCE, "data:"]);
    expect(policy.get("font-src")).toEqual([CSP_SOURCE]);
    for (const [name, sources] of policy) {
      for (const source of sources) {
        expect(source === CSP_SOURCE || /^'(none|nonce-[^']+)'$/.test(source) || source === "data:", `${name} ${source}`).toBe(true);
      }
    }
    const all = [...policy.values()].flat().join(" ");
    expect(all).not.toMatch(/unsafe-inline|unsafe-eval|\*(?!\.)|https?:\/\/(?!file\+)/);
  });

  it("every script and style element carries the nonce", () => {
    const html = page();
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    const styles = html.match(/<style\b[^>]*>/g) ?? [];
    expect(scripts).toHaveLength(1);
    for (const tag of [...scripts, ...styles]) expect(tag).toContain(`nonce="${NONCE}"`);
    expect(scripts[0]).toContain(`src="${CSP_SOURCE}/ext/dist/webview.js"`);
  });

  it("has no inline event handler and no link to another site", () => {
    const html = page();
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html.match(/https?:\/\/[^"\s]*/g)?.every((url) => url.startsWith(CSP_SOURCE))).toBe(true);
  });

  it("escapes the title", () => {
    const html = page('<img src=x onerror="alert(1)">');
    expect(html).toContain(`<title>${escapeHtml('<img src=x onerror="alert(1)">')}</title>`);
    expect(html).not.toContain("<img");
  });

  it("refuses a nonce or source that would break the policy", () => {
    expect(() => contentSecurityPolicy(CSP_SOURCE, "short")).toThrow();
    expect(() => contentSecurityPolicy(CSP_SOURCE, "abc'; script-src *")).toThrow();
    expect(() => contentSecurityPolicy("https://a; script-src *", NONCE)).toThrow();
    expect(() => contentSecurityPolicy("https://a 'unsafe-inline'", NONCE)).toThrow();
    expect(() => contentSecurityPolicy("https://a,script-src", NONCE)).toThrow();
    expect(() => contentSecurityPolicy("", NONCE)).toThrow();
    // VS Code 1.139 gives several sources at once.
    expect(contentSecurityPolicy("'self' https://*.vscode-cdn.net", NONCE))
      .toContain("style-src 'self' https://*.vscode-cdn.net 'nonce-");
  });
});

describe("makeNonce", () => {
  it("gives 32 base64url characters, different every time", () => {
    const nonces = new Set(Array.from({ length: 50 }, () => makeNonce()));
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(() => contentSecurityPolicy(CSP_SOURCE, [...nonces][0])).not.toThrow();
  });
});
