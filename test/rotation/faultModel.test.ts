import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import { BlobFaultProxy } from "../../local/azurite/blobFaultProxy.js";
import type { GraphEmulator } from "../../local/graph/graphEmulator.js";
import { SimulatedCrash } from "../../src/errors.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import { pendingRecordName } from "../../src/vault/pendingRecord.js";
import { startArm } from "../helpers/armFixture.js";
import { graphEnv, startGraph } from "../helpers/graphFixture.js";
import { throughProxy } from "../helpers/leaseHoldingProxy.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

let stack: RotationStack;
let graph: GraphEmulator;
let arm: ArmEmulator;
let app: RotatorApp;
let targetsEnv: Record<string, string>;
beforeAll(async () => {
  [stack, graph, arm] = await Promise.all([startRotationStack(), startGraph(), startArm()]);
  targetsEnv = { ...graphEnv(graph), ARM_ENDPOINT: arm.url };
  app = await stack.app({ env: targetsEnv });
});
afterAll(async () => {
  await Promise.all([stack?.stop(), graph?.stop(), arm?.stop()]);
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

/** The rotation an event for `version` asks for, by the shared app unless another is given. */
function rotateEvent(
  name: string,
  version: string,
  by: RotatorApp = app,
): ReturnType<RotatorApp["engine"]["rotate"]> {
  return by.engine.rotate({ vault: "rotation", secret: name, trigger: "event", expectedVersion: version });
}

describe("exactly once: lost answers of Key Vault writes", () => {
  it("a commit whose answer is lost makes exactly one new version and one SecretRotated id", async () => {
    const { name, version } = await randomSecret("lost-commit");
    stack.vault.emulator.faults.inject({ operation: "setSecret", secretName: name, mode: "drop-response" });
    const outcome = await rotateEvent(name, version);
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
    const outcome = await rotateEvent(name, version);
    expect(outcome.status).toBe("rotated");
    expect(await versions(pendingRecordName(name))).toHaveLength(1);
    expect(await versions(name)).toHaveLength(2);
  });

  it("a commit that failed without landing is written again, once", async () => {
    const { name, version } = await randomSecret("failed-commit");
    stack.vault.emulator.faults.inject({ operation: "setSecret", secretName: name, status: 503 });
    const outcome = await rotateEvent(name, version);
    expect(outcome.status).toBe("rotated");
    expect(await versions(name)).toHaveLength(2);
  });
});

describe("steps are data: resuming runs the remaining steps", () => {
  it("a rotation resumed after its recorded verify commits without verifying again", async () => {
    const { name, version, appId } = await entraSecret("entra-resume");
    const crashing = await stack.app({
      env: targetsEnv,
      checkpoint: (step) => {
        if (step === "commit") throw new SimulatedCrash(step);
      },
    });
    const request = {
      vault: "rotation",
      secret: name,
      trigger: "event" as const,
      expectedVersion: version,
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
    expect(graph.accepts(appId, (await stack.kv.getSecret(name)).value as string)).toBe(true);
  });
});

/**
 * An Entra application's client secret in the vault (grace 0). `older`: its rotation is a day old and the app
 * also holds an older secret of ours, which the next apply retires.
 */
async function entraSecret(
  prefix: string,
  older = false,
): Promise<{ name: string; version: string; appId: string }> {
  const entra = graph.addApplication(unique(`${prefix}-app`));
  const id = older ? unique("arranged") : undefined;
  const seed = graph.addPassword(entra, id ? `akv-rotator ${id}` : "akv-rotator arranged");
  if (older) graph.addPassword(entra, "akv-rotator older");
  const name = unique(prefix);
  const set = await stack.kv.setSecret(name, seed.secretText, {
    tags: {
      ProviderAddress: `applications/${entra.id}`,
      RotatorType: "entra-app-secret",
      CredentialId: entra.appId,
      GracePeriodDays: "0",
      ...(id ? { RotationId: id, RotatedAt: new Date(Date.now() - 86_400_000).toISOString() } : {}),
    },
  });
  return { name, version: set.properties.version as string, appId: entra.appId };
}
const credentialsOf = (appId: string): string[] =>
  [...graph.applications.values()]
    .find((a) => a.appId === appId)
    ?.passwordCredentials.map((p) => p.displayName ?? "") ?? [];

describe("exactly once: lost answers of provider calls that make a credential", () => {
  it("a regenerateKey whose answer is lost regenerates once, and the key ARM holds is committed", async () => {
    const account = arm.addStorageAccount(unique("lostregen").replace(/-/g, ""));
    const name = unique("storage-lost");
    const set = await stack.kv.setSecret(name, account.keys.key1 as string, {
      tags: { ProviderAddress: account.id, CredentialId: "key1" },
    });
    arm.faults.inject({ operation: "regenerateKey", mode: "drop-response" });
    const before = arm.requests.length;
    const outcome = await rotateEvent(name, set.properties.version as string);
    expect(outcome.status, JSON.stringify(outcome)).toBe("rotated");
    const regenerations = arm.requests.slice(before).filter((r) => r.path.endsWith("/regenerateKey"));
    expect(regenerations).toHaveLength(1);
    expect((await stack.kv.getSecret(name)).value).toBe(account.keys.key2);
    expect(await versions(name)).toHaveLength(2);
  });

  it("an addPassword whose answer is lost leaves exactly one client secret of the rotation, the one committed", async () => {
    const { name, version, appId } = await entraSecret("entra-lost");
    graph.faults.inject({ operation: "addPassword", mode: "drop-response" });
    const outcome = await rotateEvent(name, version);
    expect(outcome.status, JSON.stringify(outcome)).toBe("rotated");
    expect(credentialsOf(appId).filter((n) => n === `akv-rotator ${outcome.rotationId}`)).toHaveLength(1);
    expect(graph.accepts(appId, (await stack.kv.getSecret(name)).value as string)).toBe(true);
  });

  it("an addPassword answer without a secret text is refused by its shape, and nothing is staged", async () => {
    const { name, version } = await entraSecret("entra-shape");
    graph.faults.inject({ operation: "addPassword", status: 200, body: { keyId: "x" } });
    const outcome = await rotateEvent(name, version);
    expect(outcome).toMatchObject({ status: "failed", error: { code: "TargetRejected" } });
    if (outcome.status === "failed") expect(outcome.error.message).toContain("unexpected shape");
    expect(await versions(name)).toHaveLength(1);
  });

  it("a client secret that never verifies is removed from Entra before the pending record closes", async () => {
    const { name, version, appId } = await entraSecret("entra-never");
    graph.acceptTokens = false;
    let outcome;
    try {
      outcome = await rotateEvent(name, version);
    } finally {
      graph.acceptTokens = true;
    }
    expect(outcome).toMatchObject({ status: "failed", error: { code: "VerifyFailed", retryable: true } });
    expect(credentialsOf(appId)).toEqual(["akv-rotator arranged"]);
  });
});

describe("bounded: deadlines on calls and runs", () => {
  it("a hung commit ends the run retryably; the lease is left to expire (busy meanwhile); the next run resumes once", async () => {
    const { name, version } = await randomSecret("hung-commit");
    const hasty = await stack.app({ env: { ...targetsEnv, CALL_TIMEOUT_SECONDS: "1" } });
    stack.vault.emulator.faults.inject({ operation: "setSecret", secretName: name, mode: "hang", count: 3 });
    const request = { vault: "rotation", secret: name, trigger: "event" as const, expectedVersion: version };
    const failed = await hasty.engine.rotate(request);
    expect(failed).toMatchObject({
      status: "failed",
      error: { code: "KeyVaultTimeout", retryable: true },
      pendingKept: true,
    });
    expect((await app.engine.rotate(request)).status).toBe("busy");
    await breakLease(name);
    const resumed = await app.engine.rotate(request);
    expect(resumed).toMatchObject({ status: "rotated", resumed: true, rotationId: failed.rotationId });
    expect(await versions(name)).toHaveLength(2);
    expect(rotatedIds(name)).toEqual([failed.rotationId]);
  });

  it("the run's deadline ends a run whose target hangs, as a retryable failure", async () => {
    const account = arm.addStorageAccount(unique("hungarm").replace(/-/g, ""));
    const name = unique("storage-hung");
    const set = await stack.kv.setSecret(name, account.keys.key1 as string, {
      tags: { ProviderAddress: account.id, CredentialId: "key1" },
    });
    const short = await stack.app({ env: { ...targetsEnv, RUN_TIMEOUT_SECONDS: "2" } });
    arm.faults.inject({ operation: "listKeys", mode: "hang" });
    const outcome = await rotateEvent(name, set.properties.version as string, short);
    arm.faults.clear();
    expect(outcome).toMatchObject({ status: "failed", error: { code: "RunTimedOut", retryable: true } });
    expect(await versions(name)).toHaveLength(1);
  });
});

/** Outcome, versions, ids, and the credentials the provider still holds after a run (and a resume, if needed). */
async function rotateThroughFault(
  name: string,
  version: string,
  env: Record<string, string> = {},
): Promise<{ first: Awaited<ReturnType<RotatorApp["engine"]["rotate"]>>; rotationId: string }> {
  const request = { vault: "rotation", secret: name, trigger: "event" as const, expectedVersion: version };
  const faulty = await stack.app({ env: { ...targetsEnv, CALL_TIMEOUT_SECONDS: "1", ...env } });
  const first = await faulty.engine.rotate(request);
  arm.faults.clear();
  graph.faults.clear();
  if (first.status !== "rotated") {
    expect(first, JSON.stringify(first)).toMatchObject({ status: "failed", error: { retryable: true } });
    // A timed-out call may still land: the lease is left to expire, and the next run waits for it.
    await breakLease(name);
    const next = await app.engine.rotate(request);
    expect(next.status, JSON.stringify(next)).toBe("rotated");
  }
  const latest = await stack.kv.getSecret(name);
  expect(await versions(name)).toHaveLength(2);
  const rotationId = latest.properties.tags?.RotationId as string;
  // One event id (delivery is at least once: a run that failed after keeping it may deliver it, and the resume).
  expect(new Set(rotatedIds(name))).toEqual(new Set([rotationId]));
  return { first, rotationId };
}

describe("lost answers and hangs of every provider write: one version, one id, no orphan, bounded", () => {
  it.each(["drop-response", "hang"] as const)("ARM regenerateKey: %s", async (mode) => {
    const account = arm.addStorageAccount(unique(`regen${mode}`).replace(/-/g, ""));
    const name = unique(`storage-${mode}`);
    const set = await stack.kv.setSecret(name, account.keys.key1 as string, {
      tags: { ProviderAddress: account.id, CredentialId: "key1" },
    });
    arm.faults.inject({ operation: "regenerateKey", mode });
    await rotateThroughFault(name, set.properties.version as string);
    expect((await stack.kv.getSecret(name)).value).toBe(account.keys.key2);
  });

  it.each(["drop-response", "hang"] as const)("Graph addPassword: %s", async (mode) => {
    const { name, version, appId } = await entraSecret(`add-${mode}`);
    graph.faults.inject({ operation: "addPassword", mode });
    const { rotationId } = await rotateThroughFault(name, version);
    const ours = credentialsOf(appId).filter((n) => n !== "akv-rotator arranged");
    expect(ours, "no orphaned client secret").toEqual([`akv-rotator ${rotationId}`]);
    expect(graph.accepts(appId, (await stack.kv.getSecret(name)).value as string)).toBe(true);
  });

  it.each(["drop-response", "hang"] as const)("Graph removePassword: %s", async (mode) => {
    const { name, version, appId } = await entraSecret(`remove-${mode}`, true);
    graph.faults.inject({ operation: "removePassword", mode });
    const { rotationId } = await rotateThroughFault(name, version);
    expect(credentialsOf(appId), "the older secret is retired, once").not.toContain("akv-rotator older");
    expect(credentialsOf(appId)).toContain(`akv-rotator ${rotationId}`);
    expect(graph.accepts(appId, (await stack.kv.getSecret(name)).value as string)).toBe(true);
  });
});

describe("lost answers and hangs of blob lease writes", () => {
  let proxy: BlobFaultProxy;
  let env: Record<string, string>;
  beforeAll(async () => {
    proxy = await new BlobFaultProxy(new URL(stack.azurite.blobEndpoint)).start();
    env = { AzureWebJobsStorage: throughProxy(stack.azurite.connectionString, proxy.url) };
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it.each([
    ["acquireLease", "drop-response"],
    ["acquireLease", "hang"],
    ["releaseLease", "drop-response"],
    ["releaseLease", "hang"],
  ] as const)("%s: %s", async (operation, mode) => {
    const { name, version } = await randomSecret(`lease-${mode}`);
    proxy.faults.inject({ operation, name, mode });
    const { first } = await rotateThroughFault(name, version, env);
    proxy.faults.clear();
    // A release is best effort after the commit (a lost or hung one only leaves the lease to run out).
    if (operation === "releaseLease") expect(first.status).toBe("rotated");
    // A hung acquire ends within the storage SDK's tries of CALL_TIMEOUT_SECONDS each, as a retryable failure.
    if (operation === "acquireLease" && mode === "hang")
      expect(first).toMatchObject({ status: "failed", error: { code: "LeaseUnavailable", retryable: true } });
  });
});

describe("lost answers and hangs of the pending record's writes", () => {
  it.each([
    ["setSecret", "hang"],
    ["updateSecret", "drop-response"],
    ["updateSecret", "hang"],
  ] as const)("%s of the pending record: %s", async (operation, mode) => {
    const { name, version } = await randomSecret(`pending-${operation}-${mode}`);
    stack.vault.emulator.faults.inject({ operation, secretName: pendingRecordName(name), mode });
    await rotateThroughFault(name, version);
    stack.vault.emulator.faults.clear(pendingRecordName(name));
    for await (const record of stack.kv.listPropertiesOfSecretVersions(pendingRecordName(name)))
      expect(record.enabled, "the pending record is closed").toBe(false);
  });
});
