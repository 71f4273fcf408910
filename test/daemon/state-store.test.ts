// The daemon's state dir: a round trip, a leftover temp file from a crash, and a corrupt file refused.

import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StateStore } from "../../src/daemon/index.ts";
import { tempDir } from "../helpers/temp-dir.ts";

test("round trip, torrents/<hash>.torrent, and the temp file of a cut-short write removed", async () => {
  await using work = await tempDir("ripple-state-");
  const store = new StateStore(join(work.path, "state"));
  expect(store.load()).toEqual({ version: 1, categories: {}, tags: [], torrents: [] });
  const state = { version: 1 as const, categories: { tv: { savePath: "/d" } }, tags: ["x"], torrents: [] };
  await Promise.all([store.save({ ...state, tags: ["old"] }), store.save(state)]); // serialised: the last one wins
  await writeFile(join(work.path, "state", "daemon.json.tmp"), "{ half a writ");
  expect(new StateStore(join(work.path, "state")).load()).toEqual(state);
  expect(existsSync(join(work.path, "state", "daemon.json.tmp"))).toBe(false);
  await store.writeTorrent("ab".repeat(20), new Uint8Array([1, 2, 3]));
  expect([...store.readTorrent("ab".repeat(20))]).toEqual([1, 2, 3]);
  store.removeTorrent("ab".repeat(20));
  expect(existsSync(store.torrentPath("ab".repeat(20)))).toBe(false);
});

test("a corrupt or foreign state file is an error naming it, never an empty state", async () => {
  await using work = await tempDir("ripple-state-");
  const store = new StateStore(work.path);
  await writeFile(join(work.path, "daemon.json"), "{ not json");
  expect(() => store.load()).toThrow(`cannot read ${join(work.path, "daemon.json")}:`);
  await writeFile(join(work.path, "daemon.json"), JSON.stringify({ version: 7, torrents: [] }));
  expect(() => store.load()).toThrow(`${join(work.path, "daemon.json")} is not a ripple daemon state file (version 1)`);
});
