// Which DHT a command line asks for (nothing is started here: only the parsed options are checked).

import { afterEach, describe, expect, test } from "bun:test";
import { DEFAULT_DHT_BOOTSTRAP } from "../../src/dht/index.ts";
import { parseTorrentArgs } from "../../src/cli/torrent-args.ts";

const saved = process.env.RIPPLE_DHT;
afterEach(() => {
  process.env.RIPPLE_DHT = saved;
});

function dhtFor(rawArgs: string[], env: string | undefined) {
  if (env === undefined) delete process.env.RIPPLE_DHT;
  else process.env.RIPPLE_DHT = env;
  const args: Record<string, unknown> = { torrent: "t.torrent" };
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === "--dht") args.dht = true;
    else if (a === "--no-dht") args.dht = false;
    else if (a.startsWith("--")) args[a.slice(2)] = rawArgs[++i];
  }
  return parseTorrentArgs(args, rawArgs).client.dht;
}

describe("DHT options", () => {
  test("on by default, from the public routers, with the routing table kept between runs", () => {
    const dht = dhtFor([], undefined);
    expect(dht?.bootstrap).toEqual(DEFAULT_DHT_BOOTSTRAP);
    expect(dht?.port).toBe(6881);
    expect(dht?.statePath).toMatch(/ripple\/dht\.json$/);
  });

  test("--no-dht and RIPPLE_DHT=off turn it off", () => {
    expect(dhtFor(["--no-dht"], undefined)).toBeUndefined();
    expect(dhtFor([], "off")).toBeUndefined();
  });

  test("an explicit --dht or --dht-bootstrap wins over RIPPLE_DHT=off, and the bootstrap replaces the routers", () => {
    expect(dhtFor(["--dht"], "off")?.bootstrap).toEqual(DEFAULT_DHT_BOOTSTRAP);
    const dht = dhtFor(["--dht-bootstrap", "127.0.0.1:7000", "--dht-port", "0", "--dht-state", "/tmp/x.json"], "off");
    expect(dht).toEqual({ port: 0, bootstrap: [{ host: "127.0.0.1", port: 7000 }], statePath: "/tmp/x.json" });
  });

  test("the test suite runs with RIPPLE_DHT=off (test/setup.ts), so every ripple it starts inherits it", () => {
    expect(saved).toBe("off");
  });
});

describe("--no-web-seeds", () => {
  test("citty's web-seeds: false and an explicit no-web-seeds both turn web seeds off; default on", () => {
    expect(parseTorrentArgs({ torrent: "t.torrent", "web-seeds": false } as never, ["--no-web-seeds"]).noWebSeeds).toBe(true);
    expect(parseTorrentArgs({ torrent: "t.torrent", "no-web-seeds": true }, ["--no-web-seeds"]).noWebSeeds).toBe(true);
    expect(parseTorrentArgs({ torrent: "t.torrent" }, []).noWebSeeds).toBe(false);
  });
});

describe("listening and encryption options", () => {
  const parse = (args: Record<string, unknown>) => parseTorrentArgs({ torrent: "t.torrent", ...args }, []).client;

  test("--host, --encryption and --announce-ipv6 reach the Client; absent, the Client's defaults hold", () => {
    expect(parse({ host: "::1", encryption: "require", "announce-ipv6": "2001:db8::1" })).toMatchObject({ host: "::1", encryption: "require", announceIpv6: "2001:db8::1" });
    const none = parse({});
    expect(none.host).toBeUndefined();
    expect(none.encryption).toBeUndefined();
  });

  test("bad values are one-line usage errors naming the option", () => {
    expect(() => parse({ encryption: "always" })).toThrow('--encryption: expected prefer, require or plain, got "always"');
    expect(() => parse({ host: "example.com" })).toThrow(/--host: expected an IP address/);
    expect(() => parse({ "announce-ipv6": "127.0.0.1" })).toThrow(/--announce-ipv6: expected an IPv6 address/);
  });
});

describe("uTP options", () => {
  const parse = (args: Record<string, unknown>) => parseTorrentArgs({ torrent: "t.torrent", ...args }, []).client;

  test("on by default (the Client's auto); --no-utp is off; --utp-mode picks how dials go", () => {
    expect(parse({}).utp).toBeUndefined();
    expect(parse({ utp: true }).utp).toBeUndefined();
    expect(parse({ utp: false }).utp).toBe("off");
    expect(parse({ "utp-mode": "only" }).utp).toBe("only");
    expect(parse({ "utp-mode": "Prefer" }).utp).toBe("prefer");
  });

  test("bad or contradictory values are usage errors", () => {
    expect(() => parse({ "utp-mode": "off" })).toThrow('--utp-mode: expected auto, prefer or only, got "off"');
    expect(() => parse({ utp: false, "utp-mode": "only" })).toThrow("--utp-mode: uTP is off (--no-utp)");
  });
});
