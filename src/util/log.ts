// Logger: the small interface library code logs through; consola backs it in the CLI.

import { createConsola, type ConsolaInstance } from "consola";

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

function wrap(c: ConsolaInstance): Logger {
  return {
    debug: (m, ...a) => c.debug(m, ...a),
    info: (m, ...a) => c.info(m, ...a),
    warn: (m, ...a) => c.warn(m, ...a),
    error: (m, ...a) => c.error(m, ...a),
    withTag: (tag) => wrap(c.withTag(tag)),
  };
}

/** A consola-backed logger writing to stderr (or `sink`); level 4 shows debug lines. */
export function createLogger(level: number, sink: { write(text: string): unknown } = process.stderr): Logger {
  const stream = sink as NodeJS.WriteStream;
  const c = createConsola({ level, stdout: stream, stderr: stream });
  return wrap(c);
}
