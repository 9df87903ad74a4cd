import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorToken, rawRequest, startVault, type VaultFixture } from "../../helpers/keyVaultFixture.js";

let vault: VaultFixture;
beforeAll(async () => {
  vault = await startVault({ vaultName: "paging" });
  const client = vault.client();
  for (let i = 0; i < 7; i += 1) await client.setSecret(`page-${i}`, `v${i}`, { tags: { i: String(i) } });
  for (let i = 0; i < 5; i += 1) await client.setSecret("versioned", `v${i}`);
});
afterAll(() => vault.stop());

describe("Key Vault emulator: listing and paging", () => {
  it("lists secret properties in small pages through absolute nextLinks, without values", async () => {
    const client = vault.client();
    const pages: string[][] = [];
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) {
      pages.push(page.map((p) => p.name));
      for (const p of page) expect((p as unknown as { value?: string }).value).toBeUndefined();
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 2, 2, 2, 0].slice(0, pages.length));
    expect(pages.flat().filter((n) => n.startsWith("page-"))).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`),
    );
    expect(pages.flat()).toContain("versioned");
  });

  it("resumes a listing from the absolute nextLink the service hands out", async () => {
    // SDK 4.11's byPage() drops `continuationToken` from the pages it maps, so the link is read raw here
    // and handed back to the SDK, which follows it as the service's own nextLink.
    const first = await rawRequest(`${vault.emulator.url}/secrets?api-version=7.6&maxresults=3`, vault.ca, {
      token: await emulatorToken(),
    });
    const body = first.body as { value: unknown[]; nextLink: string };
    expect(body.value).toHaveLength(3);
    expect(body.nextLink).toMatch(
      new RegExp(`^${vault.emulator.url}/secrets\\?api-version=7\\.6&\\$skiptoken=[^&]+&maxresults=3$`),
    );
    const rest: string[] = [];
    for await (const page of vault
      .client()
      .listPropertiesOfSecrets()
      .byPage({ continuationToken: body.nextLink })) {
      rest.push(...page.map((p) => p.name));
    }
    expect(rest).toHaveLength(8 - 3);
  });

  it("lists every version of a secret, paged", async () => {
    const client = vault.client();
    const seen: string[] = [];
    for await (const page of client.listPropertiesOfSecretVersions("versioned").byPage({ maxPageSize: 2 })) {
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page.map((p) => p.version as string));
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort()).toEqual(seen);
  });

  it("answers versions of a missing secret with an empty list, as the service does", async () => {
    // azure-sdk-for-js keyvault-secrets recording `can list secret versions (non existing)`: 200, no versions.
    const client = vault.client();
    const seen: unknown[] = [];
    for await (const v of client.listPropertiesOfSecretVersions("nope")) seen.push(v);
    expect(seen).toEqual([]);
    const raw = await rawRequest(`${vault.emulator.url}/secrets/nope/versions?api-version=7.5`, vault.ca, {
      token: await emulatorToken(),
    });
    expect(raw).toMatchObject({ status: 200, body: { value: [], nextLink: null } });
  });

  it("rejects maxresults outside 1-25 and a forged skiptoken", async () => {
    const token = await emulatorToken();
    const tooMany = await rawRequest(
      `${vault.emulator.url}/secrets?api-version=7.5&maxresults=26`,
      vault.ca,
      { token },
    );
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body)).toContain("maxresults");
    const forged = await rawRequest(
      `${vault.emulator.url}/secrets?api-version=7.5&$skiptoken=%%%`,
      vault.ca,
      { token },
    );
    expect(forged.status).toBe(400);
  });
});
