// A BitTorrent tracker server: HTTP announce/scrape (BEP 3/23/7/48) on Bun.serve and UDP (BEP 15) on
// Bun.udpSocket, on the same port number, over one swarm store. Shell: owns both sockets and a sweep timer.

import type { Server, udp } from "bun";
import { RippleError, errorMessage, randomBytes, repeat, systemClock, type Clock, type Logger } from "../util/index.ts";
import { parseIpAddress } from "./server-ip.ts";
import { TrackerSwarm } from "./server-swarm.ts";
import { encodeAnnounceReply, encodeFailureReply, encodeScrapeReply, parseAnnounceQuery, parseScrapeQuery } from "./server-http-codec.ts";

/**
 * `min interval` we tell HTTP clients: a client with no peers may ask again this soon. Short, because
 * this tracker serves small CI swarms on loopback where a leecher that came before its seeder should not
 * wait a whole interval.
 */
const MIN_ANNOUNCE_GAP_SEC = 5;
import { handleUdpDatagram, type UdpTrackerContext } from "./server-udp.ts";

export interface TrackerServerOptions {
  /** Literal address to bind, e.g. 127.0.0.1. */
  readonly host: string;
  /** 0 picks a free port (the same number for HTTP and UDP). */
  readonly port: number;
  readonly http: boolean;
  readonly udp: boolean;
  /** Announce interval handed to peers; peers silent for 2 x interval + 60 s are dropped. */
  readonly intervalSec: number;
  /** Hex infoHashes; when given, only these are tracked. */
  readonly allow?: readonly string[];
  readonly maxTorrents?: number;
  readonly maxPeersPerTorrent?: number;
  readonly log: Logger;
  /** For tests: a fake clock drives expiry, the sweep and connection-id buckets. */
  readonly clock?: Clock;
}

export interface TrackerServerStats {
  readonly torrents: number;
  readonly peers: number;
  readonly seeders: number;
  readonly leechers: number;
  readonly httpAnnounces: number;
  readonly httpScrapes: number;
  readonly udpConnects: number;
  readonly udpAnnounces: number;
  readonly udpScrapes: number;
  /** Requests answered with a failure reason or a UDP error, or ignored. */
  readonly refused: number;
}

export interface TrackerServer {
  /** Undefined when HTTP is off. */
  readonly httpPort: number | undefined;
  /** Undefined when UDP is off. */
  readonly udpPort: number | undefined;
  stats(): TrackerServerStats;
  /** Closes both sockets; idempotent. */
  stop(): Promise<void>;
}

/** With port 0, another process may take the UDP twin of the HTTP port; this many fresh tries. */
const SAME_PORT_ATTEMPTS = 5;
/** Expired peers are swept at least this often (and at least once per interval). */
const MAX_SWEEP_EVERY_MS = 60_000;
const TEXT_PLAIN = { "Content-Type": "text/plain" };

type UdpSocket = udp.Socket<"uint8array">;
type Counter = Exclude<keyof TrackerServerStats, "torrents" | "peers" | "seeders" | "leechers">;

