import { describe, expect, it } from "vitest";
import { outcomeMessage } from "../../src/outcome";
import { hitItem, preview, type Hit } from "../../src/search_items";
import { clarityLabel, gateIcon, type SpecTreeSpec } from "../../src/specs_model";
import { describeStatus, type IndexStatus } from "../../src/status_text";

const folder = (state: string, chunks: number, embedded: number, error: string | null = null): IndexStatus =>
  ({ folder: "file:///w/flask", state, files: 24, chunks, embedded, error });

describe("the status bar", () => {
  it("shows the embedding progress as a percentage", () => {
    expect(describeStatus([folder("embedding", 478, 201)], undefined, "openai").text).toBe("$(sync~spin) SpecPilot: indexing 42%");
  });
  it("says indexed when every folder is ready, and names the model in the details", () => {
    const view = describeStatus([folder("ready", 478, 478)], undefined, "anthropic");
    expect(view.text).toBe("$(check) SpecPilot: indexed");
    expect(view.details).toContain("Model: anthropic");
    expect(view.details[0]).toBe("**flask**: ready, 24 files, 478 chunks, 478 embedded");
  });
  it("an error wins over progress and colours the item", () => {
    const view = describeStatus([folder("embedding", 10, 1), folder("error", 0, 0, "index damaged")], undefined, "none");
    expect(view.error).toBe(true);
    expect(view.details.join("\n")).toContain("error: index damaged");
  });
  it("a server that did not start is an error with its reason first", () => {
    const view = describeStatus([], "the server did not start", "none");
    expect(view.text).toBe("$(error) SpecPilot: error");
    expect(view.details[0]).toBe("Error: the server did not start");
  });
  it("says what the shared index gave, or why it is not used, without making it an error", () => {
    const uri = "s3://team/flask";
    const used = describeStatus([{ ...folder("ready", 478, 478), shared: { uri, reused: 470, asked: 478, problem: "" } }], undefined, "none");
    expect(used.details).toContain(`Shared index ${uri}: 470 of 478 vectors reused`);
    const refused = { uri, reused: 0, asked: 0, problem: "the shared index refused the credentials" };
    const view = describeStatus([{ ...folder("ready", 478, 478), shared: refused }], undefined, "none");
    expect(view.error).toBe(false);
    expect(view.text).toBe("$(check) SpecPilot: indexed");
    expect(view.details).toContain(`Shared index ${uri}: not used (the shared index refused the credentials)`);
  });
  it("scanning before any chunk is indexing without a percentage", () => {
    expect(describeStatus([folder("indexing", 0, 0)], undefined, "none").text).toBe("$(sync~spin) SpecPilot: indexing");
  });
});

const hit: Hit = {
  uri: "file:///w/src/flask/helpers.py", path: "src/flask/helpers.py", name: "send_file", qualifiedName: "send_file",
  kind: "function", startLine: 390, endLine: 420, signature: "def send_file(\n    path_or_file,\n    mimetype=None,\n)",
  score: 0.8, range: { start: { line: 389, character: 0 }, end: { line: 420, character: 0 } },
};

describe("search items", () => {
  it("show the name, file:line and a one-line preview", () => {
    expect(hitItem(hit)).toEqual({ label: "$(symbol-function) send_file", description: "src/flask/helpers.py:390", detail: "def send_file( path_or_file, mimetype=None, )" });
  });
  it("cut a long preview with an ellipsis", () => {
    expect(preview({ ...hit, signature: "x".repeat(300) }, 50)).toHaveLength(50);
  });
});

describe("stage outcomes", () => {
  it("a failing gate names its first problem and how many more", () => {
    const text = outcomeMessage({ spec: "0001-cli", stage: "design", gate: { passed: false, problems: ["placeholder in Data model", "no risk"], notes: [] } });
    expect(text).toEqual({ text: "SpecPilot: 0001-cli: the design gate fails: placeholder in Data model (+1 more)", failed: true });
  });
  it("a passing gate says so", () => {
    expect(outcomeMessage({ spec: "0001-cli", stage: "tasks", gate: { passed: true, problems: [], notes: [] } }).failed).toBe(false);
  });
});

describe("the Specs view", () => {
  const spec = { gates: { requirements: true, design: false, tasks: null } } as unknown as SpecTreeSpec;
  it("maps gates to icons", () => {
    expect(["requirements", "design", "tasks", "review"].map((s) => gateIcon(spec, s))).toEqual(["pass", "fail", "pending", "pending"]);
  });
  it("shows clarity as a percentage", () => {
    expect(clarityLabel(0.456)).toBe("clarity 46%");
    expect(clarityLabel(null)).toBe("");
  });
});

describe("the agent's output", () => {
  const event = (kind: string, message: string, step = 1) => ({ title: "SpecPilot: Ask", kind, step, message });
  it("streams text on one line and puts each tool call on its own", async () => {
    const { eventLines } = await import("../../src/agent_text");
    let mid = false;
    let out = "";
    for (const e of [event("start", "What does f return?", 0), event("text", "Let me "), event("text", "look."),
      event("tool", "read_file({\"path\": \"a.py\"})"), event("observation", "def f(): return 1"), event("stop", "answered", 2)]) {
      const { text, endsLine } = eventLines(e, mid);
      out += text;
      mid = !endsLine;
    }
    expect(out).toBe("# SpecPilot: Ask\nWhat does f return?\n\nLet me look.\n[step 1] → tool: read_file({\"path\": \"a.py\"})\n"
      + "[step 1]   saw: def f(): return 1\n[step 2] ■ stop: answered\n");
  });
  it("cuts a long observation", async () => {
    const { eventLines } = await import("../../src/agent_text");
    expect(eventLines(event("observation", "x".repeat(1000)), false).text.length).toBeLessThan(430);
  });
});
