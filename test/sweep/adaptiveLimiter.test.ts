import { describe, expect, it } from "vitest";
import { AdaptiveLimiter } from "../../src/sweep/adaptiveLimiter.js";

describe("adaptive concurrency", () => {
  it("starts low and adds a slot after a run of successes, up to the maximum", async () => {
    const limiter = new AdaptiveLimiter(4, { initial: 1 });
    for (let i = 0; i < 10; i += 1) {
      await limiter.acquire();
      limiter.release(true);
    }
    expect(limiter.limit).toBe(4);
  });

  it("halves once per congestion episode and pauses for the server's wait or a growing backoff", async () => {
    let now = 1_000;
    const limiter = new AdaptiveLimiter(8, { initial: 8, baseBackoffMs: 1000, now: () => now });
    limiter.throttled();
    limiter.throttled();
    limiter.throttled(500);
    expect(limiter.limit).toBe(4);
    let acquired = false;
    const waiting = limiter.acquire().then(() => (acquired = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(acquired).toBe(false);
    now += 1001;
    await waiting;
    expect(acquired).toBe(true);
    limiter.throttled();
    expect(limiter.limit).toBe(2);
    limiter.release(false);
  });

  it("never exceeds the limit in flight", async () => {
    const limiter = new AdaptiveLimiter(3, { initial: 3 });
    let peak = 0;
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        await limiter.acquire();
        peak = Math.max(peak, limiter.inFlight);
        await new Promise((r) => setTimeout(r, 2));
        limiter.release(true);
      }),
    );
    expect(peak).toBeLessThanOrEqual(3);
  });
});

describe("adaptive concurrency: slow start", () => {
  it("grows by a slot per success until the first throttling, then additively", async () => {
    const limiter = new AdaptiveLimiter(32, { initial: 2 });
    for (let i = 0; i < 6; i += 1) {
      await limiter.acquire();
      limiter.release(true);
    }
    expect(limiter.limit).toBe(8);
    limiter.throttled(0);
    expect(limiter.limit).toBe(4);
    for (let i = 0; i < 3; i += 1) {
      await limiter.acquire();
      limiter.release(true);
    }
    expect(limiter.limit).toBe(4);
  });
});
