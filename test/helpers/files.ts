// Test helper: byte comparison of what a run left on disk: a torrent fixture's files, or two whole trees.
// Each returns (or asserts) a list of differences naming the path and the first differing byte, so a
// failure says what is wrong instead of two unequal hashes. Shell: reads files.

import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { expect } from "bun:test";
import type { TorrentFixture } from "./torrent-fixture.ts";

/** Index of the first byte where `a` and `b` differ (the shorter length if one is a prefix); -1 when equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Where storage puts a fixture file under `outDir`: `outDir/name` (single file) or `outDir/name/path...`. */
export function fixturePath(fixture: TorrentFixture, outDir: string, index: number): string {
  const file = fixture.files[index]!;
  return fixture.meta.multiFile ? join(outDir, fixture.meta.name, ...file.path) : join(outDir, fixture.meta.name);
}

/**
 * How the files under `outDir` differ from the fixture's data: every non-pad file (or only those in
 * `only`, by index) byte-identical, and no pad file (BEP 47) on disk. Empty when all is as expected.
 */
export async function fixtureDiffs(fixture: TorrentFixture, outDir: string, options: { only?: readonly number[] } = {}): Promise<string[]> {
  const diffs: string[] = [];
  for (let i = 0; i < fixture.files.length; i++) {
    if (options.only && !options.only.includes(i)) continue;
    const file = fixture.files[i]!;
    const path = fixturePath(fixture, outDir, i);
    const exists = await Bun.file(path).exists();
    if (file.pad) {
      if (exists) diffs.push(`pad file written: ${path}`);
      continue;
    }
    if (!exists) {
      diffs.push(`missing: ${path}`);
      continue;
    }
    const onDisk = new Uint8Array(await readFile(path));
    const at = firstDifference(onDisk, file.data);
    if (at >= 0) diffs.push(`differs: ${path}: ${onDisk.length} bytes, expected ${file.data.length}; first difference at byte ${at}`);
  }
  return diffs;
}

/** Asserts that `outDir` holds the fixture's files byte for byte (see {@link fixtureDiffs}). */
export async function expectFixtureOnDisk(fixture: TorrentFixture, outDir: string, options: { only?: readonly number[] } = {}): Promise<void> {
  expect(await fixtureDiffs(fixture, outDir, options)).toEqual([]);
}

async function listFiles(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.set(relative(root, full).split(sep).join("/"), (await stat(full)).size);
    }
  };
  await walk(root);
  return out;
}

/**
 * Compares two directory trees file by file (bytes, not timestamps); returns the differences, empty when
 * identical. `ignoreEmptyFiles` skips 0-byte files on either side (Transmission does not create them).
 * Empty directories are not compared.
 */
export async function compareTrees(expectedRoot: string, actualRoot: string, options: { ignoreEmptyFiles?: boolean } = {}): Promise<string[]> {
  const diffs: string[] = [];
  let expected: Map<string, number>;
  let actual: Map<string, number>;
  try {
    [expected, actual] = await Promise.all([listFiles(expectedRoot), listFiles(actualRoot)]);
  } catch (error) {
    return [`cannot list trees: ${error instanceof Error ? error.message : String(error)}`];
  }
  const skip = (size: number | undefined) => options.ignoreEmptyFiles === true && size === 0;
  for (const [path, size] of expected) {
    const other = actual.get(path);
    if (other === undefined) {
      if (!skip(size)) diffs.push(`missing: ${path} (${size} bytes)`);
      continue;
    }
    if (other !== size) {
      diffs.push(`size differs: ${path}: expected ${size}, got ${other}`);
      continue;
    }
    const [a, b] = await Promise.all([readFile(join(expectedRoot, path)), readFile(join(actualRoot, path))]);
    const at = firstDifference(a, b);
    if (at >= 0) diffs.push(`content differs: ${path}: first difference at byte ${at}`);
  }
  for (const [path, size] of actual) {
    if (!expected.has(path) && !skip(size)) diffs.push(`unexpected: ${path} (${size} bytes)`);
  }
  return diffs;
}
