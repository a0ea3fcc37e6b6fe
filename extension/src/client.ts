/**
 * The language client: finds the interpreter (interpreter.ts), starts `python -m specpilot serve`
 * over stdio, and restarts it on demand. One LogOutputChannel carries the extension's log and
 * the server's; `specpilot.trace.server` adds the JSON-RPC trace.
 */

import * as vscode from "vscode";
import { LanguageClient, type LanguageClientOptions, type ServerOptions, State } from "vscode-languageclient/node";
import { cacheFolders, inCache } from "./file_events";
import { discover, type Discovery, type Found, installArgs, runProcess, SOURCE_LABEL } from "./interpreter";
import { masker } from "./mask";

export const CLIENT_ID = "specpilot";
const README = "https://github.com/specpilot/specpilot#in-vs-code";

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(env: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

/** The Python extension's active interpreter through its public API, if it is installed. */
async function pythonExtensionInterpreter(log: vscode.LogOutputChannel): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const active = api.environments?.getActiveEnvironmentPath(folder);
    if (!active) return undefined;
    const resolved = await api.environments?.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch (error) {
    log.warn(`the Python extension did not give an interpreter: ${String(error)}`);
    return undefined;
  }
}

export async function findInterpreter(log: vscode.LogOutputChannel): Promise<Discovery> {
  const config = vscode.workspace.getConfiguration("specpilot");
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const setting = config.get<string>("server.python") || undefined;
  const pythonExtension = setting ? undefined : await pythonExtensionInterpreter(log);
  return discover({ setting, pythonExtension, folders });
}

const WRITERS = new Set(["append", "appendLine", "replace", "trace", "debug", "info", "warn", "error"]);

/** ``channel`` with every string written to it masked first (mask.ts): the protocol trace prints the
 * parameters of every message, the API key's notification among them. */
export function masked(channel: vscode.LogOutputChannel): vscode.LogOutputChannel {
  return new Proxy(channel, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      if (typeof property === "string" && WRITERS.has(property)) {
        return (...args: unknown[]) => value.apply(target, args.map((a) => (typeof a === "string" ? masker.mask(a) : a)));
      }
      return value.bind(target);
    },
  });
}

/** Each workspace folder's SpecPilot cache folder (setting specpilot.cachePath), read when an event comes. */
function caches(): string[] {
  return cacheFolders((vscode.workspace.workspaceFolders ?? []).map((folder) => ({
    root: folder.uri.fsPath,
    cachePath: vscode.workspace.getConfiguration("specpilot", folder.uri).get<string>("cachePath"),
  })));
}

export class ServerConnection implements vscode.Disposable {
  client: LanguageClient | undefined;
  found: Found | undefined;
  private readonly starting = new vscode.EventEmitter<LanguageClient>();
  /** Fires with each new client once it runs (after a start or a restart). */
  readonly onDidStart = this.starting.event;

  constructor(readonly log: vscode.LogOutputChannel) {}

  async start(): Promise<LanguageClient | undefined> {
    const discovery = await findInterpreter(this.log);
    if (!discovery.found) {
      for (const line of discovery.tried) this.log.error(line);
      void this.offerInstall(discovery);
      return undefined;
    }
    this.found = discovery.found;
    const { python, source } = discovery.found.candidate;
    this.log.info(`starting the server: ${python} -m specpilot serve (SpecPilot ${discovery.found.version}, from ${SOURCE_LABEL[source]})`);
    const serverOptions: ServerOptions = {
      command: python,
      args: ["-m", "specpilot", "serve"],
      options: { env: { ...process.env, HF_HUB_OFFLINE: "1", PYTHONUNBUFFERED: "1" } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "python" },
        { scheme: "file", pattern: "**/.specpilot/specs/**/*.md" },
        { scheme: "file", pattern: "**/.specpilot/steering/*.md" },
      ],
      outputChannel: masked(this.log),
      traceOutputChannel: masked(this.log),
      synchronize: { configurationSection: "specpilot" },
      middleware: {
        workspace: {
          // The server's own writes to its cache (the index, trajectories) are not sent back to it.
          didChangeWatchedFile: (event, next) => {
            const uri = vscode.Uri.parse(event.uri);
            return uri.scheme === "file" && inCache(uri.fsPath, caches()) ? Promise.resolve() : next(event);
          },
        },
      },
    };
    const client = new LanguageClient(CLIENT_ID, "SpecPilot", serverOptions, clientOptions);
    // The diff view of proposals.ts: with agent.review = "diff" the server sends specpilot/proposal.
    client.registerFeature({
      fillClientCapabilities: (capabilities) => {
        capabilities.experimental = { ...(capabilities.experimental as object | undefined), specpilot: { proposals: true } };
      },
      initialize: () => undefined,
      getState: () => ({ kind: "static" }),
      clear: () => undefined,
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.log.error(`the server did not start: ${String(error)}`);
      void vscode.window.showErrorMessage(`SpecPilot: the server did not start (${String(error)}). See the SpecPilot log.`, "Show Log")
        .then((choice) => choice && this.log.show());
      return undefined;
    }
    this.starting.fire(client);
    return client;
  }

  running(): LanguageClient | undefined {
    return this.client && this.client.state === State.Running ? this.client : undefined;
  }

  async restart(): Promise<LanguageClient | undefined> {
    const old = this.client;
    this.client = undefined;
    if (old) {
      try {
        await old.stop(5000);
      } catch (error) {
        this.log.warn(`stopping the old server: ${String(error)}`);
      }
    }
    return this.start();
  }

  private async offerInstall(discovery: Discovery): Promise<void> {
    const target = discovery.installInto;
    const why = discovery.tried[discovery.tried.length - 1] ?? "no Python interpreter was found";
    const actions = target ? ["Install SpecPilot", "Open README"] : ["Open README"];
    const choice = await vscode.window.showErrorMessage(
      `SpecPilot cannot start its server: ${why}. Set specpilot.server.python, or install SpecPilot.`, ...actions);
    if (choice === "Open README") {
      await vscode.env.openExternal(vscode.Uri.parse(README));
    } else if (choice === "Install SpecPilot" && target) {
      const source = vscode.workspace.getConfiguration("specpilot").get<string>("server.installSource") || "specpilot";
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `SpecPilot: installing into ${target.python}` },
        async () => {
          const done = await runProcess(target.python, installArgs(source));
          this.log.info(done.stdout);
          if (done.code !== 0) {
            this.log.error(done.stderr);
            void vscode.window.showErrorMessage(`SpecPilot: pip install failed (exit ${done.code}). See the SpecPilot log.`);
            return;
          }
          await this.restart();
        });
    }
  }

  dispose(): void {
    void this.client?.stop();
    this.starting.dispose();
  }
}
