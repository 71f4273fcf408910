// DataCheck's resume save: the `saved` date comes from the clock it is given (the one read of the wall
// clock the storage layer makes), and the pieces it records load back.

import { expect, test } from "bun:test";
import { join } from "node:path";
import { DataCheck, loadResume } from "../../src/storage/index.ts";
import { silentLogger } from "../../src/util/index.ts";
import { FakeTime } from "../helpers/fake-time.ts";
import { MemoryStorage } from "../helpers/memory-storage.ts";
import { tempDir } from "../helpers/temp-dir.ts";
import { makeTorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

test("the resume file is dated by the injected clock and records the verified pieces", async () => {
  await using dir = await tempDir();
  const fixture = makeTorrentFixture({ name: "d.bin", pieceLength: 16384, data: patternBytes(3 * 16384, 7) });
  const time = new FakeTime();
  time.epochStartMs = Date.UTC(2030, 5, 1);
  time.advance(1234);
  const resumePath = join(dir.path, "d.bin.ripple");
  const warnings: string[] = [];
  const check = new DataCheck({
    meta: fixture.meta,
    storage: new MemoryStorage(fixture.meta),
    resumePath,
    log: silentLogger,
    onWarning: (m) => warnings.push(m),
    clock: time,
  });
  const have = { count: 2, toBytes: () => Uint8Array.of(0b1010_0000) };
  await check.save(have, true);
  expect(warnings).toEqual([]);
  const { state, problem } = loadResume(resumePath, fixture.meta);
  expect(problem).toBeUndefined();
  expect(state!.savedAtMs).toBe(Date.UTC(2030, 5, 1) + 1234);
  expect([...state!.have]).toEqual([0b1010_0000]);
});
