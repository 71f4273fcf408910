// The floor rows: a loopback TCP-to-file copy of the single file (the reference every download is held
// against), the same copy with fdatasync, and the Bun floor (the copy's receiver compiled like dist/ripple,
// hashing each piece): what any Bun program spends on the same bytes.

import { statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type ManagedProcess, spawnManaged, waitFor } from "../../test/helpers/process.ts";
import { type Bench, errorLine, type Payloads, tryPush } from "./context.ts";
import { compileFloor } from "./lean.ts";
import { measure, type Sample } from "./measure.ts";
import { rateMiBs, type Row } from "./report.ts";

const TCP_COPY = join(import.meta.dir, "tcp-copy.ts");

export interface FloorRows {
  copy: Row;
  copySync: Row;
  floor: Row;
  /** The compiled receiver, unless compiling it failed (then floor.error says why). */
  floorBin?: string;
}

/**
 * One loopback TCP-to-file copy of `file`: wall time of the receiver (start to file closed). `receiver`:
 * the program that runs tcp-copy.ts's `recv` (default bun on the source; the floor row a compiled copy).
 */
async function tcpCopy(b: Bench, file: string, fsync: boolean, receiver: string[] = [process.execPath, TCP_COPY], extra: string[] = []): Promise<Sample> {
  const out = join(b.work, "out", "copy.bin");
  let sender: ManagedProcess | undefined;
  try {
    const sample = await measure([...receiver, "recv", out, ...(fsync ? ["--fsync"] : []), ...extra], {
      name: "tcp copy receiver",
      logPath: b.logPath("tcp-recv"),
      timeoutMs: 300_000,
      started: async (p) => {
        let port = "";
        await waitFor(() => ((port = /listening (\d+)/.exec(p.log())?.[1] ?? ""), port !== ""), { what: "the tcp copy receiver to listen", logs: () => p.logTail() });
        sender = await spawnManaged([process.execPath, TCP_COPY, "send", port, file], { name: "tcp copy sender", logPath: b.logPath("tcp-send") });
      },
    });
    await sender?.exited;
    const usage = sender?.proc.resourceUsage();
    if (statSync(out).size !== statSync(file).size) throw new Error("tcp copy: the copy is short");
    return { ...sample, seederCpuSeconds: usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : undefined };
  } finally {
    await sender?.stop();
    await rm(out, { force: true });
  }
}

/** The three rows, empty, with the floor's receiver compiled into the work directory. */
export function floorRows(b: Bench): FloorRows {
  const seeder = "Bun sender";
  const f: FloorRows = {
    copy: { what: "loopback TCP-to-file copy (reference)", seeder, bytes: b.sizeBytes, samples: [] },
    copySync: { what: "loopback TCP-to-file copy + fdatasync", seeder, bytes: b.sizeBytes, samples: [] },
    floor: { what: "Bun floor: the copy compiled, + SHA-1 per piece", seeder, bytes: b.sizeBytes, samples: [] },
  };
  try {
    f.floorBin = compileFloor(join(b.work, "floor-recv"));
  } catch (error) {
    f.floor.error = errorLine(error);
  }
  return f;
}

/** One plain copy and one floor run, interleaved with a round of downloads. */
export async function floorRound(b: Bench, f: FloorRows, p: Payloads): Promise<void> {
  await tryPush(f.copy, () => tcpCopy(b, p.singleFile, false));
  const floorBin = f.floorBin;
  if (floorBin) await tryPush(f.floor, () => tcpCopy(b, p.singleFile, false, [floorBin], ["--sha1", String(p.single.pieceLength)]));
}

/** `runs` copies with fdatasync. */
export async function copySyncRuns(b: Bench, f: FloorRows, p: Payloads): Promise<void> {
  for (let r = 0; r < b.runs; r++) await tryPush(f.copySync, () => tcpCopy(b, p.singleFile, true));
}

/** Ratio column of the synced copy and the floor: speed against the plain copy. */
export function floorRatios(f: FloorRows): void {
  const copyRate = rateMiBs(f.copy);
  if (copyRate !== undefined && rateMiBs(f.copySync) !== undefined) f.copySync.ratio = `${(rateMiBs(f.copySync)! / copyRate).toFixed(2)}x TCP copy`;
  if (copyRate !== undefined && rateMiBs(f.floor) !== undefined) f.floor.ratio = `${(rateMiBs(f.floor)! / copyRate).toFixed(2)}x TCP copy`;
}
