import { describe, expect, it } from "vitest";
import {
  armDescription, armRole, armSummary, armTooltip, asLearningStatus, evidenceLines, interval, isUnknownCommand,
  type LearningArm, type LearningPoint, type LearningStatus, percent, pointDescription, pointTable, promotionDescription,
  promotionLabel, promotionTooltip, sortedArms, sortedPoints, viewMessage, WELCOME, when,
} from "../../src/learning_text";

const arm = (name: string, pulls: number, rewarded: number, acceptance: number | null, low = 0, high = 1): LearningArm =>
  ({ arm: name, pulls, rewarded, acceptance, low, high });

const coder: LearningPoint = {
  point: "prompt.coder",
  default: "coder@read-first",
  leader: "coder@plan-first",
  arms: [
    arm("coder@default", 12, 10, 0.3, 0.1078, 0.6032),
    arm("coder@read-first", 52, 40, 0.6154, 0.4798, 0.7487),
    arm("coder@plan-first", 60, 50, 0.72, 0.5833, 0.8253),
    arm("coder@new", 3, 0, null, 0, 1),
  ],
  promotions: [{
    kind: "promote", arm: "coder@read-first", previous: null, at: 1_796_313_900,
    evidence: { default: "coder@default", leader: "coder@read-first", estimates: {
      "coder@default": { value: 0.3, low: 0.12, high: 0.51, n: 40, method: "snips" },
      "coder@read-first": { value: 0.62, low: 0.48, high: 0.75, n: 40, method: "snips" },
    } },
  }],
};

const status = (over: Partial<LearningStatus> = {}): LearningStatus => ({
  enabled: true, active: true, bandit: "thompson", floor: 0.05, store: "/home/u/.cache/specpilot/learning.sqlite3",
  problem: "", points: [coder], ...over,
});

describe("percentages and intervals", () => {
  it("round to whole percent and clamp to 0-100", () => {
    expect(percent(0.6154)).toBe("62%");
    expect(percent(0)).toBe("0%");
    expect(percent(1)).toBe("100%");
    expect(percent(1.2)).toBe("100%");
    expect(percent(null)).toBe("–");
    expect(percent(Number.NaN)).toBe("–");
  });
  it("write a 95% interval in percentage points with an en dash", () => {
    expect(interval(0.4798, 0.7487)).toBe("[48–75]");
    expect(interval(0, 1)).toBe("[0–100]");
  });
});

describe("an arm's row", () => {
  it("shows acceptance, interval, rewarded and pulls", () => {
    expect(armSummary(coder.arms[1])).toBe("acceptance 62% [48–75] · 40 rewarded / 52 pulls");
  });
  it("says there is no verdict yet for a null acceptance (and one pull is singular)", () => {
    expect(armSummary(arm("x", 1, 0, null))).toBe("no verdict yet · 0 rewarded / 1 pull");
    expect(armSummary(arm("x", 3, 0, 0.5))).toBe("no verdict yet · 0 rewarded / 3 pulls");
  });
  it("marks the default with a star and the leader", () => {
    expect(armDescription(coder, coder.arms[1])).toBe("★ default · acceptance 62% [48–75] · 40 rewarded / 52 pulls");
    expect(armDescription(coder, coder.arms[2])).toMatch(/^leader · acceptance 72% \[58–83\]/);
    expect(armDescription(coder, coder.arms[0])).toBe("acceptance 30% [11–60] · 10 rewarded / 12 pulls");
    const both = { ...coder, leader: "coder@read-first" };
    expect(armRole(both, "coder@read-first")).toBe("default+leader");
    expect(armDescription(both, coder.arms[1])).toMatch(/^★ default · leader · /);
  });
  it("has a tooltip with one decimal and what the marks mean", () => {
    const tip = armTooltip(coder, coder.arms[1]);
    expect(tip).toContain("acceptance 61.5%, 95% interval 48.0–74.9%");
    expect(tip).toContain("the current default");
    expect(armTooltip(coder, coder.arms[3])).toContain("no accept or reject yet");
  });
});

describe("sorting", () => {
  it("puts arms with verdicts first by their interval's lower end, the rest by pulls", () => {
    expect(sortedArms(coder.arms).map((a) => a.arm)).toEqual(["coder@plan-first", "coder@read-first", "coder@default", "coder@new"]);
    const unrated = [arm("b", 2, 0, null), arm("a", 2, 0, null), arm("c", 9, 0, null)];
    expect(sortedArms(unrated).map((a) => a.arm)).toEqual(["c", "a", "b"]);
  });
  it("does not change the given list, and sorts points by name", () => {
    const arms = [...coder.arms];
    sortedArms(arms);
    expect(arms).toEqual(coder.arms);
    const points = [{ ...coder, point: "tools" }, { ...coder, point: "context" }];
    expect(sortedPoints(points).map((p) => p.point)).toEqual(["context", "tools"]);
  });
});

