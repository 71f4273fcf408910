import { describe, expect, test } from "bun:test";
import { epochSeconds, repeat } from "../../src/util/index.ts";
import { FakeTime } from "../helpers/fake-time.ts";

describe("repeat", () => {
  test("calls the function once per interval until stopped, on the clock it is given", () => {
    const time = new FakeTime();
    const calls: number[] = [];
    const stop = repeat(time, 100, () => calls.push(time.now()));
    time.advance(350);
    expect(calls).toEqual([100, 200, 300]);
    stop();
    time.advance(1000);
    expect(calls).toEqual([100, 200, 300]);
    expect(time.pending).toBe(0);
  });

  test("a throwing call does not end the repeat", () => {
    const time = new FakeTime();
    let calls = 0;
    repeat(time, 10, () => {
      calls++;
      throw new Error("boom");
    });
    expect(() => time.advance(10)).toThrow("boom");
    expect(() => time.advance(10)).toThrow("boom");
    expect(calls).toBe(2);
  });

  test("stop() inside the call ends the repeat", () => {
    const time = new FakeTime();
    let calls = 0;
    const stop = repeat(time, 10, () => {
      if (++calls === 2) stop();
    });
    time.advance(100);
    expect(calls).toBe(2);
    expect(time.pending).toBe(0);
  });

  test("a background repeat on real timers does not hold the process open", async () => {
    const proc = Bun.spawn([process.execPath, "-e", `import { repeat, systemClock } from "${import.meta.dir}/../../src/util/index.ts"; repeat(systemClock, 60_000, () => {}, { background: true }); console.log("ran");`]);
    try {
      // A repeat that held the process open would keep it alive for good: the test's timeout ends the
      // wait, and the finally kills it.
      expect(await proc.exited).toBe(0);
      expect(await new Response(proc.stdout).text()).toBe("ran\n");
    } finally {
      proc.kill();
    }
  });
});

test("epochSeconds is the clock's Unix time in whole seconds", () => {
  const time = new FakeTime();
  time.epochStartMs = 1_700_000_000_500;
  expect(epochSeconds(time)).toBe(1_700_000_000);
  time.advance(600);
  expect(epochSeconds(time)).toBe(1_700_000_001);
});
