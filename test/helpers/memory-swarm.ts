// Test helper: a Torrent wired to scripted seeders over in-memory transports, on a fake clock, with an
// in-memory storage: no sockets, no disk, no real timers. Stopped after each test.

import { afterEach } from "bun:test";
import { Torrent, type TorrentEvents } from "../../src/swarm/index.ts";
import type { PeerAddress } from "../../src/util/index.ts";
import { FakeTime, Recorder } from "./fake-time.ts";
import { MemoryStorage } from "./memory-storage.ts";
import { scriptSeeder, scriptedNetwork, type SeederScript } from "./scripted-peer.ts";
import type { TorrentFixture } from "./torrent-fixture.ts";
import { finished } from "./torrents.ts";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A started Torrent for `fx` that dials only the memory network; `seeder()` puts a scripted one at an address. */
export async function memoryTorrent(fx: TorrentFixture) {
  const time = new FakeTime();
  const swarm = scriptedNetwork({ clock: time });
  const storage = new MemoryStorage(fx.meta);
  const torrent = new Torrent({
    meta: fx.meta,
    storage,
    peerId: new TextEncoder().encode("-RP0001-component001"),
    clock: time,
    dial: { dialer: swarm.net.dialer },
  });
  stops.push(() => torrent.stop());
  const peerEvents = new Recorder<TorrentEvents["peer"]>();
  torrent.on("peer", (e) => peerEvents.push(e));
  const done = finished(torrent);
  await torrent.start();
  const seeder = (address: PeerAddress, script: SeederScript = {}) =>
    swarm.listen(address, (peer) => scriptSeeder(peer, { infoHash: fx.meta.infoHash, pieceLength: fx.meta.pieceLength, data: fx.data }, script));
  /** The storage holds exactly the source bytes. */
  const complete = () => Buffer.from(storage.bytes).equals(Buffer.from(fx.data));
  return { time, swarm, storage, torrent, peerEvents, done, seeder, complete };
}
