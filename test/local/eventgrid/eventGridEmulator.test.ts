import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EventGridEmulator } from "../../../local/eventgrid/eventGridEmulator.js";
import type { KeyVaultEvent } from "../../../local/keyvault/vaultEvents.js";
import { rawRequest, startVault, TEST_CERT_DIR, type VaultFixture } from "../../helpers/keyVaultFixture.js";
import { WebhookRecorder } from "../../helpers/webhookRecorder.js";

let vault: VaultFixture;
let grid: EventGridEmulator;
let hook: WebhookRecorder;
let deadDir: string;
let unsubscribe: (() => void) | undefined;
beforeAll(async () => {
  deadDir = await mkdtemp(path.join(os.tmpdir(), "eg-dead-"));
  vault = await startVault({ vaultName: "egvault" });
});
afterAll(async () => {
  await vault.stop();
  await rm(deadDir, { recursive: true, force: true });
});
afterEach(async () => {
  unsubscribe?.();
  await grid?.stop();
  await hook?.stop();
});

async function setup(timeScale = 0.001, deliveryTimeoutMs = 30_000): Promise<void> {
  hook = await new WebhookRecorder().start();
  grid = await new EventGridEmulator({
    timeScale,
    deliveryTimeoutMs,
    deadLetterDir: deadDir,
    topic: { key: "k", certDir: TEST_CERT_DIR },
  }).start();
  const current = grid;
  unsubscribe = vault.emulator.onEvent((e) => current.publish(e));
}

async function nearExpiry(name: string): Promise<KeyVaultEvent> {
  await vault.client().setSecret(name, "CANARY-eg", { expiresOn: new Date(Date.now() + 86_400_000) });
  const event = vault.emulator.checkExpiry().find((e) => e.subject === name);
  if (!event) throw new Error("no event");
  // The emulator hands events to subscribers after the current turn, as Event Grid would.
  await new Promise((r) => setTimeout(r, 20));
  return event;
}

describe("Event Grid emulator", () => {
  it("validates a webhook subscription (Event Grid schema) and delivers Key Vault events with Event Grid's headers", async () => {
    await setup();
    await grid.subscribe({
      name: "kv-sub",
      endpoint: hook.url,
      includedEventTypes: ["Microsoft.KeyVault.SecretNearExpiry"],
    });
    expect(hook.requests[0]?.headers["aeg-event-type"]).toBe("SubscriptionValidation");
    const event = await nearExpiry("eg-one");
    await grid.idle();
    const [delivery] = hook.notifications();
    expect(delivery?.body).toEqual([event]);
    expect(delivery?.headers).toMatchObject({
      "aeg-subscription-name": "KV-SUB",
      "aeg-delivery-count": "0",
      "content-type": "application/json",
    });
    // SecretNewVersionCreated is filtered out by the subscription's event types.
    expect(hook.notifications()).toHaveLength(1);
  });

  it("delivers CloudEvents after the OPTIONS handshake, and filters on exact subjects", async () => {
    await setup();
    await grid.subscribe({
      name: "cloud",
      endpoint: hook.url,
      schema: "CloudEventSchemaV1_0",
      subjects: ["eg-wanted"],
      includedEventTypes: ["Microsoft.KeyVault.SecretNearExpiry"],
    });
    expect(hook.requests[0]?.method).toBe("OPTIONS");
    await nearExpiry("eg-wanted");
    await nearExpiry("eg-wanted-not");
    await grid.idle();
    const notes = hook.notifications();
    expect(notes).toHaveLength(1);
    expect(notes[0]?.headers["content-type"]).toBe("application/cloudevents+json; charset=utf-8");
    expect(notes[0]?.body).toMatchObject({
      specversion: "1.0",
      type: "Microsoft.KeyVault.SecretNearExpiry",
      subject: "eg-wanted",
      data: { ObjectName: "eg-wanted" },
    });
  });

  it("refuses a subscription whose endpoint does not complete the handshake", async () => {
    await setup();
    hook.handshake = false;
    await expect(grid.subscribe({ name: "bad", endpoint: hook.url })).rejects.toThrow(
      /did not echo the validation code/,
    );
    await expect(
      grid.subscribe({ name: "bad2", endpoint: hook.url, schema: "CloudEventSchemaV1_0" }),
    ).rejects.toThrow(/CloudEvents handshake/);
  });

  it("retries failures on Event Grid's schedule (time-scaled) until the endpoint takes the event", async () => {
    await setup();
    await grid.subscribe({
      name: "retry",
      endpoint: hook.url,
      includedEventTypes: ["Microsoft.KeyVault.SecretNearExpiry"],
    });
    hook.answerNext(503, 500);
    await nearExpiry("eg-retry");
    await grid.idle();
    const attempts = grid.deliveries.filter((d) => d.subject === "eg-retry");
    expect(attempts.map((a) => [a.attempt, a.status, a.outcome])).toEqual([
      [1, 503, "retrying"],
      [2, 500, "retrying"],
      [3, 200, "delivered"],
    ]);
    expect(hook.notifications().map((n) => n.headers["aeg-delivery-count"])).toEqual(["0", "1", "2"]);
  });

  it("dead-letters at once on 400, and after the last attempt otherwise, to a file", async () => {
    await setup();
    await grid.subscribe({
      name: "dead",
      endpoint: hook.url,
      includedEventTypes: ["Microsoft.KeyVault.SecretNearExpiry"],
      maxDeliveryAttempts: 3,
    });
    hook.answerNext(400);
    await nearExpiry("eg-bad-request");
    await grid.idle();
    hook.answerNext(503, 503, 503);
    await nearExpiry("eg-exhausted");
    await grid.idle();
    expect(grid.deadLetters.map((d) => [d.subject, d.deadLetterReason, d.deliveryAttempts])).toEqual([
      ["eg-bad-request", "NoRetryStatus", 1],
      ["eg-exhausted", "MaxDeliveryAttemptsExceeded", 3],
    ]);
    const lines = (await readFile(path.join(deadDir, "dead.jsonl"), "utf8")).trim().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { subject: string }).subject)).toEqual([
      "eg-bad-request",
      "eg-exhausted",
    ]);
  });

  it("counts a slow endpoint as a failed attempt", async () => {
    await setup(0.001, 100);
    await grid.subscribe({
      name: "slow",
      endpoint: hook.url,
      includedEventTypes: ["Microsoft.KeyVault.SecretNearExpiry"],
      maxDeliveryAttempts: 1,
    });
    hook.delayMs = 300;
    await nearExpiry("eg-slow");
    await grid.idle();
    expect(grid.deliveries.find((d) => d.subject === "eg-slow")).toMatchObject({
      status: "timeout",
      outcome: "dead-lettered",
    });
  });

  it("shows subscriptions, deliveries, dead letters and audit events on its admin endpoint", async () => {
    await setup();
    await grid.subscribe({ name: "shown", endpoint: hook.url });
    const info = await rawRequest(`${grid.topic.adminUrl}`, vault.ca);
    expect(info.body).toMatchObject({
      subscriptions: [
        { name: "shown", schema: "EventGridSchema", maxDeliveryAttempts: 30, eventTimeToLiveMinutes: 1440 },
      ],
    });
    for (const p of ["deliveries", "dead-letters", "audit-events"])
      expect((await rawRequest(`${grid.topic.adminUrl}/${p}`, vault.ca)).status).toBe(200);
    expect((await rawRequest(`${grid.topic.adminUrl}/nothing`, vault.ca)).status).toBe(404);
  });
});
