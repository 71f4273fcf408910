// Exit codes of the ripple CLI (documented in the README) and the mapping from errors to them.

import { RippleError } from "../util/index.ts";

export const EXIT = {
  OK: 0,
  /** A bug: an unexpected error (run with --verbose for the stack). */
  INTERNAL: 1,
  /** Bad command line: unknown option, missing argument, bad value. */
  USAGE: 2,
  /** The .torrent could not be read or is invalid. */
  BAD_TORRENT: 3,
  /** Network: the listen port is taken, or the download could not proceed. */
  NETWORK: 4,
  /** Disk: output directory not writable, disk full, read error. */
  DISK: 5,
  /** The data on disk does not match the torrent (e.g. `seed` over incomplete data). */
  VERIFY: 6,
  /** `download --stall-timeout`: no data arrived for that long. */
  STALLED: 7,
  /** `--timeout`: the whole run took longer than allowed. */
  TIMEOUT: 8,
  /** `--metadata-timeout`: a magnet's metadata did not arrive in time. */
  METADATA_TIMEOUT: 9,
  /** `remote`: the daemon answered with an error (its message is printed). */
  REMOTE: 10,
  /** Interrupted by SIGINT (128 + 2). */
  INTERRUPTED: 130,
  /** Terminated by SIGTERM (128 + 15). */
  TERMINATED: 143,
} as const;

/** Exit code for an error that reached the CLI. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof RippleError) {
    switch (err.code) {
      case "USAGE":
        return EXIT.USAGE;
      case "METAINFO":
      case "BENCODE":
      case "TORRENT_FILE":
        return EXIT.BAD_TORRENT;
      case "PORT_IN_USE":
      case "UNREACHABLE":
      case "TRACKER":
      case "WIRE":
        return EXIT.NETWORK;
      case "STORAGE":
        return EXIT.DISK;
      case "VERIFY":
        return EXIT.VERIFY;
      case "STALLED":
        return EXIT.STALLED;
      case "TIMEOUT":
        return EXIT.TIMEOUT;
      case "METADATA_TIMEOUT":
        return EXIT.METADATA_TIMEOUT;
      case "REMOTE":
        return EXIT.REMOTE;
    }
  }
  if (err instanceof Error && err.name === "CLIError") return EXIT.USAGE;
  return EXIT.INTERNAL;
}
