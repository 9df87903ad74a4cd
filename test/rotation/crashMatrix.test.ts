import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SecretClient } from "@azure/keyvault-secrets";
import { SimulatedCrash } from "../../src/errors.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import { ROTATION_STEPS, type RotationStep } from "../../src/rotation/rotationEngine.js";
import { pendingRecordName } from "../../src/vault/pendingRecord.js";
import { startTargetFixtures, type TargetFixtures } from "../helpers/targetFixtures.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";
import {
  postgresScenarios,
  randomScenario,
  entraScenario,
  keyScenario,
  sqlAdminScenario,
  sqlScenarios,
  type ArrangedSecret,
  type Scenario,
} from "./rotationScenarios.js";

let stack: RotationStack;
let targets: TargetFixtures;
beforeAll(async () => {
  [stack, targets] = await Promise.all([startRotationStack(), startTargetFixtures()]);
});
afterAll(async () => {
  await Promise.all([stack?.stop(), targets?.stop()]);
});
type CrashPoint = RotationStep | "mid-delivery";
const CRASH_POINTS: CrashPoint[] = [...ROTATION_STEPS, "mid-delivery"];

/** The enabled pending record's value, if a rotation is under way. */
async function pendingValue(
  kv: SecretClient,
  secret: string,
): Promise<{ value: string; credentialId: string } | undefined> {
  try {
    const p = await kv.getSecret(pendingRecordName(secret));
    return p.properties.enabled
      ? { value: p.value as string, credentialId: p.properties.tags?.CredentialId as string }
      : undefined;
  } catch {
    return undefined;
  }
}

async function versionCount(kv: SecretClient, secret: string): Promise<number> {
  let n = 0;
  for await (const _ of kv.listPropertiesOfSecretVersions(secret)) n += 1;
  return n;
}

/** No lockout: the latest version, or the pending record, holds a value the target accepts. */
async function assertNoLockout(kv: SecretClient, arranged: ArrangedSecret): Promise<void> {
  const latest = await kv.getSecret(arranged.secret);
  const latestWorks = await arranged.accepts(
    latest.value as string,
    latest.properties.tags?.CredentialId ?? "",
  );
  if (arranged.dual) {
    // Consumers hold the latest version: in dual mode it must keep working throughout.
    expect(latestWorks).toBe(true);
    return;
  }
  const pending = await pendingValue(kv, arranged.secret);
  const pendingWorks = pending ? await arranged.accepts(pending.value, pending.credentialId) : false;
  expect(latestWorks || pendingWorks).toBe(true);
}

const scenarios = (): Scenario[] => [
  ...postgresScenarios(targets.pg),
  ...sqlScenarios(targets.sql),
  sqlAdminScenario(targets.arm, targets.sql),
  keyScenario(targets.arm, "storage"),
  keyScenario(targets.arm, "cosmos"),
  keyScenario(targets.arm, "redis"),
  entraScenario(targets.graph),
  randomScenario,
];
let counter = 0;

describe.each([
  "postgres single",
  "postgres dual",
  "sql-login single",
  "sql-login dual",
  "sql-admin",
  "storage-key",
  "cosmos-key",
  "redis-key",
  "entra-app-secret",
  "random",
])("crash matrix: %s", (scenarioName) => {
  it.each(CRASH_POINTS)(
    "a crash before %s converges on the next run, with no lockout and one SecretRotated event",
    async (point) => {
      const scenario = scenarios().find((s) => s.name === scenarioName) as Scenario;
      const id = `c${process.pid % 1000}x${(counter += 1)}`;
      const arranged = await scenario.arrange(stack.kv, id);

      const crashing = await stack.app({
        env: scenario.env ?? {},
        checkpoint: (step) => {
          if (step === point) throw new SimulatedCrash(step);
        },
        sink: (real) => ({
          name: "crash-after-send",
          send: async (events) => {
            await real.send(events);
            if (point === "mid-delivery" && events.some((e) => e.data.secret === arranged.secret))
              throw new SimulatedCrash("mid-delivery");
          },
        }),
      });
      const request = {
        vault: "rotation",
        secret: arranged.secret,
        trigger: "event" as const,
        expectedVersion: arranged.version,
      };
      await expect(crashing.engine.rotate(request)).rejects.toBeInstanceOf(SimulatedCrash);
      await assertNoLockout(stack.kv, arranged);

      // The dead process's lease runs out.
      await crashing.container
        .getBlobClient(LeaseManager.blobName("rotation", arranged.secret))
        .getBlobLeaseClient()
        .breakLease(0)
        .catch(() => undefined);

      const healthy = await stack.app({ env: scenario.env ?? {} });
      const outcome = await healthy.engine.rotate(request);
      expect(["rotated", "skipped"], JSON.stringify(outcome)).toContain(outcome.status);
      await assertNoLockout(stack.kv, arranged);

      const latest = await stack.kv.getSecret(arranged.secret);
      expect(latest.properties.version).not.toBe(arranged.version);
      expect(
        await arranged.accepts(latest.value as string, latest.properties.tags?.CredentialId as string),
      ).toBe(true);
      expect(await versionCount(stack.kv, arranged.secret)).toBe(2);
      expect(await pendingValue(stack.kv, arranged.secret)).toBeUndefined();

      const rotatedEvents = stack.topic.events.filter(
        (e) =>
          e.type === "AkvRotator.SecretRotated" && (e.data as { secret?: string }).secret === arranged.secret,
      );
      expect(new Set(rotatedEvents.map((e) => e.id))).toEqual(new Set([latest.properties.tags?.RotationId]));
      if (point !== "mid-delivery") expect(rotatedEvents).toHaveLength(1);
    },
  );
});
