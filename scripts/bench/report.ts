// Benchmark report: rows of measurements and the targets, rendered as Markdown (printed and written to
// scripts/bench-results.md). Pure formatting; no I/O.

import { type Sample, medianSample } from "./measure.ts";

/** One line of the results table: a measurement repeated `samples.length` times. */
export interface Row {
  what: string;
  /** Who served the data, for downloads. */
  seeder?: string;
  /** Bytes moved or hashed per run (for MiB/s); 0 when a rate makes no sense. */
  bytes: number;
  samples: Sample[];
  /** Filled in after all runs: e.g. "0.42x TCP copy". */
  ratio?: string;
  /** Why the row has no (or fewer) numbers. */
  error?: string;
}

export interface Target {
  name: string;
  measured: string;
  /** undefined = could not be measured in this run. */
  met: boolean | undefined;
}

export function summary(row: Row): Sample | undefined {
  return row.samples.length > 0 ? medianSample(row.samples) : undefined;
}

/** MiB/s of a row's median, or undefined. */
export function rateMiBs(row: Row): number | undefined {
  const m = summary(row);
  return m && row.bytes > 0 ? row.bytes / 1048576 / m.seconds : undefined;
}

const fmt = (v: number | undefined, digits: number): string => (v === undefined ? "-" : v.toFixed(digits));
const fmtSeconds = (s: number): string => (s < 1 ? s.toFixed(3) : s.toFixed(2));

export function renderTable(rows: Row[]): string {
  const head = "| what | seeder | wall s (median) | runs, s | MiB/s | CPU s (sys) | peak RSS MiB (anon) | seeder CPU s | ratio |";
  const rule = "|---|---|--:|---|--:|--:|--:|--:|---|";
  const lines = rows.map((r) => {
    const m = summary(r);
    if (m === undefined) return `| ${r.what} | ${r.seeder ?? ""} | - | ${r.error ?? "not run"} | - | - | - | - | - |`;
    const runs = r.samples.map((s) => fmtSeconds(s.seconds)).join(" / ") + (r.error ? ` (${r.error})` : "");
    const rss = m.peakRssMiB === undefined ? "-" : `${m.peakRssMiB.toFixed(0)}${m.peakAnonMiB === undefined ? "" : ` (${m.peakAnonMiB.toFixed(0)})`}`;
    const cpu = m.cpuSeconds === undefined ? "-" : `${m.cpuSeconds.toFixed(2)}${m.sysSeconds === undefined ? "" : ` (${m.sysSeconds.toFixed(2)})`}`;
    return `| ${r.what} | ${r.seeder ?? ""} | ${fmtSeconds(m.seconds)} | ${runs} | ${fmt(rateMiBs(r), 0)} | ${cpu} | ${rss} | ${fmt(m.seederCpuSeconds, 2)} | ${r.ratio ?? ""} |`;
  });
  return [head, rule, ...lines].join("\n");
}

export function renderTargets(targets: Target[]): string {
  const lines = targets.map((t) => `| ${t.name} | ${t.measured} | ${t.met === undefined ? "n/a" : t.met ? "**met**" : "not met"} |`);
  return ["| target | measured | |", "|---|---|---|", ...lines].join("\n");
}
