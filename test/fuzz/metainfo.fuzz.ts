// Fuzz targets for the metainfo layer: parseMetainfo, parseInfoDictionary (v1, and BEP 52 v2 and hybrid),
// parseMagnet (and formatMagnet for the round trip). Pure; run by test/fuzz/decoders.test.ts and scripts/fuzz.ts.

import fc from "fast-check";
import { type BencodeValue, decodeBencode } from "../../src/bencode/index.ts";
import { type MagnetParts, formatMagnet, hashV2File, parseInfoDictionary, parseMagnet, parseMetainfo } from "../../src/metainfo/index.ts";
import { BencodeError, MetainfoError, formatIpv6, sha1, sha256, toHex } from "../../src/util/index.ts";
import { canonicalEncode, expectEqual, expectOnly, hostileBencode, mutatedText, target } from "../helpers/fuzz.ts";
import { makeTorrentBytes, makeV2TorrentFixture, patternBytes } from "../helpers/torrent-fixture.ts";

/** File names, some opening with U+FEFF (a BOM is a legal first character of a name, not a marker). */
const safeName = fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/), fc.stringMatching(/^[a-z0-9]{1,4}$/).map((n) => `\uFEFF${n}`));
const url = fc.webUrl({ size: "-1" });

/** Valid .torrent files: single or multi-file, tiny pieces, optional trackers, web seeds, private flag. */
const validTorrent = fc
  .record({
    name: safeName,
    dir: safeName,
    pieceLength: fc.integer({ min: 1, max: 64 }),
    lengths: fc.array(fc.nat({ max: 80 }), { minLength: 1, maxLength: 4 }),
    multi: fc.boolean(),
    seed: fc.nat(),
    private: fc.boolean(),
    announceList: fc.option(fc.array(fc.array(url, { minLength: 1, maxLength: 2 }), { maxLength: 2 }), { nil: undefined }),
    urlList: fc.option(url, { nil: undefined }),
  })
  .map((o) => {
    const lengths = o.lengths.map((n, i) => (i === 0 ? n + 1 : n)); // never an empty torrent
    const data = (i: number) => patternBytes(lengths[i]!, o.seed + i);
    const built = makeTorrentBytes({
      name: o.name,
      pieceLength: o.pieceLength,
      ...(o.multi ? { files: lengths.map((_, i) => ({ path: [o.dir, `f${i}`], data: data(i) })) } : { data: data(0) }),
      private: o.private,
      ...(o.announceList && { announceList: o.announceList }),
      ...(o.urlList && { extraTop: { "url-list": o.urlList } }),
    });
    return { bytes: built.torrentBytes };
  });

const validTree: fc.Arbitrary<BencodeValue> = validTorrent.map((t) => decodeBencode(t.bytes));
const validInfoTree: fc.Arbitrary<BencodeValue> = validTree.map((t) => (t as Map<string, BencodeValue>).get("info")!);

/** Valid BEP 52 torrents made by ripple's creation code: v2-only or hybrid, one file or several, some empty. */
const validV2Torrent = fc
  .record({
    name: safeName,
    pieceLength: fc.constantFrom(16384, 32768),
    lengths: fc.array(fc.oneof(fc.nat({ max: 70_000 }), fc.constant(0), fc.constant(16384)), { minLength: 1, maxLength: 4 }),
    multi: fc.boolean(),
    hybrid: fc.boolean(),
    seed: fc.nat(),
  })
  .map((o) => {
    const lengths = o.lengths.map((n, i) => (i === 0 ? n + 1 : n));
    const files = lengths.map((n, i) => ({ path: [`d${i % 2}`, `f${i}`], data: patternBytes(n, o.seed + i) }));
    const fx = o.multi
      ? makeV2TorrentFixture({ name: o.name, pieceLength: o.pieceLength, files, hybrid: o.hybrid })
      : makeV2TorrentFixture({ name: o.name, pieceLength: o.pieceLength, data: files[0]!.data, hybrid: o.hybrid });
    return { bytes: fx.torrentBytes, files: o.multi ? files : [{ path: [o.name], data: files[0]!.data }], pieceLength: o.pieceLength, hybrid: o.hybrid };
  });
