// The network lab: hosts as network namespaces, each joined by a veth link to a core namespace that routes
// between them (198.18.0.0/15, the range RFC 2544 sets aside for benchmarks; nothing leaves the machine: the
// core has no route out). Each link: an HTB rate cap per direction, and delay/loss by the link emulator.
// Linux, root, `ip` and `tc` (iproute2) and, for delay or loss, `iptables-legacy` (this kernel has the xt
// NFQUEUE target but not nftables' queue expression). Shell: runs commands.

import { join } from "node:path";

/** One host's link to the core. Rates in bytes per second (0 = no cap); `delayMs` is the round trip the
 * link adds (half each way, like netem's delay on the host's interface); `loss` per packet, each way. */
export interface LinkSpec {
  upRateBytes?: number;
  downRateBytes?: number;
  delayMs?: number;
  loss?: number;
}

export interface HostSpec extends LinkSpec {
  name: string;
}

export interface LabHost {
  readonly name: string;
  /** The namespace's name, for `ip netns exec`. */
  readonly netns: string;
  /** The host's address on its link. */
  readonly ip: string;
  readonly link: LinkSpec;
}

const PREFIX = "rlab";
let labsMade = 0;
const EMULATOR = join(import.meta.dir, "link-emulator.ts");
const IPTABLES = "iptables-legacy";

/** Runs a command; throws with its stderr when it fails. */
function run(argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.toString().trim() || `exit ${r.exitCode}`}`);
  return r.stdout.toString();
}

function tryRun(argv: string[]): void {
  Bun.spawnSync(argv, { stdout: "ignore", stderr: "ignore" });
}

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(opts: { needEmulator?: boolean } = {}): string | undefined {
  if (process.platform !== "linux") return "the network lab needs Linux network namespaces";
  if (process.getuid?.() !== 0) return "the network lab needs root (network namespaces, tc)";
  for (const tool of ["ip", "tc", ...(opts.needEmulator ? [IPTABLES] : [])]) {
    if (!Bun.which(tool)) return `the network lab needs \`${tool}\` (apt-get install ${tool === IPTABLES ? "iptables" : "iproute2"})`;
  }
  return undefined;
}

