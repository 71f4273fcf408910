// Where the daemon may write: a requested save path must resolve (symbolic links included) under the
// download dir or a directory given with --allow-save-path. Shell: reads the file system (realpath).

import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, resolve, sep } from "node:path";
import { RippleError } from "../util/index.ts";

/** The real path of `path`, resolving symbolic links in its deepest existing ancestor. */
function realPathOf(path: string): string {
  let existing = path;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) break;
    rest.unshift(existing.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
    existing = parent;
  }
  return resolve(realpathSync(existing), ...rest);
}

function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

export class SavePaths {
  readonly downloadDir: string;
  readonly #roots: string[];

  constructor(downloadDir: string, allowed: readonly string[] = []) {
    this.downloadDir = resolve(downloadDir);
    this.#roots = [this.downloadDir, ...allowed.map((d) => resolve(d))];
  }

  get roots(): readonly string[] {
    return this.#roots;
  }

  /**
   * The absolute save path for `requested` (relative paths are taken under the download dir); throws
   * RippleError("BAD_REQUEST") when it leaves every allowed root, by `..` or through a symbolic link.
   */
  resolve(requested: string | undefined): string {
    if (requested === undefined || requested.trim() === "") return this.downloadDir;
    if (requested.includes("\0")) throw new RippleError("BAD_REQUEST", "savepath contains a NUL byte");
    const path = isAbsolute(requested) ? resolve(requested) : resolve(this.downloadDir, requested);
    const real = realPathOf(path);
    // Both as written and as the file system resolves it: a link may lead from one root into another.
    const ok = this.#roots.some((root) => isUnder(path, root)) && this.#roots.some((root) => isUnder(real, realPathOf(root)));
    if (!ok) throw new RippleError("BAD_REQUEST", `savepath ${requested} is outside the allowed directories (${this.#roots.join(", ")}; see --allow-save-path)`);
    return path;
  }
}
