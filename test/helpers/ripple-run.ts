// Test helper: runs the compiled ripple (through rippleBinary's wrapper) as a managed process to its
// end, for interop tests: exit code and log, with a time bound after which it is stopped.

import { rippleBinary } from "./binary.ts";
import { spawnManaged } from "./process.ts";

/** Runs `ripple ARGS`; stops it after `timeoutMs` if it has not exited. */
export async function runRipple(args: string[], timeoutMs: number, name = "ripple"): Promise<{ code: number; log: string }> {
  const proc = await spawnManaged([await rippleBinary(), ...args], { name });
  const timer = setTimeout(() => void proc.stop(), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  const log = proc.log();
  await proc.stop();
  return { code, log };
}
