// Test helper: an in-process HTTP tracker on 127.0.0.1 (BEP 3 announce, BEP 23 compact, BEP 7 peers6) that
// records every announce and answers with a scripted behaviour. Shell: owns a Bun.serve server.

import type { Server } from "bun";
import { encodeBencode, type EncodableValue } from "../../src/bencode/index.ts";
import { utf8, type PeerAddress } from "../../src/util/index.ts";

/** One request as the tracker saw it; raw query values are bytes (info_hash and peer_id are binary). */
export interface RecordedAnnounce {
  readonly path: string;
  readonly query: ReadonlyMap<string, Uint8Array>;
  readonly infoHash?: Uint8Array;
  readonly peerId?: Uint8Array;
  readonly port?: number;
  readonly uploaded?: number;
  readonly downloaded?: number;
  readonly left?: number;
  readonly event?: string;
  readonly numWant?: number;
  readonly key?: string;
  readonly trackerId?: string;
  readonly compact?: string;
  readonly noPeerId?: string;
}

/** How the tracker answers an announce. */
export type FakeTrackerReply =
  | {
      readonly kind: "peers";
      readonly peers?: readonly PeerAddress[];
      /** IPv6 peers sent as BEP 7 `peers6`. */
      readonly peers6?: readonly PeerAddress[];
      /** Compact (default) or the BEP 3 list of dictionaries. */
      readonly format?: "compact" | "dict";
      readonly intervalSec?: number;
      readonly minIntervalSec?: number;
      readonly trackerId?: string;
      readonly warning?: string;
      readonly complete?: number;
      readonly incomplete?: number;
    }
  | { readonly kind: "failure"; readonly reason: string }
  | { readonly kind: "status"; readonly status: number }
  /** An HTTP redirect (302) to `location`. */
  | { readonly kind: "redirect"; readonly location: string }
  | { readonly kind: "body"; readonly body: Uint8Array | string }
  /** Never answers (until the tracker closes), to test timeouts. */
  | { readonly kind: "hang" };

export interface FakeTracker extends AsyncDisposable {
  /** http://127.0.0.1:PORT/announce */
  readonly url: string;
  readonly port: number;
  readonly announces: readonly RecordedAnnounce[];
  /** The behaviour; a function may vary it per announce (it sees the announce and its 0-based index). */
  reply: FakeTrackerReply | ((announce: RecordedAnnounce, index: number) => FakeTrackerReply);
  /** Resolves once at least `count` announces arrived (event-driven, no polling). */
  waitForAnnounces(count: number): Promise<RecordedAnnounce[]>;
  close(): Promise<void>;
}

export async function startFakeTracker(
  reply: FakeTracker["reply"] = { kind: "peers", peers: [] },
): Promise<FakeTracker> {
  const announces: RecordedAnnounce[] = [];
  const waiters: { count: number; resolve: (a: RecordedAnnounce[]) => void }[] = [];
  const hanging = new Set<() => void>();
  let closed = false;
  const tracker = {} as FakeTracker;

  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0, // a "hang" must hang until the client gives up, not until Bun's 10 s idle cut
    fetch(req) {
      const announce = recordOf(req.url);
      const index = announces.length;
      announces.push(announce);
      for (const w of [...waiters]) {
        if (announces.length < w.count) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve([...announces]);
      }
      const behaviour = typeof tracker.reply === "function" ? tracker.reply(announce, index) : tracker.reply;
      if (behaviour.kind === "hang") {
        const { promise, resolve } = Promise.withResolvers<Response>();
        const release = () => resolve(new Response("closing", { status: 503 }));
        hanging.add(release);
        return promise;
      }
      return respond(behaviour);
    },
  });

  Object.assign(tracker, {
    url: `http://127.0.0.1:${server.port}/announce`,
    port: server.port,
    announces,
    reply,
    waitForAnnounces(count: number): Promise<RecordedAnnounce[]> {
      if (announces.length >= count) return Promise.resolve([...announces]);
      const { promise, resolve } = Promise.withResolvers<RecordedAnnounce[]>();
      waiters.push({ count, resolve });
      return promise;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const release of hanging) release();
      hanging.clear();
      await server.stop(true);
    },
    [Symbol.asyncDispose](): Promise<void> {
      return tracker.close();
    },
  });
  return tracker;
}

