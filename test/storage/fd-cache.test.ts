// FdCache: at most `max` descriptors open, least recently used idle ones closed first, never one with
// I/O in flight and never the one just handed out (even when every other one is busy).

import { describe, expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { FdCache } from "../../src/storage/fd-cache.ts";

describe("FdCache", () => {
  test("more files in use at once than the cap: each use gets an open descriptor of its own file", async () => {
    const opened = new Map<number, number>();
    const cache = new FdCache((fileIndex) => {
      const fd = openSync("/dev/null", "r");
      opened.set(fd, fileIndex);
      return fd;
    }, 2);
    const release = Promise.withResolvers<void>();
    const seen: [number, number | undefined][] = [];
    const uses = [0, 1, 2, 3].map((i) =>
      cache.use(i, false, async (fd) => {
        seen.push([i, opened.get(fd)]);
        await release.promise;
      }),
    );
    release.resolve();
    await Promise.all(uses);
    expect(seen).toEqual([[0, 0], [1, 1], [2, 2], [3, 3]]);
    cache.closeAll();
  });

  test("idle descriptors beyond the cap are closed, least recently used first", () => {
    const closed: number[] = [];
    const fds = new Map<number, number>();
    const cache = new FdCache((fileIndex) => {
      const fd = openSync("/dev/null", "r");
      fds.set(fileIndex, fd);
      return fd;
    }, 2);
    cache.get(0, false);
    cache.get(1, false);
    cache.get(0, false); // 1 is now the least recently used
    cache.get(2, false);
    for (const [i, fd] of fds) {
      try {
        closeSync(fd);
      } catch {
        closed.push(i);
      }
    }
    expect(closed).toEqual([1]);
  });
});
