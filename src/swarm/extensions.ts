// The extension protocol for a torrent whose metadata we have (BEP 10): our extended handshake, serving
// the info dictionary to peers that fetch it (BEP 9 ut_metadata), and peer exchange (BEP 11 ut_pex):
// learning peers from others and telling them ours at most once a minute. Never PEX for private
// torrents (BEP 27). It only formats and sends messages; the torrent owns the connections.

import { formatPeerAddress, parseIpv4, parseIpv6, type Logger, type PeerAddress } from "../util/index.ts";
import type { Metainfo } from "../metainfo/index.ts";
import {
  EXTENDED_HANDSHAKE_ID,
  MAX_PEX_PEERS,
  PEX_FLAG_REACHABLE,
  PEX_FLAG_SEED,
  UT_METADATA,
  UT_METADATA_LOCAL_ID,
  UT_PEX,
  UT_PEX_LOCAL_ID,
  answerMetadataRequest,
  decodeExtendedHandshake,
  decodeMetadataMessage,
  decodePex,
  encodeExtendedHandshake,
  encodeExtendedMessage,
  encodeMetadataMessage,
  encodePex,
  metadataPieceCount,
} from "../wire/index.ts";
import type { PeerExtensions, PeerState } from "./peer-state.ts";

/** BEP 11: at most one PEX message a minute to each peer. */
export const PEX_INTERVAL_MS = 60_000;
/** Metadata requests one peer may make in all before we stop answering (it only needs each piece once). */
const MAX_METADATA_REQUESTS_FACTOR = 4;
export const CLIENT_NAME = "ripple";

/** What the extensions are built with. */
export interface ExtensionsSettings {
  readonly meta: Metainfo;
  /** Our version, for `v` in the handshake. */
  readonly version: string;
  readonly log: Logger;
}

/** What the extensions ask of their torrent, and report to it. */
export interface ExtensionsHandler {
  /** Our listen port, for `p` in the handshake. */
  port(): number;
  /** Peers a PEX message named (untrusted hints: the pool caps and dials them like any other). */
  onPexPeers(peers: PeerAddress[]): void;
}

export class Extensions {
  readonly #settings: ExtensionsSettings;
  readonly #handler: ExtensionsHandler;
  readonly #pex: boolean;

  constructor(settings: ExtensionsSettings, handler: ExtensionsHandler) {
    this.#settings = settings;
    this.#handler = handler;
    this.#pex = !settings.meta.private;
  }

  /** Our extended handshake, sent right after the BitTorrent handshake to peers with the BEP 10 bit. */
  handshake(peer: PeerState): void {
    const m: Record<string, number> = { [UT_METADATA]: UT_METADATA_LOCAL_ID };
    if (this.#pex) m[UT_PEX] = UT_PEX_LOCAL_ID;
    const port = this.#handler.port();
    // `yourip`: the peer's address as we see it, which tells a peer behind NAT its public address.
    const host = peer.conn.address.host;
    const yourip = host.includes(":") ? parseIpv6(host) : parseIpv4(host);
    peer.conn.send(
      encodeExtendedHandshake({
        m,
        v: `${CLIENT_NAME} ${this.#settings.version}`,
        ...(port > 0 && { p: port }),
        reqq: 2000,
        ...(yourip !== undefined && { yourip }),
        metadataSize: this.#settings.meta.infoBytes.length,
      }),
    );
  }

  /** An extended message (message id 20). Throws WireError on a malformed one (the torrent drops the peer). */
  onMessage(peer: PeerState, extId: number, payload: Uint8Array): void {
    if (extId === EXTENDED_HANDSHAKE_ID) {
      const hs = decodeExtendedHandshake(payload);
      const ext: PeerExtensions = (peer.ext ??= { ids: new Map<string, number>(), metadataRequests: 0 });
      for (const [name, id] of hs.m) ext.ids.set(name, id);
      for (const name of hs.disabled) ext.ids.delete(name);
      if (hs.p !== undefined) ext.listenPort = hs.p;
      if (hs.v !== undefined) ext.client = hs.v;
      return;
    }
    if (extId === UT_METADATA_LOCAL_ID) return this.#onMetadata(peer, payload);
    if (extId === UT_PEX_LOCAL_ID && this.#pex) {
      const { added } = decodePex(payload);
      if (added.length > 0) this.#handler.onPexPeers(added.map(({ host, port }) => ({ host, port })));
    }
    // Anything else: an extension we never advertised; BEP 10 says ignore it.
  }

  #onMetadata(peer: PeerState, payload: Uint8Array): void {
    const theirId = peer.ext?.ids.get(UT_METADATA);
    const msg = decodeMetadataMessage(payload);
    if (msg.type !== "request" || theirId === undefined) return;
    const limit = MAX_METADATA_REQUESTS_FACTOR * metadataPieceCount(this.#settings.meta.infoBytes.length);
    if (++peer.ext!.metadataRequests > limit) return;
    peer.conn.send(encodeExtendedMessage(theirId, encodeMetadataMessage(answerMetadataRequest(this.#settings.meta.infoBytes, msg.piece))));
  }

  /**
   * Sends each PEX-capable peer the peers connected now that it has not heard of from us, and those gone
   * since; at most once a minute per peer, at most MAX_PEX_PEERS of each.
   */
  pexTick(peers: readonly PeerState[], now: number): void {
    if (!this.#pex) return;
    const reachable = new Map<string, { host: string; port: number; flags: number }>();
    for (const p of peers) {
      const address = dialable(p);
      if (!address) continue;
      const flags = (p.has.isFull() ? PEX_FLAG_SEED : 0) | (p.conn.outgoing ? PEX_FLAG_REACHABLE : 0);
      reachable.set(formatPeerAddress(address), { ...address, flags });
    }
    for (const p of peers) {
      const theirId = p.ext?.ids.get(UT_PEX);
      if (theirId === undefined || now - p.pexSentAt < PEX_INTERVAL_MS) continue;
      const self = dialable(p);
      const selfKey = self && formatPeerAddress(self);
      const added = [...reachable].filter(([key]) => key !== selfKey && !p.pexKnown.has(key)).slice(0, MAX_PEX_PEERS);
      const dropped = [...p.pexKnown].filter((key) => !reachable.has(key)).slice(0, MAX_PEX_PEERS);
      if (added.length === 0 && dropped.length === 0) continue;
      for (const [key] of added) p.pexKnown.add(key);
      const droppedAddresses = dropped.map((key) => {
        p.pexKnown.delete(key);
        return splitKey(key);
      });
      p.pexSentAt = now;
      p.conn.send(encodeExtendedMessage(theirId, encodePex({ added: added.map(([, a]) => a), dropped: droppedAddresses })));
    }
  }
}

/** Where another peer could reach this one: the address we dialed, or its IP and advertised listen port. */
function dialable(p: PeerState): PeerAddress | undefined {
  if (p.conn.outgoing) return p.conn.address;
  const port = p.ext?.listenPort;
  return port === undefined ? undefined : { host: p.conn.address.host, port };
}

function splitKey(key: string): PeerAddress {
  const at = key.lastIndexOf(":");
  const host = key.slice(0, at).replace(/^\[|\]$/g, "");
  return { host, port: Number(key.slice(at + 1)) };
}
