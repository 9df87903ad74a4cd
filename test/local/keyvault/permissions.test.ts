import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorCredential } from "../../../src/vault/emulatorCredential.js";
import { rawRequest, restError, startVault, type VaultFixture } from "../../helpers/keyVaultFixture.js";

let vault: VaultFixture;
beforeAll(async () => {
  vault = await startVault({
    vaultName: "perms",
    permissions: {
      admin: ["get", "list", "set", "delete", "recover", "backup", "restore", "purge"],
      reader: ["get", "list"],
    },
  });
  await vault.client(new EmulatorCredential("admin")).setSecret("guarded", "v");
});
afterAll(() => vault.stop());

describe("Key Vault emulator: permissions per caller identity", () => {
  it("lets an identity do what its permissions allow and refuses the rest with the service's 403", async () => {
    const reader = vault.client(new EmulatorCredential("reader"));
    expect((await reader.getSecret("guarded")).value).toBe("v");
    let listed = 0;
    for await (const _ of reader.listPropertiesOfSecrets()) listed += 1;
    expect(listed).toBe(1);
    const write = await restError(reader.setSecret("guarded", "changed"));
    expect(write.statusCode).toBe(403);
    expect(write.code).toBe("Forbidden");
    expect(write.message).toContain(
      "'oid=reader' does not have secrets set permission on key vault 'perms;location=local'",
    );
    expect(JSON.stringify(write.details)).toContain("AccessDenied");
    expect((await restError(reader.beginDeleteSecret("guarded"))).statusCode).toBe(403);
    expect((await restError(reader.backupSecret("guarded"))).statusCode).toBe(403);
    expect((await vault.client(new EmulatorCredential("admin")).getSecret("guarded")).value).toBe("v");
  });

  it("refuses an identity that has no entry at all", async () => {
    const stranger = vault.client(new EmulatorCredential("stranger"));
    const error = await restError(stranger.getSecret("guarded"));
    expect(error.statusCode).toBe(403);
    expect(error.message).toContain("does not have secrets get permission");
  });

  it("is changed over the admin endpoint, which rejects unknown permissions", async () => {
    const bad = await rawRequest(`${vault.emulator.url}/_emulator/permissions`, vault.ca, {
      method: "PUT",
      body: { x: ["fly"] },
    });
    expect(bad.status).toBe(400);
    const stranger = vault.client(new EmulatorCredential("stranger"));
    expect((await restError(stranger.getSecret("guarded"))).statusCode).toBe(403);
    const put = await rawRequest(`${vault.emulator.url}/_emulator/permissions`, vault.ca, {
      method: "PUT",
      body: { stranger: ["get"] },
    });
    expect(put.status).toBe(200);
    expect((await stranger.getSecret("guarded")).value).toBe("v");
    await rawRequest(`${vault.emulator.url}/_emulator/permissions`, vault.ca, { method: "PUT", body: null });
    expect((await vault.client(new EmulatorCredential("anyone")).getSecret("guarded")).value).toBe("v");
  });
});
