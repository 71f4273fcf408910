import { describe, expect, test } from "bun:test";
import { CONGESTIVE_LOSS_RATE, Congestion, GAIN_WINDOW_SHARE, MAX_CWND_INCREASE_BYTES_PER_RTT, MAX_WINDOW_BYTES, RttEstimator, TARGET_DELAY_US } from "../../src/utp/index.ts";

const PACKET = 1000;

/** A window in congestion avoidance with a base delay of 50 ms learned at t=0. */
function avoiding(windowBytes: number): Congestion {
  const cc = new Congestion(PACKET);
  cc.onAck(1, 50_000, 0);
  cc.slowStart = false;
  cc.windowBytes = windowBytes;
  return cc;
}

describe("LEDBAT window (BEP 29)", () => {
  test("slow start grows by the bytes acknowledged until the delay nears the target", () => {
    const cc = new Congestion(PACKET, 2);
    cc.onAck(PACKET, 20_000, 0);
    expect(cc.windowBytes).toBe(3 * PACKET);
    cc.onAck(PACKET, 20_000 + TARGET_DELAY_US, 10); // queuing delay at the target
    expect(cc.slowStart).toBe(false);
  });

  test("at zero queuing delay, one window of acks grows a small window by MAX_CWND_INCREASE_BYTES_PER_RTT", () => {
    const cc = avoiding(20_000);
    for (let i = 0; i < 20; i++) cc.onAck(1000, 50_000, 1);
    expect(cc.windowBytes).toBeCloseTo(20_000 + MAX_CWND_INCREASE_BYTES_PER_RTT, -3);
  });

  test("a large window grows by GAIN_WINDOW_SHARE of itself per round trip instead", () => {
    const cc = avoiding(400_000);
    for (let i = 0; i < 400; i++) cc.onAck(1000, 50_000, 1);
    expect(cc.windowBytes / 400_000).toBeCloseTo(1 + GAIN_WINDOW_SHARE, 2);
  });

  test("at the target delay the window holds; above it the window shrinks", () => {
    const held = avoiding(100_000);
    held.onAck(10_000, 50_000 + TARGET_DELAY_US, 1);
    expect(held.windowBytes).toBe(100_000);
    const shrunk = avoiding(100_000);
    shrunk.onAck(10_000, 50_000 + 2 * TARGET_DELAY_US, 1);
    expect(shrunk.windowBytes).toBeCloseTo(100_000 - (100_000 * GAIN_WINDOW_SHARE * 10_000) / 100_000, 5);
    // Far over the target, the decrease is clamped to what the same gain adds at zero delay.
    const clamped = avoiding(100_000);
    clamped.onAck(10_000, 50_000 + 20 * TARGET_DELAY_US, 1, 10_000);
    expect(clamped.windowBytes).toBeCloseTo(100_000 - 100_000 * GAIN_WINDOW_SHARE * 0.1, 5);
  });

  test("a loss is congestive when the queuing delay is half the target, or losses are frequent; a rare one on an idle path is not", () => {
    const idle = avoiding(50_000);
    idle.onPacketLost();
    expect(idle.lossIsCongestive).toBe(false);
    for (let i = 0; i < 3; i++) idle.onPacketLost();
    expect(idle.lossRate).toBeGreaterThan(CONGESTIVE_LOSS_RATE);
    expect(idle.lossIsCongestive).toBe(true);
    idle.onAck(100 * PACKET, 50_000, 2); // a hundred packets acknowledged since: the average decays
    expect(idle.lossIsCongestive).toBe(false);
    const queued = avoiding(50_000);
    queued.onAck(PACKET, 50_000 + TARGET_DELAY_US / 2, 1);
    queued.onPacketLost();
    expect(queued.lossIsCongestive).toBe(true);
  });

  test("the base delay is the lowest sample of the last two minutes, and survives the 32-bit wrap", () => {
    const cc = new Congestion(PACKET);
    cc.onAck(1, 5000, 0);
    cc.onAck(1, 9000, 30_000);
    expect(cc.baseDelayUs).toBe(5000);
    cc.onAck(1, 9000, 61_000); // minute 2
    expect(cc.baseDelayUs).toBe(5000);
    cc.onAck(1, 9000, 122_000); // minute 3: the first minute is forgotten
    expect(cc.baseDelayUs).toBe(9000);
    cc.onAck(1, 0xffffff00, 123_000); // "before" 9000 on the 32-bit circle
    expect(cc.baseDelayUs).toBe(0xffffff00);
    cc.onAck(1, 0x100, 124_000);
    expect(cc.ourDelayUs).toBe(0x200);
  });

  test("the queuing delay is clamped to the lowest round trip (clock drift is not queuing)", () => {
    const cc = new Congestion(PACKET);
    cc.onAck(1, 1000, 0);
    cc.onAck(1, 1000 + 500_000, 1, 20);
    expect(cc.ourDelayUs).toBe(20_000);
  });

  test("loss halves the window; a timeout drops it to one packet and slow-starts", () => {
    const cc = avoiding(64_000);
    cc.onLoss();
    expect(cc.windowBytes).toBe(32_000);
    cc.onTimeout();
    expect(cc.windowBytes).toBe(PACKET);
    expect(cc.slowStart).toBe(true);
    cc.onAck(PACKET, 50_000, 2);
    expect(cc.windowBytes).toBe(2 * PACKET);
    const capped = avoiding(MAX_WINDOW_BYTES);
    for (let i = 0; i < 1000; i++) capped.onAck(100_000, 50_000, 3);
    expect(capped.windowBytes).toBe(MAX_WINDOW_BYTES);
  });
});

describe("RTT and timeout", () => {
  test("1 s before any sample; backoff doubles until a new sample; never under 500 ms nor over 30 s", () => {
    const r = new RttEstimator();
    expect(r.timeoutMs).toBe(1000);
    r.sample(100);
    expect(r.timeoutMs).toBe(500);
    r.backOff();
    expect(r.timeoutMs).toBe(1000);
    for (let i = 0; i < 10; i++) r.backOff();
    expect(r.timeoutMs).toBe(30_000);
    r.sample(100);
    expect(r.timeoutMs).toBe(500);
  });
});
