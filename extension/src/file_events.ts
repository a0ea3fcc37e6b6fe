/**
 * Which file events the editor passes on to the server (no `vscode`: unit-tested). The server asks for every
 * file's events (`**\/*`); those inside a folder's SpecPilot cache (`specpilot.cachePath`, default
 * `.specpilot/cache`) are the server's own writes (the index, trajectories, the learning store), so the client
 * drops them instead of sending each back over JSON-RPC.
 */

import * as path from "node:path";

export const DEFAULT_CACHE = ".specpilot/cache";

/** The cache folder of each workspace folder, absolute: ``cachePath`` relative to the folder, or as given. */
export function cacheFolders(folders: { root: string; cachePath: string | undefined }[]): string[] {
  return folders.map(({ root, cachePath }) => path.resolve(root, cachePath?.trim() || DEFAULT_CACHE));
}

/** Whether a file event at ``fsPath`` is inside one of ``caches`` (then it is not sent). */
export function inCache(fsPath: string, caches: string[]): boolean {
  const file = path.resolve(fsPath);
  return caches.some((cache) => file === cache || file.startsWith(cache.endsWith(path.sep) ? cache : cache + path.sep));
}