const validV2Tree: fc.Arbitrary<BencodeValue> = validV2Torrent.map((t) => decodeBencode(t.bytes));
const validV2InfoTree: fc.Arbitrary<BencodeValue> = validV2Tree.map((t) => (t as Map<string, BencodeValue>).get("info")!);

// ---- magnets ---------------------------------------------------------------------------------------

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(toHex);
const base32 = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcxyz018"), minLength: 30, maxLength: 34 });
const magnetValue = fc.oneof(
  fc.constantFrom("urn:btih:", "urn:btmh:1220", "%", "%z", "%ff", "%C3%28", "+", "0-999999999", "3-1", "1,2,,4", "[::1]:80", "host:0", "a:65536", "99999999999999999999"),
  hex(20).map((h) => `urn:btih:${h}`),
  base32.map((b) => `urn:btih:${b}`),
  fc.string({ unit: "binary", maxLength: 24 }),
);
const magnetKey = fc.constantFrom("xt", "dn", "tr", "x.pe", "so", "xl", "ws", "xt.1", "tr.2", "XT", "kt", "", "=");
const magnetSoup = fc
  .array(fc.tuple(magnetKey, magnetValue), { maxLength: 8 })
  .map((pairs) => `magnet:?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`);

/** Host names, IPv4 and IPv6 literals as parsePeerAddress reads them back. */
const peerHost = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/),
  fc.ipV4(),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(b)),
);
/** Text that survives the link unchanged: parse trims tracker and web-seed values and drops blanks. */
const linkText = fc.string({ unit: "binary", minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && s !== "");

const magnetParts: fc.Arbitrary<MagnetParts> = fc.record(
  {
    infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    name: fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 20 }), fc.string({ maxLength: 8 }).map((n) => `\uFEFF${n}`)),
    trackers: fc.uniqueArray(fc.oneof(url, linkText), { maxLength: 3 }),
    peers: fc.array(fc.record({ host: peerHost, port: fc.integer({ min: 1, max: 65535 }) }), { maxLength: 3 }),
    webSeeds: fc.uniqueArray(url, { maxLength: 2 }),
    select: fc.array(fc.nat({ max: 300 }), { maxLength: 6 }),
    lengthBytes: fc.maxSafeNat(),
  },
  { requiredKeys: ["infoHash"] },
);

/** What parseMagnet returns for the link formatMagnet makes of `m`. */
function expectedMagnet(m: MagnetParts) {
  const select = [...new Set(m.select ?? [])].sort((a, b) => a - b);
  return {
    infoHash: m.infoHash,
    infoHashHex: toHex(m.infoHash!),
    v2Only: false,
    ...(m.name !== undefined && { name: m.name }),
    trackers: [...(m.trackers ?? [])],
    peers: (m.peers ?? []).map((p) => ({ host: p.host, port: p.port })),
    webSeeds: [...(m.webSeeds ?? [])],
    ...(select.length > 0 && { select }),
    ...(m.lengthBytes !== undefined && { lengthBytes: m.lengthBytes }),
  };
}

const linkAlphabet = fc.constantFrom(..."%&=?:+.,-[]0123456789abcxtrn \u00e9\u{1f600}");
const hostileMagnet = fc.oneof(
  fc.string({ unit: "binary", maxLength: 64 }),
  magnetSoup,
  mutatedText(magnetSoup, linkAlphabet),
  mutatedText(magnetParts.map(formatMagnet), linkAlphabet),
);

