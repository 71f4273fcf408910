// The results page: the machine and peers, the table, notes on reading it, and the targets, as Markdown
// (bench.ts prints it and writes scripts/bench-results.md).

import { readFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { resolve } from "node:path";
import { type Tools } from "./clients.ts";
import { human } from "./context.ts";
import { renderTable, renderTargets, type Row, type Target } from "./report.ts";

const ROOT = resolve(import.meta.dir, "..", "..");

export interface Results {
  /** performance.now() when the bench started. */
  started: number;
  tools: Tools;
  trackerKind: string;
  sizeBytes: number;
  treeBytes: number;
  bigBytes: number;
  runs: number;
  table: Row[];
  targets: Target[];
}

/**
 * On a VM with free page reporting, memory freed is handed back to the host and its next first touch is a
 * host page fault: writing data no process touched lately costs far more system time (page cache, fresh
 * buffers) than the same write a moment later. Says so under the table when this machine does it.
 */
function pageReportingNote(): string[] {
  try {
    const order = readFileSync("/sys/module/page_reporting/parameters/page_reporting_order", "utf8").trim();
    return [
      `- This machine is a VM with free page reporting (order ${order}): freed memory goes back to the host, and touching it again is a host page fault. Every row that writes 512 MiB pays that at random (the TCP copy's spread shows it); the 4 GiB row pays it for most of its system time.`,
    ];
  } catch {
    return [];
  }
}

export function resultsMarkdown(r: Results): string {
  const { tools } = r;
  const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT, stdout: "pipe", stderr: "ignore" }).stdout.toString().trim();
  const cpuModel = cpus()[0]?.model ?? "?";
  const minutes = ((performance.now() - r.started) / 60_000).toFixed(1);
  return [
    "# ripple benchmark results",
    "",
    `Written by \`bun run bench\` (${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${minutes} min, commit ${commit || "?"}; overwritten each run).`,
    `Machine: ${cpuModel}, ${cpus().length} cores, Linux ${release()}, Bun ${Bun.version}. Peers: ripple (dist/ripple), libtorrent ${tools.libtorrent ?? "absent"} (python3-libtorrent), aria2c ${tools.aria2c ?? "absent"}; tracker: ${r.trackerKind}.`,
    `Payloads: a ${human(r.sizeBytes)} file and a ${human(r.treeBytes)} tree of 33 files (256 KiB pieces), a ${r.bigBytes > 0 ? human(r.bigBytes) : "(skipped)"} file for memory; medians of ${r.runs} runs, clients interleaved.`,
    "All on 127.0.0.1, TCP only (uTP off), DHT/LSD/PEX/UPnP/NAT-PMP off. The machine is noisy: read the ratios, measured side by side, more than the absolute numbers.",
    ...tools.missing.map((m) => `- missing: ${m}`),
    "",
    renderTable(r.table),
    "",
    "- wall s: process start to exit (a leecher exits once the data is complete and verified; ripple also fdatasyncs it). MiB/s = payload / wall.",
    "- CPU s: the process's own user+system time (rusage), the system part in parentheses. Seeder CPU s: what the seeder (or the TCP sender) spent during that run.",
    "- Bun floor: tcp-copy.ts's receiver compiled with `bun build --compile` like dist/ripple, hashing each piece as it arrives and writing it: the least any Bun program spends on this download. Its peak RSS is the runtime's (code pages of the executable, the heap, Bun's fresh buffer per socket read).",
    "- seeding to two leechers: the seeder's figures (wall until both are done, its CPU, its VmHWM), a fresh seeder each run.",
    "- peak RSS: VmHWM polled every 20 ms; in parentheses the largest RssAnon seen. libtorrent 2 maps the torrent's files, so its VmHWM counts page-cache pages of the data.",
    "- libtorrent: default settings plus the loopback ones (uTP off), run from a small Python script (test/helpers/lt-peer.py, shared with the tests). The large-file seeder trusts its data (seed_mode) and hashes pieces as it first serves them, which shows in its CPU.",
    "- aria2c works on a 1 s tick: it dials the seeder about 1 s after the tracker's reply and exits about 1 s after the last piece, so some 2 s of each aria2c row is idle time.",
    ...pageReportingNote(),
    "",
    "## Targets",
    "",
    renderTargets(r.targets),
    "",
  ].join("\n");
}
