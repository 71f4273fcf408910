// Symbolic links already in the output directory must not carry a write outside it.

import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DiskStorage } from "../../src/storage/index.ts";
import { tempDir } from "../helpers/process.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

const fixture = makeTorrentFixture({
  name: "album",
  pieceLength: 16384,
  files: [
    { path: ["disc", "a.bin"], data: patternBytes(1000, 131) },
    { path: ["b.bin"], data: patternBytes(1000, 132) },
  ],
});

describe("symbolic links in the output directory", () => {
  test("a directory link leading outside: the write is refused, nothing lands outside", async () => {
    await using work = await tempDir();
    const out = join(work.path, "out");
    const outside = join(work.path, "outside");
    await mkdir(join(out, "album"), { recursive: true });
    await mkdir(outside);
    await symlink(outside, join(out, "album", "disc"));
    const storage = new DiskStorage(fixture.meta, out);
    await expect(storage.writePiece(0, fixture.data.subarray(0, 2000))).rejects.toThrow(/refusing to write .*disc\/a\.bin: a symbolic link leads outside/);
    storage.close();
    expect(existsSync(join(outside, "a.bin"))).toBe(false);
  });

  test("a file link leading outside: refused, the target untouched", async () => {
    await using work = await tempDir();
    const out = join(work.path, "out");
    const victim = join(work.path, "victim.txt");
    await writeFile(victim, "precious");
    await mkdir(join(out, "album", "disc"), { recursive: true });
    await symlink(victim, join(out, "album", "b.bin"));
    const storage = new DiskStorage(fixture.meta, out);
    await expect(storage.writePiece(0, fixture.data.subarray(0, 2000))).rejects.toThrow(/symbolic link leads outside/);
    storage.close();
    expect(await readFile(victim, "utf8")).toBe("precious");
  });

  test("an output directory that is itself a link is the user's choice: followed", async () => {
    await using work = await tempDir();
    const real = join(work.path, "real");
    await mkdir(real);
    await symlink(real, join(work.path, "out"));
    const storage = new DiskStorage(fixture.meta, join(work.path, "out"));
    await storage.writePiece(0, fixture.data.subarray(0, 2000));
    storage.close();
    expect(Bun.hash(await readFile(join(real, "album", "b.bin")))).toBe(Bun.hash(fixture.files[1]!.data));
  });
});
