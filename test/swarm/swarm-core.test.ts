// The swarm core (swarm/swarm-core.ts) that a torrent and a metadata fetch share: the announcers' peers
// reaching the owner and the pool, what the announcers are told, and start/stop order. A scripted
// announcer; nothing is dialed (the owner is closed), so no sockets.

import { describe, expect, test } from "bun:test";
import { SwarmCore, type SwarmHandler } from "../../src/swarm/swarm-core.ts";
import type { Announcer, AnnouncerHooks } from "../../src/util/index.ts";

function setup() {
  const calls: string[] = [];
  let hooks: AnnouncerHooks | undefined;
  const announcer: Announcer = {
    start: () => void calls.push("start"),
    completed: () => void calls.push("completed"),
    requestPeers: () => void calls.push("requestPeers"),
    stop: async () => void calls.push("stop"),
  };
  const announced: [string, number][] = [];
  const handler: SwarmHandler<never> = {
    isOpen: () => false,
    admit: () => undefined,
    admitted: () => {},
    message: () => {},
    closed: () => {},
    tick: () => {},
    announceStats: () => ({ uploaded: 1, downloaded: 2, left: 3 }),
    announced: (source, count) => void announced.push([source, count]),
  };
  const core = new SwarmCore<never>(
    {
      infoHash: new Uint8Array(20).fill(7),
      peerId: new TextEncoder().encode("-RP0001-swarmcore001"),
      maxMessageLength: 1 << 20,
      createAnnouncer: (h) => {
        hooks = h;
        return announcer;
      },
    },
    handler,
  );
  return { core, calls, announced, hooks: hooks! };
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
});
