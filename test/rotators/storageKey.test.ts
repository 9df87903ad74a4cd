import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import { SecretTagError, SimulatedCrash } from "../../src/errors.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import { pendingRecordName } from "../../src/vault/pendingRecord.js";
import { planRotation } from "../../src/rotation/rotationPlan.js";
import { storageKeyRotator } from "../../src/rotators/storageKey.js";
import { startArm } from "../helpers/armFixture.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";
import { rotatorContract } from "./contract.js";
import { keyRotatorSubject } from "./keyRotatorSubject.js";

rotatorContract(
  "storage-key",
  keyRotatorSubject(storageKeyRotator, (arm, name) => arm.addStorageAccount(name), "key1", "key1"),
);

describe("storage-key", () => {
  let arm: ArmEmulator;
  let stack: RotationStack;
  beforeAll(async () => {
    [arm, stack] = await Promise.all([startArm(), startRotationStack({ vaultName: "storagekeys" })]);
  });
  afterAll(async () => Promise.all([arm?.stop(), stack?.stop()]));

  it("names the tag when ProviderAddress is not a storage account's full resource ID, or CredentialId is no key", () => {
    const account = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a";
    for (const address of [
      "orders",
      "/subscriptions/s",
      account.replace("storageAccounts", "blobServices"),
      `${account}/blobServices/default`,
    ]) {
      expect(() =>
        storageKeyRotator.parseTarget({ ProviderAddress: address, CredentialId: "key1" }, "s"),
      ).toThrow(SecretTagError);
      expect(() =>
        storageKeyRotator.parseTarget({ ProviderAddress: address, CredentialId: "key1" }, "s"),
      ).toThrow("ProviderAddress");
    }
    expect(() =>
      storageKeyRotator.parseTarget({ ProviderAddress: account, CredentialId: "key3" }, "s"),
    ).toThrow(/CredentialId.*key1, key2/);
    const plan = planRotation("s", { ProviderAddress: account, CredentialId: "key2" }, 60);
    expect(plan.managed && plan.plan).toMatchObject({
      rotatorType: "storage-key",
      strategy: "dual",
      credentialId: "key1",
    });
  });

  it("closes a staged key the account no longer holds and issues a fresh one on the next run", async () => {
    const account = arm.addStorageAccount("overtaken");
    await stack.kv.setSecret("overtaken-key", account.keys.key1, {
      tags: { ProviderAddress: account.id, CredentialId: "key1" },
    });
    const env = { ARM_ENDPOINT: arm.url };
    const request = { vault: "storagekeys", secret: "overtaken-key", trigger: "cli" as const, force: true };
    const crashing = await stack.app({
      env,
      checkpoint: (step) => {
        if (step === "verify") throw new SimulatedCrash(step);
      },
    });
    await expect(crashing.engine.rotate(request)).rejects.toBeInstanceOf(SimulatedCrash);
    await crashing.container
      .getBlobClient(LeaseManager.blobName("storagekeys", "overtaken-key"))
      .getBlobLeaseClient()
      .breakLease(0);
    // Someone regenerates key2 by hand while the rotation is stopped: the staged value is worthless now.
    account.keys.key2 = "regenerated-by-someone-else";
    const app = await stack.app({ env });
    const failed = await app.engine.rotate(request);
    expect(failed).toMatchObject({
      status: "failed",
      error: { code: "VerifyFailed", retryable: true },
      pendingKept: false,
    });
    await expect(stack.kv.getSecret(pendingRecordName("overtaken-key"))).rejects.toThrow(/disabled/);
    expect((await stack.kv.getSecret("overtaken-key")).value).toBe(account.keys.key1);
    const retried = await app.engine.rotate(request);
    expect(retried).toMatchObject({ status: "rotated", credentialId: "key2" });
    expect((await stack.kv.getSecret("overtaken-key")).value).toBe(account.keys.key2);
  });

  it("commits a whole connection string when the content type asks for one, flipping CredentialId only", async () => {
    const account = arm.addStorageAccount("connstr");
    const value = `DefaultEndpointsProtocol=https;AccountName=connstr;AccountKey=${account.keys.key1};EndpointSuffix=core.windows.net`;
    await stack.kv.setSecret("orders-storage", value, {
      contentType: "application/x-connection-string",
      tags: { ProviderAddress: account.id, CredentialId: "key1" },
    });
    const app = await stack.app({ env: { ARM_ENDPOINT: arm.url } });
    const outcome = await app.engine.rotate({
      vault: "storagekeys",
      secret: "orders-storage",
      trigger: "cli",
      force: true,
    });
    expect(outcome).toMatchObject({ status: "rotated", credentialId: "key2" });
    const latest = await stack.kv.getSecret("orders-storage");
    expect(latest.value).toBe(value.replace(/AccountKey=[^;]+/, `AccountKey=${account.keys.key2}`));
    expect(latest.properties.tags).toMatchObject({ CredentialId: "key2" });
    expect(latest.properties.tags?.AlternateCredentialId).toBeUndefined();
    expect(JSON.stringify(outcome)).not.toContain(account.keys.key2);
  });
});
