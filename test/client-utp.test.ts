// ripple <-> ripple over uTP (BEP 29) on 127.0.0.1: a leecher that dials uTP only downloads from a seeder
// that accepts uTP beside TCP, byte-identical, plaintext and RC4 (MSE runs over the transport).

import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "../src/client.ts";
import type { Torrent, TorrentEvents } from "../src/swarm/index.ts";
import { tempDir } from "./helpers/process.ts";
import { makeTorrentFixture, patternBytes } from "./helpers/torrent-fixture.ts";
import { finished, seedFixture, useClients } from "./helpers/torrents.ts";

const { client, defer } = useClients();
const fixture = makeTorrentFixture({ name: "utp.bin", pieceLength: 64 * 1024, data: patternBytes(3 * 1024 * 1024 + 777, 29) });
type PeerEvent = TorrentEvents["peer"];

const seeder = (c: Client) => seedFixture(c, fixture, defer);

async function download(c: Client, port: number, host = "127.0.0.1") {
  const out = await tempDir();
  defer(() => out[Symbol.asyncDispose]());
  const torrent: Torrent = c.addTorrent(fixture.meta, { outDir: out.path, peers: [{ host, port }], noTrackers: true });
  const events: PeerEvent[] = [];
  torrent.on("peer", (e) => void events.push(e));
  await finished(torrent);
  return { events, data: new Uint8Array(await readFile(join(out.path, fixture.meta.name))) };
}

describe("ripple to ripple over uTP", () => {
  for (const encryption of ["plain", "require"] as const) {
    test(`uTP only, encryption ${encryption}: byte-identical, and the connection is uTP`, async () => {
      const port = await seeder(client({ encryption }));
      const { events, data } = await download(client({ encryption, utp: "only" }), port);
      expect(Buffer.compare(data, fixture.data)).toBe(0);
      const connected = events.find((e) => e.event === "connected");
      expect(connected?.transport).toBe("utp");
      expect(connected?.encryption).toBe(encryption === "require" ? "rc4" : "plaintext");
    });
  }

  test("auto dials TCP first on loopback", async () => {
    const port = await seeder(client());
    const { events, data } = await download(client({ utp: "auto" }), port);
    expect(Buffer.compare(data, fixture.data)).toBe(0);
    expect(events.find((e) => e.event === "connected")?.transport).toBe("tcp");
  });

  test("prefer dials uTP first, loopback too", async () => {
    const port = await seeder(client());
    const { events, data } = await download(client({ utp: "prefer" }), port);
    expect(Buffer.compare(data, fixture.data)).toBe(0);
    expect(events.find((e) => e.event === "connected")?.transport).toBe("utp");
  });

  test("a seeder with uTP off is reached over TCP", async () => {
    const port = await seeder(client({ utp: "off" }));
    const { events, data } = await download(client({ utp: "auto" }), port);
    expect(Buffer.compare(data, fixture.data)).toBe(0);
    expect(events.find((e) => e.event === "connected")?.transport).toBe("tcp");
  });

  test("over IPv6 (::1) too", async () => {
    const port = await seeder(client({ host: "::1" }));
    const { events, data } = await download(client({ host: "::1", utp: "only" }), port, "::1");
    expect(Buffer.compare(data, fixture.data)).toBe(0);
    expect(events.find((e) => e.event === "connected")).toMatchObject({ address: `[::1]:${port}`, transport: "utp" });
  });

  test("a seeder on the default dual-stack listener takes uTP over IPv4 and IPv6", async () => {
    const port = await seeder(client({ host: undefined }));
    for (const host of ["127.0.0.1", "::1"]) {
      const { events, data } = await download(client({ host, utp: "only" }), port, host);
      expect(Buffer.compare(data, fixture.data)).toBe(0);
      expect(events.find((e) => e.event === "connected")?.transport).toBe("utp");
    }
  });

  test("the uTP socket has the TCP listener's port number; with uTP off there is none", async () => {
    const on = client();
    expect((await on.utpSocket())?.port).toBe(on.port);
    expect(await client({ utp: "off" }).utpSocket()).toBeUndefined();
  });
});
