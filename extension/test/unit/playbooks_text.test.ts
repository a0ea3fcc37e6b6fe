import { describe, expect, it } from "vitest";
import {
  asHistory, docPath, documentText, newestFirst, opText, parseDoc, pending, roleDescription, shortTime, stateIcon,
  versionContext, versionDescription, versionTooltip,
} from "../../src/playbooks_text";

// What `specpilot.prompts.history` answers (rl/playbook_actions.history) after a curate and a risky change.
const raw = {
  role: "coder", current: 2, candidate: 3,
  versions: [
    { version: 1, parent: null, created: "", change: {}, state: "earlier" },
    { version: 2, parent: 1, created: "2026-12-04T16:05:07+00:00", state: "current",
      change: { kind: "curate", reason: "curated by hand (model-free rules)", ops: [{ op: "prune", entry: "bp-1" }] } },
    { version: 3, parent: 2, created: "2026-12-04T17:00:00+00:00", state: "awaiting approval",
      change: { kind: "curate", reason: "every 100 runs", pending_approval: true, ops: [
        { op: "add", section: "learned patterns", text: "Run the tests first." },
        { op: "prune", entry: "ep-2" }, { op: "merge", entries: ["bp-3", "bp-4"], text: "One change at a time." },
        { op: "replace_section", section: "best practices", items: ["Small diffs.", "Tests."] }] } },
  ],
  events: [
    { kind: "prompt_updated", new: 2, old: 1, measured: {} },
    { kind: "prompt_updated", new: 3, old: 2, measured: { version: 2, runs: 100, mean_score: 0.61234 } },
  ],
};

describe("the playbook history", () => {
  const history = asHistory(raw);

  it("reads versions, their state, their edits and what was measured", () => {
    expect(history.current).toBe(2);
    expect(history.versions.map((v) => v.state)).toEqual(["earlier", "current", "awaiting approval"]);
    expect(history.versions[1].ops).toEqual([{ op: "prune", entry: "bp-1" }]);
    expect(history.versions[1].measured).toBeNull(); // an empty measurement says nothing
    expect(history.versions[2].measured).toEqual({ version: 2, runs: 100, mean_score: 0.61234 });
    expect(newestFirst(history).map((v) => v.version)).toEqual([3, 2, 1]);
    expect(pending(history)?.version).toBe(3);
  });

  it("survives a malformed answer, and refuses one that is not an object", () => {
    const odd = asHistory({ current: "2", versions: [{ version: 1 }, null, { version: "x" }, { version: 2, change: { ops: [null, { op: 7 }] }, state: "weird" }] });
    expect(odd.current).toBe(1);
    expect(odd.versions.map((v) => [v.version, v.state, v.ops.length])).toEqual([[1, "current", 0], [2, "earlier", 0]]);
    expect(() => asHistory(null)).toThrow(/not an object/);
  });

  it("describes a role by the version in use and what waits", () => {
    expect(roleDescription(history)).toBe("v2 in use · 3 versions · v3 awaiting approval");
    expect(roleDescription(asHistory({ current: 1, versions: [{ version: 1, parent: null }] }))).toBe("v1 in use · built-in, never changed");
  });

  it("describes each version and its edits", () => {
    const [v1, v2, v3] = history.versions;
    expect(versionDescription(v1)).toBe("earlier · built-in");
    expect(versionDescription(v2)).toBe("★ in use · prune bp-1 · 2026-12-04 16:05");
    expect(versionDescription(v3)).toBe("awaiting approval · 4 edits · 2026-12-04 17:00");
    expect(v3.ops.map(opText)).toEqual([
      "add to learned patterns: Run the tests first.", "prune ep-2", "merge bp-3 + bp-4: One change at a time.",
      "replace section best practices: Small diffs. / Tests."]);
    const tip = versionTooltip("coder", v3);
    expect(tip).toContain("coder playbook v3 (from v2)");
    expect(tip).toContain("tried only after you approve it");
    expect(tip).toContain("why: every 100 runs");
    expect(tip).toContain("measured before the change: v2 scored 0.612 over 100 runs");
    expect(opText({ op: "add", section: "s", text: "x".repeat(200) })).toHaveLength("add to s: ".length + 80);
  });

  it("says what a row allows, for the menus", () => {
    const [v1, v2, v3] = history.versions;
    expect(versionContext(v1)).toBe("playbook.version use"); // no parent: nothing to compare with
    expect(versionContext(v2)).toBe("playbook.version compare"); // in use: nothing to switch to
    expect(versionContext(v3)).toBe("playbook.version compare use approve");
    expect(stateIcon("on trial")).toBe("beaker");
    expect(shortTime("not a time")).toBe("not a time");
  });
});

describe("a version's document", () => {
  it("round-trips its URI, with and without a folder", () => {
    for (const doc of [{ role: "coder", version: 3, outline: false }, { role: "planner", version: 12, outline: true, folder: "/w s/a&b" }]) {
      const { path, query } = docPath(doc);
      expect(parseDoc(path, query)).toEqual(doc);
    }
    expect(docPath({ role: "coder", version: 3, outline: true })).toEqual({ path: "/coder/v3.outline.md", query: "outline" });
    expect(parseDoc("/poet/v1.md", "")).toBeUndefined();
    expect(parseDoc("/coder/../v1.md", "")).toBeUndefined();
  });

  it("shows the outline, then the prompt, and says which version is in use", () => {
    const shown = { role: "coder", version: 3, current: 2, outline: "## best practices (priority 4, mutable)\n- [bp-2] Keep the style.\n",
      prompt: "You are SpecPilot's coder.", notes: ["v4 is damaged; falling back"] };
    const text = documentText(shown, false);
    expect(text.split("\n")[0]).toContain("the coder playbook, v3 (v2 is in use)");
    expect(text).toContain("<!-- v4 is damaged; falling back -->");
    expect(text.indexOf("[bp-2]")).toBeLessThan(text.indexOf("You are SpecPilot's coder."));
    expect(documentText(shown, true)).toBe(shown.outline);
    expect(documentText({ ...shown, version: 2 }, false)).toContain("v2 (in use)");
  });
});
