import { silentLogger } from "../src/logging/logger.js";
import { startRotationStack } from "../test/helpers/rotationStack.js";
import { RoundTrips } from "../test/helpers/roundTrips.js";

export interface OverheadResult {
  count: number;
  engineMs: number;
  bareMs: number;
  /** Round trips of one engine rotation of a secret rotated before, by service and request shape. */
  perRotation: [string, number][];
  bareRoundTrips: number;
}

function portOf(url: string): string {
  return new URL(url).port;
}

/**
 * Time per rotation of a random secret through the engine, and per bare sequence of the Key Vault writes a
 * rotation needs (read, stage, commit, close), against the local emulators; interleaved one for one so both
 * see the same machine. Round trips are counted on the wire, per rotation.
 */
export async function rotationOverhead(count: number): Promise<OverheadResult> {
  const stack = await startRotationStack({ vaultName: "bench" });
  const trips = new RoundTrips(
    new Map([
      [portOf(stack.vault.emulator.url), "Key Vault"],
      [portOf(stack.azurite.connectionString.match(/BlobEndpoint=([^;]+)/)?.[1] ?? "http://x:0"), "Blob"],
      [portOf(stack.topic.endpoint), "Event Grid"],
    ]),
  );
  try {
    const app = await stack.app({ logger: silentLogger });
    for (let i = 0; i <= count; i += 1) {
      await stack.kv.setSecret(`engine-${i}`, `v-${i}`, { tags: { RotatorType: "random" } });
      await stack.kv.setSecret(`bare-${i}`, `v-${i}`, { tags: { RotatorType: "random" } });
    }
    const engine = async (i: number): Promise<void> => {
      const outcome = await app.engine.rotate({
        vault: "bench",
        secret: `engine-${i}`,
        trigger: "cli",
        force: true,
      });
      if (outcome.status !== "rotated") throw new Error(`bench rotation ${i}: ${outcome.status}`);
    };
    const bare = async (i: number): Promise<void> => {
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
    };
    // Every secret rotated once before (as a vault in use is: a rotation repeats every validity period), both
    // paths warm, then one engine rotation's round trips counted.
    for (let i = 0; i <= count; i += 1) await engine(i);
    await bare(0);
    trips.reset();
    await engine(1);
    const perRotation = [...trips.counts.entries()].sort();
    trips.reset();
    await bare(1);
    const bareRoundTrips = trips.total();
    let engineMs = 0;
    let bareMs = 0;
    for (let i = 2; i <= count; i += 1) {
      let t = performance.now();
      await engine(i);
      engineMs += performance.now() - t;
      t = performance.now();
      await bare(i);
      bareMs += performance.now() - t;
    }
    const n = count - 1;
    return { count: n, engineMs: engineMs / n, bareMs: bareMs / n, perRotation, bareRoundTrips };
  } finally {
    trips.stop();
    await stack.stop();
  }
}
