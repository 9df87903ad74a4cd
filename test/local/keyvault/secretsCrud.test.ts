import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  emulatorToken,
  rawRequest,
  restError,
  startVault,
  type VaultFixture,
} from "../../helpers/keyVaultFixture.js";

let vault: VaultFixture;
beforeAll(async () => {
  vault = await startVault({ vaultName: "crud" });
});
afterAll(() => vault.stop());

describe("Key Vault emulator: secrets through the real SecretClient", () => {
  it("sets and gets the latest version and a named version, with attributes as the service gives them", async () => {
    const client = vault.client();
    const expiresOn = new Date(Math.floor(Date.now() / 1000 + 86_400) * 1000);
    const first = await client.setSecret("app-password", "first", {
      tags: { CredentialId: "app" },
      contentType: "text/plain",
    });
    const second = await client.setSecret("app-password", "second", { expiresOn, enabled: true });
    expect(first.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(second.properties.version).not.toBe(first.properties.version);
    expect(second.properties.id).toBe(
      `${vault.emulator.url}/secrets/app-password/${second.properties.version}`,
    );
    expect(second.properties.expiresOn?.toISOString()).toBe(expiresOn.toISOString());
    expect(second.properties.recoveryLevel).toBe("Recoverable+Purgeable");
    expect(second.properties.recoverableDays).toBe(90);
    expect(second.properties.createdOn).toBeInstanceOf(Date);

    const latest = await client.getSecret("app-password");
    expect(latest.value).toBe("second");
    expect(latest.properties.version).toBe(second.properties.version);
    const old = await client.getSecret("app-password", { version: first.properties.version as string });
    expect(old.value).toBe("first");
    expect(old.properties.tags).toEqual({ CredentialId: "app" });
    expect(old.properties.contentType).toBe("text/plain");
  });

  it("treats names case-insensitively and keeps the first spelling", async () => {
    const client = vault.client();
    await client.setSecret("Mixed-Case", "a");
    await client.setSecret("mixed-case", "b");
    const got = await client.getSecret("MIXED-CASE");
    expect(got.value).toBe("b");
    expect(got.name).toBe("Mixed-Case");
  });

  it("updates properties of a version without a new version", async () => {
    const client = vault.client();
    const set = await client.setSecret("props", "v", { tags: { a: "1" } });
    const version = set.properties.version as string;
    const exp = new Date(Math.floor(Date.now() / 1000 + 3600) * 1000);
    const updated = await client.updateSecretProperties("props", version, {
      tags: { a: "2", b: "3" },
      expiresOn: exp,
      contentType: "application/json",
    });
    expect(updated.tags).toEqual({ a: "2", b: "3" });
    expect(updated.expiresOn?.toISOString()).toBe(exp.toISOString());
    const versions = [];
    for await (const v of client.listPropertiesOfSecretVersions("props")) versions.push(v);
    expect(versions).toHaveLength(1);
  });

  it("refuses to read a disabled version with the service's 403 SecretDisabled, but lists and updates it", async () => {
    const client = vault.client();
    const set = await client.setSecret("disabled-one", "hidden", { enabled: false });
    const error = await restError(client.getSecret("disabled-one"));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe("Forbidden");
    expect(error.message).toBe("Operation get is not allowed on a disabled secret.");
    expect(JSON.stringify(error.details)).toContain("SecretDisabled");
    const enabled = await client.updateSecretProperties("disabled-one", set.properties.version as string, {
      enabled: true,
    });
    expect(enabled.enabled).toBe(true);
    expect((await client.getSecret("disabled-one")).value).toBe("hidden");
  });

  it("answers 404 SecretNotFound for a missing secret and a missing version", async () => {
    const client = vault.client();
    const missing = await restError(client.getSecret("does-not-exist"));
    expect(missing.statusCode).toBe(404);
    expect(missing.code).toBe("SecretNotFound");
    expect(missing.message).toContain(
      "A secret with (name/id) does-not-exist was not found in this key vault",
    );
    await client.setSecret("has-versions", "x");
    const badVersion = await restError(client.getSecret("has-versions", { version: "0".repeat(32) }));
    expect(badVersion.statusCode).toBe(404);
    expect(badVersion.code).toBe("SecretNotFound");
  });

  it("validates names, tags and value sizes with 400 BadParameter and stores nothing", async () => {
    const client = vault.client();
    const badName = await restError(client.setSecret("bad_name", "x"));
    expect(badName.statusCode).toBe(400);
    expect(badName.code).toBe("BadParameter");
    expect(badName.message).toContain("invalid name: bad_name");
    // Recording `cannot create a secret with an empty name`: the SDK sends PUT /secrets/, the service says 405.
    const noName = await restError(client.setSecret("", "x"));
    expect(noName).toMatchObject({
      statusCode: 405,
      code: "MethodNotAllowed",
      message: "HTTP PUT not allowed",
    });
    const tooLongName = await restError(client.setSecret("a".repeat(128), "x"));
    expect(tooLongName.statusCode).toBe(400);

    const tags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, "v"]));
    const tooMany = await restError(client.setSecret("tagged", "x", { tags }));
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.message).toContain("Too many tags");
    const longValue = await restError(client.setSecret("tagged", "x", { tags: { k: "v".repeat(513) } }));
    expect(longValue.statusCode).toBe(400);
    const longType = await restError(client.setSecret("tagged", "x", { contentType: "t".repeat(256) }));
    expect(longType.statusCode).toBe(400);
    expect(longType.message).toContain("255");
    const longTagName = await restError(
      client.setSecret("tagged", "x", { tags: { ["k".repeat(513)]: "v" } }),
    );
    expect(longTagName.statusCode).toBe(400);
    const big = await restError(client.setSecret("tagged", "x".repeat(25 * 1024 + 1)));
    expect(big.statusCode).toBe(400);
    expect(big.code).toBe("BadParameter");
    expect(big.message).toBe("Secret is beyond the maximum permitted length of 25600 characters.");
    expect(JSON.stringify(big.details)).toMatch(/"inner[eE]rror":\{"code":"SecretTooLarge"\}/);
    expect((await restError(client.getSecret("tagged"))).statusCode).toBe(404);

    // The limits themselves are allowed.
    const atLimit = await client.setSecret("tagged", "x".repeat(25 * 1024), {
      contentType: "t".repeat(255),
      tags: Object.fromEntries(
        Array.from({ length: 15 }, (_, i) => [`${"k".repeat(500)}${i}`, "v".repeat(512)]),
      ),
    });
    expect(Object.keys(atLimit.properties.tags ?? {})).toHaveLength(15);
  });

  it("challenges an unauthenticated request with 401 and the WWW-Authenticate header the SDK expects", async () => {
    const res = await rawRequest(`${vault.emulator.url}/secrets/anything?api-version=7.5`, vault.ca);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(
      /^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[^"]+", resource="https:\/\/vault\.azure\.net"$/,
    );
    expect(res.body).toEqual({
      error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." },
    });
  });

  it("refuses expired tokens, tokens for another audience and missing api-version", async () => {
    const url = `${vault.emulator.url}/secrets?api-version=7.5`;
    const claims = (c: object): string => `e30.${Buffer.from(JSON.stringify(c)).toString("base64url")}.`;
    const expired = await rawRequest(url, vault.ca, {
      token: claims({ oid: "x", aud: "https://vault.azure.net", exp: 1 }),
    });
    expect(expired.status).toBe(401);
    const otherAudience = await rawRequest(url, vault.ca, {
      token: claims({ oid: "x", aud: "https://management.azure.com", exp: Date.now() / 1000 + 60 }),
    });
    expect(otherAudience.status).toBe(401);
    const noVersion = await rawRequest(`${vault.emulator.url}/secrets`, vault.ca, {
      token: await emulatorToken(),
    });
    expect(noVersion.status).toBe(400);
    expect(noVersion.body).toMatchObject({ error: { code: "BadParameter" } });
  });

  it("answers a malformed body with 400 and a wrong method with 405", async () => {
    const token = await emulatorToken();
    const noValue = await rawRequest(`${vault.emulator.url}/secrets/body-check?api-version=7.5`, vault.ca, {
      method: "PUT",
      body: { tags: {} },
      token,
    });
    expect(noValue.status).toBe(400);
    expect(JSON.stringify(noValue.body)).toContain("value");
    const wrongMethod = await rawRequest(`${vault.emulator.url}/secrets?api-version=7.5`, vault.ca, {
      method: "DELETE",
      token,
    });
    expect(wrongMethod.status).toBe(405);
  });
});
