// Categories and tags with qBittorrent's rules, on a state object.

import { expect, test } from "bun:test";
import * as labels from "../../src/daemon/labels.ts";
import type { DaemonState, TorrentRecord } from "../../src/daemon/index.ts";

function state(): { s: DaemonState; a: TorrentRecord; b: TorrentRecord } {
  const rec = (hash: string) => ({ hash, category: "", tags: [] as string[] }) as unknown as TorrentRecord;
  const a = rec("a");
  const b = rec("b");
  return { s: { version: 1, categories: {}, tags: [], torrents: [a, b] }, a, b };
}

test("categories: must exist to be set, names checked, removal clears the torrents' category", () => {
  const { s, a, b } = state();
  expect(() => labels.setCategory(s, [a], "tv")).toThrow('category "tv" does not exist');
  labels.createCategory(s, "tv", "/d/tv");
  labels.createCategory(s, "tv/hd", "");
  for (const bad of ["", " ", "/x", "x/", "a//b", "a\\b"]) expect(() => labels.createCategory(s, bad, "")).toThrow("invalid category name");
  expect(() => labels.createCategory(s, "tv", "")).toThrow('category "tv" already exists');
  labels.setCategory(s, [a, b], "tv");
  labels.editCategory(s, "tv", "/d/television");
  expect(s.categories).toEqual({ tv: { savePath: "/d/television" }, "tv/hd": { savePath: "" } });
  labels.setCategory(s, [b], "");
  labels.removeCategories(s, ["tv"]);
  expect([a.category, b.category, Object.keys(s.categories)]).toEqual(["", "", ["tv/hd"]]);
});

test("tags: trimmed, created on use, removed per torrent (all when none named) or everywhere", () => {
  const { s, a, b } = state();
  expect(labels.addTags(s, [a, b], [" x", "y ", "", "x"])).toEqual(["x", "y"]);
  labels.addTags(s, [b], ["z"]);
  expect([s.tags, a.tags, b.tags]).toEqual([["x", "y", "z"], ["x", "y"], ["x", "y", "z"]]);
  labels.removeTags([a], ["x"]);
  labels.removeTags([b], []);
  expect([a.tags, b.tags]).toEqual([["y"], []]);
  labels.deleteTags(s, ["y"]);
  expect([s.tags, a.tags]).toEqual([["x", "z"], []]);
});
