/**
 * Bounded, adaptive concurrency (additive increase, multiplicative decrease): it starts low, grows fast until
 * the first throttling (slow start), then adds one slot after a run of successes up to `max`, halves on throttling and pauses for the time the server asked
 * (or an exponential backoff when it did not say), so a sweep settles just inside Key Vault's limit.
 */
export class AdaptiveLimiter {
  private limitValue: number;
  private active = 0;
  private successes = 0;
  private pausedUntil = 0;
  /** Until the first throttling, grow by one slot per success (doubling per round), as TCP's slow start does. */
  private slowStart = true;
  private backoffMs: number;
  private readonly waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly max: number,
    private readonly options: {
      initial?: number;
      baseBackoffMs?: number;
      maxBackoffMs?: number;
      now?: () => number;
    } = {},
  ) {
    this.limitValue = Math.min(max, options.initial ?? 2);
    this.backoffMs = options.baseBackoffMs ?? 1000;
  }

  get limit(): number {
    return this.limitValue;
  }

  get inFlight(): number {
    return this.active;
  }

  async acquire(): Promise<void> {
    while (this.active >= this.limitValue || this.now() < this.pausedUntil) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        this.schedule();
      });
    }
    this.active += 1;
  }

  release(succeeded: boolean): void {
    this.active -= 1;
    if (succeeded) {
      this.successes += 1;
      if (this.slowStart && this.limitValue < this.max) {
        this.limitValue += 1;
        this.successes = 0;
      } else if (this.successes >= this.limitValue && this.limitValue < this.max) {
        this.limitValue += 1;
        this.successes = 0;
      }
      this.backoffMs = this.options.baseBackoffMs ?? 1000;
    }
    this.wake();
  }

  /**
   * Key Vault answered 429: halve the concurrency and pause. Requests in flight when the limit was hit come
   * back throttled together; they are one congestion episode, so while paused only a longer server-given
   * wait is honoured and the concurrency is not cut again.
   */
  throttled(retryAfterMs?: number): void {
    const now = this.now();
    if (now < this.pausedUntil) {
      if (retryAfterMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
      return;
    }
    this.limitValue = Math.max(1, Math.floor(this.limitValue / 2));
    this.successes = 0;
    this.slowStart = false;
    const pause = retryAfterMs ?? this.backoffMs;
    this.backoffMs = Math.min(this.options.maxBackoffMs ?? 30_000, this.backoffMs * 2);
    this.pausedUntil = now + pause;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private wake(): void {
    while (this.waiters.length > 0 && this.active < this.limitValue && this.now() >= this.pausedUntil)
      this.waiters.shift()?.();
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.waiters.length === 0) return;
    const delay = Math.max(0, this.pausedUntil - this.now());
    if (delay === 0 && this.active >= this.limitValue) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, delay);
  }
}
