// Test helper: temporary directories under the OS temp dir, the one way tests make them. Prefer
// `await using work = await tempDir()` (removed when the scope ends); makeTempDir/makeTempDirSync leave
// the removal to the caller (an afterAll/afterEach, or a ManagedProcess's stop()). Shell: file system.

import { mkdtempSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh directory `<tmp>/<prefix>XXXXXX`; the caller removes it. */
export async function makeTempDir(prefix = "ripple-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** {@link makeTempDir}, synchronously (for helpers called outside async code). */
export function makeTempDirSync(prefix = "ripple-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A temp directory removed on `await using` disposal (or `remove()`). */
export interface TempDir extends AsyncDisposable {
  readonly path: string;
  remove(): Promise<void>;
}

/** `await using work = await tempDir()`: a fresh directory, removed when the scope ends. */
export async function tempDir(prefix = "ripple-test-"): Promise<TempDir> {
  const path = await makeTempDir(prefix);
  const remove = () => rm(path, { recursive: true, force: true });
  return { path, remove, [Symbol.asyncDispose]: remove };
}
