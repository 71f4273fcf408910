// Test helpers for in-process ripple Clients: loopback clients closed after each test, and waiting for
// a torrent to finish (or fail) without sleeping.

import { afterEach } from "bun:test";
import { Client, type AddTorrentOptions, type ClientOptions, type Torrent, type TorrentStats } from "../../src/index.ts";
import { startFakeSeeder, type FakeSeeder, type FakeSeederOptions } from "./fake-peer.ts";
import { tempDir } from "./temp-dir.ts";
import { writeFixtureFiles, type TorrentFixture } from "./torrent-fixture.ts";

/** Resolves with the final stats once every wanted piece is verified; rejects with the torrent's error. */
export function finished(torrent: Torrent): Promise<TorrentStats> {
  return new Promise((resolve, reject) => {
    if (torrent.done) resolve(torrent.stats());
    torrent.on("done", resolve);
    torrent.on("error", ({ error }) => reject(error));
  });
}

/** `c` downloads `fixture` from the one peer at 127.0.0.1:`port` (no trackers); resolves with the stats once complete. */
export function leechFixture(c: Client, fixture: TorrentFixture, port: number, outDir: string): Promise<TorrentStats> {
  return finished(c.addTorrent(fixture.meta, { outDir, peers: [{ host: "127.0.0.1", port }], noTrackers: true }));
}

/**
 * Registers an afterEach that closes what the returned functions made, newest first: `client()` makes a
 * Client on 127.0.0.1 and a free port; `defer()` adds any other cleanup.
 */
export function useClients(): { client: (options?: ClientOptions) => Client; defer: (close: () => unknown) => void } {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of cleanups.splice(0).reverse()) await close();
  });
  return {
    client(options = {}) {
      // The scripted fake peers speak plaintext only: dial them so (MSE tests ask for their policy).
      const c = new Client({ port: 0, host: "127.0.0.1", encryption: "plain", ...options });
      cleanups.push(() => c.close());
      return c;
    },
    defer(close) {
      cleanups.push(close);
    },
  };
}

/** What useClients() hands out. */
export type Defer = (close: () => unknown) => void;

/**
 * `c` seeds `fixture` from a temp dir holding its files (removed by `defer`); resolves with c's port once
 * the data is checked. `options` adds to the torrent's (e.g. seedOnly, superSeed).
 */
export async function seedFixture(c: Client, fixture: TorrentFixture, defer: Defer, options: Partial<AddTorrentOptions> = {}): Promise<number> {
  const work = await tempDir();
  defer(() => work[Symbol.asyncDispose]());
  await writeFixtureFiles(fixture, work.path);
  await finished(c.addTorrent(fixture.meta, { outDir: work.path, noTrackers: true, ...options }));
  return c.port;
}

/** A scripted seeder (helpers/fake-peer.ts) of `fixture`'s data under the 20-byte `peerId`, stopped by `defer`. */
export function fakeSeederOf(fixture: TorrentFixture, peerId: string, defer: Defer, options: FakeSeederOptions = {}): FakeSeeder {
  const { meta, data } = fixture;
  const seeder = startFakeSeeder(
    { infoHash: meta.infoHash, pieceLength: meta.pieceLength, totalLength: meta.totalLength, data },
    { peerId: new TextEncoder().encode(peerId), ...options },
  );
  defer(() => seeder.stop());
  return seeder;
}
