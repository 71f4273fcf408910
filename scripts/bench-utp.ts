// `bun run scripts/bench-utp.ts`: ripple to ripple over uTP (BEP 29) and over TCP, on a lab host's
// loopback, across a WAN link (100 Mbit/s, 50 ms RTT, 0.1% loss) and a lossy one (50 ms, 1% loss), in the
// network lab (scripts/netlab/; root). Prints one table. Nothing leaves the lab's namespaces.

import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { NetLab, labUnavailable, type HostSpec } from "./netlab/lab.ts";
import { buildRipple } from "./netlab/ripple-binary.ts";
import { preparePayload, startSeeder, timedDownload, type TransferResult } from "./netlab/transfer.ts";
import { parseSize } from "./netlab/units.ts";

const { values } = parseArgs({
  options: {
    "loopback-size": { type: "string", default: "64M" },
    "wan-size": { type: "string", default: "32M" },
    "lossy-size": { type: "string", default: "8M" },
    keep: { type: "boolean", default: false },
  },
});
const why = labUnavailable({ needEmulator: true });
if (why) {
  console.error(`bench-utp: ${why}`);
  process.exit(2);
}
const note = (s: string): void => console.error(s);
const MBIT = 1e6 / 8;

interface Setup {
  what: string;
  sizeBytes: number;
  link: Omit<HostSpec, "name"> | "loopback";
}
const setups: Setup[] = [
  { what: "loopback (a lab host's lo)", sizeBytes: parseSize(values["loopback-size"]!), link: "loopback" },
  { what: "WAN: 100 Mbit/s, 50 ms RTT, 0.1% loss", sizeBytes: parseSize(values["wan-size"]!), link: { upRateBytes: 100 * MBIT, downRateBytes: 100 * MBIT, delayMs: 50, loss: 0.001 } },
  { what: "lossy: 50 ms RTT, 1% loss, no cap", sizeBytes: parseSize(values["lossy-size"]!), link: { delayMs: 50, loss: 0.01 } },
];

note("building dist/ripple...");
const ripple = await buildRipple();
const work = await mkdtemp(join(tmpdir(), "ripple-bench-utp-"));
const logs = join(work, "logs");
await mkdir(logs, { recursive: true });
const rows: { what: string; size: number; utp: TransferResult; tcp: TransferResult }[] = [];
try {
  for (const [i, s] of setups.entries()) {
    const dir = join(work, `setup-${i}`);
    const payload = await preparePayload(ripple, dir, s.sizeBytes);
    const lab = await NetLab.create(s.link === "loopback" ? [{ name: "solo" }] : [{ name: "seed" }, { name: "dl", ...s.link }]);
    try {
      const seedHost = lab.hosts[0]!;
      const dlHost = lab.hosts.at(-1)!;
      const seedIp = s.link === "loopback" ? "127.0.0.1" : seedHost.ip;
      const seeder = await startSeeder(lab, seedHost, ripple, payload, logs);
      const result: Partial<Record<"utp" | "tcp", TransferResult>> = {};
      for (const transport of ["tcp", "utp"] as const) {
        result[transport] = await timedDownload(lab, dlHost, seedIp, ripple, payload, { transport, work: dir, logs, tag: `${i}-${transport}`, timeoutMs: 600_000 });
        note(`${s.what}, ${transport}: ${result[transport].seconds.toFixed(2)} s${result[transport].bytesMatch ? "" : " (BYTES DIFFER)"}`);
      }
      await seeder.stop();
      rows.push({ what: s.what, size: s.sizeBytes, utp: result.utp!, tcp: result.tcp! });
    } finally {
      lab.destroy();
    }
  }
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  console.log("\n## ripple to ripple, uTP vs TCP\n");
  console.log("| link | size | TCP s (MiB/s) | uTP s (MiB/s) | uTP / TCP time | bytes |");
  console.log("|---|--:|--:|--:|--:|---|");
  for (const r of rows) {
    const cell = (t: TransferResult) => `${t.seconds.toFixed(2)} (${mib(r.size / t.seconds)})`;
    const ok = r.utp.bytesMatch && r.tcp.bytesMatch;
    console.log(`| ${r.what} | ${mib(r.size)} MiB | ${cell(r.tcp)} | ${cell(r.utp)} | ${(r.utp.seconds / r.tcp.seconds).toFixed(2)}x | ${ok ? "equal" : "DIFFER"} |`);
  }
  if (!rows.every((r) => r.utp.bytesMatch && r.tcp.bytesMatch)) process.exitCode = 1;
} finally {
  if (values.keep) note(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}
