import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RoundTrips } from "../helpers/roundTrips.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

let stack: RotationStack;
let trips: RoundTrips;
beforeAll(async () => {
  stack = await startRotationStack({ vaultName: "trips" });
  const port = (url: string): string => new URL(url).port;
  trips = new RoundTrips(
    new Map([
      [port(stack.vault.emulator.url), "Key Vault"],
      [port(stack.azurite.connectionString.match(/BlobEndpoint=([^;]+)/)?.[1] ?? "http://x:0"), "Blob"],
      [port(stack.topic.endpoint), "Event Grid"],
    ]),
  );
});
afterAll(async () => {
  trips?.stop();
  await stack?.stop();
});

/**
 * A rotation's round trips, counted on the wire (bench/RESULTS.md lists them): on demand, the latest version
 * read on arrival (coalescing), lease acquire and release, read latest and pending, note the rotation in the
 * open-rotations index (prompt resume), stage, commit, close the pending record, keep the audit event in the
 * outbox, deliver it, remove it from the outbox, and take the rotation off the index. The lease blob is made
 * once per secret, not per rotation.
 */
describe("round trips of one rotation", () => {
  it("are the protocol's calls, with the lease blob made only on a secret's first rotation", async () => {
    const app = await stack.app();
    await stack.kv.setSecret("counted", "v-1", { tags: { RotatorType: "random" } });
    const rotate = async (): Promise<void> => {
      const outcome = await app.engine.rotate({
        vault: "trips",
        secret: "counted",
        trigger: "cli",
        force: true,
      });
      expect(outcome.status).toBe("rotated");
    };
    trips.reset();
    await rotate();
    // The first rotation of a secret also makes its lease blob (after a 404 on acquire).
    expect(trips.counts.get("Blob PUT /devstoreaccount1/akv-rotator/leases/{vault}/{secret}")).toBe(1);
    trips.reset();
    await rotate();
    expect(Object.fromEntries(trips.counts)).toEqual({
      "Blob PUT /devstoreaccount1/akv-rotator/leases/{vault}/{secret}?comp=lease (acquire)": 1,
      "Blob PUT /devstoreaccount1/akv-rotator/leases/{vault}/{secret}?comp=lease (release)": 1,
      // On arrival (what the request saw, for coalescing) and under the lease (what is rotated).
      "Key Vault GET /secrets/{name}/": 2,
      // The open-rotations index the resume timer reads: written before staging, removed when closed.
      "Blob PUT /devstoreaccount1/akv-rotator/open/trips/counted": 1,
      "Blob DELETE /devstoreaccount1/akv-rotator/open/trips/counted": 1,
      // Once a secret has a (disabled) pending record, staging checks it is ours from the tags of its newest
      // version, which only the versions list shows (a disabled version cannot be read); the pending-state
      // read already told it is disabled, so it is not read again.
      "Key Vault GET /secrets/{name}--pending/": 1,
      "Key Vault GET /secrets/{name}--pending/versions": 1,
      "Key Vault PUT /secrets/{name}--pending": 1,
      "Key Vault PUT /secrets/{name}": 1,
      "Key Vault PATCH /secrets/{name}--pending/{version}": 1,
      "Blob PUT /devstoreaccount1/akv-rotator/outbox/{event}": 1,
      "Event Grid POST /api/events": 1,
      "Blob DELETE /devstoreaccount1/akv-rotator/outbox/{event}": 1,
    });
  });
});
