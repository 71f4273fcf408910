// Start-up time: `ripple --version` spawned plainly (no poller, no wrapper), the floor of every command.

import { type Row, summary } from "./report.ts";

/** `ripple --version` start-up: plain spawns (no poller, no wrapper), one warm-up then 11. */
export async function startupRow(ripple: string): Promise<Row> {
  const row: Row = { what: "`ripple --version` start-up", bytes: 0, samples: [] };
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    const proc = Bun.spawn([ripple, "--version"], { stdout: "ignore", stderr: "ignore" });
    await proc.exited;
    const seconds = (performance.now() - t0) / 1000;
    const usage = proc.resourceUsage();
    if (i > 0) {
      row.samples.push({
        seconds,
        cpuSeconds: usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : undefined,
        sysSeconds: usage ? Number(usage.cpuTime.system) / 1e6 : undefined,
      });
    }
  }
  return row;
}

/** The start-up row's ratio column: its median in milliseconds. */
export function startupRatio(startup: Row): void {
  startup.ratio = summary(startup) ? `median ${(summary(startup)!.seconds * 1000).toFixed(1)} ms` : "";
}
