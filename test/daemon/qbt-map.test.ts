// The qBittorrent view of a daemon torrent: states, ratio, ETA, filters, sorting and paging, files.

import { describe, expect, test } from "bun:test";
import { ETA_INFINITE, listInfo, matchesFilter, qbtState, shareRatio, torrentFiles, torrentInfo, type TorrentView } from "../../src/daemon/index.ts";

function view(over: Partial<TorrentView> = {}): TorrentView {
  return {
    hash: "aa".repeat(20), name: "t", phase: "running", complete: false, forceStart: false, sizeBytes: 1000, totalSizeBytes: 1000, verifiedBytes: 0,
    downloadedBytes: 0, uploadedBytes: 0, downloadedSessionBytes: 0, uploadedSessionBytes: 0, downloadRate: 0, uploadRate: 0,
    peers: 0, knownPeers: 0, savePath: "/d", contentPath: "/d/t", category: "", tags: [], addedOn: 100, completionOn: -1,
    seedingTimeSec: 0, ratioLimit: -2, seedingTimeLimit: -2, priority: 1, magnetUri: "magnet:?xt=urn:btih:x", tracker: "",
    trackersCount: 0, pieceLength: 16384, pieceCount: 1, piecesDone: 0, isPrivate: false, comment: "", createdBy: "", creationDate: -1,
    ...over,
  };
}

describe("qbtState", () => {
  test.each([
    [{ phase: "running", downloadRate: 5 }, "downloading"],
    [{ phase: "running" }, "stalledDL"],
    [{ phase: "running", complete: true, uploadRate: 1 }, "uploading"],
    [{ phase: "running", complete: true }, "stalledUP"],
    [{ phase: "stopped" }, "stoppedDL"],
    [{ phase: "stopped", complete: true }, "stoppedUP"],
    [{ phase: "queued" }, "queuedDL"],
    [{ phase: "checking" }, "checkingDL"],
    [{ phase: "checking", complete: true }, "checkingUP"],
    [{ phase: "metaDL" }, "metaDL"],
    [{ phase: "error" }, "error"],
    [{ phase: "missingFiles", complete: true }, "missingFiles"],
    [{ phase: "running", forceStart: true }, "forcedDL"],
    [{ phase: "running", forceStart: true, complete: true }, "forcedUP"],
    [{ phase: "metaDL", forceStart: true }, "forcedMetaDL"],
    [{ phase: "queued", forceStart: true }, "queuedDL"],
  ] as [Partial<TorrentView>, string][])("%o -> %s", (over, state) => {
    expect(qbtState(view(over))).toBe(state);
  });
});

describe("torrentInfo", () => {
  test("the fields integrations read", () => {
    const info = torrentInfo(view({ verifiedBytes: 250, downloadedBytes: 300, uploadedBytes: 600, downloadRate: 75, category: "tv", tags: ["a", "b"] }), 200);
    expect(info).toMatchObject({
      hash: "aa".repeat(20), name: "t", size: 1000, total_size: 1000, progress: 0.25, state: "downloading", save_path: "/d",
      content_path: "/d/t", ratio: 2, eta: 10, amount_left: 750, category: "tv", tags: "a, b", dlspeed: 75, upspeed: 0,
      added_on: 100, completion_on: -1, downloaded: 300, uploaded: 600, time_active: 100,
    });
  });

  test("ETA is qBittorrent's infinity when nothing arrives, when stopped and when complete", () => {
    expect(torrentInfo(view(), 0).eta).toBe(ETA_INFINITE);
    expect(torrentInfo(view({ phase: "stopped", downloadRate: 9 }), 0).eta).toBe(ETA_INFINITE);
    expect(torrentInfo(view({ complete: true, verifiedBytes: 1000 }), 0)).toMatchObject({ eta: ETA_INFINITE, progress: 1 });
  });

  test("ratio: uploaded over downloaded, over the data held when little was downloaded, capped at 9999", () => {
    expect(shareRatio(view())).toBe(0);
    expect(shareRatio(view({ uploadedBytes: 10 }))).toBe(9999);
    expect(shareRatio(view({ verifiedBytes: 1000, downloadedBytes: 0, uploadedBytes: 500 }))).toBe(0.5);
  });
});

describe("listInfo", () => {
  const a = view({ hash: "a".repeat(40), name: "b-name", category: "tv", phase: "running", complete: true, uploadRate: 3, tags: ["x"] });
  const b = view({ hash: "b".repeat(40), name: "a-name", phase: "stopped", sizeBytes: 5 });
  const c = view({ hash: "c".repeat(40), name: "c-name", phase: "running", downloadRate: 1, sizeBytes: 9 });
  const all = [a, b, c];
  const names = (rows: Record<string, unknown>[]) => rows.map((r) => r.name);

  test("filters", () => {
    expect(names(listInfo(all, { filter: "seeding" }, 0))).toEqual(["b-name"]);
    expect(names(listInfo(all, { filter: "downloading" }, 0))).toEqual(["c-name"]);
    expect(names(listInfo(all, { filter: "stopped" }, 0))).toEqual(["a-name"]);
    expect(names(listInfo(all, { filter: "paused" }, 0))).toEqual(["a-name"]);
    expect(names(listInfo(all, { filter: "completed" }, 0))).toEqual(["b-name"]);
    expect(names(listInfo(all, { filter: "active" }, 0))).toEqual(["b-name", "c-name"]);
    expect(names(listInfo(all, { filter: "inactive" }, 0))).toEqual(["a-name"]);
    expect(matchesFilter(view({ phase: "error" }), "errored")).toBe(true);
    expect(names(listInfo(all, { category: "tv" }, 0))).toEqual(["b-name"]);
    expect(names(listInfo(all, { category: "" }, 0))).toEqual(["a-name", "c-name"]);
    expect(names(listInfo(all, { tag: "x" }, 0))).toEqual(["b-name"]);
    expect(names(listInfo(all, { hashes: ["c".repeat(40)] }, 0))).toEqual(["c-name"]);
  });

  test("sort, reverse, offset (negative from the end) and limit", () => {
    expect(names(listInfo(all, { sort: "name" }, 0))).toEqual(["a-name", "b-name", "c-name"]);
    expect(names(listInfo(all, { sort: "size", reverse: true }, 0))).toEqual(["b-name", "c-name", "a-name"]);
    expect(names(listInfo(all, { sort: "name", offset: 1, limit: 1 }, 0))).toEqual(["b-name"]);
    expect(names(listInfo(all, { sort: "name", offset: -1 }, 0))).toEqual(["c-name"]);
  });
});

test("torrentFiles: progress from the pieces a file spans; pad files left out", () => {
  const files = [
    { path: ["one"], lengthBytes: 10, offsetBytes: 0, isPad: false },
    { path: [".pad", "6"], lengthBytes: 6, offsetBytes: 10, isPad: true },
    { path: ["two"], lengthBytes: 32, offsetBytes: 16, isPad: false },
    { path: ["empty"], lengthBytes: 0, offsetBytes: 48, isPad: false },
  ];
  const rows = torrentFiles(files, true, "dir", 16, (i) => i === 1);
  expect(rows).toEqual([
    { index: 0, name: "dir/one", size: 10, progress: 0, priority: 1, is_seed: false, piece_range: [0, 0], availability: -1 },
    { index: 2, name: "dir/two", size: 32, progress: 0.5, priority: 1, is_seed: false, piece_range: [1, 2], availability: -1 },
    { index: 3, name: "dir/empty", size: 0, progress: 1, priority: 1, is_seed: true, piece_range: [3, 3], availability: -1 },
  ]);
});
