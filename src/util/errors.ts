// Error types for every layer. A RippleError carries a stable `code` that the CLI maps to an exit code.
// Messages are lowercase and say what was expected, what arrived, and where.

/** Base class of every error ripple raises on purpose. */
export class RippleError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Malformed bencoded data. */
export class BencodeError extends RippleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("BENCODE", message, options);
  }
}

/** A .torrent file or magnet link that is not valid; the message names the field. */
export class MetainfoError extends RippleError {
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super("METAINFO", message, options);
    this.field = field;
  }
}

/** A peer broke the wire protocol. */
export class WireError extends RippleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("WIRE", message, options);
  }
}

/** A tracker request failed or its reply was invalid. */
export class TrackerError extends RippleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TRACKER", message, options);
  }
}

/** A local disk problem: unwritable directory, disk full, unreadable data. */
export class StorageError extends RippleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORAGE", message, options);
  }
}

/** A DHT message or node misbehaved. */
export class DhtError extends RippleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("DHT", message, options);
  }
}

/** A uTP (BEP 29) packet or remote misbehaved. */
export class UtpError extends RippleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("UTP", message, options);
  }
}

/** A web seed (BEP 19 HTTP origin) answered wrongly or not at all; `kind` says how. */
export class WebSeedError extends RippleError {
  readonly kind: WebSeedFailure;
  constructor(kind: WebSeedFailure, message: string, options?: { cause?: unknown }) {
    super("WEBSEED", message, options);
    this.kind = kind;
  }
}

/** `missing`: 404/410 (that file only); `no-range`: 200 instead of 206; the rest are transient. */
export type WebSeedFailure = "missing" | "no-range" | "status" | "length" | "redirects" | "network" | "timeout";

/** Message of any thrown value, for logs. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
