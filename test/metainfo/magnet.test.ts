import { describe, expect, test } from "bun:test";
import { MAX_MAGNET_SELECTED_FILES, formatMagnet, formatSelection, isMagnetUri, parseMagnet, type Magnet } from "../../src/metainfo/index.ts";
import { MetainfoError, fromHex } from "../../src/util/index.ts";

const HEX = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
/** The same hash in RFC 4648 base32, computed with Python's base64.b32encode. */
const B32 = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";
const HASH = fromHex(HEX)!;
const link = (rest = "") => `magnet:?xt=urn:btih:${HEX}${rest}`;

function refused(uri: string): MetainfoError {
  try {
    parseMagnet(uri);
  } catch (err) {
    if (err instanceof MetainfoError) return err;
    throw err;
  }
  throw new Error(`expected parseMagnet to refuse ${uri}`);
}

describe("parseMagnet: the info hash", () => {
  const cases: [string, string][] = [
    ["40 lowercase hex digits", `magnet:?xt=urn:btih:${HEX}`],
    ["40 uppercase hex digits", `magnet:?xt=urn:btih:${HEX.toUpperCase()}`],
    ["32 uppercase base32 characters", `magnet:?xt=urn:btih:${B32}`],
    ["32 lowercase base32 characters", `magnet:?xt=urn:btih:${B32.toLowerCase()}`],
    ["an uppercase scheme and urn", `MAGNET:?XT=URN:BTIH:${HEX}`],
    ["the numbered form xt.1", `magnet:?xt.1=urn:btih:${HEX}`],
    ["other xt kinds beside btih", `magnet:?xt=urn:ed2k:31d6cfe0d16ae931b73c59d7e0c089c0&xt=urn:btih:${HEX}`],
    ["the same hash twice, hex and base32", `magnet:?xt=urn:btih:${HEX}&xt=urn:btih:${B32}`],
    ["surrounding whitespace", `  magnet:?xt=urn:btih:${HEX}\n`],
  ];
  for (const [what, uri] of cases) {
    test(what, () => {
      const m = parseMagnet(uri);
      expect(m.infoHash).toEqual(HASH);
      expect(m.infoHashHex).toBe(HEX);
    });
  }

  test("base32 decodes bit-exactly (bytes 0..19)", () => {
    const m = parseMagnet("magnet:?xt=urn:btih:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT");
    expect(m.infoHashHex).toBe("000102030405060708090a0b0c0d0e0f10111213");
  });

  test("a minimal link has empty lists and no optional parts", () => {
    const m = parseMagnet(link());
    expect(m).toEqual({ infoHash: HASH, infoHashHex: HEX, v2Only: false, trackers: [], peers: [], webSeeds: [] });
    expect("name" in m || "select" in m || "lengthBytes" in m).toBe(false);
  });
});

