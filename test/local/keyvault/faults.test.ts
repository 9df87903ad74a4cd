import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest, restError, startVault, type VaultFixture } from "../../helpers/keyVaultFixture.js";

let vault: VaultFixture;
beforeAll(async () => {
  vault = await startVault({ vaultName: "faults" });
  await vault.client().setSecret("target", "before");
  await vault.client().setSecret("bystander", "b");
});
afterAll(() => vault.stop());

describe("Key Vault emulator: faults on demand", () => {
  it("fails the next N calls of an operation, which the SDK retries through", async () => {
    vault.emulator.faults.inject({ operation: "getSecret", count: 2, status: 503 });
    expect((await vault.client().getSecret("target")).value).toBe("before");
    expect(vault.emulator.faults.pending).toEqual([]);
  });

  it("fails only the named secret, with the status and body it is given", async () => {
    vault.emulator.faults.inject({
      operation: "setSecret",
      secretName: "target",
      status: 409,
      body: { error: { code: "Conflict", message: "injected conflict" } },
    });
    expect((await vault.client().setSecret("bystander", "b2")).value).toBe("b2");
    const error = await restError(vault.client().setSecret("target", "after"));
    expect(error.statusCode).toBe(409);
    expect(error.message).toBe("injected conflict");
    expect((await vault.client().getSecret("target")).value).toBe("before");
  });

  it("hangs a call until the client gives up", async () => {
    vault.emulator.faults.inject({ operation: "getSecret", secretName: "target", mode: "hang" });
    const error = await restError(
      vault.client().getSecret("target", { abortSignal: AbortSignal.timeout(300) }),
    );
    expect(error.message).toMatch(/abort/i);
    expect((await vault.client().getSecret("target")).value).toBe("before");
  });

  it("carries out a write and cuts the answer, so the caller cannot know it landed", async () => {
    vault.emulator.faults.inject({ operation: "setSecret", secretName: "target", mode: "drop-response" });
    const client = vault.client(undefined, { retryOptions: { maxRetries: 0 } });
    await restError(client.setSecret("target", "landed"));
    expect((await client.getSecret("target")).value).toBe("landed");
  });

  it("is driven over the admin endpoint by a test in another process", async () => {
    const added = await rawRequest(`${vault.emulator.url}/_emulator/faults`, vault.ca, {
      method: "POST",
      body: { operation: "deleteSecret", status: 500, count: 3 },
    });
    expect(added.status).toBe(200);
    const info = await rawRequest(`${vault.emulator.url}/_emulator`, vault.ca);
    expect((info.body as { faults: unknown[] }).faults).toEqual([
      { operation: "deleteSecret", status: 500, count: 3 },
    ]);
    const bad = await rawRequest(`${vault.emulator.url}/_emulator/faults`, vault.ca, {
      method: "POST",
      body: { operation: "explode" },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("operation");
    await rawRequest(`${vault.emulator.url}/_emulator/faults`, vault.ca, { method: "DELETE" });
    expect(vault.emulator.faults.pending).toEqual([]);
    const unknown = await rawRequest(`${vault.emulator.url}/_emulator/nothing`, vault.ca);
    expect(unknown.status).toBe(404);
  });
});
