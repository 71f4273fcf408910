// Connection admission for one swarm, shared by a torrent and a magnet's metadata phase: which known
// addresses to dial (PeerPool, the half-open cap), which incoming connections to take, and which
// handshaken peers to keep (not ourselves, not banned, no second connection to one peer, room left).
// The owner (a torrent, a metadata fetch, through swarm-core.ts) turns an admitted connection into its own
// peer type and handles its messages: it implements SwarmPeerHandler.

import { LIMITS, WireError, bytesEqual, formatPeerAddress, toHex, type Clock, type PeerAddress } from "../util/index.ts";
import type { Handshake, PeerMessage } from "../wire/index.ts";
import { PeerConnection, type LocalIdentity, type PeerHandler } from "../peer/index.ts";
import type { DialOptions } from "./dial-encryption.ts";
import { PeerPool } from "./peer-pool.ts";

const MAX_HALF_OPEN = LIMITS.halfOpenConnections;
/** A connection younger than this that carried no data may lose to a duplicate (see #resolveDuplicate). */
const DUPLICATE_GRACE_MS = 5_000;
/** A connection silent this long loses to a duplicate whatever it carried (the peer may have lost it). */
const DUPLICATE_STALE_MS = 60_000;

export interface ConnectionsConfig {
  readonly identity: LocalIdentity;
  readonly maxPeers: number;
  /** Frame cap for the connections we dial (incoming ones get theirs from the listener). */
  readonly maxMessageLength: number;
  /** Handshake deadline and encryption (MSE/PE) for the connections we dial. */
  readonly dial?: DialOptions | undefined;
  readonly clock: Clock;
}

/** What the owner of a swarm hears about its connections, and decides for them. `P` is its peer type. */
export interface SwarmPeerHandler<P> {
  /** Whether connections are wanted now (the owner is running). */
  isOpen(): boolean;
  /** A handshake passed every shared check: the owner's peer for it, or undefined to refuse it. */
  admit(conn: PeerConnection, hs: Handshake): P | undefined;
  /** The peer is counted among `peers` now: greet it (bitfield, extension handshake) and announce it. */
  admitted(peer: P, hs: Handshake): void;
  /** A message from an admitted peer; a WireError thrown here drops that peer. */
  message(peer: P, msg: PeerMessage): void;
  drain?(peer: P): void;
  /**
   * A connection ended. `peer` is set when it had been admitted; `wasPending` when it ended before its
   * handshake (a refused or silent dial, a wrong info hash).
   */
  closed(conn: PeerConnection, reason: string, peer: P | undefined, wasPending: boolean): void;
  /** Whether a dialed connection that closed is worth less next time (default: no handshake, or no bytes moved). */
  wasted?(conn: PeerConnection, wasPending: boolean): boolean;
}

export class Connections<P> {
  /** Addresses known for this swarm, with their dial history and bans. */
  readonly pool = new PeerPool();
  /** Admitted peers by connection. */
  readonly peers = new Map<PeerConnection, P>();
  readonly #pending = new Set<PeerConnection>();
  readonly #bannedIds = new Set<string>();
  /** When each admitted connection was admitted, and when it last sent a message (clock ms). */
  readonly #admittedAt = new Map<PeerConnection, number>();
  readonly #heardAt = new Map<PeerConnection, number>();
  readonly #config: ConnectionsConfig;
  readonly #owner: SwarmPeerHandler<P>;

  constructor(config: ConnectionsConfig, owner: SwarmPeerHandler<P>) {
    this.#config = config;
    this.#owner = owner;
  }

  /** Connections dialed or accepted whose handshake has not completed. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Adds known addresses and dials some if there is room. */
  add(addresses: readonly PeerAddress[]): void {
    if (this.pool.add(addresses) > 0) this.connectMore();
  }

