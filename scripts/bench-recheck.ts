// Recheck speed: `ripple verify` (the compiled binary) on a generated file, next to `sha1sum` and to
// Bun.CryptoHasher over the same file, all in one run with the file in the page cache.
// Run: bun run scripts/bench-recheck.ts [sizeMiB=1024] [pieceKiB=256]

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compileArgv } from "./build-argv.ts";
import { makePayload } from "./payload.ts";

const sizeMiB = Number(process.argv[2] ?? 1024);
const pieceKiB = Number(process.argv[3] ?? 256);
const ROOT = resolve(import.meta.dir, "..");

async function timed(what: string, argv: string[]): Promise<{ what: string; seconds: number }> {
  const t0 = performance.now();
  const proc = Bun.spawn(argv, { stdout: "ignore", stderr: "pipe" });
  const code = await proc.exited;
  if (code !== 0) throw new Error(`${what} exited ${code}: ${await new Response(proc.stderr).text()}`);
  return { what, seconds: (performance.now() - t0) / 1000 };
}

async function hasherOver(path: string): Promise<{ what: string; seconds: number }> {
  const t0 = performance.now();
  const hasher = new Bun.CryptoHasher("sha1");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  hasher.digest();
  return { what: "Bun.CryptoHasher over the file", seconds: (performance.now() - t0) / 1000 };
}

const work = await mkdtemp(join(tmpdir(), "ripple-recheck-"));
try {
  const binary = join(work, "ripple");
  const build = Bun.spawnSync(compileArgv("src/cli/main.ts", binary, { minify: true }), { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(build.stderr.toString());
  console.log(`generating ${sizeMiB} MiB with ${pieceKiB} KiB pieces...`);
  const payload = makePayload(work, "recheck.bin", sizeMiB * 1024 * 1024, pieceKiB * 1024);
  const file = join(payload.dataDir, "recheck.bin");
  await timed("warm the page cache", ["cat", file]);
  const rows = [
    await timed("sha1sum", ["sha1sum", file]),
    await hasherOver(file),
    await timed("ripple verify", [binary, "verify", payload.torrentPath, "-o", payload.dataDir, "--quiet"]),
  ];
  const reference = rows[1]!.seconds;
  console.log("\nwhat                              seconds    MiB/s   vs CryptoHasher");
  for (const r of rows) {
    console.log(`${r.what.padEnd(32)} ${r.seconds.toFixed(2).padStart(8)} ${(sizeMiB / r.seconds).toFixed(0).padStart(8)} ${(reference / r.seconds).toFixed(2).padStart(12)}`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
