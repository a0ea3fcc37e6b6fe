import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isPanelRequest, STAGES, type PanelRequest, type SpecDetail } from "../../src/panel/protocol";

const PLACE = { uri: "file:///work/demo/specpilot/cli_search.py", line: 47, label: "cli_search.py:47" };

const VALID: PanelRequest[] = [
  { type: "ready" },
  ...STAGES.map((stage): PanelRequest => ({ type: "runStage", stage })),
  { type: "answer", requirement: "R2", question: "Q1", answer: "Quote the field." },
  { type: "runTask", task: "T4" },
  { type: "markDone", task: "T3" },
  { type: "showDiff", task: "T1" },
  { type: "open", place: PLACE },
];

const MALFORMED: [string, unknown][] = [
  ["null", null],
  ["a string", "ready"],
  ["no type", { stage: "design" }],
  ["an unknown type", { type: "deleteSpec", spec: "x" }],
  ["a wrong stage", { type: "runStage", stage: "deploy" }],
  ["a stage that is not a string", { type: "runStage", stage: 3 }],
  ["an empty answer", { type: "answer", requirement: "R2", question: "Q1", answer: "" }],
  ["an answer without its question", { type: "answer", requirement: "R2", answer: "yes" }],
  ["an answer without its requirement", { type: "answer", question: "Q1", answer: "yes" }],
  ["an answer that is not text", { type: "answer", requirement: "R2", question: "Q1", answer: 42 }],
  ["runTask without a task", { type: "runTask" }],
  ["markDone with an empty task", { type: "markDone", task: "" }],
  ["showDiff with a number", { type: "showDiff", task: 1 }],
  ["open without a place", { type: "open" }],
  ["open with a place without a line", { type: "open", place: { uri: PLACE.uri, label: "x" } }],
  ["open with a place without a uri", { type: "open", place: { line: 3, label: "x" } }],
  ["open with a line given as text", { type: "open", place: { uri: PLACE.uri, line: "3", label: "x" } }],
];

describe("isPanelRequest", () => {
  it.each(VALID.map((message) => [JSON.stringify(message), message]))("accepts %s", (_, message) => {
    expect(isPanelRequest(message)).toBe(true);
  });

  it.each(MALFORMED)("refuses %s", (_, message) => {
    expect(isPanelRequest(message)).toBe(false);
  });

  it("accepts what the webview posts for every action in the fixture", () => {
    const spec = JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "spec_detail.json"), "utf8")) as SpecDetail;
    const messages: unknown[] = [
      ...spec.requirements.flatMap((requirement) => requirement.questions.map((question) => (
        { type: "answer", requirement: requirement.id, question: question.id, answer: "an answer" }))),
      ...spec.tasks.flatMap((task) => [{ type: "runTask", task: task.id }, { type: "markDone", task: task.id }, { type: "showDiff", task: task.id }]),
      ...spec.requirements.map((requirement) => ({ type: "open", place: requirement.place })),
      ...spec.drift.flatMap((drift) => (drift.place ? [{ type: "open", place: drift.place }] : [])),
      { type: "runStage", stage: spec.stage },
    ];
    for (const message of messages) expect(isPanelRequest(message), JSON.stringify(message)).toBe(true);
  });
});

describe("the fixture is a SpecDetail the panel tests rely on", () => {
  const spec = JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "spec_detail.json"), "utf8")) as SpecDetail;

  it("has a gate per stage, failing and passing checks, and a forced one", () => {
    expect(spec.gates.map((gate) => gate.stage)).toEqual([...STAGES]);
    const checks = spec.gates.flatMap((gate) => gate.checks);
    expect(checks.some((check) => check.passed)).toBe(true);
    expect(checks.some((check) => !check.passed && !check.forced)).toBe(true);
    expect(checks.some((check) => check.forced)).toBe(true);
  });

  it("has 4 requirements of varied clarity with open questions, 5 tasks in the three states, one with a diff, a review gap and a drift warning", () => {
    expect(spec.requirements).toHaveLength(4);
    expect(new Set(spec.requirements.map((requirement) => requirement.clarity)).size).toBe(4);
    expect(spec.requirements.filter((requirement) => requirement.questions.length > 0).length).toBeGreaterThanOrEqual(3);
    expect(spec.tasks).toHaveLength(5);
    expect(new Set(spec.tasks.map((task) => task.state))).toEqual(new Set(["todo", "in_progress", "done"]));
    expect(spec.tasks.filter((task) => task.diff)).toHaveLength(1);
    expect(spec.review.some((row) => row.gap !== null)).toBe(true);
    expect(spec.drift).toHaveLength(1);
  });
});
