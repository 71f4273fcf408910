// UDP tracker client (BEP 15): announce and scrape a udp:// URL, connection ids cached per tracker for a
// minute and re-fetched when they expire, each exchange bounded by a timeout and an abort signal.
// Shell: DNS, and sockets/timers through udp-transport.ts; every failure comes out as a TrackerError.

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { errorMessage, isValidPort, silentLogger, systemClock, TrackerError, type Clock, type Logger, type PeerAddress, type Timers } from "../util/index.ts";
import { MAX_INTERVAL_SEC, MAX_PEERS_PER_REPLY, MIN_INTERVAL_SEC, type AnnounceParams, type AnnounceResponse } from "./http-codec.ts";
import {
  UDP_MAX_SCRAPE_HASHES, encodeAnnounceRequest, encodeConnectRequest, encodeScrapeRequest, udpEventOf,
  type UdpAnnounceResponse, type UdpResponse, type UdpScrapeEntry,
} from "./udp-codec.ts";
import { EXPIRED, UDP_MAX_RETRIES, UDP_RETRY_BASE_MS, UdpTransport, asTrackerError, type UdpExchange, type UdpTarget } from "./udp-transport.ts";

export { UDP_MAX_RETRIES, UDP_RETRY_BASE_MS, cleanUdpTrackerText } from "./udp-transport.ts";

/** BEP 15: a connection id may be used until one minute after it arrived. */
export const UDP_CONNECTION_ID_TTL_MS = 60_000;

export interface UdpTrackerClientOptions {
  /** Ages connection ids. */
  readonly clock?: Clock;
  /** Retransmission and timeout timers. */
  readonly timers?: Timers;
  /** Default UDP_RETRY_BASE_MS (BEP 15's 15 s). */
  readonly retryBaseMs?: number;
  /** Retransmissions allowed in one exchange (connect + announce, or connect + scrapes). Default 8. */
  readonly maxRetries?: number;
  /** Local address for IPv4 trackers. Default 127.0.0.1 for a loopback tracker, else 0.0.0.0. */
  readonly bindHost?: string;
  readonly log?: Logger;
}

export interface UdpRequestOptions {
  /** Bounds the whole exchange, DNS and connect included. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface UdpScrapeResult extends UdpScrapeEntry {
  readonly infoHash: Uint8Array;
}

/** Talks to any number of UDP trackers; share one per client so connection ids serve every torrent. */
export interface UdpTrackerClient extends Disposable {
  /** Announces `params` to a udp:// URL; the reply has the shape the HTTP codec gives (`trackerId` unused). */
  announce(url: string, params: AnnounceParams, opts?: UdpRequestOptions): Promise<AnnounceResponse>;
  /** Seeders, completed and leechers per hash, in request order (batches of UDP_MAX_SCRAPE_HASHES). */
  scrape(url: string, infoHashes: readonly Uint8Array[], opts?: UdpRequestOptions): Promise<UdpScrapeResult[]>;
  /** Closes the sockets; requests in flight fail, later ones are refused. */
  close(): void;
}

export function createUdpTrackerClient(options: UdpTrackerClientOptions = {}): UdpTrackerClient {
  return new UdpClient(options);
}

/** One-off scrape with a client of its own (for a `ripple` command; the announcer does not scrape). */
export async function scrapeUdp(
  url: string,
  infoHashes: readonly Uint8Array[],
  opts: UdpTrackerClientOptions & UdpRequestOptions = {},
): Promise<UdpScrapeResult[]> {
  using client = createUdpTrackerClient(opts);
  return await client.scrape(url, infoHashes, opts);
}

class UdpClient implements UdpTrackerClient {
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #transport: UdpTransport;
  readonly #log: Logger;
  readonly #connections = new Map<string, { id: bigint; expiresAt: number }>();

