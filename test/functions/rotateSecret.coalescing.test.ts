import type { HttpResponseInit } from "@azure/functions";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rotateSecret } from "../../functions/rotateSecret.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import { invocation, rotateRequest, useSettings } from "../helpers/functionsHarness.js";
import { LeaseHoldingProxy, throughProxy } from "../helpers/leaseHoldingProxy.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

let stack: RotationStack;
let proxy: LeaseHoldingProxy;
beforeAll(async () => {
  stack = await startRotationStack({ vaultName: "coalesce" });
  proxy = await new LeaseHoldingProxy(new URL(stack.azurite.blobEndpoint)).start();
  useSettings({ ...stack.env, AzureWebJobsStorage: throughProxy(stack.azurite.connectionString, proxy.url) });
});
afterAll(async () => {
  await proxy?.stop();
  await stack?.stop();
});

/** `rotated`, `skipped:<reason>`, or the HTTP status of a problem (409: busy). */
async function call(name: string): Promise<string> {
  const { context } = invocation("rotateSecret");
  const res: HttpResponseInit = await rotateSecret(rotateRequest(name, { body: { force: true } }), context);
  const body = JSON.parse(String(res.body)) as { status?: unknown; reason?: unknown };
  if ((res.status ?? 200) !== 200) return String(res.status);
  return body.status === "skipped" ? `skipped:${String(body.reason)}` : String(body.status);
}

it("20 concurrent forced requests of one secret rotate it once; those that waited for the lease are already-rotated", async () => {
  await stack.kv.setSecret("together", "CANARY-together-1", { tags: { RotatorType: "random" } });
  // The secret's lease blob exists, as after its first rotation: the proxy then holds every acquisition but the
  // first (on a first rotation the blob is made after a 404, and the proxy would hold that run's own retry).
  const container = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient(
    stack.env.AKV_ROTATOR_CONTAINER ?? "akv-rotator",
  );
  await container.createIfNotExists();
  await container.getBlockBlobClient(LeaseManager.blobName("coalesce", "together")).upload("", 0);
  const statuses = await Promise.all(Array.from({ length: 20 }, () => call("together")));
  expect(statuses.filter((s) => s === "rotated")).toHaveLength(1);
  expect(statuses.filter((s) => s !== "rotated" && s !== "409" && s !== "skipped:already-rotated")).toEqual(
    [],
  );
  // The proxy held them until the rotation ended: they did reach the lease, and were told it was done.
  expect(statuses).toContain("skipped:already-rotated");
  let versions = 0;
  for await (const _ of stack.kv.listPropertiesOfSecretVersions("together")) versions += 1;
  expect(versions).toBe(2);
  // Twenty requests through the dev host and a lease-holding proxy: slow on a loaded machine, never timed.
}, 180_000);
