// Test helper: the compiled ripple as a long-running managed process with --json, read as a stream of
// events (metadata, peer, done, seeding...) to wait on. Loopback only; DHT off through the wrapper.

import { rippleBinary } from "./binary.ts";
import { type ManagedProcess, spawnManaged, waitFor } from "./process.ts";

export interface RippleEvent {
  event: string;
  action?: string;
  address?: string;
  reason?: string;
  encryption?: string;
  port?: number;
}

export interface RippleProcess extends AsyncDisposable {
  readonly process: ManagedProcess;
  events(): RippleEvent[];
  /** Resolves with the first event matching `match`; throws with the log if ripple exits first. */
  waitEvent(match: (e: RippleEvent) => boolean, what: string, timeoutMs?: number): Promise<RippleEvent>;
  /** The listen port from the `metadata` event. */
  port(): Promise<number>;
  stop(): Promise<void>;
}

export async function startRipple(args: string[], name: string): Promise<RippleProcess> {
  const proc = await spawnManaged([await rippleBinary(), ...args, "--json"], { name });
  const events = (): RippleEvent[] =>
    proc.log().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as RippleEvent);
  const waitEvent = async (match: (e: RippleEvent) => boolean, what: string, timeoutMs = 30_000): Promise<RippleEvent> => {
    let found: RippleEvent | undefined;
    await waitFor(
      () => {
        found = events().find(match);
        if (found) return true;
        if (proc.hasExited) throw new Error(`${name} exited (code ${proc.proc.exitCode}) before ${what}:\n${proc.logTail(40)}`);
        return false;
      },
      { what: `${name}: ${what}`, timeoutMs },
    );
    return found!;
  };
  return {
    process: proc,
    events,
    waitEvent,
    port: async () => (await waitEvent((e) => e.event === "metadata", "its metadata event")).port!,
    stop: () => proc.stop(),
    [Symbol.asyncDispose]: () => proc.stop(),
  };
}

/** The `connected` peer events' encryption, e.g. ["rc4"]. */
export function connectedEncryption(r: RippleProcess): (string | undefined)[] {
  return r.events().filter((e) => e.event === "peer" && e.action === "connected").map((e) => e.encryption);
}
