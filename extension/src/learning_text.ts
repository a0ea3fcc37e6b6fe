/**
 * What the Learning view shows (no `vscode`: unit-tested): the answer of `specpilot.learn.status`
 * (rl/status.py) as decision points → arms with acceptance, interval and counts, the default and the
 * leader marked, promotions with their evidence; and the view's message when there is nothing to list.
 */

export interface LearningArm {
  arm: string;
  pulls: number;
  rewarded: number;
  acceptance: number | null;
  low: number;
  high: number;
}

export interface LearningPromotion {
  kind: string; // "promote" | "rollback"
  arm: string;
  previous: string | null;
  at: number; // seconds since the epoch
  evidence: unknown;
}

export interface LearningPoint {
  point: string;
  default: string | null; // null: the built-in default (no promotion stands)
  builtin?: string | null; // the built-in default's arm (the first option), when the server knows it
  leader: string | null;
  arms: LearningArm[];
  promotions: LearningPromotion[];
}

export interface LearningStatus {
  enabled: boolean;
  active: boolean;
  bandit: string;
  floor: number;
  store: string;
  problem: string;
  points: LearningPoint[];
}

export const WELCOME = "Accept or reject proposals and SpecPilot learns which prompts and strategies work for you; nothing leaves this machine.";

/** 0.6154 → "62%"; null → "–". */
export function percent(value: number | null): string {
  return value === null || !Number.isFinite(value) ? "–" : `${Math.round(100 * Math.max(0, Math.min(1, value)))}%`;
}

