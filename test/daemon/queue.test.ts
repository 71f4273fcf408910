// The daemon's queue rules (daemon/queue.ts): order, which torrents run under the active limit, moves to
// the top or bottom, and the seeding limits. Pure tables.

import { describe, expect, test } from "bun:test";
import type { Entry } from "../../src/daemon/entry.ts";
import { moveInQueue, nextQueuePos, planQueue, queueOrder, shareLimitReached } from "../../src/daemon/queue.ts";
import type { TorrentRecord, TorrentView } from "../../src/daemon/index.ts";

function rec(hash: string, over: Partial<TorrentRecord> = {}): TorrentRecord {
  return {
    hash, hasTorrentFile: true, name: hash, savePath: "/d", category: "", tags: [], stopped: false, complete: false,
    addedOn: 0, completionOn: -1, ratioLimit: -2, seedingTimeLimit: -2, uploaded: 0, downloaded: 0, seedingTimeSec: 0,
    verifiedBytes: 0, sizeBytes: 100, queuePos: 0, ...over,
  };
}

/** Entries from "name:pos[:flags]" with flags c(omplete), s(topped), f(orce start), e(rror), m(issing files). */
function entries(spec: string): Entry[] {
  return spec.split(" ").map((item) => {
    const [hash, pos, flags = ""] = item.split(":");
    const phase = flags.includes("e") ? "error" : flags.includes("m") ? "missingFiles" : flags.includes("s") ? "stopped" : "queued";
    return { rec: rec(hash!, { queuePos: Number(pos), complete: flags.includes("c"), stopped: flags.includes("s"), forceStart: flags.includes("f") }), phase };
  });
}

const plan = (spec: string, maxActive: number) =>
  planQueue(queueOrder(entries(spec)), maxActive)
    .map(({ entry, run }) => `${entry.rec.hash}${run ? "+" : "-"}`)
    .join(" ");

describe("planQueue", () => {
  test.each([
    ["a:0 b:1 c:2 d:3", 2, "a+ b+ c- d-"],
    ["d:3 c:2 b:1 a:0", 2, "a+ b+ c- d-"],
    ["a:0 b:1 c:2", -1, "a+ b+ c+"],
    ["a:0 b:1 c:2", 0, "a- b- c-"],
    // complete and force-started torrents run and take no slot
    ["a:0:c b:1:f c:2 d:3", 1, "a+ b+ c+ d-"],
    // stopped, errored and missing ones are left alone and take no slot
    ["a:0:s b:1:e c:2:m d:3 e:4", 1, "d+ e-"],
  ] as [string, number, string][])("%s with %d active -> %s", (spec, maxActive, expected) => {
    expect(plan(spec, maxActive)).toBe(expected);
  });
});

describe("queue positions", () => {
  test("a new torrent goes after every other; the first one at 0", () => {
    expect(nextQueuePos([])).toBe(0);
    expect(nextQueuePos([rec("a", { queuePos: 4 }), rec("b", { queuePos: -3 })])).toBe(5);
  });

  test("moves to the top or bottom keep the moved torrents' order", () => {
    const all = entries("a:0 b:1 c:2 d:3");
    const records = all.map((e) => e.rec);
    moveInQueue(records, [all[2]!, all[3]!], "top");
    expect(queueOrder(all).map((e) => e.rec.hash)).toEqual(["c", "d", "a", "b"]);
    moveInQueue(records, [all[2]!], "bottom");
    expect(queueOrder(all).map((e) => e.rec.hash)).toEqual(["d", "a", "b", "c"]);
  });
});

describe("shareLimitReached", () => {
  const v = (over: Partial<TorrentView>) => ({ uploadedBytes: 0, downloadedBytes: 100, sizeBytes: 100, seedingTimeSec: 0, ...over }) as TorrentView;
  test.each([
    // [ratioLimit, seedingTimeLimit, global, view, expected]
    [-2, -2, {}, { uploadedBytes: 1000 }, undefined],
    [-2, -2, { ratio: 2 }, { uploadedBytes: 200 }, "ratio"],
    [-2, -2, { ratio: 2 }, { uploadedBytes: 199 }, undefined],
    [-1, -2, { ratio: 2 }, { uploadedBytes: 1000 }, undefined],
    [1, -1, {}, { uploadedBytes: 100 }, "ratio"],
    // nothing downloaded (seeded from disk): the ratio is against the size
    [1, -1, {}, { uploadedBytes: 99, downloadedBytes: 0 }, undefined],
    [-1, 2, {}, { seedingTimeSec: 120 }, "time"],
    [-1, -2, { seedingTimeMin: 1 }, { seedingTimeSec: 59 }, undefined],
    [1, 1, {}, { uploadedBytes: 100, seedingTimeSec: 60 }, "ratio"],
  ] as [number, number, { ratio?: number; seedingTimeMin?: number }, Partial<TorrentView>, string | undefined][])(
    "ratio %d, time %d, global %o, %o -> %s",
    (ratioLimit, seedingTimeLimit, global, over, expected) => {
      expect(shareLimitReached(v(over), rec("a", { ratioLimit, seedingTimeLimit }), global)).toBe(expected as "ratio" | "time" | undefined);
    },
  );
});
