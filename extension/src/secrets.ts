/**
 * API keys live in VS Code's SecretStorage, one per provider, and reach the server only through
 * the `specpilot/setApiKey` notification, which the server keeps in memory. A key is never
 * written to settings, to the log or to disk by the extension.
 */

import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { masker } from "./mask";

/** The providers that take a key (a local OpenAI-compatible server is "openai" with a base URL). */
export const PROVIDERS = ["openai", "anthropic"] as const;
export type Provider = (typeof PROVIDERS)[number];
export const API_KEY_NOTIFICATION = "specpilot/setApiKey";

export function secretName(provider: string): string {
  return `specpilot.apiKey.${provider}`;
}

export function configuredProvider(): string {
  return vscode.workspace.getConfiguration("specpilot").get<string>("model.provider") ?? "none";
}

/** Send every provider's key (or its absence) to a running server, which keeps them in memory and
 * uses the one of the provider in use, so a change of `specpilot.model.provider` needs no resend. */
export async function sendKeys(secrets: vscode.SecretStorage, client: LanguageClient | undefined): Promise<void> {
  if (!client) return;
  for (const provider of PROVIDERS) {
    const key = await secrets.get(secretName(provider));
    masker.add(key); // before it is sent: the protocol trace would print it
    await client.sendNotification(API_KEY_NOTIFICATION, { provider, key: key ?? "" });
  }
}

export async function setApiKey(secrets: vscode.SecretStorage): Promise<void> {
  const current = configuredProvider();
  const picked = await vscode.window.showQuickPick(
    PROVIDERS.map((p) => ({ label: p, description: p === current ? "the provider in use (specpilot.model.provider)" : undefined })),
    { title: "SpecPilot: Set API Key", placeHolder: "Which provider's key?" });
  if (!picked) return;
  const key = await vscode.window.showInputBox({
    title: `SpecPilot: API key for ${picked.label}`,
    prompt: "Stored in VS Code's secret storage; sent to the SpecPilot server in memory only. Leave empty to remove it.",
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return;
  if (key.trim()) {
    await secrets.store(secretName(picked.label), key.trim());
  } else {
    await secrets.delete(secretName(picked.label));
  }
  // secrets.onDidChange (extension.ts) sends the keys to the server.
  void vscode.window.showInformationMessage(
    key.trim() ? `SpecPilot: the ${picked.label} API key is stored.` : `SpecPilot: the ${picked.label} API key is removed.`);
}
