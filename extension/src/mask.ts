/**
 * Keys never reach the log: the language client's protocol trace (`specpilot.trace.server`)
 * prints every message's parameters, `specpilot/setApiKey`'s key among them. Every line the
 * SpecPilot output channel gets goes through `Masker.mask` first: a `"key": "…"` JSON member
 * loses its value, and so does any key the extension has handed to the server. (No `vscode`:
 * unit-tested.)
 */

const KEY_MEMBER = /("key"\s*:\s*")((?:[^"\\]|\\.)*)(")/g;
export const HIDDEN = "<hidden>";

export class Masker {
  private readonly secrets = new Set<string>();

  /** Remember a secret (at least 8 characters: shorter strings would mask ordinary words). */
  add(secret: string | undefined): void {
    if (secret && secret.length >= 8) this.secrets.add(secret);
  }

  mask(text: string): string {
    let out = text.replace(KEY_MEMBER, (_all, head: string, value: string, tail: string) =>
      value ? `${head}${HIDDEN}${tail}` : `${head}${tail}`);
    for (const secret of this.secrets) out = out.split(secret).join(HIDDEN);
    return out;
  }
}

/** The masker of this extension host: client.ts masks its channels with it, secrets.ts feeds it. */
export const masker = new Masker();