describe("parseMagnet: BitTorrent v2 (BEP 52 urn:btmh)", () => {
  const V2_HEX = "ab".repeat(16) + "cd".repeat(16);
  test("a hybrid link carries both hashes; the v1 hash is the one used on the wire", () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1220${V2_HEX.toUpperCase()}`);
    expect(m.infoHashHex).toBe(HEX);
    expect(m.infoHashV2Hex).toBe(V2_HEX);
    expect(m.v2Only).toBe(false);
  });
  test("a v2-only link: the info hash is the v2 hash truncated to 20 bytes", () => {
    const m = parseMagnet(`magnet:?xt=urn:btmh:1220${V2_HEX}&dn=x`);
    expect(m.v2Only).toBe(true);
    expect(m.infoHashHex).toBe(V2_HEX.slice(0, 40));
    expect(m.infoHashV2?.length).toBe(32);
  });
  test("formatMagnet writes btih then btmh, or btmh alone for v2-only, and reads back", () => {
    const v2 = parseMagnet(`magnet:?xt=urn:btmh:1220${V2_HEX}`).infoHashV2!;
    const hybrid = formatMagnet({ infoHash: HASH, infoHashV2: v2, name: "n" });
    expect(hybrid).toBe(`magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1220${V2_HEX}&dn=n`);
    const only = formatMagnet({ infoHash: v2.slice(0, 20), infoHashV2: v2, v2Only: true });
    expect(only).toBe(`magnet:?xt=urn:btmh:1220${V2_HEX}`);
    const back = parseMagnet(only);
    expect(formatMagnet(back)).toBe(only);
    expect(() => formatMagnet({})).toThrow(RangeError);
  });
});

describe("parseMagnet: bad links", () => {
  const cases: [string, string, string, RegExp][] = [
    ["an unknown scheme", `http://example.invalid/?xt=urn:btih:${HEX}`, "magnet", /^magnet: expected a link starting with "magnet:\?", got "http:/],
    ["magnet: without ?", `magnet:xt=urn:btih:${HEX}`, "magnet", /starting with "magnet:\?"/],
    ["no xt", "magnet:?dn=x&tr=udp://127.0.0.1:1", "magnet.xt", /^magnet\.xt: missing: a magnet link needs xt=urn:btih:<info hash> or xt=urn:btmh:1220<v2 info hash>$/],
    ["two different btih", `${link()}&xt=urn:btih:${"0".repeat(40)}`, "magnet.xt", /expected exactly one urn:btih info hash, got 2/],
    ["bad base32 (a '1' is not base32)", `magnet:?xt=urn:btih:${B32.slice(0, 31)}1`, "magnet.xt", /^magnet\.xt: expected urn:btih:<40 hex or 32 base32>, got "urn:btih:YEX6/],
    ["non-hex in 40 characters", `magnet:?xt=urn:btih:${HEX.slice(0, 39)}g`, "magnet.xt", /expected urn:btih:<40 hex or 32 base32>/],
    ["39 hex digits", `magnet:?xt=urn:btih:${HEX.slice(0, 39)}`, "magnet.xt", /expected urn:btih:<40 hex or 32 base32>/],
    ["41 hex digits", `magnet:?xt=urn:btih:${HEX}0`, "magnet.xt", /expected urn:btih/],
    ["an empty btih", "magnet:?xt=urn:btih:", "magnet.xt", /got "urn:btih:"/],
    ["a btmh that is not SHA-256", `magnet:?xt=urn:btmh:1114${"ab".repeat(20)}`, "magnet.xt", /^magnet\.xt: expected urn:btmh:1220<64 hex> \(a SHA-256 multihash\), got "urn:btmh:1114/],
    ["a btmh of 63 hex digits", `magnet:?xt=urn:btmh:1220${"ab".repeat(31)}a`, "magnet.xt", /expected urn:btmh:1220<64 hex>/],
    ["two different btmh", `magnet:?xt=urn:btmh:1220${"ab".repeat(32)}&xt=urn:btmh:1220${"cd".repeat(32)}`, "magnet.xt", /expected exactly one urn:btmh info hash, got 2/],
    ["a bad btih beside a good btmh", `magnet:?xt=urn:btih:xyz&xt=urn:btmh:1220${"ab".repeat(32)}`, "magnet.xt", /expected urn:btih:<40 hex or 32 base32>/],
    ["only a non-BitTorrent xt", "magnet:?xt=urn:sha1:YNCKHTQCWBTRNJIV4WNAE52SJUQCZO5C", "magnet.xt", /expected urn:btih:<40 hex or 32 base32> or urn:btmh:1220<64 hex>, got "urn:sha1:/],
    ["a broken percent-escape", `${link()}&tr=http%3A%2F%2Fx%2`, "magnet.tr", /bad percent-escape "%2"/],
    ["a non-hex percent-escape", `${link()}&ws=http://x/%zz`, "magnet.ws", /bad percent-escape "%zz"/],
    ["invalid UTF-8 in a tracker", `${link()}&tr=http://x/%ff`, "magnet.tr", /expected UTF-8 text after percent-decoding/],
    ["a peer without a port", `${link()}&x.pe=127.0.0.1`, "magnet.x.pe", /expected HOST:PORT or \[IPV6\]:PORT with a port in 1-65535, got "127.0.0.1"/],
    ["a peer with port 0", `${link()}&x.pe=127.0.0.1:0`, "magnet.x.pe", /got "127.0.0.1:0"/],
    ["an unbracketed IPv6 peer", `${link()}&x.pe=::1:6881`, "magnet.x.pe", /got "::1:6881"/],
    ["so with letters", `${link()}&so=1,a`, "magnet.so", /expected file indices and ranges like "0,2,4-6", got "a" in "1,a"/],
    ["so with a backwards range", `${link()}&so=5-2`, "magnet.so", /got "5-2"/],
    ["so with an empty item", `${link()}&so=1,,2`, "magnet.so", /got ""/],
    ["so with a negative index", `${link()}&so=-1`, "magnet.so", /got "-1"/],
    ["so selecting too many files", `${link()}&so=0-${MAX_MAGNET_SELECTED_FILES}`, "magnet.so", /selects more than 1048576 files/],
    ["xl that is not a number", `${link()}&xl=12kb`, "magnet.xl", /^magnet\.xl: expected a byte count \(digits only\), got "12kb"$/],
    ["xl that is negative", `${link()}&xl=-5`, "magnet.xl", /got "-5"/],
    ["xl beyond 2^53", `${link()}&xl=99999999999999999999`, "magnet.xl", /got "99999999999999999999"/],
  ];
  for (const [what, uri, field, message] of cases) {
    test(`refuses ${what}`, () => {
      const err = refused(uri);
      expect(err.field).toBe(field);
      expect(err.code).toBe("METAINFO");
      expect(err.message.startsWith(`${field}: `)).toBe(true);
      expect(err.message).toMatch(message);
    });
  }

  test("a pasted megabyte is cut short in the message", () => {
    const err = refused(`magnet:?xt=urn:btih:${"x".repeat(1_000_000)}`);
    expect(err.message.length).toBeLessThan(300);
  });
});

describe("parseMagnet: name, trackers, peers, web seeds, selection, length", () => {
  test("dn: %20 and + are spaces; %2B is a plus; UTF-8 escapes decode", () => {
    expect(parseMagnet(link("&dn=Big%20Buck+Bunny")).name).toBe("Big Buck Bunny");
    expect(parseMagnet(link("&dn=C%2B%2B+notes")).name).toBe("C++ notes");
    expect(parseMagnet(link("&dn=gr%C3%BC%C3%9Fe")).name).toBe("grüße");
    expect(parseMagnet(link("&dn=日本語")).name).toBe("日本語");
  });

  test("dn: invalid UTF-8 is replaced, not fatal (the metadata brings the real name)", () => {
    expect(parseMagnet(link("&dn=caf%E9")).name).toBe("caf\uFFFD");
  });

  test("dn: the first non-empty one wins; an empty one is no name", () => {
    expect(parseMagnet(link("&dn=&dn=second&dn=third")).name).toBe("second");
    expect("name" in parseMagnet(link("&dn="))).toBe(false);
  });

  test("several trackers, in order, percent-encoded ones with & and = inside, repeats dropped", () => {
    const enc = encodeURIComponent("http://127.0.0.1:6969/announce?passkey=a&b=c+d");
    const m = parseMagnet(link(`&tr=${enc}&tr=udp://127.0.0.1:1337&tr.1=http%3A%2F%2F127.0.0.1%2Fb&tr=udp://127.0.0.1:1337&tr=`));
    expect(m.trackers).toEqual(["http://127.0.0.1:6969/announce?passkey=a&b=c+d", "udp://127.0.0.1:1337", "http://127.0.0.1/b"]);
  });

  test("a + in a tracker URL stays a plus", () => {
    expect(parseMagnet(link("&tr=http://127.0.0.1/a+b")).trackers).toEqual(["http://127.0.0.1/a+b"]);
  });

  test("x.pe: IPv4, bracketed IPv6 (raw or percent-encoded) and host names", () => {
    const m = parseMagnet(link("&x.pe=127.0.0.1:6881&x.pe=[::1]:6882&x.pe=%5B2001%3Adb8%3A%3A1%5D%3A51413&x.pe=peer.example:7000"));
    expect(m.peers).toEqual([
      { host: "127.0.0.1", port: 6881 },
      { host: "::1", port: 6882 },
      { host: "2001:db8::1", port: 51413 },
      { host: "peer.example", port: 7000 },
    ]);
  });

  test("ws: web seeds, repeats dropped", () => {
    const m = parseMagnet(link("&ws=http%3A%2F%2F127.0.0.1%2Fseed%2F&ws=http://127.0.0.1/seed/&ws=http://127.0.0.1/other"));
    expect(m.webSeeds).toEqual(["http://127.0.0.1/seed/", "http://127.0.0.1/other"]);
  });

  const selections: [string, number[]][] = [
    ["0", [0]],
    ["0,2,4-6", [0, 2, 4, 5, 6]],
    ["6-8,0,7", [0, 6, 7, 8]],
    ["3-3", [3]],
    ["1%2C2", [1, 2]],
  ];
  for (const [so, expected] of selections) {
    test(`so=${so} (BEP 53) selects ${expected.join(",")}`, () => expect(parseMagnet(link(`&so=${so}`)).select).toEqual(expected));
  }

  test("several so parameters add up", () => {
    expect(parseMagnet(link("&so=4-5&so=0")).select).toEqual([0, 4, 5]);
  });

  test("xl: the exact length", () => {
    expect(parseMagnet(link("&xl=10826029")).lengthBytes).toBe(10826029);
    expect(parseMagnet(link("&xl=0")).lengthBytes).toBe(0);
  });

  test("unknown parameters, empty pairs and pairs without = are ignored", () => {
    const m = parseMagnet(link("&&kt=a+b&xs=http://x/&as=http://y/&mt=z&x.foo=1&novalue&dn=n"));
    expect(m.name).toBe("n");
    expect(m.trackers).toEqual([]);
  });

  test("a realistic link: everything at once, keys in any order", () => {
    const uri =
      `magnet:?dn=ubuntu-24.04-desktop-amd64.iso&tr=https%3A%2F%2Ftorrent.ubuntu.com%2Fannounce&xl=6114656256` +
      `&tr=https%3A%2F%2Fipv6.torrent.ubuntu.com%2Fannounce&xt=urn:btih:${B32}&so=0&x.pe=10.0.0.2:51413`;
    expect(parseMagnet(uri)).toEqual({
      infoHash: HASH,
      infoHashHex: HEX,
      v2Only: false,
      name: "ubuntu-24.04-desktop-amd64.iso",
      trackers: ["https://torrent.ubuntu.com/announce", "https://ipv6.torrent.ubuntu.com/announce"],
      peers: [{ host: "10.0.0.2", port: 51413 }],
      webSeeds: [],
      select: [0],
      lengthBytes: 6114656256,
    });
  });
});

describe("isMagnetUri", () => {
  test("true for magnet:? links in any case, false for paths and other URIs", () => {
    expect(isMagnetUri(link())).toBe(true);
    expect(isMagnetUri("MAGNET:?xt=whatever")).toBe(true);
    expect(isMagnetUri(" magnet:?")).toBe(true);
    expect(isMagnetUri("magnet.torrent")).toBe(false);
    expect(isMagnetUri("magnet:")).toBe(false);
    expect(isMagnetUri("./magnet:?x.torrent")).toBe(false);
    expect(isMagnetUri("http://127.0.0.1/x.torrent")).toBe(false);
  });
});

describe("formatMagnet", () => {
  const full: Magnet = {
    infoHash: HASH,
    infoHashHex: HEX,
    v2Only: false,
    name: "C++ & more = 100% fun",
    trackers: ["http://127.0.0.1:6969/announce?passkey=a&b=c+d", "udp://127.0.0.1:1337"],
    peers: [{ host: "127.0.0.1", port: 6881 }, { host: "::1", port: 6882 }],
    webSeeds: ["http://127.0.0.1/seed dir/"],
    select: [0, 2, 4, 5, 6],
    lengthBytes: 12345,
  };

  test("golden text: hex hash first, reserved characters escaped, URL punctuation kept readable", () => {
    expect(formatMagnet(full)).toBe(
      `magnet:?xt=urn:btih:${HEX}&dn=C%2B%2B%20%26%20more%20%3D%20100%25%20fun&xl=12345` +
        "&tr=http://127.0.0.1:6969/announce?passkey%3Da%26b%3Dc%2Bd&tr=udp://127.0.0.1:1337" +
        "&ws=http://127.0.0.1/seed%20dir/&x.pe=127.0.0.1:6881&x.pe=%5B::1%5D:6882&so=0,2,4-6",
    );
  });

  test("round-trips through parseMagnet", () => {
    expect(parseMagnet(formatMagnet(full))).toEqual(full);
    const minimal = parseMagnet(link());
    expect(parseMagnet(formatMagnet(minimal))).toEqual(minimal);
  });

  test("takes just an infoHash", () => {
    expect(formatMagnet({ infoHash: HASH })).toBe(`magnet:?xt=urn:btih:${HEX}`);
  });

  test("refuses an info hash that is not 20 bytes (a local bug)", () => {
    expect(() => formatMagnet({ infoHash: new Uint8Array(19) })).toThrow(RangeError);
  });

  test("formatSelection compresses runs and sorts", () => {
    expect(formatSelection([6, 0, 2, 4, 5, 5])).toBe("0,2,4-6");
    expect(formatSelection([])).toBe("");
    expect(formatSelection([7])).toBe("7");
  });
});