export const metainfoTargets = [
  target("parseMetainfo throws only BencodeError or MetainfoError", hostileBencode(validTree), (bytes) => {
    expectOnly([BencodeError, MetainfoError], () => parseMetainfo(bytes));
  }),

  target("parseMetainfo accepts valid torrents: infoHash, geometry, names and paths exact", validTorrent.map((t) => t.bytes), (bytes) => {
    const meta = expectOnly([], () => parseMetainfo(bytes))!;
    // Expected values read from the tree independently: text is the UTF-8 of its bytes, a BOM included.
    const text = (v: BencodeValue | undefined) => new TextDecoder("utf-8", { ignoreBOM: true }).decode(v as Uint8Array);
    const info = (decodeBencode(bytes) as Map<string, BencodeValue>).get("info") as Map<string, BencodeValue>;
    const files = info.get("files") as Map<string, BencodeValue>[] | undefined;
    const lengths = files ? files.map((f) => f.get("length") as number) : [info.get("length") as number];
    const total = lengths.reduce((a, b) => a + b, 0);
    expectEqual(meta.infoHash, sha1(canonicalEncode(info)), "infoHash");
    expectEqual(meta.totalLength, total, "totalLength");
    expectEqual(meta.pieceCount, Math.ceil(total / (info.get("piece length") as number)), "pieceCount");
    expectEqual(meta.name, text(info.get("name")), "name");
    const paths = files ? files.map((f) => (f.get("path") as BencodeValue[]).map(text)) : [[meta.name]];
    expectEqual(meta.files.map((f) => f.path), paths, "paths");
  }),

  target("parseMetainfo throws only BencodeError or MetainfoError (v2 and hybrid)", hostileBencode(validV2Tree), (bytes) => {
    expectOnly([BencodeError, MetainfoError], () => parseMetainfo(bytes));
  }),

  target("parseMetainfo accepts valid v2 and hybrid torrents: both hashes and every merkle root exact", validV2Torrent, (t) => {
    const meta = expectOnly([], () => parseMetainfo(t.bytes))!;
    const info = (decodeBencode(t.bytes) as Map<string, BencodeValue>).get("info")!;
    const v2Hash = sha256(canonicalEncode(info));
    expectEqual(meta.v2?.infoHash, v2Hash, "v2 infoHash");
    expectEqual(meta.infoHash, t.hybrid ? sha1(canonicalEncode(info)) : v2Hash.slice(0, 20), "infoHash");
    const byPath = new Map(t.files.map((f) => [f.path.join("/"), f.data]));
    for (const f of meta.v2!.files) {
      expectEqual(f.piecesRoot, hashV2File(f.path, byPath.get(f.path.join("/"))!, t.pieceLength).piecesRoot, `root of ${f.path.join("/")}`);
      expectEqual(meta.files[f.fileIndex]!.offsetBytes % t.pieceLength === 0 || f.lengthBytes === 0, true, "aligned");
    }
  }),

  target("parseInfoDictionary throws only BencodeError or MetainfoError (v2 and hybrid)", hostileBencode(validV2InfoTree), (bytes) => {
    expectOnly([BencodeError, MetainfoError], () => parseInfoDictionary(bytes));
  }),

  target("parseInfoDictionary throws only BencodeError or MetainfoError", hostileBencode(validInfoTree), (bytes) => {
    const meta = expectOnly([BencodeError, MetainfoError], () => parseInfoDictionary(bytes));
    const v2Only = meta?.v2 !== undefined && !meta.v2.hybrid;
    if (meta) expectEqual(meta.infoHash, v2Only ? sha256(bytes).slice(0, 20) : sha1(bytes), "infoHash");
  }),

  target("parseMagnet throws only MetainfoError", hostileMagnet, (link) => {
    expectOnly([MetainfoError], () => parseMagnet(link));
  }),

  target("formatMagnet -> parseMagnet gives the parts back", magnetParts, (parts) => {
    expectEqual(expectOnly([], () => parseMagnet(formatMagnet(parts))), expectedMagnet(parts), "parsed");
  }),

  target("parseMagnet: dn is exactly its percent-decoded UTF-8", fc.oneof(magnetParts.map(formatMagnet), magnetSoup), (link) => {
    const magnet = expectOnly([MetainfoError], () => parseMagnet(link));
    const raw = link.trim().split("&").find((p) => /^(magnet:\?)?dn=./i.test(p))?.replace(/^(magnet:\?)?dn=/i, "");
    if (magnet === undefined || raw === undefined || /%(?![0-9a-f]{2})/i.test(raw)) return;
    const bytes = Uint8Array.from(unescape(raw.replaceAll("+", " ")), (c) => c.charCodeAt(0) & 0xff);
    const expected = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
    if (/[^\x00-\x7f%+]/.test(raw) || expected === "") return; // raw non-ASCII or blank: not this oracle's case
    expectEqual(magnet.name, expected, "name");
  }),
];
