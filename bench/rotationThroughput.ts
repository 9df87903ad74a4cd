import { silentLogger } from "../src/logging/logger.js";
import { runSweep } from "../src/sweep/runSweep.js";
import { startRotationStack } from "../test/helpers/rotationStack.js";

export interface ThroughputResult {
  due: number;
  rotated: number;
  failed: number;
  seconds: number;
  writesPerSecond: number;
  limitPerSecond: number;
  throttled: number;
}

/**
 * A sweep rotating `due` secrets while the emulator enforces a Key Vault-like write limit: how close the
 * adaptive concurrency gets to the limit. A rotation makes three writes (stage, commit, close).
 */
export async function rotationThroughput(due: number, writesPerSecond: number): Promise<ThroughputResult> {
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
    stack.vault.emulator.limiter.configure({ secretWrites: writesPerSecond, windowMs: 1000 });
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
    return {
      due,
      rotated: summary.rotated,
      failed: summary.failed,
      seconds,
      writesPerSecond: (summary.rotated * 3) / seconds,
      limitPerSecond: writesPerSecond,
      throttled: stack.vault.emulator.limiter.throttledCount,
    };
  } finally {
    await stack.stop();
  }
}