function respond(reply: Exclude<FakeTrackerReply, { kind: "hang" }>): Response {
  switch (reply.kind) {
    case "status":
      return new Response("tracker error", { status: reply.status });
    case "redirect":
      return new Response(null, { status: 302, headers: { location: reply.location } });
    case "body":
      return new Response(typeof reply.body === "string" ? reply.body : reply.body.slice(), { status: 200 });
    case "failure":
      return bencoded({ "failure reason": reply.reason });
    case "peers": {
      const dict: Record<string, EncodableValue | undefined> = {
        interval: reply.intervalSec ?? 1800,
        "min interval": reply.minIntervalSec,
        "tracker id": reply.trackerId,
        "warning message": reply.warning,
        complete: reply.complete,
        incomplete: reply.incomplete,
        peers:
          reply.format === "dict"
            ? (reply.peers ?? []).map((p) => ({ ip: p.host, port: p.port, "peer id": "-FK0001-xxxxxxxxxxxx" }))
            : encodeCompact(reply.peers ?? [], 4),
        peers6: reply.peers6 ? encodeCompact(reply.peers6, 16) : undefined,
      };
      return bencoded(dict);
    }
  }
}

function bencoded(value: EncodableValue): Response {
  return new Response(encodeBencode(value).slice(), { status: 200, headers: { "content-type": "text/plain" } });
}

/** BEP 23 / BEP 7 compact peers: address bytes then a big-endian port. */
export function encodeCompact(peers: readonly PeerAddress[], addressBytes: 4 | 16): Uint8Array {
  const out = new Uint8Array(peers.length * (addressBytes + 2));
  const view = new DataView(out.buffer);
  peers.forEach((p, i) => {
    const at = i * (addressBytes + 2);
    out.set(addressBytes === 4 ? ipv4Bytes(p.host) : ipv6Bytes(p.host), at);
    view.setUint16(at + addressBytes, p.port);
  });
  return out;
}

function ipv4Bytes(host: string): Uint8Array {
  const parts = host.split(".").map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) {
    throw new Error(`fake tracker: not an IPv4 address: ${host}`);
  }
  return new Uint8Array(parts);
}

function ipv6Bytes(host: string): Uint8Array {
  const [head = "", tail] = host.split("::");
  const groups = (s: string | undefined) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  if (all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) throw new Error(`fake tracker: bad IPv6 ${host}`);
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function recordOf(url: string): RecordedAnnounce {
  const parsed = new URL(url);
  const query = parseQueryBytes(parsed.search.slice(1));
  const text = (k: string) => {
    const v = query.get(k);
    return v === undefined ? undefined : new TextDecoder().decode(v);
  };
  const num = (k: string) => {
    const t = text(k);
    return t === undefined ? undefined : Number(t);
  };
  return {
    path: parsed.pathname,
    query,
    infoHash: query.get("info_hash"),
    peerId: query.get("peer_id"),
    port: num("port"),
    uploaded: num("uploaded"),
    downloaded: num("downloaded"),
    left: num("left"),
    event: text("event"),
    numWant: num("numwant"),
    key: text("key"),
    trackerId: text("trackerid"),
    compact: text("compact"),
    noPeerId: text("no_peer_id"),
  };
}

/**
 * Splits a raw query into byte values, decoding %XX by hand: URLSearchParams decodes as UTF-8 and would
 * mangle binary info_hash and peer_id values.
 */
export function parseQueryBytes(search: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  if (search === "") return out;
  for (const pair of search.split("&")) {
    const eq = pair.indexOf("=");
    const key = new TextDecoder().decode(percentDecode(eq < 0 ? pair : pair.slice(0, eq)));
    out.set(key, percentDecode(eq < 0 ? "" : pair.slice(eq + 1)));
  }
  return out;
}

function percentDecode(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "%") {
      bytes.push(...utf8(c));
      continue;
    }
    const hex = text.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error(`fake tracker: bad percent escape at ${i} in ${text}`);
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  return new Uint8Array(bytes);
}