/** A 95 % interval as "[48–75]" (percentage points). */
export function interval(low: number, high: number): string {
  const p = (v: number) => Math.round(100 * Math.max(0, Math.min(1, v)));
  return `[${p(low)}–${p(high)}]`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "acceptance 62% [48–75] · 40 rewarded / 52 pulls"; an arm without a verdict yet says so. */
export function armSummary(arm: LearningArm): string {
  const counts = `${arm.rewarded} rewarded / ${plural(arm.pulls, "pull", "pulls")}`;
  if (arm.acceptance === null || arm.rewarded <= 0) return `no verdict yet · ${counts}`;
  return `acceptance ${percent(arm.acceptance)} ${interval(arm.low, arm.high)} · ${counts}`;
}

export type ArmRole = "default" | "leader" | "default+leader" | "other";

/** Whether ``arm`` is the point's (promoted) default, its leader, both, or neither. */
export function armRole(point: LearningPoint, arm: string): ArmRole {
  const isDefault = (point.default ?? point.builtin ?? null) === arm;
  const isLeader = point.leader === arm;
  if (isDefault && isLeader) return "default+leader";
  return isDefault ? "default" : isLeader ? "leader" : "other";
}

/** The arm row's description: its marks first ("★ default", "leader"), then the summary. */
export function armDescription(point: LearningPoint, arm: LearningArm): string {
  const role = armRole(point, arm.arm);
  const marks = role === "default+leader" ? ["★ default", "leader"] : role === "default" ? ["★ default"] : role === "leader" ? ["leader"] : [];
  return [...marks, armSummary(arm)].join(" · ");
}

export function armTooltip(point: LearningPoint, arm: LearningArm): string {
  const lines = [`${point.point}: ${arm.arm}`, `${plural(arm.pulls, "time", "times")} chosen, ${arm.rewarded} with a verdict`];
  if (arm.acceptance !== null && arm.rewarded > 0) {
    lines.push(`acceptance ${(100 * arm.acceptance).toFixed(1)}%, 95% interval ${(100 * arm.low).toFixed(1)}–${(100 * arm.high).toFixed(1)}%`);
  } else {
    lines.push("no accept or reject yet");
  }
  const role = armRole(point, arm.arm);
  if (role === "default" || role === "default+leader") {
    lines.push(point.default ? "the current default (promoted on evidence)" : "the built-in default (no promotion yet)");
  }
  if (role === "leader" || role === "default+leader") lines.push("the leader: the highest lower bound of acceptance");
  return lines.join("\n");
}

/** Arms in the order that shows who is winning: those with verdicts by the interval's lower end, then
 * by acceptance, then the rest by pulls; ties by name. */
export function sortedArms(arms: LearningArm[]): LearningArm[] {
  const rated = (a: LearningArm) => a.acceptance !== null && a.rewarded > 0;
  return [...arms].sort((a, b) => {
    if (rated(a) !== rated(b)) return rated(a) ? -1 : 1;
    if (rated(a)) {
      if (b.low !== a.low) return b.low - a.low;
      if ((b.acceptance ?? 0) !== (a.acceptance ?? 0)) return (b.acceptance ?? 0) - (a.acceptance ?? 0);
    }
    if (b.pulls !== a.pulls) return b.pulls - a.pulls;
    return a.arm.localeCompare(b.arm);
  });
}

export function sortedPoints(points: LearningPoint[]): LearningPoint[] {
  return [...points].sort((a, b) => a.point.localeCompare(b.point));
}

export function totalPulls(point: LearningPoint): number {
  return point.arms.reduce((n, a) => n + a.pulls, 0);
}

/** "52 pulls · leader coder@plan-first · default coder@read-first" ("built-in" until a promotion); the
 * counts and the leader first, as a narrow sidebar cuts the end. */
export function pointDescription(point: LearningPoint): string {
  const parts = [plural(totalPulls(point), "pull", "pulls")];
  if (point.leader) parts.push(`leader ${point.leader}`);
  parts.push(`default ${point.default ?? (point.builtin ? `${point.builtin} (built-in)` : "built-in")}`);
  return parts.join(" · ");
}

/** The point's arms as a Markdown table (the point row's tooltip). */
export function pointTable(point: LearningPoint): string {
  const rows = sortedArms(point.arms).map((arm) => {
    const role = armRole(point, arm.arm);
    const mark = role === "default+leader" ? " ★ ↑" : role === "default" ? " ★" : role === "leader" ? " ↑" : "";
    const rated = arm.acceptance !== null && arm.rewarded > 0;
    return `| ${escapeCell(arm.arm)}${mark} | ${arm.pulls} | ${arm.rewarded} | ${rated ? percent(arm.acceptance) : "–"} | ${rated ? interval(arm.low, arm.high) : "–"} |`;
  });
  return [
    `**${escapeCell(point.point)}**: default ${escapeCell(point.default ?? "built-in")}${point.leader ? `, leader ${escapeCell(point.leader)}` : ""}`,
    "",
    "| arm | pulls | rewarded | acceptance | 95% |",
    "|---|---:|---:|---:|---|",
    ...rows,
    "",
    "★ default · ↑ leader (highest lower bound)",
  ].join("\n");
}

function escapeCell(text: string): string {
  return text.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`);
}

/** "2026-12-03 16:05 UTC" */
export function when(at: number): string {
  if (!Number.isFinite(at)) return "";
  return `${new Date(at * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function promotionLabel(p: LearningPromotion): string {
  return p.kind === "rollback" ? `rolled back: ${p.arm} → ${p.previous ?? "built-in"}` : `promoted ${p.arm}`;
}

export function promotionDescription(p: LearningPromotion): string {
  return p.kind === "rollback" ? when(p.at) : `was ${p.previous ?? "built-in"} · ${when(p.at)}`;
}

interface Estimate { value?: number; low?: number; high?: number; n?: number; method?: string }

/** The evidence a promotion was recorded with (rl/promotion.Evidence.as_json), as lines. */
export function evidenceLines(evidence: unknown): string[] {
  if (!evidence || typeof evidence !== "object") return evidence === undefined || evidence === null ? [] : [String(evidence)];
  const e = evidence as { default?: string; leader?: string; estimates?: Record<string, Estimate> };
  const lines: string[] = [];
  if (e.default !== undefined || e.leader !== undefined) lines.push(`default then: ${e.default ?? "built-in"}, leader: ${e.leader ?? "none"}`);
  const estimates = e.estimates && typeof e.estimates === "object" ? Object.entries(e.estimates) : [];
  estimates.sort(([, a], [, b]) => (b.value ?? 0) - (a.value ?? 0));
  for (const [arm, est] of estimates) {
    const value = typeof est.value === "number" ? percent(est.value) : "–";
    const range = typeof est.low === "number" && typeof est.high === "number" ? ` ${interval(est.low, est.high)}` : "";
    const extra = [est.n !== undefined ? `n=${est.n}` : "", est.method ?? ""].filter(Boolean).join(", ");
    lines.push(`${arm}: ${value}${range}${extra ? ` (${extra})` : ""}`);
  }
  if (lines.length === 0) lines.push(JSON.stringify(evidence));
  return lines;
}

export function promotionTooltip(point: string, p: LearningPromotion): string {
  const head = p.kind === "rollback"
    ? `${point}: ${p.arm} rolled back to ${p.previous ?? "the built-in default"} on ${when(p.at)}`
    : `${point}: ${p.arm} became the default (was ${p.previous ?? "the built-in default"}) on ${when(p.at)}`;
  return [head, "Evidence (off-policy estimates of acceptance, 95% interval):", ...evidenceLines(p.evidence).map((l) => `  ${l}`)].join("\n");
}

/** What the view says above its rows (TreeView.message), or undefined when the rows speak for themselves. */
export function viewMessage(status: LearningStatus | undefined, problem?: string): string | undefined {
  if (problem) return problem;
  if (!status) return undefined;
  const empty = status.points.length === 0;
  if (!status.enabled) {
    return empty
      ? `Learning is off (setting specpilot.learning.enabled). ${WELCOME}`
      : "Learning is off (setting specpilot.learning.enabled): every choice is the default. What was learned before:";
  }
  if (!status.active) {
    const why = status.problem || "learning is switched off for this server ($SPECPILOT_LEARNING=off)";
    return empty ? `Learning is not active: ${why}. ${WELCOME}` : `Learning is not active: ${why}. What was learned before:`;
  }
  if (status.problem) return `${status.problem}`;
  if (empty) return `${WELCOME} Nothing is recorded yet.`;
  return undefined;
}

/** The server's status answer, checked enough that the view cannot throw on a malformed one. */
export function asLearningStatus(raw: unknown): LearningStatus {
  if (!raw || typeof raw !== "object") throw new Error("the learning status is not an object");
  const r = raw as Partial<LearningStatus>;
  const num = (v: unknown, d = 0) => (typeof v === "number" && Number.isFinite(v) ? v : d);
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  const points = Array.isArray(r.points) ? r.points : [];
  return {
    enabled: r.enabled !== false,
    active: r.active === true,
    bandit: str(r.bandit),
    floor: num(r.floor),
    store: str(r.store),
    problem: str(r.problem),
    points: points.filter((p) => p && typeof p.point === "string").map((p) => ({
      point: p.point,
      default: typeof p.default === "string" ? p.default : null,
      leader: typeof p.leader === "string" ? p.leader : null,
      arms: (Array.isArray(p.arms) ? p.arms : []).filter((a) => a && typeof a.arm === "string").map((a) => ({
        arm: a.arm, pulls: num(a.pulls), rewarded: num(a.rewarded),
        acceptance: typeof a.acceptance === "number" && Number.isFinite(a.acceptance) ? a.acceptance : null,
        low: num(a.low), high: num(a.high, 1),
      })),
      promotions: (Array.isArray(p.promotions) ? p.promotions : []).filter((x) => x && typeof x.arm === "string").map((x) => ({
        kind: str(x.kind) || "promote", arm: x.arm, previous: typeof x.previous === "string" ? x.previous : null,
        at: num(x.at, Number.NaN), evidence: x.evidence,
      })),
    })),
  };
}

/** A server error that means the command does not exist there (an older server). */
export function isUnknownCommand(message: string): boolean {
  return /is not defined|unknown command|method not found|not found: specpilot\./i.test(message);
}
