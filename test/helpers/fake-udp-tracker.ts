// Test helper: an in-process UDP tracker on 127.0.0.1 (BEP 15, through src/tracker/udp-codec.ts) that records
// every datagram and answers with a scripted behaviour: drops, error actions, crafted or garbage packets.
// Shell: owns two Bun UDP sockets (the tracker, and a second port for spoofed replies).

import type { udp } from "bun";
import type { PeerAddress } from "../../src/util/index.ts";
import {
  decodeUdpRequest,
  encodeAnnounceResponse,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeResponse,
  type UdpAnnounceRequest,
  type UdpRequest,
  type UdpScrapeEntry,
} from "../../src/tracker/index.ts";

/** One datagram as the tracker saw it. */
export interface RecordedUdpPacket {
  readonly bytes: Uint8Array;
  /** Undefined when the datagram did not decode as a BEP 15 request. */
  readonly request?: UdpRequest;
  readonly fromPort: number;
  /** Dropped by `dropNext`, or carrying a connection id this tracker did not hand out (or has expired). */
  readonly dropped: boolean;
  readonly badConnectionId: boolean;
}

/** How the tracker answers one request; a list sends several datagrams in order. */
export type FakeUdpReply =
  | {
      /** Connect: a fresh connection id. Announce: the peers. Scrape: `scrape(hash)` per hash (default zeros). */
      readonly kind: "ok";
      readonly peers?: readonly PeerAddress[];
      readonly intervalSec?: number;
      readonly seeders?: number;
      readonly leechers?: number;
      readonly scrape?: (infoHash: Uint8Array) => UdpScrapeEntry;
    }
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "drop" }
  /** Raw bytes; `spoofed` sends them from another local port than the tracker's. */
  | { readonly kind: "bytes"; readonly bytes: Uint8Array; readonly spoofed?: boolean };

type Script = FakeUdpReply | readonly FakeUdpReply[];
type TaggedAnnounce = UdpAnnounceRequest & { readonly action: "announce" };

export interface FakeUdpTracker extends AsyncDisposable {
  /** udp://127.0.0.1:PORT/announce */
  readonly url: string;
  readonly port: number;
  readonly packets: readonly RecordedUdpPacket[];
  /** Decoded announce requests that reached the script (not dropped). */
  readonly announces: readonly TaggedAnnounce[];
  /** Connect requests answered with a connection id. */
  readonly connects: number;
  /** The behaviour; a function may vary it per request (it sees the request and its 0-based index among all). */
  reply: Script | ((request: UdpRequest, index: number) => Script);
  /** Drops the next N datagrams unanswered (they are still recorded). */
  dropNext: number;
  /** What an announce or scrape with an unknown connection id gets; default an error action. */
  onBadConnectionId: "error" | "drop";
  /** Forgets every connection id handed out, as a restarted tracker or one minute passing would. */
  expireConnectionIds(): void;
  waitForPackets(count: number): Promise<RecordedUdpPacket[]>;
  waitForAnnounces(count: number): Promise<TaggedAnnounce[]>;
  close(): Promise<void>;
}

export const FAKE_UDP_PEERS: PeerAddress[] = [
  { host: "127.0.0.1", port: 6001 },
  { host: "127.0.0.2", port: 6002 },
];

export async function startFakeUdpTracker(reply: FakeUdpTracker["reply"] = { kind: "ok" }): Promise<FakeUdpTracker> {
  const packets: RecordedUdpPacket[] = [];
  const announces: TaggedAnnounce[] = [];
  const issued = new Set<bigint>();
  const waiters: { ready: () => boolean; resolve: () => void }[] = [];
  let nextConnectionId = 0x5eed_0000_0000_0001n;
  let connects = 0;
  let requests = 0;

  const notify = () => {
    for (const w of [...waiters]) {
      if (!w.ready()) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const waitUntil = async <T>(ready: () => boolean, value: () => T): Promise<T> => {
    if (!ready()) {
      const { promise, resolve } = Promise.withResolvers<void>();
      waiters.push({ ready, resolve });
      await promise;
    }
    return value();
  };

  const spoofer = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
  const socket: udp.Socket<"uint8array"> = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    binaryType: "uint8array",
    socket: {
      data(sock, data, fromPort, address) {
        const bytes = data.slice();
        let request: UdpRequest | undefined;
        try {
          request = decodeUdpRequest(bytes);
        } catch {
          // Garbage is recorded as such and never answered.
        }
        const badConnectionId = request !== undefined && request.action !== "connect" && !issued.has(request.connectionId);
        const dropped = tracker.dropNext > 0 || (badConnectionId && tracker.onBadConnectionId === "drop");
        if (tracker.dropNext > 0) tracker.dropNext--;
        packets.push({ bytes, ...(request && { request }), fromPort, dropped, badConnectionId });
        if (request && !dropped) {
          if (badConnectionId) {
            sock.send(encodeErrorResponse({ transactionId: request.transactionId, message: "bad connection id" }), fromPort, address);
          } else {
            if (request.action === "announce") announces.push(request);
            const script = typeof tracker.reply === "function" ? tracker.reply(request, requests) : tracker.reply;
            requests++;
            for (const r of Array.isArray(script) ? script : [script as FakeUdpReply]) {
              const out = answer(request, r);
              if (out) (r.kind === "bytes" && r.spoofed ? spoofer : sock).send(out, fromPort, address);
            }
          }
        }
        notify();
      },
    },
  });

  function answer(request: UdpRequest, r: FakeUdpReply): Uint8Array | undefined {
    const transactionId = request.transactionId;
    switch (r.kind) {
      case "drop":
        return undefined;
      case "bytes":
        return r.bytes;
      case "error":
        return encodeErrorResponse({ transactionId, message: r.message });
      case "ok":
        if (request.action === "connect") {
          const connectionId = nextConnectionId++;
          issued.add(connectionId);
          connects++;
          return encodeConnectResponse({ transactionId, connectionId });
        }
        if (request.action === "scrape") {
          const entry = r.scrape ?? (() => ({ seeders: 0, completed: 0, leechers: 0 }));
          return encodeScrapeResponse({ transactionId, entries: request.infoHashes.map(entry) });
        }
        return encodeAnnounceResponse({
          transactionId,
          intervalSec: r.intervalSec ?? 1800,
          seeders: r.seeders ?? 0,
          leechers: r.leechers ?? 0,
          peers: [...(r.peers ?? FAKE_UDP_PEERS)],
        });
    }
  }

  let closed = false;
  const tracker: FakeUdpTracker = {
    url: `udp://127.0.0.1:${socket.port}/announce`,
    port: socket.port,
    packets,
    announces,
    get connects() {
      return connects;
    },
    reply,
    dropNext: 0,
    onBadConnectionId: "error",
    expireConnectionIds: () => issued.clear(),
    waitForPackets: (count) => waitUntil(() => packets.length >= count, () => [...packets]),
    waitForAnnounces: (count) => waitUntil(() => announces.length >= count, () => [...announces]),
    async close() {
      if (closed) return;
      closed = true;
      socket.close();
      spoofer.close();
    },
    [Symbol.asyncDispose]: () => tracker.close(),
  };
  return tracker;
}
