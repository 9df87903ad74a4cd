import { afterAll, beforeAll, expect, it } from "vitest";
import { resumeRotations } from "../../functions/resumeRotations.js";
import { SimulatedCrash } from "../../src/errors.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import { OpenRotations } from "../../src/rotation/openRotations.js";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import { invocation, useSettings } from "../helpers/functionsHarness.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

let stack: RotationStack;
let app: RotatorApp;
beforeAll(async () => {
  stack = await startRotationStack({ vaultName: "resume" });
  useSettings(stack.env);
  app = await stack.app();
});
afterAll(() => stack?.stop());

async function openEntries(): Promise<string[]> {
  return (await app.openRotations.list()).map((e) => `${e.vault}/${e.secret}`);
}
const tick = async (): Promise<void> => {
  const { context } = invocation("resumeRotations");
  await resumeRotations({ isPastDue: false, scheduleStatus: undefined } as never, context);
};

it("a rotation a crashed run left open is resumed by the timer once its lease expires, and leaves the index", async () => {
  const set = await stack.kv.setSecret("left-open", "CANARY-left-open", { tags: { RotatorType: "random" } });
  const crashing = await stack.app({
    checkpoint: (step) => {
      if (step === "commit") throw new SimulatedCrash(step);
    },
  });
  const request = {
    vault: "resume",
    secret: "left-open",
    trigger: "event" as const,
    expectedVersion: set.properties.version as string,
  };
  await expect(crashing.engine.rotate(request)).rejects.toBeInstanceOf(SimulatedCrash);
  expect(await openEntries()).toEqual(["resume/left-open"]);

  // The dead run's lease is still held: the timer finds the rotation and leaves it.
  await tick();
  expect((await stack.kv.getSecret("left-open")).properties.version).toBe(set.properties.version);

  await app.container
    .getBlobClient(LeaseManager.blobName("resume", "left-open"))
    .getBlobLeaseClient()
    .breakLease(0);
  await tick();
  const latest = await stack.kv.getSecret("left-open");
  expect(latest.properties.version).not.toBe(set.properties.version);
  expect(latest.properties.tags?.RotationTrigger).toBe("event");
  expect(await openEntries()).toEqual([]);
});

it("an entry with no rotation behind it (a crash before staging) is dropped, and nothing is rotated", async () => {
  const set = await stack.kv.setSecret("never-staged", "CANARY-never", { tags: { RotatorType: "random" } });
  await new OpenRotations(app.container).opened("resume", "never-staged", "0000-never-staged");
  await tick();
  expect(await openEntries()).toEqual([]);
  expect((await stack.kv.getSecret("never-staged")).properties.version).toBe(set.properties.version);
});
