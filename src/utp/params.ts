// uTP connection parameters (BEP 29 and libtorrent's practice) and the shapes a connection is driven
// through: its environment (clock, datagram out), its events, and the record of a packet in flight.
// Pure data.

import { HEADER_BYTES, type PacketType } from "./codec.ts";

/** Datagram size we send at most: under any path MTU of 1500 with IPv6 and a selective ack. */
export const PACKET_BYTES = 1400;
export const PAYLOAD_BYTES = PACKET_BYTES - HEADER_BYTES;
/** SYNs sent before a dial gives up, one per SYN_TIMEOUT_MS (then the caller may fall back to TCP). */
export const SYN_ATTEMPTS = 3;
export const SYN_TIMEOUT_MS = 1000;
/** Transmissions of one packet before the connection is given up. */
export const MAX_TRANSMISSIONS = 7;
/** libtorrent sends a keep-alive ST_STATE after ~29 s of silence (NAT mappings). */
export const KEEPALIVE_MS = 29_000;
/** Nothing at all received for this long: the peer is gone. */
export const DEAD_MS = 90_000;
/** Out-of-order packets kept at most this far past ack_nr; later ones are dropped (the peer resends). */
export const MAX_REORDER_PACKETS = 2048;
/** BEP 29: a packet with this many later packets acknowledged is taken as lost. */
export const DUPLICATE_ACKS = 3;

export type UtpState = "syn-sent" | "connected" | "fin-sent" | "closed";

export interface UtpEnv {
  now(): number;
  send(packet: Uint8Array): void;
  /** Called once when the connection is over (the socket forgets it). */
  closed?(): void;
}

export interface UtpEvents {
  connect(): void;
  data(bytes: Uint8Array): void;
  drain(): void;
  close(reason: string): void;
}

/** A packet sent and not yet acknowledged, as the connection keeps it. */
export interface SentPacket {
  readonly seq: number;
  readonly type: PacketType;
  readonly payload: Uint8Array;
  sentAtMs: number;
  /** Order of its latest transmission among all of this connection's. */
  sendOrder: number;
  transmissions: number;
  sacked: boolean;
  /** Taken as lost (timeout or selective acks): resent before new data. */
  lost: boolean;
  fastResent: boolean;
}
