// `bun run bench:wan`: a download over a long, lossy, capped link, in the network lab (scripts/netlab/).
// One downloader behind a 100 Mbit/s link with 50 ms RTT and 0.1% loss; four seeders on the far side
// (ripple, libtorrent, aria2c, libtorrent; uncapped); ripple, libtorrent and aria2c take turns as the
// downloader in the same run, next to one plain TCP stream over the same link. Root only; nothing leaves
// the machine (the lab lives in 198.18.0.0/15, every client with DHT, LSD, PEX, UPnP and NAT-PMP off).

import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { aria2cSeederArgv, type ClientName, detectTools, leecherArgv, libtorrentSeederArgv } from "./bench/clients.ts";
import { NetLab, labUnavailable, type LabHost } from "./netlab/lab.ts";
import { LabProcess } from "./netlab/lab-process.ts";
import { sha1File, writePayload } from "./netlab/payload.ts";
import { buildRipple } from "./netlab/ripple-binary.ts";
import { parseLoss, parseRate, parseSize } from "./netlab/units.ts";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "128M" },
    rate: { type: "string", default: "100mbit" },
    delay: { type: "string", default: "50" },
    loss: { type: "string", default: "0.1%" },
    runs: { type: "string", default: "1" },
    clients: { type: "string", default: "ripple,libtorrent,aria2c" },
    "ripple-args": { type: "string", default: "" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(`usage: bun run bench:wan [--size 128M] [--rate 100mbit] [--delay 50] [--loss 0.1%] [--runs 1] [--clients ripple,libtorrent,aria2c] [--ripple-args="--encryption plain"] [--keep]
  the downloader's link: --rate cap each way, --delay round trip (ms), --loss per packet each way`);
  process.exit(0);
}
const why = labUnavailable({ needEmulator: true });
if (why) {
  console.error(`bench:wan: ${why}`);
  process.exit(2);
}
const sizeBytes = parseSize(values.size!);
const rateBytes = parseRate(values.rate!);
const delayMs = Number(values.delay);
const loss = parseLoss(values.loss!);
const runs = Number(values.runs);
const PORT = 6881;
const TRACKER_PORT = 6969;
const note = (s: string): void => console.error(s);

const tools = detectTools();
for (const m of tools.missing.filter((x) => !x.startsWith("mktorrent") && !x.startsWith("opentracker") && !x.startsWith("sha1sum"))) note(m);
type SeederKind = "ripple" | "libtorrent" | "aria2c";
const seederKinds = (["ripple", "libtorrent", "aria2c", "libtorrent"] as SeederKind[]).filter((k) => k === "ripple" || tools[k] !== undefined);
const clients = (values.clients!.split(",") as ClientName[]).filter((k) => k === "ripple" || (k in tools && tools[k as "libtorrent" | "aria2c"] !== undefined));