/** HTB root with one class at `rateBytes` on `dev` (in `netns`); burst sized for 4 ms at that rate, at least a GSO packet. */
function shape(netns: string, dev: string, rateBytes: number): void {
  const burst = Math.max(128 * 1024, Math.round(rateBytes / 250));
  run(["ip", "netns", "exec", netns, "tc", "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "1"]);
  run([
    "ip", "netns", "exec", netns, "tc", "class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb",
    "rate", `${rateBytes * 8}bit`, "ceil", `${rateBytes * 8}bit`, "burst", String(burst), "cburst", String(burst),
  ]);
}

export class NetLab implements AsyncDisposable {
  readonly id: string;
  readonly core: string;
  readonly hosts: LabHost[] = [];
  #emulator: ReturnType<typeof Bun.spawn> | undefined;
  #closed = false;
  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.destroy();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };

  private constructor(id: string) {
    this.id = id;
    this.core = `${PREFIX}${id}-core`;
  }

  /** Builds the lab; tears down whatever it built if a step fails. Cleans up on SIGINT/SIGTERM and exit. */
  static async create(specs: HostSpec[]): Promise<NetLab> {
    const why = labUnavailable({ needEmulator: specs.some((h) => (h.delayMs ?? 0) > 0 || (h.loss ?? 0) > 0) });
    if (why) throw new Error(why);
    if (specs.length > 250) throw new Error(`at most 250 hosts, not ${specs.length}`);
    removeStaleLabs();
    const lab = new NetLab(`${process.pid}x${++labsMade}`);
    process.on("SIGINT", lab.#onSignal);
    process.on("SIGTERM", lab.#onSignal);
    process.on("exit", () => lab.destroy());
    try {
      lab.#build(specs);
      await lab.#startEmulator();
    } catch (error) {
      lab.destroy();
      throw error;
    }
    return lab;
  }

  #build(specs: HostSpec[]): void {
    run(["ip", "netns", "add", this.core]);
    run(["ip", "-n", this.core, "link", "set", "lo", "up"]);
    run(["ip", "netns", "exec", this.core, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    for (const [i, spec] of specs.entries()) {
      const netns = `${PREFIX}${this.id}-${spec.name}`;
      const coreDev = `h${i}`;
      run(["ip", "netns", "add", netns]);
      run(["ip", "-n", netns, "link", "set", "lo", "up"]);
      run(["ip", "-n", this.core, "link", "add", coreDev, "type", "veth", "peer", "name", "eth0", "netns", netns]);
      run(["ip", "-n", this.core, "addr", "add", `198.18.${i}.1/24`, "dev", coreDev]);
      run(["ip", "-n", this.core, "link", "set", coreDev, "up"]);
      run(["ip", "-n", netns, "addr", "add", `198.18.${i}.2/24`, "dev", "eth0"]);
      run(["ip", "-n", netns, "link", "set", "eth0", "up"]);
      // Only the lab's own range is routed: anything else has no route, inside the host and in the core.
      run(["ip", "-n", netns, "route", "add", "198.18.0.0/15", "via", `198.18.${i}.1`]);
      if (spec.upRateBytes) shape(netns, "eth0", spec.upRateBytes);
      if (spec.downRateBytes) shape(this.core, coreDev, spec.downRateBytes);
      const { name, ...link } = spec;
      this.hosts.push({ name, netns, ip: `198.18.${i}.2`, link });
    }
  }

  /** Queues 2i (host i's uplink, at prerouting) and 2i+1 (its downlink, at postrouting) for links with delay or loss. */
  async #startEmulator(): Promise<void> {
    const queues: { queue: number; delayMs: number; loss: number }[] = [];
    const rules: string[][] = [];
    for (const [i, h] of this.hosts.entries()) {
      const delayMs = (h.link.delayMs ?? 0) / 2;
      const loss = h.link.loss ?? 0;
      if (delayMs <= 0 && loss <= 0) continue;
      queues.push({ queue: 2 * i, delayMs, loss }, { queue: 2 * i + 1, delayMs, loss });
      rules.push(["PREROUTING", "-i", `h${i}`, "-j", "NFQUEUE", "--queue-num", String(2 * i)]);
      rules.push(["POSTROUTING", "-o", `h${i}`, "-j", "NFQUEUE", "--queue-num", String(2 * i + 1)]);
    }
    if (queues.length === 0) return;
    const proc = Bun.spawn(["ip", "netns", "exec", this.core, process.execPath, EMULATOR, JSON.stringify(queues)], {
      stdout: "pipe",
      stderr: process.env.LAB_STATS ? "inherit" : "pipe",
    });
    this.#emulator = proc;
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    reader.releaseLock();
    if (!new TextDecoder().decode(first.value ?? new Uint8Array()).includes("ready")) {
      const err = await new Response(proc.stderr as ReadableStream<Uint8Array>).text();
      throw new Error(`link emulator did not start: ${err.trim().split("\n").slice(-3).join(" | ")}`);
    }
    for (const rule of rules) run(["ip", "netns", "exec", this.core, IPTABLES, "-w", "-t", "mangle", "-A", ...rule]);
  }

  host(name: string): LabHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no host ${name} in the lab`);
    return h;
  }

  /** The argv that runs `argv` inside `host`'s namespace. */
  argv(host: LabHost, argv: string[]): string[] {
    return ["ip", "netns", "exec", host.netns, ...argv];
  }

  /** Kills every process in the lab's namespaces and deletes them (their veths go with them). Idempotent. */
  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    process.off("SIGINT", this.#onSignal);
    process.off("SIGTERM", this.#onSignal);
    this.#emulator?.kill("SIGKILL");
    removeLab(this.id);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.destroy();
  }
}

function labNamespaces(): string[] {
  const r = Bun.spawnSync(["ip", "netns", "list"], { stdout: "pipe", stderr: "ignore" });
  return r.stdout
    .toString()
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(PREFIX));
}

function removeLab(id: string): void {
  for (const ns of labNamespaces().filter((n) => n.startsWith(`${PREFIX}${id}-`))) {
    const pids = Bun.spawnSync(["ip", "netns", "pids", ns], { stdout: "pipe", stderr: "ignore" }).stdout.toString().trim();
    for (const pid of pids.split(/\s+/).filter(Boolean)) tryRun(["kill", "-9", pid]);
    tryRun(["ip", "netns", "delete", ns]);
  }
}

/** Deletes the namespaces of labs whose process is gone (a run killed with -9). Returns how many labs. */
export function removeStaleLabs(): number {
  const ids = new Set(labNamespaces().map((n) => n.slice(PREFIX.length).split("-")[0] ?? ""));
  let removed = 0;
  for (const id of ids) {
    const pid = Number(id.split("x")[0]);
    let alive = false;
    try {
      alive = Number.isInteger(pid) && pid > 0 && process.kill(pid, 0);
    } catch {
      alive = false; // ESRCH: no such process, so its lab is stale
    }
    if (!alive) {
      removeLab(id);
      removed++;
    }
  }
  return removed;
}
