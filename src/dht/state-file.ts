// The DHT state file: our node id, the external IP we learned (BEP 42) and the routing table's nodes, so
// a restart rejoins without bootstrapping from scratch. Shell: file I/O; writes are atomic (temp + rename).

import { rename, rm, writeFile } from "node:fs/promises";
import { errorMessage, randomBytes, toHex, type Logger } from "../util/index.ts";
import type { RoutingTableJson } from "./routing-table.ts";

export interface DhtStateJson {
  readonly version: 1;
  /** Our address as other nodes reported it (BEP 42 `ip`), when known. */
  readonly externalIp?: string;
  readonly table: RoutingTableJson;
}

/** Reads the state file; a missing or unreadable file gives undefined (and a warning when it is corrupt). */
export async function loadDhtState(path: string, log: Logger): Promise<{ externalIp?: string; table: unknown } | undefined> {
  const file = Bun.file(path);
  if (!(await file.exists())) return undefined;
  try {
    const json = (await file.json()) as { version?: unknown; externalIp?: unknown; table?: unknown };
    if (json?.version !== 1 || typeof json.table !== "object") throw new Error(`unknown state version ${String(json?.version)}`);
    return { externalIp: typeof json.externalIp === "string" ? json.externalIp : undefined, table: json.table };
  } catch (err) {
    log.warn(`ignoring dht state file ${path}: ${errorMessage(err)}`);
    return undefined;
  }
}

/** Writes the state to a temp file beside `path`, then renames it over `path`. */
export async function saveDhtState(path: string, state: DhtStateJson): Promise<void> {
  const temp = `${path}.${toHex(randomBytes(4))}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(state));
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
