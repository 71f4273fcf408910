// Validation of torrent file names and paths (BEP 3 `name`/`path`, BEP 47 pad files): every component
// must be usable as one on-disk path segment under the output directory, and no two files may collide.
// Pure; no I/O.

import { MetainfoError } from "../util/index.ts";

/** NAME_MAX of ext4, xfs, btrfs, APFS and NTFS (in bytes of UTF-8 here, the strictest reading). */
export const MAX_COMPONENT_BYTES = 255;

/**
 * Throws a MetainfoError naming `field` unless `component` is a single safe path segment:
 * non-empty, not "." or "..", and free of "/", "\\" and NUL. Other control characters are kept
 * (they are legal on POSIX file systems and some torrents use them).
 */
export function checkPathComponent(component: string, field: string): void {
  if (component === "") throw new MetainfoError(field, `${field}: empty path component`);
  if (component === "." || component === "..") {
    throw new MetainfoError(field, `${field}: "${component}" is not allowed as a path component`);
  }
  // File systems limit one name to 255 bytes; refusing here names the field instead of failing mid-download.
  const bytes = new TextEncoder().encode(component).length;
  if (bytes > MAX_COMPONENT_BYTES) {
    throw new MetainfoError(field, `${field}: path component of ${bytes} bytes is longer than ${MAX_COMPONENT_BYTES}`);
  }
  // "\\" is refused too: on Windows it separates directories, so "..\\x" would escape the output dir.
  for (const [ch, what] of [["/", "a slash"], ["\\", "a backslash"], ["\0", "a NUL byte"]] as const) {
    if (component.includes(ch)) {
      throw new MetainfoError(field, `${field}: path component ${JSON.stringify(component)} contains ${what}`);
    }
  }
}

/** BitComet's pre-BEP 47 convention: pad files named "_____padding_file_N_if you see this file, ...". */
const LEGACY_PAD_PREFIX = "_____padding_file";

/** BEP 47: `attr` containing "p" marks a pad file; also BitComet's legacy padding file names. */
export function isPadFile(attr: Uint8Array | undefined, path: readonly string[]): boolean {
  if (attr?.includes(0x70 /* 'p' */)) return true;
  return path.at(-1)?.startsWith(LEGACY_PAD_PREFIX) ?? false;
}

interface PathNode {
  readonly children: Map<string, PathNode>;
  /** Set when the node is a file: the field of the entry that put it there, for messages. */
  readonly fileField?: string;
}

/**
 * Detects files that would land on the same disk path: a duplicate path, or a path that is a file in
 * one entry and a directory in another (`a` and `a/b`). A trie keeps this linear in the number of
 * components whatever the order of the files. Comparison is case-sensitive, like the paths themselves.
 */
export class PathCollisionChecker {
  readonly #root: PathNode = { children: new Map() };

  /** Records one file's path; throws a MetainfoError naming `field` when it collides with an earlier one. */
  add(path: readonly string[], field: string): void {
    let node = this.#root;
    for (let i = 0; i < path.length; i++) {
      const last = i === path.length - 1;
      let child = node.children.get(path[i]!);
      if (child === undefined) {
        child = last ? { children: new Map(), fileField: field } : { children: new Map() };
        node.children.set(path[i]!, child);
      } else if (child.fileField !== undefined) {
        const shown = path.slice(0, i + 1).join("/");
        const what = last
          ? `duplicate path "${shown}" (also in ${child.fileField})`
          : `"${shown}" is a file in ${child.fileField} and a directory here`;
        throw new MetainfoError(field, `${field}: ${what}`);
      } else if (last) {
        throw new MetainfoError(field, `${field}: "${path.join("/")}" is a file here and a directory of other files`);
      }
      node = child;
    }
  }
}
