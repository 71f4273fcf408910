// Programs running inside lab hosts: spawned through `ip netns exec`, their stdout read as JSON events
// (ripple --json, lt-peer.py) and their output kept in a log file for when something goes wrong.

import { createWriteStream, type WriteStream } from "node:fs";
import type { LabHost, NetLab } from "./lab.ts";

export type LabEvent = { event: string; [field: string]: unknown };

export class LabProcess {
  readonly name: string;
  readonly proc: ReturnType<typeof Bun.spawn>;
  readonly events: LabEvent[] = [];
  /** Milliseconds (performance.now()) at which each event name was first seen. */
  readonly firstSeen = new Map<string, number>();
  readonly #log: WriteStream;
  readonly #waiters: { test: (e: LabEvent) => boolean; resolve: (e: LabEvent) => void }[] = [];
  readonly exited: Promise<number>;

  constructor(lab: NetLab, host: LabHost, name: string, argv: string[], logPath: string) {
    this.name = name;
    this.#log = createWriteStream(logPath);
    this.proc = Bun.spawn(lab.argv(host, argv), { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    void this.#read(this.proc.stdout as ReadableStream<Uint8Array>, true);
    void this.#read(this.proc.stderr as ReadableStream<Uint8Array>, false);
    this.exited = this.proc.exited;
  }

  async #read(stream: ReadableStream<Uint8Array>, json: boolean): Promise<void> {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      this.#log.write(chunk);
      if (!json) continue;
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) this.#line(line);
    }
  }

  #line(line: string): void {
    if (!line.startsWith("{")) return;
    let event: LabEvent;
    try {
      event = JSON.parse(line) as LabEvent;
    } catch {
      return; // not one of the program's JSON events (a stray log line): only the log keeps it
    }
    if (typeof event.event !== "string") return;
    this.events.push(event);
    if (!this.firstSeen.has(event.event)) this.firstSeen.set(event.event, performance.now());
    for (const w of [...this.#waiters]) {
      if (w.test(event)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  }

  /** The first event named `name` (already seen or still to come); rejects if the process exits first or after `timeoutMs`. */
  waitEvent(name: string, timeoutMs: number): Promise<LabEvent> {
    const seen = this.events.find((e) => e.event === name);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no "${name}" event within ${timeoutMs / 1000} s`)), timeoutMs);
      const waiter = { test: (e: LabEvent) => e.event === name, resolve: (e: LabEvent) => (clearTimeout(timer), resolve(e)) };
      this.#waiters.push(waiter);
      void this.exited.then((code) => {
        if (!this.#waiters.includes(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (code ${code}) before a "${name}" event`));
      });
    });
  }

  last(name: string): LabEvent | undefined {
    return this.events.findLast((e) => e.event === name);
  }

  /** SIGTERM (a graceful stop for ripple: it prints its final stats), then waits for the exit. */
  async stop(): Promise<number> {
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 15_000);
    const code = await this.exited;
    clearTimeout(timer);
    await new Promise<void>((resolve) => this.#log.end(resolve));
    return code;
  }
}
