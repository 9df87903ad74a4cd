import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type RunningAzurite } from "../../local/azurite/startAzurite.js";
import { RotationError } from "../../src/errors.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";

let azurite: RunningAzurite;
let container: ContainerClient;
beforeAll(async () => {
  azurite = await startAzurite();
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    "leases-test",
  );
  await container.createIfNotExists();
});
afterAll(() => azurite?.stop());

describe("blob lease per secret", () => {
  it("is held by one run at a time, per vault and secret (names case-insensitive)", async () => {
    const leases = new LeaseManager(container, 15);
    const first = await leases.tryAcquire("vault-a", "Secret-1");
    expect(first).toBeDefined();
    expect(await leases.tryAcquire("vault-a", "secret-1")).toBeUndefined();
    const other = await leases.tryAcquire("vault-b", "secret-1");
    expect(other).toBeDefined();
    await first?.release();
    await other?.release();
    const again = await leases.tryAcquire("vault-a", "secret-1");
    expect(again).toBeDefined();
    await again?.release();
  });

  it("notices a lost lease before the next write", async () => {
    const leases = new LeaseManager(container, 15);
    const lease = await leases.tryAcquire("vault-a", "lost");
    if (!lease) throw new Error("expected a lease");
    lease.assertHeld();
    await container
      .getBlobClient(LeaseManager.blobName("vault-a", "lost"))
      .getBlobLeaseClient()
      .breakLease(0);
    const thief = await leases.tryAcquire("vault-a", "lost");
    expect(thief).toBeDefined();
    await lease.renewNow();
    expect(() => lease.assertHeld()).toThrow(RotationError);
    expect(() => lease.assertHeld()).toThrow(/lost its lease/);
    await thief?.release();
    await lease.release();
  });

  it("reports storage that cannot be reached as a retryable failure", async () => {
    const unreachable = BlobServiceClient.fromConnectionString(
      azurite.connectionString.replace(
        /BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/,
        "BlobEndpoint=http://127.0.0.1:1",
      ),
      { retryOptions: { maxTries: 1 } },
    ).getContainerClient("x");
    const error = await new LeaseManager(unreachable, 15).tryAcquire("v", "s").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RotationError);
    expect(error).toMatchObject({ code: "LeaseUnavailable", retryable: true });
  });
});
