// Test helper: a fake clock with fake timers (time moves only when a test says so), and a recorder of
// asynchronous items that tests await by count. Pure; no I/O, no real timers.

import type { Clock, Timers } from "../../src/util/index.ts";

/** setTimeout/clearTimeout as the shells take them (util's Timers, which Clock extends). */
export type FakeTimers = Timers;

/** The whole Clock, faked: time moves only in advance(), which runs due callbacks in order. */
export class FakeTime implements Clock {
  #now = 0;
  /** The Unix time (ms) that now() = 0 stands for; epochMs() moves with now(). */
  epochStartMs = Date.UTC(2026, 0, 1);
  #nextId = 0;
  readonly #tasks = new Map<number, { at: number; fn: () => void }>();
  #onSet: ((delayMs: number) => void)[] = [];

  now(): number {
    return this.#now;
  }
  epochMs(): number {
    return this.epochStartMs + this.#now;
  }
  setTimeout(fn: () => void, delayMs: number): unknown {
    const id = ++this.#nextId;
    this.#tasks.set(id, { at: this.#now + delayMs, fn });
    for (const resolve of this.#onSet.splice(0)) resolve(delayMs);
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#tasks.delete(handle as number);
  }
  get pending(): number {
    return this.#tasks.size;
  }
  /** Milliseconds until the earliest pending timer. */
  get nextDelayMs(): number | undefined {
    const ats = [...this.#tasks.values()].map((t) => t.at);
    return ats.length === 0 ? undefined : Math.min(...ats) - this.#now;
  }
  /** Resolves with the delay of the next timer set from now on. */
  nextTimer(): Promise<number> {
    const { promise, resolve } = Promise.withResolvers<number>();
    this.#onSet.push(resolve);
    return promise;
  }
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = [...this.#tasks.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#tasks.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = target;
  }
}

/** Items that arrive asynchronously, awaitable by count. */
export class Recorder<T> {
  readonly items: T[] = [];
  readonly #waiters: { count: number; resolve: () => void }[] = [];
  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.#waiters]) {
      if (this.items.length < w.count) continue;
      this.#waiters.splice(this.#waiters.indexOf(w), 1);
      w.resolve();
    }
  }
  async waitFor(count: number): Promise<T[]> {
    if (this.items.length < count) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#waiters.push({ count, resolve });
      await promise;
    }
    return this.items;
  }
}

/**
 * Resolves once the microtasks queued so far (and those they queue) have run: what in-memory transports
 * deliver after a fake-clock step. setImmediate waits for no time, only for the queue to drain.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
