// `bun run demo`: the first thing to run after set-up. On 127.0.0.1 only, it makes a sample payload,
// starts ripple's tracker and a seeder, downloads the payload with the live progress display, checks the
// copy against the original and says where everything is. Nothing leaves this machine.

import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const CLI = resolve(import.meta.dir, "../src/cli/main.ts");
const work = await mkdtemp(join(tmpdir(), "ripple-demo-"));
const children: Bun.Subprocess[] = [];
const say = (text: string) => process.stdout.write(process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m\n` : `${text}\n`);

/** Runs `ripple ARGS --json` in the background; resolves with the first event named `until`. */
async function background(args: string[], until: string): Promise<Record<string, unknown>> {
  const proc = Bun.spawn(["bun", CLI, ...args, "--json"], { cwd: work, stdout: "pipe", stderr: "inherit" });
  children.push(proc);
  const reader = proc.stdout[Symbol.asyncIterator]();
  const decoder = new TextDecoder();
  let text = "";
  for (let next = await reader.next(); !next.done; next = await reader.next()) {
    text += decoder.decode(next.value, { stream: true });
    for (const line of text.split("\n").slice(0, -1)) {
      const event = JSON.parse(line) as Record<string, unknown>;
      if (event.event === until) {
        void (async () => {
          while (!(await reader.next()).done); // keep draining its events
        })();
        return event;
      }
    }
  }
  throw new Error(`ripple ${args[0]} exited before "${until}"`);
}

/** Runs `ripple ARGS` in the foreground with its output on this terminal. */
async function foreground(args: string[]): Promise<void> {
  const proc = Bun.spawn(["bun", CLI, ...args], { cwd: work, stdout: "inherit", stderr: "inherit" });
  const code = await proc.exited;
  if (code !== 0) throw new Error(`ripple ${args.join(" ")} exited ${code}`);
}

try {
  say(`1/5 making a sample payload in ${work}/seed/sample`);
  await mkdir(join(work, "seed", "sample", "photos"), { recursive: true });
  const big = new Uint8Array(96 * 1024 * 1024);
  crypto.getRandomValues(big.subarray(0, 65536));
  for (let i = 65536; i < big.length; i += 65536) big.copyWithin(i, 0, 65536), (big[i] = i / 65536);
  await writeFile(join(work, "seed", "sample", "video.bin"), big);
  await writeFile(join(work, "seed", "sample", "photos", "cat.txt"), "=^.^=\n");
  await writeFile(join(work, "seed", "sample", "README.txt"), "A sample torrent made by `bun run demo`.\n");

  say("2/5 starting a tracker (ripple tracker, HTTP + UDP on a free port)");
  const tracker = await background(["tracker", "--port", "0"], "listening");
  console.log(`    ${tracker.http}\n    ${tracker.udp}`);

  say("3/5 making a torrent (ripple create)");
  await foreground(["create", "seed/sample", "-o", "sample.torrent", "--tracker", String(tracker.http)]);

  say("4/5 starting a seeder (ripple seed, upload limited to 32 MiB/s so you can watch)");
  await background(["seed", "sample.torrent", "-o", "seed", "--port", "0", "--no-dht", "--max-upload-rate", "32M"], "tracker");

  say("5/5 downloading it (ripple download)");
  await foreground(["download", "sample.torrent", "-o", "downloads", "--port", "0", "--no-dht"]);

  for (const path of ["video.bin", "photos/cat.txt", "README.txt"]) {
    const [a, b] = await Promise.all([readFile(join(work, "seed", "sample", path)), readFile(join(work, "downloads", "sample", path))]);
    if (!a.equals(b)) throw new Error(`${path} differs from the original`);
  }
  say("\nThe copy is identical to the original. Where everything is:");
  console.log(`    payload     ${work}/seed/sample`);
  console.log(`    torrent     ${work}/sample.torrent   (try: bun run ripple info ${work}/sample.torrent)`);
  console.log(`    download    ${work}/downloads/sample`);
  console.log(`    the tracker and the seeder stop now; remove ${work} when done.`);
} finally {
  for (const child of children) child.kill("SIGINT");
  await Promise.all(children.map((c) => c.exited));
}
