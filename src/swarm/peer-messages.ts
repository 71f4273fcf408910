// An admitted peer's life in a torrent: its greeting, its messages (BEP 3, BEP 6, BEP 10, BEP 52 hash
// requests) and its leaving, each dispatched to the parts of the torrent it concerns: the download half,
// the upload half, choking, the extensions and the super-seeder. The torrent's SwarmHandler lands here. The checks that drop a peer for a message no honest client sends (a
// WireError, which closes its connection) are made here or in the part the message goes to.

import { hashesForRequest, type Metainfo } from "../metainfo/index.ts";
import { WireError } from "../util/index.ts";
import { Bitfield, HASH_REQUEST_ID, decodeHashRequest, encodeHashReject, encodeHashes, type PeerMessage } from "../wire/index.ts";
import type { PeerConnection } from "../peer/index.ts";
import { greetPeer } from "./allowed-fast.ts";
import type { Choking } from "./choking.ts";
import type { Downloader } from "./downloader.ts";
import type { Extensions } from "./extensions.ts";
import type { PeerState } from "./peer-state.ts";
import type { SuperSeeder } from "./super-seed.ts";
import type { Uploader } from "./uploader.ts";

/** The objects a torrent is made of, as peer messages reach them: the torrent's own parts, no callbacks. */
export interface TorrentParts {
  readonly meta: Metainfo;
  readonly downloader: Downloader;
  readonly uploader: Uploader;
  readonly choking: Choking;
  readonly extensions: Extensions;
  /** Set when super-seeding (BEP 16): it hears what each peer announces. */
  readonly superSeed: SuperSeeder | undefined;
  /** Every admitted peer, by connection (free upload slots go to the longest waiting). */
  readonly peers: ReadonlyMap<PeerConnection, PeerState>;
}

/** A peer was admitted: what we have (super-seeding: what we offer it) and, if it speaks BEP 10, our extension handshake. */
export function onPeerAdmitted(ctx: TorrentParts, peer: PeerState, extended: boolean): void {
  if (ctx.superSeed) ctx.superSeed.greet(peer);
  else greetPeer(peer, ctx.downloader.picker.have, ctx.meta.infoHash);
  if (extended) ctx.extensions.handshake(peer);
}

/** A peer's connection closed (by either side, mid-block or not): the parts forget it. */
export function onPeerGone(ctx: TorrentParts, peer: PeerState): void {
  // Its partial frame died with the framer; every block we had requested from it goes back to the
  // picker for the others.
  ctx.downloader.releaseAll(peer);
  ctx.downloader.picker.removeAvailability(peer.has);
  ctx.choking.forget(peer.key);
  ctx.superSeed?.forget(peer);
}

export function onPeerMessage(ctx: TorrentParts, peer: PeerState, msg: PeerMessage): void {
  const d = ctx.downloader;
  switch (msg.type) {
    case "piece":
      d.onBlock(peer, msg.index, msg.begin, msg.block);
      break;
    case "request":
      ctx.uploader.onRequest(peer, msg.index, msg.begin, msg.length);
      break;
    case "cancel":
      ctx.uploader.onCancel(peer, msg.index, msg.begin, msg.length);
      break;
    case "choke":
      d.onChoke(peer);
      break;
    case "unchoke":
      d.onUnchoke(peer);
      break;
    case "interested":
      peer.peerInterested = true;
      ctx.choking.fillFreeSlots([...ctx.peers.values()]);
      break;
    case "not_interested":
      peer.peerInterested = false;
      if (!peer.amChoking) ctx.choking.fillFreeSlots([...ctx.peers.values()]);
      break;
    case "have":
      // drop (WireError): a have for a piece index past the torrent's end.
      checkIndex(ctx, msg.index, "have");
      d.gainPiece(peer, msg.index);
      ctx.superSeed?.onPeerHas(peer, msg.index);
      closeIfBothComplete(ctx, peer);
      break;
    case "bitfield":
      // BEP 3 wants it first, but clients send it after have_none or have too (aria2c does): merged.
      // drop (WireError from fromBytes): a bitfield of the wrong length or with spare bits set.
      d.setBitfield(peer, Bitfield.fromBytes(msg.bytes, ctx.meta.pieceCount));
      ctx.superSeed?.onPeerHas(peer);
      closeIfBothComplete(ctx, peer);
      break;
    case "have_all":
      requireFast(peer, msg.type);
      d.setBitfield(peer, Bitfield.full(ctx.meta.pieceCount));
      closeIfBothComplete(ctx, peer);
      break;
    case "have_none":
      requireFast(peer, msg.type);
      d.setBitfield(peer, new Bitfield(ctx.meta.pieceCount));
      break;
    case "reject":
      requireFast(peer, msg.type);
      d.onReject(peer, msg.index, msg.begin);
      break;
    case "allowed_fast":
      requireFast(peer, msg.type);
      // BEP 6: indices we lack are a standing invitation to request them while choked.
      if (msg.index < ctx.meta.pieceCount && peer.allowedFast.size < 64) {
        peer.allowedFast.add(msg.index);
        d.fill(peer);
      }
      break;
    case "suggest":
      requireFast(peer, msg.type);
      checkIndex(ctx, msg.index, "suggest"); // a hint only: rarest-first already orders our picks
      break;
    case "extended":
      ctx.extensions.onMessage(peer, msg.id, msg.payload);
      break;
    case "unknown":
      if (msg.id === HASH_REQUEST_ID && ctx.meta.v2) answerHashRequest(ctx, peer, msg.payload);
      // other ids are ignored, as BEP 3 asks (the framer's length cap bounds them).
      break;
    default:
      // ignore: port (DHT).
      break;
  }
}

/** BEP 52: hashes from the torrent's piece layers with their proof, or a hash reject. */
function answerHashRequest(ctx: TorrentParts, peer: PeerState, payload: Uint8Array): void {
  const req = decodeHashRequest(payload);
  const hashes = hashesForRequest(ctx.meta, req);
  peer.conn.send(hashes ? encodeHashes(req, hashes) : encodeHashReject(req));
}

/** BEP 6: a peer that did not negotiate the fast extension must not send its messages (drop). */
function requireFast(peer: PeerState, type: string): void {
  if (!peer.fast) throw new WireError(`${type} without the fast extension`);
}

function checkIndex(ctx: TorrentParts, index: number, what: string): void {
  if (index >= ctx.meta.pieceCount) throw new WireError(`${what} for piece ${index} out of range (${ctx.meta.pieceCount} pieces)`);
}

function closeIfBothComplete(ctx: TorrentParts, peer: PeerState): void {
  // Every wanted piece verified, and the peer has them all: neither side needs the other.
  if (ctx.downloader.picker.missing === 0 && peer.has.isFull()) peer.conn.close("both complete");
}
