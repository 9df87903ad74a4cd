import { throttled, type KeyVaultError } from "./keyVaultError.js";

/**
 * Throttling like Key Vault's: limits per vault per window (10 s by default) for all transactions and
 * for secret writes, answered with 429 and `Retry-After`. Refused requests do not count against the
 * limit (Key Vault throttling guidance). Off until limits are set.
 */
export interface ThrottleLimits {
  /** All secret transactions per window. The service's default tier allows 4,000 per 10 s. */
  allTransactions?: number;
  /** Secret writes (set, update, delete, recover, restore, purge) per window. */
  secretWrites?: number;
  windowMs?: number;
  /** Answer 429 without `Retry-After`, as some gateways do, to test clients that must back off anyway. */
  omitRetryAfter?: boolean;
}

export class RequestLimiter {
  private limits: ThrottleLimits = {};
  private all: number[] = [];
  private writes: number[] = [];
  throttledCount = 0;
  /** Requests admitted (all, and secret writes), counted with or without limits: the benchmarks' round trips. */
  admittedCount = 0;
  admittedWrites = 0;
  /** Secret transactions that reached the limiter (every authenticated data-plane request): cost benchmarks count these. */
  transactions = 0;

  constructor(private readonly now: () => number) {}

  configure(limits: ThrottleLimits | undefined): void {
    this.limits = limits ?? {};
    this.all = [];
    this.writes = [];
  }

  get current(): ThrottleLimits {
    return { ...this.limits };
  }

  /** Counts the request, or returns the 429 to answer. */
  admit(isWrite: boolean): KeyVaultError | undefined {
    this.transactions += 1;
    const { allTransactions, secretWrites } = this.limits;
    if (allTransactions === undefined && secretWrites === undefined) return this.count(isWrite);
    const windowMs = this.limits.windowMs ?? 10_000;
    const now = this.now();
    this.all = this.all.filter((t) => t > now - windowMs);
    this.writes = this.writes.filter((t) => t > now - windowMs);
    const full =
      (allTransactions !== undefined && this.all.length >= allTransactions && this.all) ||
      (isWrite && secretWrites !== undefined && this.writes.length >= secretWrites && this.writes);
    if (full) {
      this.throttledCount += 1;
      const oldest = full[0] ?? now;
      const retryAfter = Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
      return throttled(this.limits.omitRetryAfter ? undefined : retryAfter);
    }
    this.all.push(now);
    if (isWrite) this.writes.push(now);
    return this.count(isWrite);
  }

  private count(isWrite: boolean): undefined {
    this.admittedCount += 1;
    if (isWrite) this.admittedWrites += 1;
    return undefined;
  }
}
