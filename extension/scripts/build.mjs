// Bundles the extension host code and the spec panel's webview code with esbuild:
//   extension/src/extension.ts -> extension/dist/extension.js (Node, CommonJS, `vscode` external)
//   extension/webview/main.ts  -> extension/dist/webview.js   (browser, one IIFE, no remote imports)
// `--watch` rebuilds on change; `--sourcemap` adds inline maps (not in the packaged .vsix).
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const watch = process.argv.includes("--watch");
const sourcemap = process.argv.includes("--sourcemap") ? "inline" : false;

const builds = [
  {
    entryPoints: [path.join(root, "src", "extension.ts")],
    outfile: path.join(root, "dist", "extension.js"),
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
  },
  {
    entryPoints: [path.join(root, "webview", "main.ts")],
    outfile: path.join(root, "dist", "webview.js"),
    platform: "browser",
    format: "iife",
    target: "es2022",
  },
];

for (const options of builds) {
  const config = { ...options, bundle: true, minify: !watch, sourcemap, logLevel: "info", legalComments: "none" };
  if (watch) {
    const context = await esbuild.context(config);
    await context.watch();
  } else {
    await esbuild.build(config);
  }
}
