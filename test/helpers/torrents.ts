// Test helpers for in-process ripple Clients: loopback clients closed after each test, and waiting for
// a torrent to finish (or fail) without sleeping.

import { afterEach } from "bun:test";
import { Client, type ClientOptions, type Torrent, type TorrentStats } from "../../src/index.ts";

/** Resolves with the final stats once every wanted piece is verified; rejects with the torrent's error. */
export function finished(torrent: Torrent): Promise<TorrentStats> {
  return new Promise((resolve, reject) => {
    if (torrent.done) resolve(torrent.stats());
    torrent.on("done", resolve);
    torrent.on("error", ({ error }) => reject(error));
  });
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
