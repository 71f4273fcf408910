// Incoming connections that open with an MSE/PE handshake (as aria2c, libtorrent and Transmission do
// when they prefer encryption): a ripple seeder answers it, in plaintext or RC4 as offered, and serves
// the right bytes; a plain handshake still works beside it, and an encrypted one for a torrent it does
// not serve is dropped.

import { describe, expect, test } from "bun:test";
import { BLOCK_SIZE } from "../src/metainfo/index.ts";
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  Framer,
  encodeHandshake,
  encodeMessage,
  encodeRequest,
  makeReserved,
  maxMessageLengthFor,
  type PeerMessage,
} from "../src/wire/index.ts";
import { tempDir } from "./helpers/process.ts";
import { MseInitiator } from "./helpers/mse-initiator.ts";
import { type WireEvent, wireEventHandlers } from "./helpers/wire-client.ts";
import { makeTorrentFixture, patternBytes, writeFixtureFiles } from "./helpers/torrent-fixture.ts";
import { finished, useClients } from "./helpers/torrents.ts";

const { client } = useClients();
const fixture = makeTorrentFixture({ name: "enc.bin", pieceLength: 2 * BLOCK_SIZE, data: patternBytes(6 * 2 * BLOCK_SIZE, 5) });

/** Dials `port` with an MSE handshake offering `provide`, then speaks BitTorrent inside it. */
async function encryptedPeer(port: number, provide: number, infoHash = fixture.meta.infoHash) {
  const a = new MseInitiator(infoHash);
  const events: WireEvent[] = [];
  let wake: (() => void) | undefined;
  let selected: number | undefined;
  let closed = false;
  let received = new Uint8Array(0);
  const framer = new Framer({ maxMessageLength: maxMessageLengthFor(fixture.meta.pieceCount), expectHandshake: true });
  const handlers = wireEventHandlers((e) => void events.push(e));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      open: (s) => void s.write(a.hello()),
      data: (s, data) => {
        let chunk: Uint8Array = data;
        if (selected === undefined) {
          const had = received.length;
          received = new Uint8Array([...received, ...chunk]);
          if (had < 96 && received.length >= 96) {
            const ia = encodeHandshake({ infoHash, peerId: new TextEncoder().encode("-TT0001-encrypted001"), reserved: makeReserved({ fast: true }) });
            s.write(a.request(received.subarray(0, 96), ia, { provide }));
          }
          const answer = received.length > 96 ? a.answer(had <= 96 ? received.subarray(96) : chunk) : undefined;
          if (answer === undefined) return;
          selected = answer.selected;
          chunk = answer.rest;
        }
        if (selected === CRYPTO_RC4) a.ciphers.decrypt.apply(chunk);
        framer.push(chunk, handlers);
        wake?.();
      },
      close: () => {
        closed = true;
        wake?.();
      },
    },
  });
  const send = (bytes: Uint8Array) => void socket.write(selected === CRYPTO_RC4 ? a.ciphers.encrypt.apply(bytes.slice()) : bytes);
  const next = async <T extends WireEvent["type"]>(type: T): Promise<Extract<WireEvent, { type: T }> | undefined> => {
    for (;;) {
      const at = events.findIndex((e) => e.type === type);
      if (at >= 0) return events.splice(0, at + 1)[at] as never;
      if (closed) return undefined;
      await new Promise<void>((r) => (wake = r));
    }
  };
  return { send, next, selected: () => selected, closed: () => closed, end: () => socket.end() };
}

async function seeder() {
  const work = await tempDir();
  await writeFixtureFiles(fixture, work.path);
  const c = client();
  await finished(c.addTorrent(fixture.meta, { outDir: work.path, noTrackers: true }));
  return { port: c.port, work };
}

describe("a seeder answering encrypted handshakes", () => {
  for (const [name, provide, expected] of [
    ["plaintext and RC4 offered: plaintext chosen", CRYPTO_PLAINTEXT | CRYPTO_RC4, CRYPTO_PLAINTEXT],
    ["only RC4 offered: the whole stream encrypted", CRYPTO_RC4, CRYPTO_RC4],
  ] as const) {
    test(`${name}, and the blocks served are right`, async () => {
      const { port, work } = await seeder();
      await using _ = work;
      const peer = await encryptedPeer(port, provide);
      expect(await peer.next("handshake")).toBeDefined();
      expect(peer.selected()).toBe(expected);
      peer.send(encodeMessage({ type: "interested" }));
      expect(await peer.next("unchoke")).toBeDefined();
      peer.send(encodeRequest(3, BLOCK_SIZE, BLOCK_SIZE));
      const piece = (await peer.next("piece")) as Extract<PeerMessage, { type: "piece" }>;
      const start = 3 * fixture.meta.pieceLength + BLOCK_SIZE;
      expect(Bun.hash(piece.block)).toBe(Bun.hash(fixture.data.subarray(start, start + BLOCK_SIZE)));
      peer.end();
    });
  }

  test("an encrypted handshake for a torrent it does not serve is dropped", async () => {
    const { port, work } = await seeder();
    await using _ = work;
    const peer = await encryptedPeer(port, CRYPTO_PLAINTEXT, new Uint8Array(20).fill(7));
    expect(await peer.next("handshake")).toBeUndefined();
    expect(peer.closed()).toBe(true);
  });
});
