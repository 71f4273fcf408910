import { describe, expect, test } from "bun:test";
import { NEW_PEER_MS, OPTIMISTIC_INTERVAL_MS, choke, type ChokerPeer, type ChokerState } from "../../src/swarm/index.ts";

const NOW = 1_000_000;

/**
 * Peers from a string of tokens: the letter is the key (upper case = interested), the number its rate in
 * KiB/s (what it gives us while we leech; what we give it while seeding), `~` = snubbing us, `+` = connected
 * just now (otherwise long ago). "A50 B10~ c99 D0+"
 */
function peers(spec: string): ChokerPeer[] {
  return spec.split(/\s+/).map((token) => {
    const m = /^([A-Za-z])(\d+)([~+]*)$/.exec(token);
    if (!m) throw new Error(`bad token ${token}`);
    const rate = Number(m[2]) * 1024;
    return {
      key: m[1]!.toUpperCase(),
      interested: m[1] === m[1]!.toUpperCase(),
      snubbed: m[3]!.includes("~"),
      downloadRate: rate,
      uploadRate: rate,
      connectedAt: m[3]!.includes("+") ? NOW - 1000 : NOW - 10 * NEW_PEER_MS,
    };
  });
}

const fresh: ChokerState = { optimistic: undefined, optimisticSince: 0 };
const sorted = (set: ReadonlySet<string>) => [...set].sort().join("");

describe("choker", () => {
  test("regular slots go to the best reciprocators; one more is optimistic", () => {
    const d = choke(peers("A50 B10 C40 D30 E20"), fresh, { slots: 4, seeding: false, now: NOW, random: () => 0 });
    // Three regular slots: A, C, D by rate; the optimistic slot goes to one of the rest (B or E).
    expect(d.unchoked.has("A") && d.unchoked.has("C") && d.unchoked.has("D")).toBe(true);
    expect(d.unchoked.size).toBe(4);
    expect(["B", "E"]).toContain(d.optimistic!);
  });

  test("peers that are not interested get no slot", () => {
    const d = choke(peers("a90 B10 c80 D5"), fresh, { slots: 4, seeding: false, now: NOW });
    expect(sorted(d.unchoked)).toBe("BD");
  });

  test("a snubbing peer loses its regular slot while we leech", () => {
    const d = choke(peers("A90~ B10 C20 D30 E5"), fresh, { slots: 3, seeding: false, now: NOW, random: () => 0.99 });
    // Regular: D, C. Optimistic among the others (A, B, E): random 0.99 picks the last, E.
    expect(sorted(d.unchoked)).toBe("CDE");
    expect(d.unchoked.has("A")).toBe(false);
  });

  test("while seeding, slots go to the peers we upload to fastest, snubbing or not", () => {
    const d = choke(peers("A1 B90~ C50 D70"), fresh, { slots: 3, seeding: true, now: NOW, random: () => 0 });
    expect(d.unchoked.has("B") && d.unchoked.has("D")).toBe(true);
    expect(d.unchoked.size).toBe(3);
  });

  test("the optimistic slot is kept for 30 s, then rotates", () => {
    const ps = peers("A50 B40 C1 D1 E1");
    const first = choke(ps, fresh, { slots: 3, seeding: false, now: NOW, random: () => 0 });
    expect(first.optimistic).toBe("C");
    const later = choke(ps, first, { slots: 3, seeding: false, now: NOW + OPTIMISTIC_INTERVAL_MS - 1, random: () => 0.99 });
    expect(later.optimistic).toBe("C");
    const rotated = choke(ps, later, { slots: 3, seeding: false, now: NOW + OPTIMISTIC_INTERVAL_MS, random: () => 0.99 });
    expect(rotated.optimistic).toBe("E");
    expect(rotated.optimisticSince).toBe(NOW + OPTIMISTIC_INTERVAL_MS);
  });

  test("an optimistic peer that earns a regular slot frees the optimistic one", () => {
    const first = choke(peers("A50 B40 C1 D1"), fresh, { slots: 3, seeding: false, now: NOW, random: () => 0 });
    expect(first.optimistic).toBe("C");
    const next = choke(peers("A50 B40 C99 D1"), first, { slots: 3, seeding: false, now: NOW + 10_000, random: () => 0 });
    // Regular: C (99) and A (50); the optimistic slot moves on to B or D (random 0 picks B).
    expect(sorted(next.unchoked)).toBe("ABC");
    expect(next.optimistic).toBe("B");
  });

  test("newly connected peers are three times as likely to be the optimistic pick", () => {
    // Pool: B (old, weight 1) then C (new, weight 3): B takes r in [0, 0.25), C takes [0.25, 1).
    const ps = peers("A50 B1 C1+");
    expect(choke(ps, fresh, { slots: 2, seeding: false, now: NOW, random: () => 0.2 }).optimistic).toBe("B");
    expect(choke(ps, fresh, { slots: 2, seeding: false, now: NOW, random: () => 0.3 }).optimistic).toBe("C");
  });

  test("ties at startup go to the longest-connected peers", () => {
    const d = choke(peers("A0+ B0 C0+ D0"), fresh, { slots: 3, seeding: false, now: NOW, random: () => 0 });
    expect(d.unchoked.has("B") && d.unchoked.has("D")).toBe(true);
  });

  test("no interested peer, nothing unchoked", () => {
    const d = choke(peers("a5 b9"), fresh, { slots: 4, seeding: true, now: NOW });
    expect(d.unchoked.size).toBe(0);
    expect(d.optimistic).toBeUndefined();
  });
});
