import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { SpecDetail } from "../../src/panel/protocol";
import { draftKey, emptyState, openDrafts, readState, type VsCodeApi } from "../../webview/state";

const spec = JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "spec_detail.json"), "utf8")) as SpecDetail;

function api(stored: unknown): VsCodeApi {
  return { postMessage: () => undefined, getState: () => stored, setState: (state) => state };
}

describe("the webview's stored state", () => {
  it("reads back what it stored", () => {
    const state = { ...emptyState(), spec, drafts: { [draftKey(spec.name, "R3", "Q3")]: "10k in 2 s" }, open: { review: false }, scrollY: 400 };
    expect(readState(api(JSON.parse(JSON.stringify(state))))).toEqual(state);
  });

  it("starts empty from nothing, another version, or unreadable parts", () => {
    expect(readState(api(undefined))).toEqual(emptyState());
    expect(readState(api({ version: 2, spec }))).toEqual(emptyState());
    expect(readState(api({ version: 1, spec: { name: "x" }, drafts: { a: 1 }, open: "all", scrollY: -5 }))).toEqual(emptyState());
  });
});

describe("openDrafts", () => {
  it("drops this spec's drafts for questions no longer open, keeps the rest and other specs' drafts", () => {
    const drafts = {
      [draftKey(spec.name, "R2", "Q1")]: "still open",
      [draftKey(spec.name, "R1", "Q9")]: "answered elsewhere",
      [draftKey("another-spec", "R1", "Q9")]: "another spec",
      "not json": "kept as it is",
    };
    expect(openDrafts(drafts, spec)).toEqual({
      [draftKey(spec.name, "R2", "Q1")]: "still open",
      [draftKey("another-spec", "R1", "Q9")]: "another spec",
      "not json": "kept as it is",
    });
  });
});
