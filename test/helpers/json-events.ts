// Test helper: the --json event lines of a ripple run (a child's stdout, or stdout captured in process),
// split and parsed as they arrive, with a wait for the first event of a name. No timers: waits end on an
// event or on end().

export type JsonEvent = Record<string, unknown>;

export class JsonEvents<E extends JsonEvent = JsonEvent> {
  readonly events: E[] = [];
  readonly #onEvent: ((e: E) => void) | undefined;
  readonly #decoder = new TextDecoder();
  #buffered = "";
  #waiters: { name: string; resolve: (e: E) => void; reject: (err: Error) => void }[] = [];
  #ended: Error | undefined;

  /** `onEvent` sees each event as it is parsed (it may act on the process, e.g. kill it). */
  constructor(onEvent?: (e: E) => void) {
    this.#onEvent = onEvent;
  }

  /** Output as it arrives; each complete line is one event. */
  push(chunk: string | Uint8Array): void {
    this.#buffered += typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    for (let nl = this.#buffered.indexOf("\n"); nl >= 0; nl = this.#buffered.indexOf("\n")) {
      const e = JSON.parse(this.#buffered.slice(0, nl)) as E;
      this.#buffered = this.#buffered.slice(nl + 1);
      this.events.push(e);
      this.#onEvent?.(e);
      const due = this.#waiters.filter((w) => w.name === e.event);
      this.#waiters = this.#waiters.filter((w) => w.name !== e.event);
      for (const w of due) w.resolve(e);
    }
  }

  /** Reads a child's stdout to its end. */
  async read(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream) this.push(chunk);
  }

  /** No more output will come: a wait for an event not seen rejects with `why`. */
  end(why: string): void {
    this.#ended = new Error(why);
    for (const w of this.#waiters.splice(0)) w.reject(this.#ended);
  }

  /** The first event named `name`, already seen or still to come. */
  next(name: string): Promise<E> {
    const seen = this.events.find((e) => e.event === name);
    if (seen) return Promise.resolve(seen);
    const ended = this.#ended;
    if (ended) return Promise.reject(new Error(`${ended.message} before a "${name}" event`));
    return new Promise((resolve, reject) => this.#waiters.push({ name, resolve, reject: (err) => reject(new Error(`${err.message} before a "${name}" event`)) }));
  }
}
