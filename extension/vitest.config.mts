import { defineConfig } from "vitest/config";

// Unit tests of the extension's own logic (no VS Code): interpreter discovery, settings,
// the panel's message protocol. Files that need `vscode` are not imported here.
export default defineConfig({
  test: {
    root: new URL(".", import.meta.url).pathname,
    include: ["test/unit/**/*.test.ts"],
    environment: "node",
  },
});
