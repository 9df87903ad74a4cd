import { describe, expect, it } from "vitest";
import { WritePacer } from "../../src/vault/writePacer.js";

describe("write pacing after Key Vault throttles", () => {
  it("never paces until a 429, then paces just under what the vault accepted in the second before it", async () => {
    let now = 10_000;
    const pacer = new WritePacer(() => now);
    await pacer.turn();
    expect(pacer.writesPerSecond).toBeUndefined();
    for (let i = 0; i < 100; i += 1) {
      now += 9;
      pacer.accepted201();
    }
    pacer.throttled();
    expect(pacer.writesPerSecond).toBeCloseTo(90 * (100 / 100), 5);
    // The rest of the same congestion episode does not cut again.
    now += 200;
    pacer.throttled();
    expect(pacer.writesPerSecond).toBeCloseTo(90, 5);
  });

  it("cuts again on a later 429 from the lower of the current pace and what was accepted", () => {
    let now = 0;
    const pacer = new WritePacer(() => now);
    for (let i = 0; i < 60; i += 1) {
      now += 10;
      pacer.accepted201();
    }
    pacer.throttled();
    expect(pacer.writesPerSecond).toBeCloseTo(54, 5);
    now += 1500;
    for (let i = 0; i < 40; i += 1) {
      now += 10;
      pacer.accepted201();
    }
    pacer.throttled();
    expect(pacer.writesPerSecond).toBeCloseTo(36, 5);
  });

  it("spaces writes evenly at the pace, a percent faster for each second without a 429", () => {
    let now = 5_000;
    const pacer = new WritePacer(() => now);
    expect(pacer.reserve()).toBe(0);
    for (let i = 0; i < 20; i += 1) pacer.accepted201();
    pacer.throttled(); // 20 accepted in the last second -> 18 writes/s
    const waits = [pacer.reserve(), pacer.reserve(), pacer.reserve()];
    expect(waits[0]).toBe(0);
    expect(waits[1]).toBeCloseTo(1000 / 18, 5);
    expect(waits[2]).toBeCloseTo(2000 / 18, 5);
    now += 11_000; // ten seconds past the grace second: 10 % faster
    expect(pacer.reserve()).toBe(0);
    expect(pacer.reserve()).toBeCloseTo(1000 / (18 * 1.1), 5);
  });
});
