// The swarm core (swarm/swarm-core.ts) that a torrent and a metadata fetch share: the announcers' peers
// reaching the owner and the pool, what the announcers are told, start/stop order, and the tick and
// wake-up on a fake clock. A scripted announcer; nothing is dialed (no peer is known or the owner is
// closed), so no sockets.

import { describe, expect, test } from "bun:test";
import { SwarmCore, type SwarmHandler } from "../../src/swarm/swarm-core.ts";
import type { Announcer, AnnouncerHooks } from "../../src/util/index.ts";
import { FakeTime } from "../helpers/fake-time.ts";

function setup(o: { open?: boolean } = {}) {
  const time = new FakeTime();
  const calls: string[] = [];
  const ticks: [number, number][] = [];
  let wakes = 0;
  let hooks: AnnouncerHooks | undefined;
  const announcer: Announcer = {
    start: () => void calls.push("start"),
    completed: () => void calls.push("completed"),
    requestPeers: () => void calls.push("requestPeers"),
    stop: async () => void calls.push("stop"),
  };
  const announced: [string, number][] = [];
  const handler: SwarmHandler<never> = {
    isOpen: () => o.open === true,
    admit: () => undefined,
    admitted: () => {},
    message: () => {},
    closed: () => {},
    tick: (now, elapsedMs) => void ticks.push([now, elapsedMs]),
    wake: () => void wakes++,
    announceStats: () => ({ uploaded: 1, downloaded: 2, left: 3 }),
    announced: (source, count) => void announced.push([source, count]),
  };
  const core = new SwarmCore<never>(
    {
      infoHash: new Uint8Array(20).fill(7),
      peerId: new TextEncoder().encode("-RP0001-swarmcore001"),
      maxMessageLength: 1 << 20,
      clock: time,
      createAnnouncer: (h) => {
        hooks = h;
        return announcer;
      },
    },
    handler,
  );
  return { core, time, calls, announced, ticks, wakes: () => wakes, hooks: hooks! };
}

describe("SwarmCore", () => {
  test("an announcer's answer reaches the owner, then the pool; its stats are the owner's", () => {
    const { core, announced, hooks } = setup();
    hooks.onPeers([{ host: "127.0.0.1", port: 1 }, { host: "127.0.0.1", port: 2 }], "http://tracker/announce");
    expect(announced).toEqual([["http://tracker/announce", 2]]);
    expect(core.connections.pool.size).toBe(2);
    expect(hooks.getStats()).toEqual({ uploaded: 1, downloaded: 2, left: 3 });
  });

  test("identity: the info hash, our peer id, and the fast and extension bits", () => {
    const { core } = setup();
    expect(core.identity.infoHash).toEqual(new Uint8Array(20).fill(7));
    expect(core.identity.reserved[7]! & 0x04).toBe(0x04); // BEP 6
    expect(core.identity.reserved[5]! & 0x10).toBe(0x10); // BEP 10
  });

  test("start announces once; stop awaits the announcer's stop; a start after stop does nothing", async () => {
    const { core, calls } = setup();
    core.start();
    core.start();
    core.completed();
    await core.stop("done");
    core.start();
    expect(calls).toEqual(["start", "completed", "stop"]);
  });

  test("a stop before start stops the announcer without ever starting it", async () => {
    const { core, calls } = setup();
    await core.stop("cancelled");
    core.start();
    expect(calls).toEqual(["stop"]);
    expect(core.acceptIncoming()).toBeUndefined();
  });

  test("a tick a second with the time since the last; peers asked for when none are left, only while open", async () => {
    const open = setup({ open: true });
    open.time.advance(500);
    open.core.start();
    open.time.advance(3000);
    expect(open.ticks).toEqual([[1500, 1000], [2500, 1000], [3500, 1000]]);
    // Nobody connected, dialing or known: each tick asks the announcers early.
    expect(open.calls.filter((c) => c === "requestPeers")).toHaveLength(3);
    await open.core.stop("done");
    open.time.advance(5000);
    expect(open.ticks).toHaveLength(3);

    const closed = setup();
    closed.core.start();
    closed.time.advance(2000);
    expect(closed.ticks).toHaveLength(2);
    expect(closed.calls).toEqual(["start"]);
    await closed.core.stop("done");
  });

  test("pause stops the tick but not the announcers", async () => {
    const { core, time, calls, ticks } = setup({ open: true });
    core.start();
    time.advance(1000);
    core.pause();
    time.advance(5000);
    expect(ticks).toHaveLength(1);
    await core.stop("done");
    expect(calls.at(-1)).toBe("stop");
  });

  test("wake-ups asked for meanwhile come as one, at the earliest time asked", async () => {
    const { core, time, wakes } = setup();
    core.wakeAfter(50);
    core.wakeAfter(20);
    core.wakeAfter(30);
    time.advance(19);
    expect(wakes()).toBe(0);
    time.advance(1);
    expect(wakes()).toBe(1);
    time.advance(100);
    expect(wakes()).toBe(1);
    expect(time.pending).toBe(0);
    core.wakeAfter(10);
    await core.stop("done");
    time.advance(100);
    expect(wakes()).toBe(1);
    core.wakeAfter(10); // stopped: no timer any more
    expect(time.pending).toBe(0);
  });
});
