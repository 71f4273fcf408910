// The layering rule of docs/architecture.md, checked on the source: imports point downward only,
// other layers come in through a folder's index.ts, and citty/consola stay at the edges.

import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../src");

/** Layer rank: a file may import its own layer or a lower rank. Siblings of one rank never import each other. */
const RANK: Record<string, number> = {
  util: 0,
  types: 0,
  bencode: 1,
  metainfo: 2,
  wire: 3,
  tracker: 3,
  dht: 3,
  storage: 3,
  webseed: 3,
  utp: 3,
  peer: 4,
  swarm: 5,
  "client.ts": 6,
  "index.ts": 7,
  "version.ts": 0,
  daemon: 8,
  cli: 9,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** The layer a path under src/ belongs to: its top folder, or the file name at the top. */
function layerOf(path: string): string {
  return relative(SRC, path).split("/")[0]!;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gm)].map((m) => m[1]!);
}

const files = sourceFiles(SRC);

describe("architecture", () => {
  test("every layer of src/ has a rank", () => {
    for (const file of files) expect(RANK[layerOf(file)], relative(SRC, file)).toBeNumber();
  });

  test("imports point downward only, never across sibling layers", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const spec of importsOf(file)) {
        if (!spec.startsWith(".")) continue;
        const to = layerOf(resolve(dirname(file), spec));
        if (to === from) continue;
        if (RANK[to]! > RANK[from]! || (RANK[to] === RANK[from] && to !== from)) violations.push(`${relative(SRC, file)} -> ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  test("other layers import a folder's index.ts, not its inner files", () => {
    const deep: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const spec of importsOf(file)) {
        if (!spec.startsWith(".")) continue;
        const target = resolve(dirname(file), spec);
        const to = layerOf(target);
        if (to === from || !statSync(join(SRC, to)).isDirectory()) continue;
        if (relative(join(SRC, to), target) !== "index.ts") deep.push(`${relative(SRC, file)} -> ${spec}`);
      }
    }
    expect(deep).toEqual([]);
  });

  test("citty only in cli/, consola only in cli/ and util/log.ts", () => {
    const misplaced: string[] = [];
    for (const file of files) {
      const rel = relative(SRC, file);
      for (const spec of importsOf(file)) {
        if (spec === "citty" && !rel.startsWith("cli/")) misplaced.push(`${rel} imports citty`);
        if (spec === "consola" && !rel.startsWith("cli/") && rel !== "util/log.ts") misplaced.push(`${rel} imports consola`);
      }
    }
    expect(misplaced).toEqual([]);
  });

  test("runtime dependencies are exactly bencode, citty and consola", () => {
    const pkg = JSON.parse(readFileSync(resolve(SRC, "../package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).sort()).toEqual(["bencode", "citty", "consola"]);
  });
});