/** Starts the tracker; throws RippleError("PORT_IN_USE") when a socket cannot be bound. */
export async function startTrackerServer(options: TrackerServerOptions): Promise<TrackerServer> {
  if (!options.http && !options.udp) throw new RangeError("startTrackerServer: enable http, udp or both");
  const log = options.log.withTag("tracker");
  const clock = options.clock ?? systemClock;
  const swarm = new TrackerSwarm({
    intervalSec: options.intervalSec,
    random: Math.random,
    ...(options.allow !== undefined && { allow: options.allow }),
    ...(options.maxTorrents !== undefined && { maxTorrents: options.maxTorrents }),
    ...(options.maxPeersPerTorrent !== undefined && { maxPeersPerTorrent: options.maxPeersPerTorrent }),
  });
  const counters: Record<Counter, number> = { httpAnnounces: 0, httpScrapes: 0, udpConnects: 0, udpAnnounces: 0, udpScrapes: 0, refused: 0 };

  const parts: ServerParts = { swarm, counters, log, clock, intervalSec: options.intervalSec };
  const { http, udp } = await bindSamePort(options, log, httpHandler(parts), udpHandler(parts));

  const sweepEveryMs = Math.min(MAX_SWEEP_EVERY_MS, options.intervalSec * 1000);
  // Background: the sweep alone must not keep a process alive whose sockets are closed.
  const stopSweep = repeat(clock, sweepEveryMs, () => {
    const removed = swarm.sweep(clock.now());
    if (removed > 0) log.debug(`expired ${removed} peers`);
  }, { background: true });

  let stopped: Promise<void> | undefined;
  return {
    httpPort: http?.port,
    udpPort: udp?.port,
    stats: () => ({ ...swarm.stats(), ...counters }),
    stop() {
      stopped ??= (async () => {
        stopSweep();
        udp?.close();
        await http?.stop(true);
      })();
      return stopped;
    },
  };
}

type HttpHandler = (req: Request, server: Server<undefined>) => Response;
type UdpHandler = (socket: UdpSocket, data: Uint8Array, port: number, address: string) => void;

/** What the HTTP and UDP handlers share: the swarm, the counters, the log and the clock. */
interface ServerParts {
  readonly swarm: TrackerSwarm;
  readonly counters: Record<Counter, number>;
  readonly log: Logger;
  readonly clock: Clock;
  readonly intervalSec: number;
}

/** Answers /announce and /scrape; a bug triggered by one request is logged and answered 500, like a UDP datagram's. */
function httpHandler(p: ServerParts): HttpHandler {
  return (req, server) => {
    try {
      return answerHttp(p, req, server);
    } catch (err) {
      p.counters.refused++;
      p.log.warn(`http request ${req.url} failed: ${errorMessage(err)}`);
      return new Response("internal error\n", { status: 500, headers: TEXT_PLAIN });
    }
  };
}

function answerHttp({ swarm, counters, log, clock, intervalSec }: ServerParts, req: Request, server: Server<undefined>): Response {
  const source = server.requestIP(req);
  const ip = source === null ? undefined : parseIpAddress(source.address);
  const url = req.url;
  const qAt = url.indexOf("?");
  // The raw query, not URL.searchParams: info_hash and peer_id are bytes, not UTF-8 text.
  const query = qAt < 0 ? "" : url.slice(qAt + 1);
  const path = new URL(url).pathname;
  if (path !== "/announce" && path !== "/scrape") return new Response("not found: try /announce or /scrape\n", { status: 404, headers: TEXT_PLAIN });
  if (req.method !== "GET") return new Response("method not allowed\n", { status: 405, headers: TEXT_PLAIN });
  const refuse = (reason: string) => {
    counters.refused++;
    log.debug(`http ${path} from ${source?.address ?? "?"} refused: ${reason}`);
    return new Response(encodeFailureReply(reason), { headers: TEXT_PLAIN });
  };
  if (ip === undefined) return refuse("cannot tell the source address of this request");
  if (path === "/scrape") {
    counters.httpScrapes++;
    const parsed = parseScrapeQuery(query);
    if (!parsed.ok) return refuse(parsed.failure);
    const now = clock.now();
    const files = parsed.value.flatMap((infoHash) => {
      const counts = swarm.scrape(infoHash, now);
      return counts === undefined ? [] : [{ infoHash, counts }];
    });
    return new Response(encodeScrapeReply(files), { headers: TEXT_PLAIN });
  }
  counters.httpAnnounces++;
  const parsed = parseAnnounceQuery(query);
  if (!parsed.ok) return refuse(parsed.failure);
  const a = parsed.value;
  const result = swarm.announce(
    { infoHash: a.infoHash, peerId: a.peerId, ip, port: a.port, left: a.left, numWant: a.numWant, ...(a.event !== undefined && { event: a.event }) },
    clock.now(),
  );
  if ("failure" in result) return refuse(result.failure);
  log.debug(`http announce ${ip.text}:${a.port} ${a.event ?? "update"} left=${a.left ?? "?"}: ${result.peers.length} peers`);
  const body = encodeAnnounceReply({
    ...result,
    intervalSec,
    minIntervalSec: Math.min(intervalSec, MIN_ANNOUNCE_GAP_SEC),
    compact: a.compact,
    noPeerId: a.noPeerId,
  });
  return new Response(body, { headers: TEXT_PLAIN });
}