note("building dist/ripple...");
const ripple = await buildRipple();
const work = await mkdtemp(join(tmpdir(), "ripple-wan-"));
const logs = join(work, "logs");
await mkdir(logs, { recursive: true });
const lab = await NetLab.create([
  { name: "tracker" },
  ...seederKinds.map((_, i) => ({ name: `s${i + 1}` })),
  { name: "dl", upRateBytes: rateBytes, downRateBytes: rateBytes, delayMs, loss },
]);
const running: LabProcess[] = [];
const start = (host: LabHost, name: string, argv: string[], env?: Record<string, string>): LabProcess => {
  const p = new LabProcess(lab, host, name, env ? ["env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv] : argv, join(logs, `${name}.log`));
  running.push(p);
  return p;
};

/** Seeders the tracker lists as complete (its scrape, fetched from inside the tracker's host). */
function completeSeeders(tracker: LabHost, infoHashHex: string): number {
  const escaped = infoHashHex.replace(/../g, "%$&");
  const url = `http://${tracker.ip}:${TRACKER_PORT}/scrape?info_hash=${escaped}`;
  const fetcher = `const r = await fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(5000) }); process.stdout.write(Buffer.from(await r.arrayBuffer()).toString("latin1"));`;
  const r = Bun.spawnSync(lab.argv(tracker, [process.execPath, "-e", fetcher]), { stdout: "pipe", stderr: "ignore" });
  return Number(/8:completei(\d+)e/.exec(r.stdout.toString())?.[1] ?? 0);
}

interface Row {
  what: string;
  seconds: number[];
  ok: boolean;
}

try {
  const seedDir = join(work, "seed");
  await mkdir(seedDir, { recursive: true });
  const payload = join(seedDir, "payload.bin");
  const payloadSha1 = await writePayload(payload, sizeBytes);
  const tracker = lab.host("tracker");
  const dl = lab.host("dl");
  const torrent = join(work, "payload.torrent");
  const created = Bun.spawnSync([ripple, "create", payload, "-o", torrent, "--piece-length", "256K", "--tracker", `http://${tracker.ip}:${TRACKER_PORT}/announce`, "--quiet"], { stderr: "pipe" });
  if (created.exitCode !== 0) throw new Error(`ripple create: ${created.stderr.toString()}`);
  const info = JSON.parse(Bun.spawnSync([ripple, "info", torrent, "--json"], { stdout: "pipe" }).stdout.toString()) as { infoHash: string };
  await start(tracker, "tracker", [ripple, "tracker", "--host", "0.0.0.0", "--port", String(TRACKER_PORT), "--interval", "10", "--json"]).waitEvent("listening", 30_000);

  for (const [i, kind] of seederKinds.entries()) {
    const host = lab.host(`s${i + 1}`);
    const argv =
      kind === "ripple"
        ? [ripple, "seed", torrent, "-o", seedDir, "--port", String(PORT), "--no-dht", "--json"]
        : kind === "libtorrent"
          ? libtorrentSeederArgv(torrent, seedDir, PORT, host.ip)
          : aria2cSeederArgv(torrent, seedDir, PORT, host.ip);
    start(host, `seeder-${i + 1}-${kind}`, argv);
  }
  const deadline = performance.now() + 180_000;
  while (completeSeeders(tracker, info.infoHash) < seederKinds.length) {
    if (performance.now() > deadline) throw new Error(`the tracker lists fewer than ${seederKinds.length} seeders after 180 s (logs in ${logs})`);
    const dead = running.find((p) => p.proc.exitCode !== null);
    if (dead) throw new Error(`${dead.name} exited (code ${dead.proc.exitCode}); log: ${join(logs, `${dead.name}.log`)}`);
    await Bun.sleep(250);
  }
  note(`seeders ready: ${seederKinds.join(", ")}`);

  const rows: Row[] = [];
  const tcpRow: Row = { what: "one TCP stream, s1 -> dl (reference)", seconds: [], ok: true };
  for (let r = 0; r < runs; r++) {
    for (const client of clients) {
      const outDir = join(work, `out-${client}-${r}`);
      await mkdir(outDir, { recursive: true });
      const t0 = performance.now();
      // ripple's JSON events (in the kept log) show where its time went; they cost nothing measurable.
      const extra = client === "ripple" && values["ripple-args"] ? values["ripple-args"].split(" ") : [];
      // leecherArgv's ripple is TCP only (--no-utp, which wins over --utp); --ripple-args asking for uTP drops it.
      const wantsUtp = extra.some((a) => a === "--utp" || a.startsWith("--utp-mode"));
      const base = leecherArgv(client, ripple, torrent, outDir, PORT + 1 + r, dl.ip).filter((a) => !(wantsUtp && a === "--no-utp"));
      const argv = [...base.map((a) => (a === "--quiet" ? "--json" : a)), ...extra];
      const p = start(dl, `leech-${client}-${r}`, argv);
      const code = await p.exited;
      const seconds = (performance.now() - t0) / 1000;
      const ok = code === 0 && (await sha1File(join(outDir, "payload.bin")).catch(() => "")) === payloadSha1;
      const doneAt = p.firstSeen.get("done");
      const exitNote = doneAt === undefined ? "" : ` (done at ${((doneAt - t0) / 1000).toFixed(2)} s)`;
      note(`${client}: ${seconds.toFixed(2)} s${exitNote}${ok ? "" : ` FAILED (exit ${code}; log ${join(logs, `${p.name}.log`)})`}`);
      let row = rows.find((x) => x.what === client);
      if (!row) rows.push((row = { what: client, seconds: [], ok: true }));
      row.seconds.push(seconds);
      row.ok &&= ok;
      await rm(outDir, { recursive: true, force: true });
    }
    // The ceiling for a single flow on this link: a plain TCP copy of the payload from a seeder's host.
    const env = { RIPPLE_TCP_COPY_HOST: dl.ip };
    const recv = start(dl, `tcp-recv-${r}`, ["bun", join(import.meta.dir, "bench", "tcp-copy.ts"), "recv", join(work, "tcp.bin")], env);
    const port = await waitListening(recv);
    const t0 = performance.now();
    start(lab.host("s1"), `tcp-send-${r}`, ["bun", join(import.meta.dir, "bench", "tcp-copy.ts"), "send", String(port), payload], env);
    await recv.exited;
    tcpRow.seconds.push((performance.now() - t0) / 1000);
    note(`tcp: ${tcpRow.seconds.at(-1)!.toFixed(2)} s`);
  }
  rows.push(tcpRow);

  const mib = (n: number): string => (n / 2 ** 20).toFixed(2);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\n## WAN download: ${mib(sizeBytes)} MiB over ${(rateBytes * 8 / 1e6).toFixed(0)} Mbit/s, ${delayMs} ms RTT, ${(loss * 100).toFixed(2)}% loss; seeders: ${seederKinds.join(", ")}${runs > 1 ? ` (medians of ${runs})` : ""}\n`);
  console.log("| downloader | wall s | MiB/s | share of link | bytes |");
  console.log("|---|--:|--:|--:|---|");
  for (const row of rows) {
    const s = median(row.seconds);
    console.log(`| ${row.what} | ${s.toFixed(2)} | ${mib(sizeBytes / s)} | ${((sizeBytes / s / rateBytes) * 100).toFixed(0)}% | ${row.what.startsWith("one TCP") ? "-" : row.ok ? "equal" : "FAILED"} |`);
  }
  const rippleS = median(rows[0]!.seconds);
  const share = sizeBytes / rippleS / rateBytes;
  const others = rows.slice(1, -1).map((row) => ({ what: row.what, s: median(row.seconds) }));
  console.log(`\n| target | measured | |\n|---|---|---|`);
  console.log(`| ripple >= 90% of link capacity | ${(share * 100).toFixed(0)}% | ${share >= 0.9 ? "met" : "not met"} |`);
  for (const o of others) console.log(`| ripple faster than ${o.what} | ${rippleS.toFixed(2)} s vs ${o.s.toFixed(2)} s | ${rippleS < o.s ? "met" : "not met"} |`);
  if (!rows.every((r) => r.ok)) process.exitCode = 1;
} finally {
  await Promise.all(running.map((p) => (p.proc.exitCode === null ? p.stop() : undefined)));
  lab.destroy();
  if (values.keep) note(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}

/** The port tcp-copy.ts prints ("listening PORT") once it listens. */
async function waitListening(p: LabProcess): Promise<number> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const m = /listening (\d+)/.exec(await Bun.file(join(logs, `${p.name}.log`)).text().catch(() => ""));
    if (m) return Number(m[1]);
    if (p.proc.exitCode !== null || performance.now() > deadline) throw new Error(`${p.name} did not start listening`);
    await Bun.sleep(50);
  }
}
