import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeyVaultEvent } from "../../../local/keyvault/vaultEvents.js";
import { rawRequest, startVault, type VaultFixture } from "../../helpers/keyVaultFixture.js";

let vault: VaultFixture;
const received: KeyVaultEvent[] = [];
beforeAll(async () => {
  vault = await startVault({
    vaultName: "events",
    subscriptionId: "11111111-2222-3333-4444-555555555555",
    resourceGroup: "rg-demo",
  });
  vault.emulator.onEvent((e) => {
    received.push(e);
  });
});
afterAll(() => vault.stop());

const DAY = 86_400_000;
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
const ofSecret = (name: string, type?: string): KeyVaultEvent[] =>
  received.filter((e) => e.subject === name && (type === undefined || e.eventType === type));

describe("Key Vault emulator: Key Vault's events", () => {
  it("raises SecretNewVersionCreated on every new version, in Event Grid schema with PascalCase data", async () => {
    const client = vault.client();
    const exp = new Date(Math.floor((Date.now() + 90 * DAY) / 1000) * 1000);
    const a = await client.setSecret("evented", "1", { expiresOn: exp });
    await client.setSecret("evented", "2");
    await settle();
    const events = ofSecret("evented", "Microsoft.KeyVault.SecretNewVersionCreated");
    expect(events).toHaveLength(2);
    const first = events[0] as KeyVaultEvent;
    expect(first).toMatchObject({
      topic:
        "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-demo/providers/Microsoft.KeyVault/vaults/events",
      subject: "evented",
      dataVersion: "1",
      metadataVersion: "1",
      data: {
        Id: `${vault.emulator.url}/secrets/evented/${a.properties.version}`,
        VaultName: "events",
        ObjectType: "Secret",
        ObjectName: "evented",
        Version: a.properties.version,
        NBF: null,
        EXP: exp.getTime() / 1000,
      },
    });
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(first.eventTime)).not.toBeNaN();
    expect(JSON.stringify(events)).not.toContain('"value"');
  });

  it("raises SecretNearExpiry once, 30 days ahead, for the current version, then SecretExpired once", async () => {
    const client = vault.client();
    const exp = new Date(Math.floor((vault.emulator.now() + 31 * DAY) / 1000) * 1000);
    const set = await client.setSecret("expiring", "x", { expiresOn: exp });
    vault.emulator.checkExpiry();
    await settle();
    expect(ofSecret("expiring", "Microsoft.KeyVault.SecretNearExpiry")).toHaveLength(0);

    vault.emulator.advanceClock(DAY + 1000);
    vault.emulator.checkExpiry();
    vault.emulator.checkExpiry();
    await settle();
    const near = ofSecret("expiring", "Microsoft.KeyVault.SecretNearExpiry");
    expect(near).toHaveLength(1);
    expect(near[0]?.data.Version).toBe(set.properties.version);

    vault.emulator.advanceClock(30 * DAY);
    vault.emulator.checkExpiry();
    vault.emulator.checkExpiry();
    await settle();
    expect(ofSecret("expiring", "Microsoft.KeyVault.SecretExpired")).toHaveLength(1);
    expect(ofSecret("expiring", "Microsoft.KeyVault.SecretNearExpiry")).toHaveLength(1);
  });

  it("raises nothing for a version that is no longer current, and again for a new expiry", async () => {
    const client = vault.client();
    const soon = new Date(vault.emulator.now() + 5 * DAY);
    const old = await client.setSecret("rotated", "old", { expiresOn: soon });
    await client.setSecret("rotated", "new", { expiresOn: new Date(vault.emulator.now() + 60 * DAY) });
    vault.emulator.checkExpiry();
    await settle();
    expect(ofSecret("rotated", "Microsoft.KeyVault.SecretNearExpiry")).toHaveLength(0);

    const current = await client.setSecret("moved", "v", { expiresOn: soon });
    vault.emulator.checkExpiry();
    await client.updateSecretProperties("moved", current.properties.version as string, {
      expiresOn: new Date(vault.emulator.now() + 3 * DAY),
    });
    vault.emulator.checkExpiry();
    await settle();
    expect(ofSecret("moved", "Microsoft.KeyVault.SecretNearExpiry")).toHaveLength(2);
    expect(old.properties.version).toBeDefined();
  });

  it("serves the event history and expiry checks on the admin endpoint", async () => {
    const all = await rawRequest(`${vault.emulator.url}/_emulator/events?after=0`, vault.ca);
    expect(all.status).toBe(200);
    const events = (all.body as { events: { seq: number; event: KeyVaultEvent }[] }).events;
    expect(events.length).toBe(received.length);
    const last = events.at(-1)?.seq ?? 0;
    const none = await rawRequest(`${vault.emulator.url}/_emulator/events?after=${last}`, vault.ca);
    expect((none.body as { events: unknown[] }).events).toEqual([]);
    const bad = await rawRequest(`${vault.emulator.url}/_emulator/events?after=-1`, vault.ca);
    expect(bad.status).toBe(400);
    const check = await rawRequest(`${vault.emulator.url}/_emulator/check-expiry`, vault.ca, {
      method: "POST",
    });
    expect(check.status).toBe(200);
  });
});
