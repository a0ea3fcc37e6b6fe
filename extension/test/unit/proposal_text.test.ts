import { describe, expect, it } from "vitest";
import { applyEdits, asProposal, fileChanges, offsetAt, proposalSummary, proposedText } from "../../src/proposal_text";

const at = (line: number, character: number) => ({ line, character });
const edit = (l1: number, c1: number, l2: number, c2: number, newText: string) => ({ range: { start: at(l1, c1), end: at(l2, c2) }, newText });

describe("applying the proposed text edits", () => {
  const text = '"""Search result export."""\n\n\ndef export_csv(rows):\n    return rows\n';

  it("replaces a line as the agent's docstring edit does", () => {
    expect(applyEdits(text, [edit(0, 0, 1, 0, '"""Search result export, as CSV."""\n')]))
      .toBe('"""Search result export, as CSV."""\n\n\ndef export_csv(rows):\n    return rows\n');
  });

  it("applies several edits against the original text, whatever their order", () => {
    const edits = [edit(4, 11, 4, 15, "list(rows)"), edit(3, 4, 3, 14, "to_csv")];
    expect(applyEdits(text, edits)).toBe('"""Search result export."""\n\n\ndef to_csv(rows):\n    return list(rows)\n');
  });

  it("counts characters in UTF-16 code units and stops at the line's end (CRLF too)", () => {
    expect(offsetAt("a😀b\nc", at(0, 3))).toBe(3);
    expect(applyEdits("a😀b\nc", [edit(0, 3, 0, 4, "B")])).toBe("a😀B\nc");
    expect(offsetAt("ab\r\ncd", at(0, 99))).toBe(2);
    expect(offsetAt("ab\ncd", at(9, 0))).toBe(5);
  });

  it("refuses overlapping edits", () => {
    expect(() => applyEdits(text, [edit(0, 0, 0, 5, "x"), edit(0, 3, 0, 8, "y")])).toThrow(/overlap/);
  });
});

describe("the files of a proposal", () => {
  it("groups a created file with its content and keeps deletions", () => {
    const files = fileChanges({
      documentChanges: [
        { textDocument: { uri: "file:///w/a.py", version: 3 }, edits: [edit(0, 0, 0, 1, "B")] },
        { kind: "create", uri: "file:///w/new.py" },
        { textDocument: { uri: "file:///w/new.py", version: null }, edits: [edit(0, 0, 0, 0, "x = 1\n")] },
        { kind: "delete", uri: "file:///w/old.py" },
      ],
    });
    expect(files.map((f) => [f.uri.split("/").pop(), f.kind, f.edits.length])).toEqual([["a.py", "edit", 1], ["new.py", "create", 1], ["old.py", "delete", 0]]);
    expect(proposedText(files[0], "b\n")).toBe("B\n");
    expect(proposedText(files[1], "ignored")).toBe("x = 1\n");
    expect(proposedText(files[2], "gone\n")).toBe("");
  });

  it("reads plain changes (editors without documentChanges) and refuses a rename", () => {
    expect(fileChanges({ changes: { "file:///w/a.py": [edit(0, 0, 0, 0, "#\n")] } })[0].kind).toBe("edit");
    expect(() => fileChanges({ documentChanges: [{ kind: "rename", oldUri: "file:///a", newUri: "file:///b" }] })).toThrow(/renames/);
  });

  it("checks the notification and says what it proposes", () => {
    expect(() => asProposal({ label: "x" })).toThrow(/decisionId/);
    const proposal = asProposal({ decisionId: "20261203-1", label: "SpecPilot: agent", uri: "file:///w", edit: {} });
    expect(proposalSummary(proposal, [{ uri: "file:///w/httpkit/export.py", kind: "edit", edits: [] }]))
      .toBe("SpecPilot: agent proposes changes to export.py. Accept applies them; Reject discards them.");
    expect(proposalSummary(proposal, [{ uri: "file:///w/a.py", kind: "edit", edits: [] }, { uri: "file:///w/b.py", kind: "create", edits: [] }]))
      .toMatch(/to 2 files/);
  });
});
