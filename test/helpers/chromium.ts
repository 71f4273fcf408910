// Test helper: headless Chromium (Debian's `chromium`) as a managed process, driven over the DevTools
// protocol on its 127.0.0.1 websocket: navigate, evaluate JavaScript in the page, set file inputs, and
// wait on page state (polling the DOM, never sleeping). No network beyond 127.0.0.1 is asked for.

import { spawnManaged, makeTempDir, waitFor, type ManagedProcess } from "./process.ts";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-default-apps",
  "--disable-extensions",
  // Chromium still asks Google (component updates, sign-in, autofill) despite the flags above: no name
  // resolves at all, so nothing leaves 127.0.0.1, and those features are off besides.
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
  "--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter,Translate,CertificateTransparencyComponentUpdater",
  "--disable-domain-reliability",
  "--disable-quic",
  "--no-proxy-server",
  "--disable-client-side-phishing-detection",
  "--no-pings",
  "--no-default-browser-check",
  "--disable-breakpad",
  "--password-store=basic",
  "--remote-debugging-address=127.0.0.1",
  "--remote-debugging-port=0",
];

export interface Chromium extends AsyncDisposable {
  readonly process: ManagedProcess;
  send(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The value of `expression` in the page (promises awaited); a thrown exception rejects. */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Polls `expression` in the page until it is truthy. */
  waitUntil(expression: string, what: string, timeoutMs?: number): Promise<void>;
  /** Sets the files of the <input type=file> matching `selector`. */
  setFiles(selector: string, paths: string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function launchChromium(url: string, binary = "/usr/bin/chromium"): Promise<Chromium> {
  const profile = await makeTempDir("ripple-chromium-");
  const proc = await spawnManaged([binary, ...FLAGS, `--user-data-dir=${profile}`, "about:blank"], { name: "chromium", tempDirs: [profile] });
  let browserWs = "";
  await waitFor(
    () => {
      browserWs = /DevTools listening on (ws:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(proc.log())?.[1] ?? "";
      if (!browserWs && proc.hasExited) throw new Error(`chromium exited before listening:\n${proc.logTail(20)}`);
      return browserWs !== "";
    },
    { what: "chromium's DevTools websocket", timeoutMs: 60_000 },
  );
  const port = new URL(browserWs).port;
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
  const page = targets.find((t) => t.type === "page");
  if (!page) throw new Error("chromium has no page target");
  const ws = new WebSocket(page.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error("cannot connect to chromium's page websocket")), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  ws.addEventListener("message", (ev) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result ?? {});
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = (await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  };
  const stop = async () => {
    ws.close();
    await proc.stop();
  };
  await send("Page.enable");
  await send("Page.navigate", { url });
  return {
    process: proc,
    send,
    evaluate,
    async waitUntil(expression, what, timeoutMs = 45_000) {
      let last: unknown;
      await waitFor(async () => Boolean((last = await evaluate(expression).catch((err: unknown) => String(err)))), {
        what: `the page: ${what}`,
        timeoutMs,
        logs: () => `last value: ${JSON.stringify(last)}`,
      });
    },
    async setFiles(selector, paths) {
      const { root } = (await send("DOM.getDocument")) as { root: { nodeId: number } };
      const { nodeId } = (await send("DOM.querySelector", { nodeId: root.nodeId, selector })) as { nodeId: number };
      await send("DOM.setFileInputFiles", { nodeId, files: paths });
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
