// DHT state file: round trip, atomic replacement (no temp files left), a corrupt file is ignored with a warning.

import { afterEach, describe, expect, test } from "bun:test";
import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadDhtState, saveDhtState } from "../../src/dht/index.ts";
import { silentLogger, type Logger } from "../../src/util/index.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

let dir = "";
afterEach(() => rm(dir, { recursive: true, force: true }));

function recordingLog(warnings: string[]): Logger {
  return { ...silentLogger, warn: (m: string) => warnings.push(m), withTag: () => recordingLog(warnings) };
}

describe("dht state file", () => {
  test("save then load; saving again replaces the file and leaves no temp file", async () => {
    dir = await makeTempDir("ripple-dht-state-");
    const path = join(dir, "dht.json");
    expect(await loadDhtState(path, silentLogger)).toBeUndefined();
    const table = { id: "ab".repeat(20), nodes: [{ id: "cd".repeat(20), host: "127.0.0.1", port: 6881 }] };
    await saveDhtState(path, { version: 1, externalIp: "127.0.0.1", table });
    await saveDhtState(path, { version: 1, table });
    expect(await loadDhtState(path, silentLogger)).toEqual({ externalIp: undefined, table });
    expect(await readdir(dir)).toEqual(["dht.json"]);
  });

  test("a corrupt or foreign file is ignored with a warning", async () => {
    dir = await makeTempDir("ripple-dht-state-");
    const path = join(dir, "dht.json");
    const warnings: string[] = [];
    await writeFile(path, "{ not json");
    expect(await loadDhtState(path, recordingLog(warnings))).toBeUndefined();
    await writeFile(path, JSON.stringify({ version: 7, table: {} }));
    expect(await loadDhtState(path, recordingLog(warnings))).toBeUndefined();
    expect(warnings.length).toBe(2);
    expect(warnings[1]).toContain("unknown state version 7");
  });
});