  /** Dials known addresses while under the peer and half-open caps. */
  connectMore(): void {
    if (!this.#owner.isOpen()) return;
    const room = Math.min(this.#config.maxPeers - this.peers.size - this.#pending.size, MAX_HALF_OPEN - this.#pending.size);
    if (room <= 0) return;
    for (const address of this.pool.candidates(room, this.#config.clock.now())) {
      const key = formatPeerAddress(address);
      this.pool.markConnecting(key);
      const { handshakeTimeoutMs, encryption, dialer } = this.#config.dial ?? {};
      const provide = encryption?.provideFor(key);
      const { identity, maxMessageLength, clock } = this.#config;
      this.#pending.add(PeerConnection.connect(address, identity, this.handler, maxMessageLength, handshakeTimeoutMs, provide, dialer, clock));
    }
  }

  /** Route for the listener: our identity and handler when an incoming connection is welcome. */
  acceptIncoming(): { identity: LocalIdentity; handler: PeerHandler } | undefined {
    if (!this.#owner.isOpen() || this.peers.size + this.#pending.size >= this.#config.maxPeers) return undefined;
    return { identity: this.#config.identity, handler: this.handler };
  }

  /** Bans an address (never dialed or accepted again) and the peer id of whoever is connected from it. */
  ban(key: string, reason: string): void {
    this.pool.ban(key);
    for (const conn of this.peers.keys()) {
      if (conn.name !== key) continue;
      if (conn.remotePeerId) this.#bannedIds.add(toHex(conn.remotePeerId));
      conn.close(`banned: ${reason}`);
    }
  }

  closeAll(reason: string): void {
    for (const conn of [...this.peers.keys(), ...this.#pending]) conn.close(reason);
  }

  readonly handler: PeerHandler = {
    onHandshake: (conn, hs) => this.#onHandshake(conn, hs),
    onMessage: (conn, msg) => {
      const peer = this.peers.get(conn);
      if (peer === undefined) return;
      this.#heardAt.set(conn, this.#config.clock.now());
      try {
        this.#owner.message(peer, msg);
      } catch (err) {
        // drop: a WireError from the owner's checks (out-of-range have, bad bitfield, wrong block, floods).
        if (!(err instanceof WireError)) throw err;
        conn.close(`${err.message} (peer ${conn.name})`);
      }
    },
    onDrain: (conn) => {
      const peer = this.peers.get(conn);
      if (peer !== undefined) this.#owner.drain?.(peer);
    },
    onClose: (conn, reason) => {
      const wasPending = this.#pending.delete(conn);
      const peer = this.peers.get(conn);
      this.peers.delete(conn);
      this.#admittedAt.delete(conn);
      this.#heardAt.delete(conn);
      const encryption = this.#config.dial?.encryption;
      if (conn.outgoing && wasPending && conn.opened) this.#config.dial?.transports?.failedBeforeHandshake(conn.name, conn.transportKind);
      if (conn.outgoing && conn.encryptionFailed && encryption?.failed(conn.name)) {
        // Encrypted dial refused (prefer): redial in plaintext at once, without counting a failure.
        this.pool.markClosed(conn.name, false, this.#config.clock.now());
        this.pool.retryNow(conn.name);
        reason = `${reason}; redialing in plaintext`;
      } else if (conn.outgoing) {
        const wasted = this.#owner.wasted?.(conn, wasPending) ?? (wasPending || (conn.downloadedBytes === 0 && conn.uploadedBytes === 0));
        this.pool.markClosed(conn.name, wasted, this.#config.clock.now());
        if (conn.encryptionFailed && encryption?.policy === "require") reason = `${reason}; encryption is required, so no plaintext retry`;
        else if (wasPending && conn.opened && !conn.viaMse) encryption?.plaintextFailed(conn.name);
      }
      this.#owner.closed(conn, reason, peer, wasPending);
    },
  };

  #onHandshake(conn: PeerConnection, hs: Handshake): boolean {
    this.#pending.delete(conn);
    if (conn.outgoing) {
      this.#config.dial?.encryption?.succeeded(conn.name, conn.viaMse);
      this.#config.dial?.transports?.succeeded(conn.name);
    }
    if (bytesEqual(hs.peerId, this.#config.identity.peerId)) {
      this.pool.forget(conn.name); // ourselves, e.g. our own address handed back by a tracker
      return false;
    }
    if (this.#bannedIds.has(toHex(hs.peerId)) || this.pool.isBanned(conn.name)) return false;
    if (!this.#resolveDuplicate(conn, hs.peerId)) return false;
    if (this.peers.size >= this.#config.maxPeers || !this.#owner.isOpen()) return false;
    const peer = this.#owner.admit(conn, hs);
    if (peer === undefined) return false;
    this.peers.set(conn, peer);
    this.#admittedAt.set(conn, this.#config.clock.now());
    this.#heardAt.set(conn, this.#config.clock.now());
    this.#owner.admitted(peer, hs);
    return true;
  }

  /**
   * Two connections to one peer. A live connection that already carried data, or has been up for a
   * while, is kept and the new one dropped: not every client settles duplicates by our rule (aria2c
   * drops the new one whatever we do, so closing the old one left neither, and a download stalled until
   * it redialed). One silent for DUPLICATE_STALE_MS gives way (the peer may have lost it to a NAT
   * rebind). Two fresh connections (both ends dialed each other at once) are settled by the lower peer
   * id: the one dialed by that side stays, a rule both ends compute alike. Returns false to drop `conn`.
   */
  #resolveDuplicate(conn: PeerConnection, remoteId: Uint8Array): boolean {
    for (const other of this.peers.keys()) {
      if (!other.remotePeerId || !bytesEqual(other.remotePeerId, remoteId)) continue;
      const now = this.#config.clock.now();
      if (now - (this.#heardAt.get(other) ?? 0) >= DUPLICATE_STALE_MS) {
        other.close("duplicate connection (the old one was silent)");
        return true;
      }
      const established = other.downloadedBytes > 0 || other.uploadedBytes > 0 || now - (this.#admittedAt.get(other) ?? 0) >= DUPLICATE_GRACE_MS;
      if (established) return false;
      const dialerId = (c: PeerConnection) => toHex(c.outgoing ? this.#config.identity.peerId : remoteId);
      if (other.outgoing === conn.outgoing || dialerId(other) < dialerId(conn)) return false;
      other.close("duplicate connection");
      return true;
    }
    return true;
  }
}
