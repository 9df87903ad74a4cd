import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretNearExpiry } from "../../functions/secretNearExpiry.js";
import type { KeyVaultEvent } from "../../local/keyvault/vaultEvents.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import { rotatorApp } from "../../src/runtime.js";
import { invocation, useSettings } from "../helpers/functionsHarness.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

let stack: RotationStack;
beforeAll(async () => {
  stack = await startRotationStack({ vaultName: "eventvault" });
  useSettings(stack.env);
});
afterAll(() => stack?.stop());

const DAY = 86_400_000;

/** A real SecretNearExpiry event, as the Key Vault emulator raises it (PascalCase data). */
async function nearExpiryEventFor(
  name: string,
  tags: Record<string, string> = { RotatorType: "random" },
): Promise<KeyVaultEvent> {
  await stack.kv.setSecret(name, `CANARY-${name}`, { tags, expiresOn: new Date(Date.now() + 3 * DAY) });
  const event = stack.vault.emulator.checkExpiry().find((e) => e.subject === name);
  if (!event) throw new Error(`no near-expiry event for ${name}`);
  return event;
}

async function versions(name: string): Promise<number> {
  let n = 0;
  for await (const _ of stack.kv.listPropertiesOfSecretVersions(name)) n += 1;
  return n;
}

async function deliver(event: unknown): Promise<{ logs: { level: string; text: string }[] }> {
  const { context, logs } = invocation("secretNearExpiry");
  await secretNearExpiry(event, context);
  return { logs };
}

describe("Event Grid trigger: secretNearExpiry", () => {
  it("rotates on Key Vault's real PascalCase SecretNearExpiry event, and a duplicate delivery rotates nothing", async () => {
    const event = await nearExpiryEventFor("ev-pascal");
    expect(event.data).toHaveProperty("VaultName", "eventvault");
    const { logs } = await deliver(event);
    expect(logs.map((l) => l.text).join("\n")).toMatch(
      /SecretNearExpiry eventvault\/ev-pascal: rotated -> version [0-9a-f]{32}/,
    );
    expect(await versions("ev-pascal")).toBe(2);
    const again = await deliver(event);
    expect(again.logs.map((l) => l.text).join("\n")).toContain("skipped (already-rotated");
    expect(await versions("ev-pascal")).toBe(2);
  });

  it("reads the documentation's camelCase data, and SecretExpired too", async () => {
    const event = await nearExpiryEventFor("ev-camel");
    const d = event.data;
    const camel = {
      ...event,
      eventType: "Microsoft.KeyVault.SecretExpired",
      data: {
        id: d.Id,
        vaultName: d.VaultName,
        objectType: d.ObjectType,
        objectName: d.ObjectName,
        version: d.Version,
        nbf: d.NBF,
        exp: d.EXP,
      },
    };
    await deliver(camel);
    expect(await versions("ev-camel")).toBe(2);
  });

  it("reads the CloudEvents 1.0 schema", async () => {
    const event = await nearExpiryEventFor("ev-cloud");
    const cloud = {
      specversion: "1.0",
      id: event.id,
      type: event.eventType,
      source: event.topic,
      subject: event.subject,
      time: event.eventTime,
      data: event.data,
    };
    await deliver(cloud);
    expect(await versions("ev-cloud")).toBe(2);
  });

  it("acknowledges other event types, malformed events and foreign vaults without rotating", async () => {
    const event = await nearExpiryEventFor("ev-ignored");
    const cases: [unknown, RegExp][] = [
      [{ ...event, eventType: "Microsoft.KeyVault.SecretNewVersionCreated" }, /does not start a rotation/],
      [{ ...event, data: { ...event.data, ObjectType: "Key" } }, /not a secret/],
      [
        { ...event, data: { ...event.data, VaultName: "someone-else" } },
        /refused event .*'someone-else' is not one of KEYVAULT_URIS/,
      ],
      [
        { ...event, data: { ...event.data, Id: "https://evil.vault.azure.net/secrets/ev-ignored/x" } },
        /refused event/,
      ],
      [{ ...event, data: { ...event.data, Version: "not-a-version" } }, /data.Version/],
      [{ ...event, data: "text" }, /data is not an object/],
      [{ hello: "world" }, /not an Event Grid or CloudEvents/],
      [null, /not an Event Grid or CloudEvents/],
    ];
    for (const [input, expected] of cases) {
      const { logs } = await deliver(input);
      expect(logs.map((l) => l.text).join("\n")).toMatch(expected);
    }
    expect(await versions("ev-ignored")).toBe(1);
  });

  it("throws so Event Grid redelivers when the secret is busy or a dependency is down", async () => {
    const busyEvent = await nearExpiryEventFor("ev-busy");
    const app = await rotatorApp();
    const lease = await new LeaseManager(app.container, 15).tryAcquire("eventvault", "ev-busy");
    await expect(deliver(busyEvent)).rejects.toThrow(/busy; Event Grid will redeliver/);
    await lease?.release();
    const downEvent = await nearExpiryEventFor("ev-down", {
      RotatorType: "postgres",
      ProviderAddress: "127.0.0.1:1/db",
      CredentialId: "x",
    });
    await expect(deliver(downEvent)).rejects.toThrow(/TargetUnreachable.*Event Grid will redeliver/);
  });

  it("acknowledges a final failure after recording it", async () => {
    const event = await nearExpiryEventFor("ev-final", { RotatorType: "random", ValidityPeriodDays: "abc" });
    const { logs } = await deliver(event);
    expect(logs.find((l) => l.level === "error")?.text).toContain("MisconfiguredSecret");
    const failed = stack.topic.events.filter(
      (e) =>
        e.type === "AkvRotator.SecretRotationFailed" && (e.data as { secret?: string }).secret === "ev-final",
    );
    expect(failed).toHaveLength(1);
  });
});
