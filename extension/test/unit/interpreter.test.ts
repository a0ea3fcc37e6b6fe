import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { candidates, compatible, discover, expandVariables, probe, type Runner, venvPython } from "../../src/interpreter";

const ROOT = path.resolve(__dirname, "../../..");
const REPO_PYTHON = path.join(ROOT, ".venv", "bin", "python");

/** A runner that answers like interpreters with the given outcomes (by path). */
function fakeInterpreters(outcomes: Record<string, { version?: string; error?: string; missing?: boolean }>): Runner {
  return async (python) => {
    const outcome = outcomes[python];
    if (!outcome || outcome.missing) return { code: null, stdout: "", stderr: `spawn ${python} ENOENT` };
    return { code: 0, stdout: JSON.stringify(outcome.error ? { error: outcome.error } : { version: outcome.version }) + "\n", stderr: "" };
  };
}

describe("the order of candidates", () => {
  it("an explicit setting is the only candidate, with ${workspaceFolder} expanded", () => {
    const found = candidates({ setting: "${workspaceFolder}/env/bin/python", pythonExtension: "/usr/bin/python3.12", folders: ["/w/a"] });
    expect(found).toEqual([{ python: "/w/a/env/bin/python", source: "setting" }]);
  });

  it("then the Python extension's interpreter, the workspace .venv, python3", () => {
    const found = candidates({ pythonExtension: "/opt/py/bin/python", folders: ["/w/a", "/w/b"], exists: (f) => f === "/w/b/.venv/bin/python", platform: "linux" });
    expect(found.map((c) => c.source)).toEqual(["python-extension", "workspace-venv", "path"]);
    expect(found.map((c) => c.python)).toEqual(["/opt/py/bin/python", "/w/b/.venv/bin/python", "python3"]);
  });

  it("a .venv that does not exist is not a candidate", () => {
    expect(candidates({ folders: ["/nowhere"], exists: () => false, platform: "linux" })).toEqual([{ python: "python3", source: "path" }]);
  });

  it("Windows looks in Scripts", () => {
    expect(venvPython("C:/w", "win32")).toMatch(/\.venv[\\/]Scripts[\\/]python\.exe$/);
  });

  it("~ is the home folder", () => {
    expect(expandVariables("~/py/bin/python", [])).toBe(path.join(os.homedir(), "py/bin/python"));
  });
});

describe("version compatibility", () => {
  it.each([["0.1.0", true], ["0.4.2", true], ["0.0.9", false], ["1.0.0", false], ["garbage", false]])("%s -> %s", (version, ok) => {
    expect(compatible(version)).toBe(ok);
  });
});

describe("discovery", () => {
  it("skips an interpreter without SpecPilot and takes the next one", async () => {
    const run = fakeInterpreters({ "/opt/py/bin/python": { error: "ModuleNotFoundError: No module named 'specpilot'" }, "/w/.venv/bin/python": { version: "0.1.0" } });
    const found = await discover({ pythonExtension: "/opt/py/bin/python", folders: ["/w"], exists: () => true, platform: "linux" }, run);
    expect(found.found?.candidate).toEqual({ python: "/w/.venv/bin/python", source: "workspace-venv" });
    expect(found.tried).toEqual(["the Python extension's interpreter: SpecPilot is not installed in /opt/py/bin/python (ModuleNotFoundError: No module named 'specpilot')"]);
  });

  it("says why nothing works and offers the interpreter that runs for the install", async () => {
    const run = fakeInterpreters({ "/opt/py/bin/python": { version: "9.0.0" }, python3: { missing: true } });
    const found = await discover({ pythonExtension: "/opt/py/bin/python", folders: [], platform: "linux" }, run);
    expect(found.found).toBeUndefined();
    expect(found.installInto?.python).toBe("/opt/py/bin/python");
    expect(found.tried[0]).toContain("has SpecPilot 9.0.0; this extension needs 0.1");
    expect(found.tried[1]).toContain("python3 did not run");
  });

  it("probes a real interpreter: the repository's venv has SpecPilot, a bare one does not", async () => {
    const real = await probe(REPO_PYTHON);
    expect(real.ok).toBe(true);
    expect(real.version).toMatch(/^0\.\d+/);
    // A venv without SpecPilot: the system python3 in an empty folder, through a symlink.
    const bare = mkdtempSync(path.join(os.tmpdir(), "sp-bare-"));
    mkdirSync(path.join(bare, "bin"));
    const system = execFileSync("python3", ["-c", "import sys; print(sys.executable)"]).toString().trim();
    symlinkSync(system, path.join(bare, "bin", "python"));
    const missing = await probe(path.join(bare, "bin", "python"));
    expect(missing.ok).toBe(false);
    expect(missing.problem).toMatch(/SpecPilot is not installed in .*ModuleNotFoundError/);
    const absent = await probe(path.join(bare, "no-such-python"));
    expect(absent.ok).toBe(false);
    expect(absent.problem).toMatch(/did not run/);
  }, 60_000);
});
