// Logger: the small interface library code logs through; consola backs it in the CLI. consola is loaded
// on the first line that is printed, not at start: with its node:tty/util/stream imports it costs ~8 MiB
// of code pages and ~4 MiB of heap, which a quiet download (or one with nothing to warn about) never needs.

import type { ConsolaInstance } from "consola";

export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
  withTag(tag: string): Logger;
}

/** A logger that drops everything (library default). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  withTag() {
    return silentLogger;
  },
};

/** consola's numeric levels of our four kinds of message (a message shows when the logger's level is at least this). */
const LEVELS = { error: 0, warn: 1, info: 3, debug: 4 } as const;

/**
 * A consola-backed logger writing to stderr (or `sink`); level 4 shows debug lines. Messages above the
 * level are dropped here, so consola is only loaded (synchronously, by require) when one is printed.
 */
export function createLogger(level: number, sink: { write(text: string): unknown } = process.stderr): Logger {
  let root: ConsolaInstance | undefined;
  const load = (): ConsolaInstance => {
    if (root === undefined) {
      const stream = sink as NodeJS.WriteStream;
      const { createConsola } = require("consola") as typeof import("consola");
      root = createConsola({ level, stdout: stream, stderr: stream });
    }
    return root;
  };
  const make = (tags: readonly string[]): Logger => {
    let tagged: ConsolaInstance | undefined;
    const instance = (): ConsolaInstance => (tagged ??= tags.reduce((c, tag) => c.withTag(tag), load()));
    const at =
      (kind: keyof typeof LEVELS) =>
      (message: string, ...args: unknown[]): void => {
        if (level >= LEVELS[kind]) instance()[kind](message, ...args);
      };
    return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), withTag: (tag) => make([...tags, tag]) };
  };
  return make([]);
}
