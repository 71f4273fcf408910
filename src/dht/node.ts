// A mainline DHT node (BEP 5) on one Bun UDP socket: serves queries (server.ts) under per-IP reply limits,
// runs iterative lookups (lookup.ts) over bounded outstanding queries (exchanges.ts), joins, refreshes
// buckets, persists its table. Shell: socket, timers (on the injected clock), state file. IPv4 only.

import type { udp } from "bun";
import { bytesEqual, DhtError, errorMessage, parseIpv4, randomBytes, repeat, silentLogger, systemClock, toHex, type Clock, type Logger, type PeerAddress } from "../util/index.ts";
import { BootstrapList } from "./bootstrap.ts";
import { Exchanges, type QueryOutcome } from "./exchanges.ts";
import { KrpcDecodeError, decodeKrpc, encodeQuery, type KrpcMessage, type KrpcQuery, type NodeContact } from "./krpc.ts";
import { DEFAULT_SLOW_MS, Lookup, type LookupRequest } from "./lookup.ts";
import { ExternalIpVotes, ID_BYTES, chooseNodeId, randomIdInBucket } from "./node-id.ts";
import {
  BUCKET_REFRESH_MS,
  DEFAULT_MAX_OUTSTANDING,
  DEFAULT_QUERY_TIMEOUT_MS,
  MAX_PACKET_BYTES,
  type DhtAnnounceResult,
  type DhtNode,
  type DhtNodeOptions,
  type DhtStats,
} from "./node-types.ts";
import { PeerStore } from "./peer-store.ts";
import { DEFAULT_REPLY_LIMITS, ReplyLimiter } from "./rate-limit.ts";
import { BUCKET_SIZE, RoutingTable } from "./routing-table.ts";
import { answerMalformed, answerQuery, type ServerState } from "./server.ts";
import { loadDhtState, saveDhtState } from "./state-file.ts";
import { TokenSecrets } from "./tokens.ts";

const MAINTENANCE_TICK_MS = 60_000;
const SAVE_INTERVAL_MS = 10 * 60_000;
const MAX_MAINTENANCE_PINGS = 8;
const MAX_REFRESHES_PER_TICK = 3;
/** Nodes that must report the same `ip` before we believe it (BEP 42). */
const EXTERNAL_IP_VOTES = 3;

/**
 * Binds the socket, loads the state file, starts joining; throws DhtError when the port cannot be bound.
 * Node ids follow BEP 42 where practical: derived from `externalIp` when it is given or was learned in an
 * earlier run (three nodes agreeing on the `ip` they see us at); a running node keeps its id. Other nodes'
 * ids are not checked against their addresses: many real nodes predate BEP 42, and local addresses are exempt.
 */
export async function startDhtNode(options: DhtNodeOptions): Promise<DhtNode> {
  const log = (options.log ?? silentLogger).withTag("dht");
  const clock = options.clock ?? systemClock;
  const state = options.statePath ? await loadDhtState(options.statePath, log) : undefined;
  const externalIp = options.externalIp ?? state?.externalIp;
  const now = clock.now();
  const tableOptions = { maxNodes: options.maxNodes };
  const saved = state ? RoutingTable.fromJSON(state.table, now, tableOptions) : undefined;
  if (options.nodeId && options.nodeId.length !== ID_BYTES) throw new DhtError(`dht node id must be 20 bytes, got ${options.nodeId.length}`);
  const id = chooseNodeId(options.nodeId, saved?.id, externalIp ? parseIpv4(externalIp) : undefined, randomBytes(ID_BYTES));
  const table =
    saved && bytesEqual(saved.id, id) ? saved : RoutingTable.fromJSON({ id: toHex(id), nodes: saved?.toJSON().nodes ?? [] }, now, tableOptions)!;
  const node = new Node(options, log, clock, table, externalIp);
  await node.bind(options.host ?? "0.0.0.0", options.port);
  node.begin();
  return node;
}

