import { startRotationStack } from "../test/helpers/rotationStack.js";
import { silentLogger } from "../src/logging/logger.js";

/** Mean time per rotation through the engine, and per bare sequence of the same Key Vault writes, against the local emulators. */
export async function rotationOverhead(
  count: number,
): Promise<{ count: number; engineMs: number; bareMs: number }> {
  const stack = await startRotationStack({ vaultName: "bench" });
  try {
    const app = await stack.app({ logger: silentLogger });
    for (let i = 0; i < count; i += 1) {
      await stack.kv.setSecret(`engine-${i}`, `v-${i}`, { tags: { RotatorType: "random" } });
      await stack.kv.setSecret(`bare-${i}`, `v-${i}`, { tags: { RotatorType: "random" } });
    }
    // Warm both paths once.
    await app.engine.rotate({ vault: "bench", secret: "engine-0", trigger: "cli", force: true });
    const engineStart = performance.now();
    for (let i = 1; i < count; i += 1) {
      const outcome = await app.engine.rotate({
        vault: "bench",
        secret: `engine-${i}`,
        trigger: "cli",
        force: true,
      });
      if (outcome.status !== "rotated") throw new Error(`bench rotation ${i}: ${outcome.status}`);
    }
    const engineMs = (performance.now() - engineStart) / (count - 1);
    const bareStart = performance.now();
    for (let i = 1; i < count; i += 1) {
      const current = await stack.kv.getSecret(`bare-${i}`);
      const pending = await stack.kv.setSecret(`bare-${i}--pending`, `n-${i}`, {
        tags: { for: `bare-${i}` },
      });
      await stack.kv.setSecret(`bare-${i}`, `n-${i}`, {
        tags: current.properties.tags ?? {},
        expiresOn: new Date(Date.now() + 86_400_000),
      });
      await stack.kv.updateSecretProperties(`bare-${i}--pending`, pending.properties.version as string, {
        enabled: false,
      });
    }
    const bareMs = (performance.now() - bareStart) / (count - 1);
    return { count: count - 1, engineMs, bareMs };
  } finally {
    await stack.stop();
  }
}
