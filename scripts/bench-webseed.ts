// Web seed (BEP 19) speed: `ripple download --no-trackers` of N MiB from an HTTP origin alone (lighttpd,
// or Bun.serve with --origin bun) on 127.0.0.1, next to `curl -o` of the same file in the same run.
// Run: bun run scripts/bench-webseed.ts [sizeMiB=512] [--origin lighttpd|bun] [--rounds 3]

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { torrentFileFromInfo } from "../src/metainfo/index.ts";
import { compileArgv } from "./build-argv.ts";
import { makePayload } from "./payload.ts";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const originKind = option("--origin") ?? (Bun.which("lighttpd") ? "lighttpd" : "bun");
const rounds = Number(option("--rounds") ?? 3);
const sizeMiB = Number(args[0] ?? 512);
const PIECE = 256 * 1024;
const ROOT = resolve(import.meta.dir, "..");

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return;
    } catch {
      // not listening yet: try again shortly
      await Bun.sleep(25);
    }
  }
  throw new Error(`origin on 127.0.0.1:${port} did not start`);
}

/** Starts the origin serving `root` on 127.0.0.1; returns its URL and a stop function. */
async function startOrigin(root: string, work: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  let argv: string[];
  if (originKind === "lighttpd") {
    const conf = join(work, "lighttpd.conf");
    await writeFile(conf, [`server.document-root = ${JSON.stringify(root)}`, `server.bind = "127.0.0.1"`, `server.port = ${port}`, `server.errorlog = ${JSON.stringify(join(work, "error.log"))}`, `mimetype.assign = ( "" => "application/octet-stream" )`, ""].join("\n"));
    argv = [Bun.which("lighttpd")!, "-D", "-f", conf];
  } else {
    // Bun answers Range requests for a Bun.file body with 206 by itself.
    const code = `Bun.serve({ hostname: "127.0.0.1", port: ${port}, fetch: (req) => new Response(Bun.file(${JSON.stringify(root)} + decodeURIComponent(new URL(req.url).pathname))) });`;
    argv = ["bun", "-e", code];
  }
  const proc = Bun.spawn(argv, { stdout: "ignore", stderr: "inherit" });
  await waitForPort(port);
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      proc.kill();
      await proc.exited;
    },
  };
}

/** Runs argv under /usr/bin/time; returns wall seconds and peak RSS (MiB). */
async function measure(argv: string[]): Promise<{ seconds: number; rssMiB: number }> {
  const t0 = performance.now();
  const proc = Bun.spawn(["/usr/bin/time", "-f", "RSS %M", ...argv], { stdout: "ignore", stderr: "pipe" });
  const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${err}`);
  const kb = Number(/RSS (\d+)/.exec(err)?.[1] ?? 0);
  return { seconds, rssMiB: kb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const work = await mkdtemp(join(tmpdir(), "ripple-bench-webseed-"));
try {
  const binary = join(work, "ripple");
  const build = Bun.spawnSync(compileArgv("src/cli/main.ts", binary, { minify: true }), { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(build.stderr.toString());
  console.log(`generating ${sizeMiB} MiB (${PIECE / 1024} KiB pieces), origin: ${originKind}...`);
  const payload = makePayload(work, "webseed.bin", sizeMiB * 1024 * 1024, PIECE);
  const origin = await startOrigin(payload.dataDir, work);
  try {
    const torrentPath = join(work, "webseed.torrent");
    await writeFile(torrentPath, torrentFileFromInfo(payload.meta.infoBytes, { webSeeds: [origin.url] }));
    Bun.spawnSync(["cat", join(payload.dataDir, "webseed.bin")], { stdout: "ignore" }); // warm the page cache
    const curl: { seconds: number; rssMiB: number }[] = [];
    const ripple: { seconds: number; rssMiB: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      const out = join(work, "out");
      await rm(out, { recursive: true, force: true });
      Bun.spawnSync(["mkdir", "-p", out]);
      curl.push(await measure(["curl", "-s", "-f", "-o", join(out, "curl.bin"), `${origin.url}webseed.bin`]));
      await rm(out, { recursive: true, force: true });
      ripple.push(await measure([binary, "download", torrentPath, "-o", out, "--no-trackers", "--no-dht", "--port", "0", "--quiet"]));
      await rm(out, { recursive: true, force: true });
    }
    const rate = (xs: { seconds: number }[]) => sizeMiB / median(xs.map((x) => x.seconds));
    const curlRate = rate(curl);
    const rippleRate = rate(ripple);
    console.log(`\n| ${sizeMiB} MiB from ${originKind} on 127.0.0.1 (median of ${rounds}) | MiB/s | vs curl | peak RSS |`);
    console.log("|---|--:|--:|--:|");
    console.log(`| curl -o | ${curlRate.toFixed(0)} | 100% | ${median(curl.map((x) => x.rssMiB)).toFixed(0)} MiB |`);
    console.log(`| ripple download (web seed alone) | ${rippleRate.toFixed(0)} | ${((100 * rippleRate) / curlRate).toFixed(0)}% | ${median(ripple.map((x) => x.rssMiB)).toFixed(0)} MiB |`);
  } finally {
    await origin.stop();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
