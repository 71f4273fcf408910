// `ripple verify` through the compiled binary: a clean data set, then one with a damaged region and a
// missing file, in plain and --json output, with the documented exit codes.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { rippleBinary } from "../helpers/binary.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles } from "../helpers/torrent-fixture.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

let work: string;
let binary: string;
const fixture = makeTorrentFixture({
  name: "set",
  pieceLength: 16384,
  files: [
    { path: ["a.bin"], data: patternBytes(5 * 16384, 91) },
    { path: ["b.bin"], data: patternBytes(3 * 16384 + 10, 92) },
    { path: ["c.bin"], data: patternBytes(16384, 93) },
  ],
});

beforeAll(async () => {
  work = await makeTempDir("ripple-verify-");
  binary = await rippleBinary();
  await writeFile(join(work, "set.torrent"), fixture.torrentBytes);
  await writeFixtureFiles(fixture, join(work, "data"));
}, 120_000);
afterAll(() => rm(work, { recursive: true, force: true }));

async function verify(...extra: string[]) {
  const proc = Bun.spawn([binary, "verify", "set.torrent", "-o", "data", ...extra], { cwd: work, stdout: "pipe", stderr: "pipe" });
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, stdout, stderr };
}

describe("ripple verify", () => {
  test("complete data: exit 0 and a one-line verdict", async () => {
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^set: 10 of 10 pieces verified, 0 bad, 0 missing/);
  });

  test("a damaged region and a missing file: exit 6, named pieces and files", async () => {
    const a = join(work, "data", "set", "a.bin");
    const bytes = new Uint8Array(await readFile(a));
    bytes[2 * 16384 + 100]! ^= 0xff;
    await writeFile(a, bytes);
    await rm(join(work, "data", "set", "c.bin"));

    const plain = await verify();
    expect(plain.code).toBe(6);
    expect(plain.stdout).toContain("1  damaged     a.bin (1 bad piece)");
    expect(plain.stdout).toContain("2  incomplete  b.bin (1 missing piece)");
    expect(plain.stdout).toContain("3  incomplete  c.bin (2 missing pieces)");
    expect(plain.stdout).toMatch(/set: 7 of 10 pieces verified, 1 bad, 2 missing/);
    expect(plain.stderr).toBe("ripple: 3 of 10 pieces do not verify in data\n");

    const json = await verify("--json");
    expect(json.code).toBe(6);
    const events = json.stdout.trim().split("\n").map((line) => JSON.parse(line));
    const done = events.find((e) => e.event === "done");
    // Exit 6 ends with an error event after the report.
    expect(events.at(-1)).toMatchObject({ event: "error", exitCode: 6, code: "VERIFY" });
    // c.bin (16384 bytes at offset 8*16384+10) spans pieces 8 and 9; piece 8 also holds b.bin's last
    // 10 bytes, so it cannot verify either: b.bin counts as incomplete, not damaged.
    expect(done).toMatchObject({ event: "done", verified: 7, bad: 1, missing: 2, badPieces: [2], missingPieces: [8, 9] });
    expect(done.files.map((f: { status: string }) => f.status)).toEqual(["damaged", "incomplete", "incomplete"]);
  });
});
