import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArmEmulator } from "../../../local/arm/armEmulator.js";
import { EmulatorCredential } from "../../../src/vault/emulatorCredential.js";
import { startArm } from "../../helpers/armFixture.js";
import { rawRequest, TEST_CERT_DIR } from "../../helpers/keyVaultFixture.js";

let arm: ArmEmulator;
let ca: string;
const token = async (scope = "https://management.azure.com/.default"): Promise<string> =>
  (await new EmulatorCredential().getToken(scope)).token;

beforeAll(async () => {
  arm = await startArm({ lroPolls: 2 });
  ca = readFileSync(path.join(TEST_CERT_DIR, "localhost-ca.pem"), "utf8");
});
afterAll(async () => arm?.stop());

describe("ARM emulator", () => {
  it("answers as ARM does without a token, with a token for another audience, and without api-version", async () => {
    const account = arm.addStorageAccount("authcheck");
    const url = `${arm.url}${account.id}/listKeys?api-version=2023-05-01`;
    expect((await rawRequest(url, ca, { method: "POST" })).status).toBe(401);
    const vaultToken = await token("https://vault.azure.net/.default");
    expect(await rawRequest(url, ca, { method: "POST", token: vaultToken })).toMatchObject({
      status: 401,
      body: { error: { code: "InvalidAuthenticationTokenAudience" } },
    });
    expect(
      await rawRequest(`${arm.url}${account.id}/listKeys`, ca, { method: "POST", token: await token() }),
    ).toMatchObject({ status: 400, body: { error: { code: "MissingApiVersionParameter" } } });
    expect(
      await rawRequest(`${arm.url}${account.id.replace("authcheck", "missing")}?api-version=1`, ca, {
        token: await token(),
      }),
    ).toMatchObject({ status: 404, body: { error: { code: "ResourceNotFound" } } });
  });

  it("runs a server update as a long-running operation: the change lands when the operation completes", async () => {
    const server = arm.addSqlServer({
      name: "lro-check",
      administratorLogin: "sqladmin",
      password: "Old-Passw0rd!",
    });
    const t = await token();
    const started = await rawRequest(`${arm.url}${server.id}?api-version=2021-11-01`, ca, {
      method: "PATCH",
      token: t,
      body: { properties: { administratorLoginPassword: "New-Passw0rd!" } },
    });
    expect(started.status).toBe(202);
    expect(started.headers["retry-after"]).toBe("0");
    const status = String(started.headers["azure-asyncoperation"]);
    expect(await rawRequest(status, ca, { token: t })).toMatchObject({ body: { status: "InProgress" } });
    expect(server.administratorLoginPassword).toBe("Old-Passw0rd!");
    await rawRequest(status, ca, { token: t });
    expect(await rawRequest(status, ca, { token: t })).toMatchObject({ body: { status: "Succeeded" } });
    expect(server.administratorLoginPassword).toBe("New-Passw0rd!");
    const view = await rawRequest(`${arm.url}${server.id}?api-version=2021-11-01`, ca, { token: t });
    expect(JSON.stringify(view.body)).not.toContain("New-Passw0rd!");
  });

  it("takes resources through its admin endpoint, checks them like ARM's naming rules, and never answers a key", async () => {
    const admin = `${arm.url}/_emulator/resources`;
    const post = (body: unknown): ReturnType<typeof rawRequest> =>
      rawRequest(admin, ca, { method: "POST", body });
    const added = await post({ kind: "cosmos", name: "admin-cosmos", resourceGroup: "rg-1" });
    expect(added).toMatchObject({
      status: 201,
      body: {
        id: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-1/providers/Microsoft.DocumentDB/databaseAccounts/admin-cosmos",
        type: "Microsoft.DocumentDB/databaseAccounts",
      },
    });
    const id = (added.body as { id: string }).id;
    const keys = await rawRequest(`${arm.url}${id}/listKeys?api-version=2025-04-15`, ca, {
      method: "POST",
      token: await token(),
    });
    expect(keys).toMatchObject({ status: 200, body: { primaryMasterKey: expect.any(String) } });
    expect(JSON.stringify(added.body)).not.toContain(
      (keys.body as { primaryMasterKey: string }).primaryMasterKey,
    );
    expect((await post({ kind: "cosmos", name: "admin-cosmos", resourceGroup: "rg-1" })).status).toBe(409);
    for (const bad of [
      { kind: "storage", name: "Has-Upper" },
      { kind: "storage", name: "ab" },
      { kind: "cosmos", name: "-edge" },
      { kind: "redis", name: "x".repeat(64) },
      { kind: "sql", name: "server", administratorLogin: "admin" },
      { kind: "vm", name: "vm1" },
      { kind: "redis", name: "extra", keys: { primaryKey: "chosen" } },
      { kind: "redis", name: "sub", subscriptionId: "not-a-guid" },
    ]) {
      const answer = await post(bad);
      expect(answer, JSON.stringify(bad)).toMatchObject({
        status: 400,
        body: { error: { code: "BadRequest" } },
      });
    }
    const listed = await rawRequest(admin, ca);
    const names = (listed.body as { value: { name: string }[] }).value.map((r) => r.name);
    expect(names).toContain("admin-cosmos");
    expect(names).not.toContain("ab");
    expect(JSON.stringify(listed.body)).not.toMatch(/MasterKey|primaryKey|key1|administratorLoginPassword/);
    expect((await rawRequest(`${arm.url}/_emulator/nothing`, ca)).status).toBe(404);
  });
});
