import { silentLogger } from "../src/logging/logger.js";
import { runSweep } from "../src/sweep/runSweep.js";
import { startRotationStack } from "../test/helpers/rotationStack.js";

export interface ThroughputResult {
  due: number;
  rotated: number;
  failed: number;
  seconds: number;
  limits: { secretWrites: number; allTransactions: number; windowMs: number };
  /** Admitted at the emulator, per rotation. */
  writesPerRotation: number;
  transactionsPerRotation: number;
  /** Rotations per second: achieved, and what the binding limit allows for the requests measured. */
  achieved: number;
  allowed: number;
  /**
   * The least time the limits permit for the requests admitted: with at most L of a kind in any window, N of
   * them need a full window for each L after the first L (the binding kind's). Slightly generous to the
   * limit: the last partial batch is given no time at all.
   */
  minSeconds: number;
  binding: "secret writes" | "all transactions";
  throttled: number;
}

/**
 * A sweep rotating `due` secrets while the Key Vault emulator enforces both of Key Vault's limits at once
 * (secret writes and all transactions, 300 and 4,000 per 10 s as the service sets them): how close
 * the app gets to what the binding limit allows. Requests are counted where they land, at the emulator.
 */
export async function rotationThroughput(
  due: number,
  limits: { secretWrites: number; allTransactions: number; windowMs: number },
): Promise<ThroughputResult> {
  const stack = await startRotationStack({ vaultName: "throughput" });
  try {
    const store = stack.vault.emulator.store;
    const exp = Math.floor(Date.now() / 1000) + 3 * 86_400;
    for (let i = 0; i < due; i += 1)
      store.set(`due-${String(i).padStart(5, "0")}`, { value: "v", tags: { RotatorType: "random" }, exp });
    const app = await stack.app({
      logger: silentLogger,
      env: { SWEEP_CONCURRENCY: process.env.BENCH_CONCURRENCY ?? "16" },
    });
    const limiter = stack.vault.emulator.limiter;
    limiter.configure(limits);
    const [all0, writes0] = [limiter.admittedCount, limiter.admittedWrites];
    const started = performance.now();
    const summary = await runSweep({
      vaults: app.vaults,
      settings: app.config,
      rotate: true,
      dryRun: false,
      engine: app.engine,
      trigger: "sweep",
      writers: [],
      throttle: app.throttle,
    });
    const seconds = (performance.now() - started) / 1000;
    const rotated = Math.max(1, summary.rotated);
    const writes = limiter.admittedWrites - writes0;
    const transactions = limiter.admittedCount - all0;
    const windows = (n: number, limit: number): number => Math.floor(Math.max(0, n - 1) / limit);
    const byWrites = windows(writes, limits.secretWrites);
    const byTransactions = windows(transactions, limits.allTransactions);
    const minSeconds = (Math.max(byWrites, byTransactions) * limits.windowMs) / 1000;
    return {
      due,
      rotated: summary.rotated,
      failed: summary.failed,
      seconds,
      limits,
      writesPerRotation: writes / rotated,
      transactionsPerRotation: transactions / rotated,
      achieved: summary.rotated / seconds,
      allowed: summary.rotated / minSeconds,
      minSeconds,
      binding: byWrites >= byTransactions ? "secret writes" : "all transactions",
      throttled: limiter.throttledCount,
    };
  } finally {
    await stack.stop();
  }
}
