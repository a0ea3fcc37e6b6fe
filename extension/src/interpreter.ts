/**
 * Which Python runs the SpecPilot server, decided without `vscode` (unit-tested with vitest).
 *
 * Order: the `specpilot.server.python` setting; the Python extension's active interpreter
 * (its public API, when that extension is installed); the workspace's `.venv`; `python3`.
 * The first candidate that exists is probed: it must import `specpilot` at a compatible
 * version. A failed probe is a clear message that names the interpreter and what to do.
 */

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export type Source = "setting" | "python-extension" | "workspace-venv" | "path";

export interface Candidate {
  python: string;
  source: Source;
}

export interface Probe {
  ok: boolean;
  version?: string;
  /** Why the probe failed, in words for the user. */
  problem?: string;
}

export interface Found {
  candidate: Candidate;
  version: string;
}

/** The server versions this extension speaks to: same major, minor at least this. */
export const REQUIRED = { major: 0, minor: 1 };

export const SOURCE_LABEL: Record<Source, string> = {
  setting: "the specpilot.server.python setting",
  "python-extension": "the Python extension's interpreter",
  "workspace-venv": "the workspace's .venv",
  path: "python3 on the PATH",
};

export interface DiscoveryInput {
  /** `specpilot.server.python`, as the user typed it (may use ${workspaceFolder}). */
  setting?: string;
  /** The Python extension's active interpreter for the first folder, if it is installed. */
  pythonExtension?: string;
  /** Workspace folder paths, in order. */
  folders: string[];
  platform?: NodeJS.Platform;
  exists?: (file: string) => boolean;
}

export function expandVariables(value: string, folders: string[]): string {
  const first = folders[0] ?? "";
  return value
    .replace(/\$\{workspaceFolder\}/g, first)
    .replace(/^~(?=$|\/)/, process.env.HOME ?? "~");
}

export function venvPython(folder: string, platform: NodeJS.Platform = process.platform): string {
  return platform === "win32"
    ? path.join(folder, ".venv", "Scripts", "python.exe")
    : path.join(folder, ".venv", "bin", "python");
}

/** The candidates in the order they are tried; those that cannot exist are left out. */
export function candidates(input: DiscoveryInput): Candidate[] {
  const exists = input.exists ?? existsSync;
  const platform = input.platform ?? process.platform;
  const out: Candidate[] = [];
  const setting = input.setting?.trim();
  if (setting) {
    // An explicit setting is the only candidate: a typo must not silently fall through.
    return [{ python: expandVariables(setting, input.folders), source: "setting" }];
  }
  if (input.pythonExtension) out.push({ python: input.pythonExtension, source: "python-extension" });
  for (const folder of input.folders) {
    const venv = venvPython(folder, platform);
    if (exists(venv)) out.push({ python: venv, source: "workspace-venv" });
  }
  out.push({ python: platform === "win32" ? "python" : "python3", source: "path" });
  return out;
}

export function compatible(version: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major === REQUIRED.major && minor >= REQUIRED.minor;
}

/** The one line of Python the probe runs: prints SpecPilot's version or why it cannot import. */
export const PROBE_CODE =
  "import json,sys\n" +
  "try:\n import specpilot\n print(json.dumps({'version': specpilot.__version__}))\n" +
  "except Exception as e:\n print(json.dumps({'error': type(e).__name__ + ': ' + str(e)}))\n";

export type Runner = (python: string, args: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>;

export const runProcess: Runner = (python, args) =>
  new Promise((resolve) => {
    // A neutral working folder: `python -c` puts it first on sys.path, and a checkout's own
    // `specpilot/` folder there would pass the probe for an interpreter that cannot run the server.
    execFile(python, args, { timeout: 20_000, windowsHide: true, cwd: os.tmpdir() }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: error && !stderr ? error.message : String(stderr) });
    });
  });

export async function probe(python: string, run: Runner = runProcess): Promise<Probe> {
  const done = await run(python, ["-c", PROBE_CODE]);
  const line = done.stdout.trim().split("\n").pop() ?? "";
  let parsed: { version?: string; error?: string } | undefined;
  try {
    parsed = JSON.parse(line);
  } catch {
    parsed = undefined;
  }
  if (!parsed) {
    const why = (done.stderr || done.stdout).trim().split("\n").pop() || `exit code ${done.code}`;
    return { ok: false, problem: `${python} did not run (${why})` };
  }
  if (parsed.error) return { ok: false, problem: `SpecPilot is not installed in ${python} (${parsed.error})` };
  const version = parsed.version ?? "";
  if (!compatible(version)) {
    return {
      ok: false, version,
      problem: `${python} has SpecPilot ${version}; this extension needs ${REQUIRED.major}.${REQUIRED.minor} or a later ${REQUIRED.major}.x`,
    };
  }
  return { ok: true, version };
}

export interface Discovery {
  found?: Found;
  /** One line per candidate tried, for the log and the error message. */
  tried: string[];
  /** The interpreter to offer an install into when nothing works (the first candidate that runs). */
  installInto?: Candidate;
}

export async function discover(input: DiscoveryInput, run: Runner = runProcess): Promise<Discovery> {
  const tried: string[] = [];
  let installInto: Candidate | undefined;
  for (const candidate of candidates(input)) {
    const result = await probe(candidate.python, run);
    if (result.ok && result.version) return { found: { candidate, version: result.version }, tried };
    tried.push(`${SOURCE_LABEL[candidate.source]}: ${result.problem}`);
    if (!installInto && result.problem && !result.problem.includes("did not run")) installInto = candidate;
  }
  return { tried, installInto };
}

/** The arguments that install SpecPilot into an interpreter (from PyPI, or a local checkout). */
export function installArgs(source: string): string[] {
  return ["-m", "pip", "install", "--upgrade", source];
}