describe("a decision point's row", () => {
  it("gives the pulls, the leader and the default (built-in until a promotion)", () => {
    expect(pointDescription(coder)).toBe("127 pulls · leader coder@plan-first · default coder@read-first");
    expect(pointDescription({ ...coder, default: null, leader: null, arms: [arm("a", 1, 0, null)] })).toBe("1 pull · default built-in");
  });
  it("stars the built-in default's arm until a promotion stands", () => {
    const builtin = { ...coder, default: null, builtin: "coder@default" };
    expect(pointDescription(builtin)).toBe("127 pulls · leader coder@plan-first · default coder@default (built-in)");
    expect(armDescription(builtin, coder.arms[0])).toMatch(/^★ default · acceptance 30%/);
    expect(armTooltip(builtin, coder.arms[0])).toContain("the built-in default (no promotion yet)");
    expect(armRole({ ...builtin, default: "coder@read-first" }, "coder@default")).toBe("other");
  });
  it("has the arms as a Markdown table in its tooltip", () => {
    const table = pointTable(coder).split("\n");
    expect(table).toContain("| arm | pulls | rewarded | acceptance | 95% |");
    expect(table).toContain("| coder@plan-first ↑ | 60 | 50 | 72% | [58–83] |");
    expect(table).toContain("| coder@read-first ★ | 52 | 40 | 62% | [48–75] |");
    expect(table).toContain("| coder@new | 3 | 0 | – | – |");
    expect(pointTable({ ...coder, point: "a|b" })).toContain("**a\\|b**");
  });
});

describe("promotions", () => {
  const [promotion] = coder.promotions;
  it("say what was promoted, from what and when", () => {
    expect(when(1_796_313_900)).toBe("2026-12-03 16:05 UTC");
    expect(promotionLabel(promotion)).toBe("promoted coder@read-first");
    expect(promotionDescription(promotion)).toBe("was built-in · 2026-12-03 16:05 UTC");
    const back = { ...promotion, kind: "rollback", previous: "coder@default" };
    expect(promotionLabel(back)).toBe("rolled back: coder@read-first → coder@default");
  });
  it("carry their evidence in the tooltip, best estimate first", () => {
    expect(evidenceLines(promotion.evidence)).toEqual([
      "default then: coder@default, leader: coder@read-first",
      "coder@read-first: 62% [48–75] (n=40, snips)",
      "coder@default: 30% [12–51] (n=40, snips)",
    ]);
    expect(promotionTooltip("prompt.coder", promotion)).toMatch(/^prompt\.coder: coder@read-first became the default \(was the built-in default\)/);
    expect(evidenceLines({ something: 1 })).toEqual(['{"something":1}']);
    expect(evidenceLines(null)).toEqual([]);
  });
});

describe("the view's message", () => {
  it("welcomes when learning is on and nothing is recorded yet", () => {
    expect(viewMessage(status({ points: [] }))).toBe(`${WELCOME} Nothing is recorded yet.`);
    expect(WELCOME).toContain("nothing leaves this machine");
  });
  it("says learning is off, with the welcome when there is nothing to show", () => {
    expect(viewMessage(status({ enabled: false, active: false, points: [] }))).toBe(`Learning is off (setting specpilot.learning.enabled). ${WELCOME}`);
    expect(viewMessage(status({ enabled: false, active: false }))).toMatch(/^Learning is off .*What was learned before:$/);
  });
  it("says why learning is not active (the store's problem, or the switch)", () => {
    expect(viewMessage(status({ active: false, problem: "learning is off for this session: the store is damaged" })))
      .toBe("Learning is not active: learning is off for this session: the store is damaged. What was learned before:");
    expect(viewMessage(status({ active: false, points: [] }))).toContain("$SPECPILOT_LEARNING=off");
  });
  it("shows nothing above a list, and a failure instead of the rows", () => {
    expect(viewMessage(status())).toBeUndefined();
    expect(viewMessage(undefined, "The SpecPilot server is not running.")).toBe("The SpecPilot server is not running.");
    expect(viewMessage(undefined)).toBeUndefined();
  });
});

describe("the server's answer", () => {
  it("is read as it comes from rl/status.py", () => {
    const raw = JSON.parse(JSON.stringify(status()));
    expect(asLearningStatus(raw)).toEqual(status());
  });
  it("tolerates missing and malformed parts", () => {
    const read = asLearningStatus({ enabled: true, active: true, points: [
      { point: "context", default: null, leader: null, arms: [{ arm: "bm25", pulls: 2, rewarded: 0, acceptance: null }, { nope: 1 }] },
      { bad: true },
    ] });
    expect(read.points).toHaveLength(1);
    expect(read.points[0].arms).toEqual([arm("bm25", 2, 0, null, 0, 1)]);
    expect(read.points[0].promotions).toEqual([]);
    expect(() => asLearningStatus(null)).toThrow(/not an object/);
  });
  it("knows an unknown command from another failure", () => {
    expect(isUnknownCommand("Command name 'specpilot.learn.report' is not defined")).toBe(true);
    expect(isUnknownCommand("matplotlib failed to draw")).toBe(false);
  });
});