  constructor(o: UdpTrackerClientOptions) {
    this.#clock = o.clock ?? systemClock;
    this.#timers = o.timers ?? this.#clock;
    this.#log = (o.log ?? silentLogger).withTag("udp-tracker");
    this.#transport = new UdpTransport({
      clock: this.#clock,
      timers: this.#timers,
      retryBaseMs: o.retryBaseMs ?? UDP_RETRY_BASE_MS,
      maxRetries: o.maxRetries ?? UDP_MAX_RETRIES,
      bindHost: o.bindHost,
      log: this.#log,
    });
  }

  announce(url: string, p: AnnounceParams, opts: UdpRequestOptions = {}): Promise<AnnounceResponse> {
    return this.#bounded(opts, async (ex) => {
      const reply = await this.#exchange(await resolveTarget(url), ex, "announce", (connectionId, transactionId) =>
        encodeAnnounceRequest({
          connectionId, transactionId, infoHash: p.infoHash, peerId: p.peerId,
          downloaded: BigInt(p.downloaded), left: BigInt(p.left), uploaded: BigInt(p.uploaded),
          event: udpEventOf(p.event),
          // The announcer's key is 8 hex digits (BEP 3); BEP 15 carries it as a 32-bit number.
          key: p.key !== undefined && /^[0-9a-fA-F]{1,8}$/.test(p.key) ? parseInt(p.key, 16) : 0,
          numWant: Math.min(p.numWant ?? -1, 0x7fff_ffff), // BEP 15: -1 asks for the tracker's default
          port: p.port,
        }),
      );
      if (reply.action !== "announce") throw new Error(`bug: announce exchange returned ${reply.action}`);
      return announceResponseFromUdp(reply);
    });
  }

  scrape(url: string, infoHashes: readonly Uint8Array[], opts: UdpRequestOptions = {}): Promise<UdpScrapeResult[]> {
    return this.#bounded(opts, async (ex) => {
      const target = await resolveTarget(url);
      const out: UdpScrapeResult[] = [];
      for (let i = 0; i < infoHashes.length; i += UDP_MAX_SCRAPE_HASHES) {
        const batch = infoHashes.slice(i, i + UDP_MAX_SCRAPE_HASHES);
        const reply = await this.#exchange(target, ex, "scrape", (connectionId, transactionId) =>
          encodeScrapeRequest({ connectionId, transactionId, infoHashes: batch }),
        );
        if (reply.action !== "scrape") throw new Error(`bug: scrape exchange returned ${reply.action}`);
        if (reply.entries.length < batch.length) {
          throw new TrackerError(`udp tracker reply: scrape: ${reply.entries.length} entries for ${batch.length} info hashes`);
        }
        batch.forEach((infoHash, j) => out.push({ infoHash, ...reply.entries[j]! }));
      }
      return out;
    });
  }

  close(): void {
    this.#transport.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Runs `fn` under the caller's signal and timeout; whatever is still in flight is cancelled after. */
  async #bounded<T>(opts: UdpRequestOptions, fn: (ex: UdpExchange) => Promise<T>): Promise<T> {
    if (this.#transport.closed) throw new TrackerError("udp tracker client closed");
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort(opts.signal?.reason);
    opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
    if (opts.signal?.aborted) onOuterAbort();
    const { timeoutMs } = opts;
    const timer = timeoutMs === undefined ? undefined
      : this.#timers.setTimeout(() => controller.abort(new TrackerError(`timed out after ${timeoutMs} ms`)), timeoutMs);
    // Racing the abort also bounds the DNS lookup and socket creation, which take no signal.
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(asTrackerError(controller.signal.reason));
      if (controller.signal.aborted) fail();
      else controller.signal.addEventListener("abort", fail, { once: true });
    });
    try {
      return await Promise.race([fn({ signal: controller.signal, n: 0 }), aborted]);
    } finally {
      if (timer !== undefined) this.#timers.clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onOuterAbort);
      controller.abort(new TrackerError("udp exchange finished"));
    }
  }

  /** Connects unless a fresh connection id is cached, then sends one request; reconnects if the id expires mid-retry. */
  async #exchange(target: UdpTarget, ex: UdpExchange, expect: "announce" | "scrape", build: (connectionId: bigint, transactionId: number) => Uint8Array): Promise<UdpResponse> {
    for (;;) {
      let conn = this.#connections.get(target.key);
      if (!conn || this.#clock.now() >= conn.expiresAt) {
        const reply = await this.#transport.send(target, ex, "connect", (tid) => encodeConnectRequest({ transactionId: tid }));
        if (reply === EXPIRED || reply.action !== "connect") throw new Error("bug: connect exchange returned no connection id");
        conn = { id: reply.connectionId, expiresAt: this.#clock.now() + UDP_CONNECTION_ID_TTL_MS };
        this.#connections.set(target.key, conn);
      }
      const id = conn.id;
      try {
        const reply = await this.#transport.send(target, ex, expect, (tid) => build(id, tid), conn.expiresAt);
        if (reply !== EXPIRED) return reply;
        this.#log.debug(`connection id for ${target.key} expired while retrying; reconnecting`);
      } catch (err) {
        // The tracker may have restarted and forgotten our id: the next exchange connects afresh.
        this.#connections.delete(target.key);
        throw err;
      }
    }
  }
}

async function resolveTarget(url: string): Promise<UdpTarget> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new TrackerError(`bad udp tracker url: ${url}`, { cause: err });
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(parsed.port);
  if (parsed.protocol !== "udp:" || host === "" || !isValidPort(port)) throw new TrackerError(`bad udp tracker url: ${url}`);
  let address = host;
  if (isIP(host) === 0) {
    try {
      address = (await lookup(host)).address;
    } catch (err) {
      throw new TrackerError(`cannot resolve ${host}: ${errorMessage(err)}`, { cause: err });
    }
  }
  return { key: `${host.toLowerCase()}:${port}`, address, port, ipv6: isIP(address) === 6 };
}

/**
 * The announcer's view of a UDP reply, as parseAnnounceResponse gives for HTTP: interval clamped, peers
 * deduplicated and capped, port 0 and unspecified addresses dropped, negative counts left out. Pure.
 */
export function announceResponseFromUdp(r: UdpAnnounceResponse): AnnounceResponse {
  const seen = new Set<string>();
  const peers: PeerAddress[] = [];
  for (const p of r.peers) {
    const key = `${p.host}|${p.port}`;
    if (peers.length >= MAX_PEERS_PER_REPLY) break;
    if (!isValidPort(p.port) || p.host === "0.0.0.0" || p.host === "::" || seen.has(key)) continue;
    seen.add(key);
    peers.push(p);
  }
  return {
    // Clamped as for HTTP: the peers are still good when the interval is silly.
    intervalSec: Math.min(Math.max(r.intervalSec, MIN_INTERVAL_SEC), MAX_INTERVAL_SEC),
    ...(r.seeders >= 0 && { complete: r.seeders }),
    ...(r.leechers >= 0 && { incomplete: r.leechers }),
    peers,
  };
}
