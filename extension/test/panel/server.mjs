// Serves the spec panel harness on 127.0.0.1 (ephemeral port): the page comes from
// extension/src/panel/html.ts (same template, same Content-Security-Policy), with the
// harness script and a theme stylesheet added; the webview is bundled by esbuild in
// memory from extension/webview/main.ts, as extension/scripts/build.mjs does.
import * as esbuild from "esbuild";
import http from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const extensionRoot = path.resolve(here, "..", "..");

async function bundle(entry, options) {
  const result = await esbuild.build({
    entryPoints: [entry], bundle: true, write: false, logLevel: "silent", legalComments: "none", ...options,
  });
  return result.outputFiles[0].text;
}

/** html.ts as an ES module (bundled so that this runs on any Node, with or without type stripping). */
async function loadHtmlModule() {
  const code = await bundle(path.join(extensionRoot, "src", "panel", "html.ts"), { format: "esm", platform: "neutral" });
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}

/** The harness page: the panel page with the theme stylesheet and the fake host script added. */
export function harnessPage(panelPage, nonce) {
  const withTheme = panelPage.replace("</head>", `  <link rel="stylesheet" href="/theme.css">\n</head>`);
  const mainScript = `<script nonce="${nonce}" src="/webview.js">`;
  if (!withTheme.includes(mainScript)) throw new Error("the panel page has no nonce'd webview script");
  return withTheme.replace(mainScript, `<script nonce="${nonce}" src="/harness.js"></script>\n  ${mainScript}`);
}

export async function startServer({ fixture }) {
  const [html, webview, harness, theme] = await Promise.all([
    loadHtmlModule(),
    bundle(path.join(extensionRoot, "webview", "main.ts"), { format: "iife", platform: "browser", target: "es2022", minify: true }),
    readFile(path.join(here, "harness.js"), "utf8"),
    readFile(path.join(here, "theme.css"), "utf8"),
  ]);
  const harnessScript = `window.__fixture = ${JSON.stringify(fixture)};\n${harness}`;
  const unknown = [];
  let origin = "";
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", origin);
    const send = (type, body) => {
      response.writeHead(200, { "content-type": type, "cache-control": "no-store" });
      response.end(body);
    };
    if (url.pathname === "/") {
      const nonce = html.makeNonce();
      const page = html.panelHtml({ cspSource: origin, scriptUri: "/webview.js", nonce, title: `Spec: ${fixture.title}` });
      send("text/html; charset=utf-8", harnessPage(page, nonce));
    } else if (url.pathname === "/webview.js") {
      send("text/javascript; charset=utf-8", webview);
    } else if (url.pathname === "/harness.js") {
      send("text/javascript; charset=utf-8", harnessScript);
    } else if (url.pathname === "/theme.css") {
      send("text/css; charset=utf-8", theme);
    } else {
      unknown.push(url.pathname);
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${address.port}`;
  return { origin, unknown, webviewBytes: Buffer.byteLength(webview), close: () => new Promise((resolve) => server.close(resolve)) };
}
