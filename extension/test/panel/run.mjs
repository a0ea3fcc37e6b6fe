// Browser tests of the spec panel webview: headless Debian Chromium driven by
// playwright-core, against the harness served on 127.0.0.1 (see server.mjs). Prints one
// line per check, the render time, saves a screenshot; exit code 0 when every check passes.
import { chromium } from "playwright-core";
import { mkdtemp, mkdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CHECKS } from "./checks.mjs";
import { extensionRoot, startServer } from "./server.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
];

async function main() {
  const fixture = JSON.parse(await readFile(path.join(extensionRoot, "test", "fixtures", "spec_detail.json"), "utf8"));
  const artifacts = path.join(extensionRoot, "test", "artifacts");
  await mkdir(artifacts, { recursive: true });
  const server = await startServer({ fixture });
  const userData = await mkdtemp(path.join(os.tmpdir(), "specpilot-panel-chromium-"));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 },
    colorScheme: "dark", reducedMotion: "reduce",
  });
  const outside = [];
  const consoleErrors = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${server.origin}/`) || url.startsWith("data:")) return route.continue();
    outside.push(url);
    return route.abort();
  });
  context.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(`${server.origin}/`) && !url.startsWith("data:") && !outside.includes(url)) outside.push(url);
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.on("console", (message) => { if (message.type() === "error") consoleErrors.push(message.text()); });
  page.on("pageerror", (error) => consoleErrors.push(`page error: ${error.message}`));

  const run = { page, server, fixture, artifacts, outside, consoleErrors, notes: [] };
  let failed = 0;
  try {
    for (const [name, check] of CHECKS) {
      try {
        const detail = await check(run);
        console.log(`ok   ${name}${detail ? ` (${detail})` : ""}`);
      } catch (error) {
        failed += 1;
        console.log(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    await context.close();
    await server.close();
    await rm(userData, { recursive: true, force: true });
  }
  for (const note of run.notes) console.log(note);
  console.log(failed === 0 ? `all ${CHECKS.length} checks passed` : `${failed} of ${CHECKS.length} checks failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