class Node implements DhtNode {
  readonly nodeId: Uint8Array;
  readonly ready: Promise<void>;
  readonly #opts: DhtNodeOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #server: ServerState;
  readonly #table: RoutingTable;
  readonly #exchanges: Exchanges;
  readonly #bootstrap: BootstrapList;
  readonly #readyResolvers = Promise.withResolvers<void>();
  readonly #pinging = new Set<string>();
  readonly #externalIp: ExternalIpVotes;
  #socket: udp.Socket<"uint8array"> | undefined;
  #stopMaintenance: (() => void) | undefined;
  #stopped = false;
  #lastBootstrapAt = -Infinity;
  #lastSavedAt: number;
  readonly #counters = { queriesReceived: 0, malformedPackets: 0, rateLimited: 0, socketErrors: 0 };

  constructor(opts: DhtNodeOptions, log: Logger, clock: Clock, table: RoutingTable, externalIp: string | undefined) {
    this.#opts = opts;
    this.#log = log;
    this.#clock = clock;
    this.#table = table;
    this.nodeId = table.id;
    this.#externalIp = new ExternalIpVotes(EXTERNAL_IP_VOTES, externalIp);
    const now = clock.now();
    this.#lastSavedAt = now;
    this.#server = {
      table,
      tokens: new TokenSecrets(randomBytes, now),
      peers: new PeerStore(),
      limiter: new ReplyLimiter({ ...DEFAULT_REPLY_LIMITS, ...opts.replyLimits }, now),
    };
    this.ready = this.#readyResolvers.promise;
    this.#bootstrap = new BootstrapList(opts.bootstrap, log);
    this.#exchanges = new Exchanges({
      timeoutMs: opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
      maxOutstanding: opts.maxOutstanding ?? DEFAULT_MAX_OUTSTANDING,
      send: (bytes, to) => this.#send(bytes, to),
      timers: clock,
    });
  }

  get port(): number {
    return this.#socket?.port ?? 0;
  }

  async bind(host: string, port: number): Promise<void> {
    try {
      this.#socket = await Bun.udpSocket({
        hostname: host,
        port,
        binaryType: "uint8array",
        socket: {
          data: (_s, data, fromPort, fromHost) => this.#onPacket(data, fromHost, fromPort),
          // ICMP errors (port unreachable from a vanished node) arrive here; without a handler Bun throws
          // them as unhandled errors. The query to that node simply times out.
          error: (_s, err) => {
            this.#counters.socketErrors++;
            this.#log.debug(`dht socket: ${errorMessage(err)}`);
          },
        },
      });
    } catch (err) {
      throw new DhtError(`cannot bind dht socket to ${host}:${port}: ${errorMessage(err)}`, { cause: err });
    }
    this.#log.debug(`dht node ${toHex(this.nodeId)} on ${host}:${this.port}, ${this.#table.size} saved nodes`);
  }

  begin(): void {
    this.#stopMaintenance = repeat(this.#clock, MAINTENANCE_TICK_MS, () => this.#maintain());
    void this.#join().finally(() => {
      this.#readyResolvers.resolve();
      this.#save();
    });
  }

  async getPeers(infoHash: Uint8Array): Promise<PeerAddress[]> {
    return (await this.#lookup("get_peers", infoHash)).peers();
  }

  async announce(infoHash: Uint8Array, port: number): Promise<DhtAnnounceResult> {
    const lookup = await this.#lookup("get_peers", infoHash);
    const acks = await Promise.all(
      lookup.tokenHolders().map(async (holder) => {
        const query: KrpcQuery = { method: "announce_peer", id: this.nodeId, infoHash, port, token: holder.token, impliedPort: false };
        return (await this.#query(holder, query, holder.id)).kind === "response";
      }),
    );
    return { peers: lookup.peers(), announcedTo: acks.filter(Boolean).length };
  }

  closestNodes(target: Uint8Array, count = BUCKET_SIZE): NodeContact[] {
    return this.#table.closest(target, count, this.#clock.now()).map(({ id, host, port }) => ({ id, host, port }));
  }

  stats(): DhtStats {
    const counts = this.#table.counts(this.#clock.now());
    const { peers, limiter } = this.#server;
    return {
      nodes: this.#table.size,
      goodNodes: counts.good,
      questionableNodes: counts.questionable,
      replacementNodes: counts.replacements,
      buckets: this.#table.bucketCount,
      storedInfoHashes: peers.infoHashCount,
      storedPeers: peers.peerCount,
      outstandingQueries: this.#exchanges.outstanding,
      queuedQueries: this.#exchanges.queued,
      trackedIps: limiter.trackedIps,
      ...this.#exchanges.counters,
      ...this.#counters,
      externalIp: this.#externalIp.current,
    };
  }

  async saveState(): Promise<void> {
    if (!this.#opts.statePath) return;
    this.#lastSavedAt = this.#clock.now();
    await saveDhtState(this.#opts.statePath, { version: 1, externalIp: this.#externalIp.current, table: this.#table.toJSON() });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopMaintenance?.();
    this.#exchanges.close();
    this.#readyResolvers.resolve();
    try {
      await this.saveState();
    } catch (err) {
      this.#log.warn(`cannot save dht state: ${errorMessage(err)}`);
    }
    this.#socket?.close();
  }

  #save(): void {
    if (this.#stopped) return;
    this.saveState().catch((err: unknown) => this.#log.warn(`cannot save dht state: ${errorMessage(err)}`));
  }

  /** A lookup of our own id fills the buckets near us (BEP 5 joining). */
  async #join(): Promise<void> {
    this.#lastBootstrapAt = this.#clock.now();
    await this.#lookup("find_node", this.nodeId);
    this.#log.debug(`dht bootstrap done: ${this.#table.size} nodes`);
  }

  /**
   * Seeds from our table, plus the bootstrap list while the table has fewer than k live nodes near the
   * target; when no seed answered (a saved table gone stale), once more from the bootstrap list alone.
   */
  async #lookup(kind: "find_node" | "get_peers", target: Uint8Array): Promise<Lookup> {
    const fromTable = this.#table.closest(target, 2 * BUCKET_SIZE, this.#clock.now());
    if (fromTable.length < BUCKET_SIZE) return this.#runLookup(kind, target, [...fromTable, ...(await this.#bootstrapSeeds())]);
    const lookup = await this.#runLookup(kind, target, fromTable);
    if (lookup.responses > 0 || this.#stopped) return lookup;
    const bootstrap = await this.#bootstrapSeeds();
    return bootstrap.length > 0 ? this.#runLookup(kind, target, bootstrap) : lookup;
  }

  async #runLookup(kind: "find_node" | "get_peers", target: Uint8Array, seeds: readonly { host: string; port: number; id?: Uint8Array }[]): Promise<Lookup> {
    const lookup = new Lookup({ target, selfId: this.nodeId, alpha: this.#opts.alpha }, seeds);
    const { promise, resolve } = Promise.withResolvers<Lookup>();
    let slowTimer: unknown;
    const pump = (): void => {
      this.#clock.clearTimeout(slowTimer);
      if (this.#stopped || lookup.done) return resolve(lookup);
      for (const req of lookup.next(this.#clock.now())) void this.#lookupQuery(kind, lookup, req).then(pump);
      // Queries slower than DEFAULT_SLOW_MS give up their alpha slot: look again after that long.
      if (lookup.outstanding > 0) slowTimer = this.#clock.setTimeout(pump, DEFAULT_SLOW_MS);
    };
    pump();
    return promise;
  }

  async #lookupQuery(kind: "find_node" | "get_peers", lookup: Lookup, req: LookupRequest): Promise<void> {
    const id = this.nodeId;
    const query: KrpcQuery = kind === "find_node" ? { method: kind, id, target: lookup.target } : { method: kind, id, infoHash: lookup.target };
    const outcome = await this.#query(req, query, req.id);
    if (outcome.kind === "response") lookup.onResponse(req.key, outcome.body);
    else lookup.onFailure(req.key);
  }

  #bootstrapSeeds(): Promise<PeerAddress[]> {
    return this.#stopped ? Promise.resolve([]) : this.#bootstrap.addresses(this.#clock.now());
  }

  /** Sends a query and keeps the routing table in step with the outcome. `expectedId`: whom we think is there. */
  async #query(to: PeerAddress, query: KrpcQuery, expectedId: Uint8Array | undefined): Promise<QueryOutcome> {
    const outcome = await this.#exchanges.query(to, (t) => encodeQuery(t, query));
    const now = this.#clock.now();
    const known = expectedId ? this.#table.get(expectedId) : undefined;
    const knownHere = known && known.host === to.host && known.port === to.port;
    if (outcome.kind === "response") {
      // A different id at that address: the node restarted, or someone lied about it. Trust the answer.
      if (knownHere && !bytesEqual(known.id, outcome.body.id)) this.#table.remove(known.id);
      this.#table.observe({ id: outcome.body.id, host: to.host, port: to.port }, "response", now);
      if (outcome.ip && this.#externalIp.vote(outcome.ip.host)) this.#log.debug(`dht nodes see us as ${outcome.ip.host}`);
    } else if (outcome.kind === "timeout" && knownHere) this.#table.failed(known.id, now);
    return outcome;
  }

  #send(bytes: Uint8Array, to: PeerAddress): boolean {
    if (this.#stopped || !this.#socket) return false;
    try {
      return this.#socket.send(bytes, to.port, to.host);
    } catch (err) {
      this.#log.debug(`dht send to ${to.host}:${to.port} failed: ${errorMessage(err)}`);
      return false;
    }
  }

  #onPacket(data: Uint8Array, fromHost: string, fromPort: number): void {
    if (this.#stopped) return;
    const host = fromHost.startsWith("::ffff:") ? fromHost.slice(7) : fromHost;
    if (data.length > MAX_PACKET_BYTES || !parseIpv4(host) || fromPort === 0) {
      this.#counters.malformedPackets++;
      return;
    }
    const from = { host, port: fromPort };
    const now = this.#clock.now();
    let msg: KrpcMessage;
    try {
      msg = decodeKrpc(data);
    } catch (err) {
      // A remote's malformed packet is contained here: counted, answered with 203/204 when it was a query.
      this.#counters.malformedPackets++;
      const reply = err instanceof KrpcDecodeError ? answerMalformed(this.#server, err, from, now) : undefined;
      if (reply) this.#send(reply, from);
      return;
    }
    if (msg.y !== "q") {
      if (!this.#exchanges.settle(msg, from)) this.#counters.malformedPackets++;
      return;
    }
    this.#counters.queriesReceived++;
    const action = answerQuery(this.#server, msg.t, msg.query, msg.readOnly, from, now);
    if (action.rateLimited) this.#counters.rateLimited++;
    if (action.reply) this.#send(action.reply, from);
    if (action.ping) this.#maintenancePing(action.ping);
  }

  /** BEP 5: a full bucket with a questionable node: ping it; the table replaces it if it keeps failing. */
  #maintenancePing(node: NodeContact): void {
    const key = `${node.host}:${node.port}`;
    if (this.#pinging.size >= MAX_MAINTENANCE_PINGS || this.#pinging.has(key)) return;
    this.#pinging.add(key);
    void this.#query(node, { method: "ping", id: this.nodeId }, node.id).finally(() => this.#pinging.delete(key));
  }

  #maintain(): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    this.#server.peers.expire(now);
    if (this.#table.size === 0) {
      if (now - this.#lastBootstrapAt >= MAINTENANCE_TICK_MS) void this.#join();
      return;
    }
    for (const index of this.#table.staleBuckets(now, BUCKET_REFRESH_MS).slice(0, MAX_REFRESHES_PER_TICK)) {
      this.#table.touchBucket(index, now);
      void this.#lookup("find_node", randomIdInBucket(this.nodeId, index, randomBytes(ID_BYTES)));
    }
    if (now - this.#lastSavedAt >= SAVE_INTERVAL_MS) this.#save();
  }
}
