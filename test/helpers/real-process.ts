// Test helper: what every real third-party process started by a test is (a handle that stops its process
// group), and the start-up checks they share. Test-only; loopback only.

import { readFile } from "node:fs/promises";
import { isPortOpen } from "./ports.ts";
import { type ManagedProcess } from "./process.ts";

export interface RealProcessHandle extends AsyncDisposable {
  readonly process: ManagedProcess;
  /** The process log so far (stdout+stderr). */
  log(): string;
  stop(): Promise<void>;
}

/** A real BitTorrent client listening on 127.0.0.1:port. */
export interface RealPeer extends RealProcessHandle {
  readonly port: number;
}

/** A real client downloading a torrent. */
export interface RealLeecher extends RealPeer {
  /** Resolves once the download is complete on disk; throws (with the log) on failure or timeout. */
  waitDone(options?: { timeoutMs?: number }): Promise<void>;
}

/** An address a tracker handed out. */
export interface TrackerPeer {
  host: string;
  port: number;
}

export function handle<T extends object>(process: ManagedProcess, extra: T): T & RealProcessHandle {
  return {
    ...extra,
    process,
    log: () => process.log(),
    stop: () => process.stop(),
    [Symbol.asyncDispose]: () => process.stop(),
  };
}

/** Throws (with the log) if `p` has exited: a `check` for waits on a process that must stay up. */
export function assertRunning(p: ManagedProcess): void {
  if (p.hasExited) {
    throw new Error(`${p.name} exited early (code ${p.proc.exitCode ?? p.proc.signalCode})\n${p.logTail(40)}`);
  }
}

/** Runs `ready` for a just-started process; if it fails, stops the process before the error propagates. */
export async function startWith<T>(p: ManagedProcess, ready: () => Promise<T>): Promise<T> {
  try {
    return await ready();
  } catch (error) {
    const log = p.logTail(40);
    await p.stop();
    if (error instanceof Error && !error.message.includes(p.name)) {
      error.message += `\n--- ${p.name} log tail ---\n${log}`;
    }
    throw error;
  }
}


/** Whether a TCP socket is in LISTEN state on 127.0.0.1:port, read from /proc/net/tcp (no connection made). */
export async function isListening(port: number): Promise<boolean> {
  let table: string;
  try {
    table = await readFile("/proc/net/tcp", "utf8");
  } catch {
    // Not Linux: fall back to a real connect.
    return isPortOpen(port);
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  // local_address "0100007F:PORT" (127.0.0.1, little-endian) or "00000000:PORT", state 0A = LISTEN.
  return table.split("\n").some((line) => {
    const cols = line.trim().split(/\s+/);
    return (cols[1] === `0100007F:${hexPort}` || cols[1] === `00000000:${hexPort}`) && cols[3] === "0A";
  });
}
