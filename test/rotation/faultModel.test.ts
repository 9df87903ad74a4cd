import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GraphEmulator } from "../../local/graph/graphEmulator.js";
import { SimulatedCrash } from "../../src/errors.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import { pendingRecordName } from "../../src/vault/pendingRecord.js";
import { graphEnv, startGraph } from "../helpers/graphFixture.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

let stack: RotationStack;
let graph: GraphEmulator;
let app: RotatorApp;
beforeAll(async () => {
  [stack, graph] = await Promise.all([startRotationStack(), startGraph()]);
  app = await stack.app({ env: graphEnv(graph) });
});
afterAll(async () => {
  await Promise.all([stack?.stop(), graph?.stop()]);
});

let counter = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid % 1000}x${(counter += 1)}`;

async function versions(name: string): Promise<string[]> {
  const out: string[] = [];
  for await (const v of stack.kv.listPropertiesOfSecretVersions(name)) out.push(v.version as string);
  return out;
}
const rotatedIds = (secret: string): string[] =>
  stack.topic.events
    .filter((e) => e.type === "AkvRotator.SecretRotated" && (e.data as { secret?: string }).secret === secret)
    .map((e) => e.id);

async function randomSecret(prefix: string): Promise<{ name: string; version: string }> {
  const name = unique(prefix);
  const set = await stack.kv.setSecret(name, `CANARY-${name}`, { tags: { RotatorType: "random" } });
  return { name, version: set.properties.version as string };
}

async function breakLease(secret: string): Promise<void> {
  await app.container
    .getBlobClient(LeaseManager.blobName("rotation", secret))
    .getBlobLeaseClient()
    .breakLease(0)
    .catch(() => undefined);
}

describe("exactly once: lost answers of Key Vault writes", () => {
  it("a commit whose answer is lost makes exactly one new version and one SecretRotated id", async () => {
    const { name, version } = await randomSecret("lost-commit");
    stack.vault.emulator.faults.inject({ operation: "setSecret", secretName: name, mode: "drop-response" });
    const outcome = await app.engine.rotate({
      vault: "rotation",
      secret: name,
      trigger: "event",
      expectedVersion: version,
    });
    expect(outcome.status).toBe("rotated");
    expect(await versions(name)).toHaveLength(2);
    const latest = await stack.kv.getSecret(name);
    expect(latest.properties.tags?.RotationId).toBe(outcome.rotationId);
    expect(rotatedIds(name)).toEqual([outcome.rotationId]);
  });

  it("a stage whose answer is lost writes the pending record once", async () => {
    const { name, version } = await randomSecret("lost-stage");
    stack.vault.emulator.faults.inject({
      operation: "setSecret",
      secretName: pendingRecordName(name),
      mode: "drop-response",
    });
    const outcome = await app.engine.rotate({
      vault: "rotation",
      secret: name,
      trigger: "event",
      expectedVersion: version,
    });
    expect(outcome.status).toBe("rotated");
    expect(await versions(pendingRecordName(name))).toHaveLength(1);
    expect(await versions(name)).toHaveLength(2);
  });

  it("a commit that failed without landing is written again, once", async () => {
    const { name, version } = await randomSecret("failed-commit");
    stack.vault.emulator.faults.inject({ operation: "setSecret", secretName: name, status: 503 });
    const outcome = await app.engine.rotate({
      vault: "rotation",
      secret: name,
      trigger: "event",
      expectedVersion: version,
    });
    expect(outcome.status).toBe("rotated");
    expect(await versions(name)).toHaveLength(2);
  });
});

describe("steps are data: resuming runs the remaining steps", () => {
  it("a rotation resumed after its recorded verify commits without verifying again", async () => {
    const entra = graph.addApplication(unique("resume-app"));
    const seed = graph.addPassword(entra, "akv-rotator arranged");
    const name = unique("entra-resume");
    const set = await stack.kv.setSecret(name, seed.secretText, {
      tags: {
        ProviderAddress: `applications/${entra.id}`,
        RotatorType: "entra-app-secret",
        CredentialId: entra.appId,
        GracePeriodDays: "0",
      },
    });
    const crashing = await stack.app({
      env: graphEnv(graph),
      checkpoint: (step) => {
        if (step === "commit") throw new SimulatedCrash(step);
      },
    });
    const request = {
      vault: "rotation",
      secret: name,
      trigger: "event" as const,
      expectedVersion: set.properties.version as string,
    };
    await expect(crashing.engine.rotate(request)).rejects.toBeInstanceOf(SimulatedCrash);
    const pending = await stack.kv.getSecret(pendingRecordName(name));
    expect(pending.properties.tags?.RotationStep).toBe("verify");
    await breakLease(name);
    // Entra now refuses every token: a second verify would fail the run.
    graph.acceptTokens = false;
    try {
      const outcome = await app.engine.rotate(request);
      expect(outcome).toMatchObject({ status: "rotated", resumed: true });
    } finally {
      graph.acceptTokens = true;
    }
    expect(graph.accepts(entra.appId, (await stack.kv.getSecret(name)).value as string)).toBe(true);
  });
});
