import type { PipelinePolicy } from "@azure/core-rest-pipeline";

const WRITE_METHODS = new Set(["PUT", "PATCH", "POST", "DELETE"]);

/**
 * Paces a vault's writes once Key Vault has throttled them: the rate the vault accepted in the second
 * before its 429, a little less, then one more percent for each second without one (additive increase,
 * multiplicative decrease, on the rate rather than on concurrency). Writes are spaced evenly at that rate, so
 * a sweep runs just inside the limit instead of bursting into it and sitting out whole-second Retry-Afters.
 * Unpaced until the first 429: a single rotation never waits.
 */
export class WritePacer {
  private rate: number | undefined;
  private next = 0;
  private readonly accepted: number[] = [];
  private lastThrottle = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The current pace in writes per second, or undefined when unpaced. */
  get writesPerSecond(): number | undefined {
    return this.rate;
  }

  /** Waits for this write's turn. */
  async turn(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await new Promise<void>((resolve) => setTimeout(resolve, wait));
  }

  /** Takes the next turn: how many milliseconds from now it is (0 when unpaced or the pace allows now). */
  reserve(): number {
    if (this.rate === undefined) return 0;
    const now = this.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.effective(now);
    return at - now;
  }

  accepted201(): void {
    const now = this.now();
    this.accepted.push(now);
    while (this.accepted.length > 0 && (this.accepted[0] as number) < now - 1000) this.accepted.shift();
  }

  throttled(): void {
    const now = this.now();
    // One congestion episode per second: the writes in flight together come back 429 together.
    if (now - this.lastThrottle < 1000) return;
    while (this.accepted.length > 0 && (this.accepted[0] as number) < now - 1000) this.accepted.shift();
    const observed = Math.max(1, this.accepted.length);
    const current = this.rate === undefined ? observed : Math.min(observed, this.effective(now));
    this.rate = Math.max(1, current * 0.9);
    this.lastThrottle = now;
    this.next = Math.max(this.next, now);
  }

  private effective(now: number): number {
    const sinceThrottle = (now - this.lastThrottle) / 1000;
    return (this.rate ?? Infinity) * (1 + 0.01 * Math.max(0, sinceThrottle - 1));
  }
}

/** The pipeline policy that puts every write attempt (retries too) through the vault's pacer. */
export function writePacingPolicy(pacer: WritePacer): PipelinePolicy {
  return {
    name: "akvRotatorWritePacing",
    sendRequest: async (request, next) => {
      if (!WRITE_METHODS.has(request.method)) return next(request);
      await pacer.turn();
      const response = await next(request);
      if (response.status === 429) pacer.throttled();
      else if (response.status < 300) pacer.accepted201();
      return response;
    },
  };
}
