// `bun run fleet`: distribute one artifact to a fleet of hosts in the network lab (scripts/netlab/) and
// print how long each host took, its rate against its link cap and the origin's upload in payload copies.
// Root only (network namespaces). Nothing leaves the machine: the lab's hosts live in 198.18.0.0/15.

import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fleetSummary, runFleet } from "./netlab/fleet.ts";
import { labUnavailable } from "./netlab/lab.ts";
import { parseLoss, parseRate, parseSize } from "./netlab/units.ts";
import { buildRipple } from "./netlab/ripple-binary.ts";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "16" },
    rate: { type: "string", default: "50M" },
    delay: { type: "string", default: "5" },
    loss: { type: "string", default: "0" },
    size: { type: "string", default: "256M" },
    tracker: { type: "string", default: "ripple" },
    "no-super-seed": { type: "boolean", default: false },
    origin: { type: "string", default: "seed" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(`usage: bun run fleet [--hosts 16] [--rate 50M] [--delay 5] [--loss 0] [--size 256M] [--tracker ripple|opentracker] [--origin seed|http] [--no-super-seed] [--keep]
  --rate   each host's link cap, each way (bytes/s: 50M = 50 MiB/s; or 100mbit); 0 = none
  --delay  round trip each link adds, ms (two hosts see twice this)
  --loss   packet loss on each link, each way (0.001 or 0.1%)
  --size   payload (256M, 1G)
  --origin http    the origin is an HTTP server named in the torrent as its web seed (BEP 19), not a seeder
  --no-super-seed  the origin seeds plainly instead of with \`seed --super-seed\` (BEP 16)
  --keep   keep the work directory (payload, downloads, logs)`);
  process.exit(0);
}
const why = labUnavailable({ needEmulator: Number(values.delay) > 0 || parseLoss(values.loss!) > 0 });
if (why) {
  console.error(`fleet: ${why}`);
  process.exit(2);
}
const tracker = values.tracker === "opentracker" ? "opentracker" : "ripple";
const options = {
  hosts: Number(values.hosts),
  rateBytes: parseRate(values.rate!),
  delayMs: Number(values.delay),
  loss: parseLoss(values.loss!),
  payloadBytes: parseSize(values.size!),
  tracker,
  seedArgs: values["no-super-seed"] ? [] : ["--super-seed"],
  origin: values.origin === "http" ? "http" : "seed",
} as const;
const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
console.error("building dist/ripple...");
const ripple = await buildRipple();
const workDir = await mkdtemp(join(tmpdir(), "ripple-fleet-"));
try {
  const r = await runFleet({ ...options, ripple, workDir, progress: (l) => console.error(l) });
  const s = fleetSummary(r);
  console.log(`\n## Fleet: ${options.hosts} hosts, ${mib(options.payloadBytes)} MiB, links ${options.rateBytes ? `${mib(options.rateBytes)} MiB/s` : "uncapped"}, +${options.delayMs} ms RTT, ${(options.loss * 100).toFixed(2)}% loss, ${tracker} tracker, origin ${options.origin === "http" ? "an HTTP server (web seed)" : `\`ripple seed${options.seedArgs.length ? " --super-seed" : ""}\``}\n`);
  console.log("| host | seconds | MiB/s | share of cap | uploaded MiB | bytes |");
  console.log("|---|--:|--:|--:|--:|---|");
  for (const h of r.hosts) {
    console.log(`| ${h.name} | ${h.seconds.toFixed(2)} | ${mib(r.payloadBytes / h.seconds)} | ${h.capShare === undefined ? "-" : `${(h.capShare * 100).toFixed(0)}%`} | ${mib(h.uploadedBytes)} | ${h.bytesMatch ? "equal" : "DIFFER"} |`);
  }
  console.log(`\n| figure | measured | target |\n|---|--:|---|`);
  console.log(`| p50 / p99 / max completion | ${s.p50.toFixed(2)} / ${s.p99.toFixed(2)} / ${s.max.toFixed(2)} s | |`);
  console.log(`| p99 / p50 | ${(s.p99 / s.p50).toFixed(2)} | <= 1.3 ${s.p99 / s.p50 <= 1.3 ? "met" : "not met"} |`);
  if (s.meanCapShare !== undefined) console.log(`| mean share of cap | ${(s.meanCapShare * 100).toFixed(0)}% | >= 80% ${s.meanCapShare >= 0.8 ? "met" : "not met"} |`);
  console.log(`| origin upload | ${s.originCopies.toFixed(2)} copies | <= 1.5 ${s.originCopies <= 1.5 ? "met" : "not met"} |`);
  console.log(`| every host's bytes equal the origin's | ${s.allMatch ? "yes" : "NO"} | |`);
  console.log(`| machine CPU busy during the downloads | ${(r.cpuBusy * 100).toFixed(0)}% of ${cpus().length} cores | |`);
  if (!s.allMatch) process.exitCode = 1;
} finally {
  if (values.keep) console.error(`kept ${workDir}`);
  else await rm(workDir, { recursive: true, force: true });
}
