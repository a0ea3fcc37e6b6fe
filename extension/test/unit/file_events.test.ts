import { describe, expect, it } from "vitest";
import { cacheFolders, inCache } from "../../src/file_events";

describe("file events the client drops", () => {
  const caches = cacheFolders([
    { root: "/work/app", cachePath: undefined },
    { root: "/work/lib", cachePath: "build/sp-cache" },
    { root: "/work/abs", cachePath: "/var/cache/specpilot-abs" },
  ]);

  it("resolves each folder's cache folder", () => {
    expect(caches).toEqual(["/work/app/.specpilot/cache", "/work/lib/build/sp-cache", "/var/cache/specpilot-abs"]);
  });

  it("drops the server's own writes and keeps everything else", () => {
    expect(inCache("/work/app/.specpilot/cache/index/chunks.lance/data/1.lance", caches)).toBe(true);
    expect(inCache("/work/lib/build/sp-cache/trajectories/r1.jsonl", caches)).toBe(true);
    expect(inCache("/var/cache/specpilot-abs/feedback.sqlite3", caches)).toBe(true);
    expect(inCache("/work/app/.specpilot/specs/export/requirements.md", caches)).toBe(false);
    expect(inCache("/work/app/.specpilot/cache-notes.md", caches)).toBe(false); // a sibling that shares the prefix
    expect(inCache("/work/app/src/main.py", caches)).toBe(false);
    expect(inCache("/work/app/.specpilot/cache/../prompts/playbooks/coder/current", caches)).toBe(false);
  });
});