/** Answers connect, announce and scrape datagrams (BEP 15); a bug triggered by one datagram is logged. */
function udpHandler({ swarm, counters, log, clock, intervalSec }: ServerParts): UdpHandler {
  const ctx: UdpTrackerContext = { swarm, secret: randomBytes(20), intervalSec };
  return (socket, data, port, address) => {
    try {
      const ip = parseIpAddress(address);
      if (ip === undefined) return; // a unix or unknown-family source cannot be answered or listed
      const outcome = handleUdpDatagram(ctx, data, { ip, port }, clock.now());
      if (outcome.kind === "connect") counters.udpConnects++;
      else if (outcome.kind === "announce") counters.udpAnnounces++;
      else if (outcome.kind === "scrape") counters.udpScrapes++;
      else counters.refused++;
      if (outcome.problem !== undefined) log.debug(`udp from ${address}:${port}: ${outcome.problem}`);
      if (outcome.reply !== undefined) sendDatagram(socket, outcome.reply, port, address);
    } catch (err) {
      // A bug triggered by one datagram must not take down the tracker for everyone else.
      counters.refused++;
      log.warn(`udp datagram from ${address}:${port} failed: ${errorMessage(err)}`);
    }
  };
}

async function bindSamePort(
  o: TrackerServerOptions,
  log: Logger,
  onHttp: HttpHandler,
  onUdp: UdpHandler,
): Promise<{ http: Server<undefined> | undefined; udp: UdpSocket | undefined }> {
  for (let attempt = 1; ; attempt++) {
    const http = o.http ? bindHttp(o.host, o.port, onHttp) : undefined;
    if (!o.udp) return { http, udp: undefined };
    try {
      return { http, udp: await bindUdp(o.host, http?.port ?? o.port, onUdp, log) };
    } catch (err) {
      await http?.stop(true);
      // Only a port we picked ourselves may be given up for another; a port the user named is final.
      const retry = http !== undefined && o.port === 0 && attempt < SAME_PORT_ATTEMPTS;
      if (!retry) throw err;
    }
  }
}

function bindHttp(host: string, port: number, fetch: HttpHandler): Server<undefined> {
  try {
    return Bun.serve({ hostname: host, port, fetch });
  } catch (err) {
    throw new RippleError("PORT_IN_USE", `cannot listen on ${host}:${port} (http): ${errorMessage(err)}`, { cause: err });
  }
}

async function bindUdp(host: string, port: number, data: UdpHandler, log: Logger): Promise<UdpSocket> {
  // A reply to a client that has gone comes back as ICMP "port unreachable", reported here as
  // ECONNREFUSED; it concerns that client only. (Bun passes just the error, whatever its types say.)
  const error = (...args: unknown[]) => log.debug(`udp socket: ${errorMessage(args.find((a) => a instanceof Error))}`);
  try {
    return await Bun.udpSocket({ hostname: host, port, binaryType: "uint8array", socket: { data, error } });
  } catch (err) {
    throw new RippleError("PORT_IN_USE", `cannot listen on ${host}:${port} (udp): ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Sends one reply. Linux reports an earlier reply's ICMP "port unreachable" (a client that vanished) on
 * the next send as ECONNREFUSED, and that failed send consumed the report: so this reply is tried again,
 * or one departed client would cost the next one its answer.
 */
function sendDatagram(socket: UdpSocket, data: Uint8Array, port: number, address: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      socket.send(data, port, address);
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== "ECONNREFUSED" || attempt >= 3) throw err;
    }
  }
}
