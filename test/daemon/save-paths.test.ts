// Save paths must resolve, symbolic links included, under the download dir or an allowed root.

import { expect, test } from "bun:test";
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { SavePaths } from "../../src/daemon/index.ts";
import { tempDir } from "../helpers/temp-dir.ts";

test("inside the roots: relative, absolute, not yet existing; outside: .., absolute, through a symbolic link", async () => {
  await using work = await tempDir("ripple-savepaths-");
  const downloads = join(work.path, "downloads");
  const extra = join(work.path, "extra");
  const outside = join(work.path, "outside");
  await mkdir(join(downloads, "tv"), { recursive: true });
  await mkdir(extra);
  await mkdir(outside);
  await symlink(outside, join(downloads, "escape"));
  await symlink(join(downloads, "tv"), join(extra, "to-tv"));
  const paths = new SavePaths(downloads, [extra]);

  expect(paths.resolve(undefined)).toBe(downloads);
  expect(paths.resolve("  ")).toBe(downloads);
  expect(paths.resolve("tv")).toBe(join(downloads, "tv"));
  expect(paths.resolve(join(downloads, "new", "deeper"))).toBe(join(downloads, "new", "deeper"));
  expect(paths.resolve(extra)).toBe(extra);
  expect(paths.resolve(join(extra, "to-tv"))).toBe(join(extra, "to-tv")); // a link from one root into another
  for (const bad of ["../outside", outside, join(downloads, "escape"), join(downloads, "escape", "new"), "/", "tv\0x"]) {
    expect(() => paths.resolve(bad)).toThrow(/savepath .* is outside the allowed directories|savepath contains a NUL byte/);
  }
});
