import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  emulatorToken,
  rawRequest,
  restError,
  startVault,
  type VaultFixture,
} from "../../helpers/keyVaultFixture.js";

let vault: VaultFixture;
beforeAll(async () => {
  vault = await startVault({ vaultName: "throttle" });
  await vault.client().setSecret("hot", "v");
});
afterAll(() => vault.stop());
beforeEach(() => vault.emulator.limiter.configure(undefined));

describe("Key Vault emulator: throttling like the service", () => {
  it("answers 429 with Retry-After and the service's body past the limit, and does not count refusals", async () => {
    vault.emulator.limiter.configure({ allTransactions: 2, windowMs: 60_000 });
    const token = await emulatorToken();
    const url = `${vault.emulator.url}/secrets/hot?api-version=7.6`;
    expect((await rawRequest(url, vault.ca, { token })).status).toBe(200);
    expect((await rawRequest(url, vault.ca, { token })).status).toBe(200);
    const limited = await rawRequest(url, vault.ca, { token });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(59);
    expect(limited.body).toEqual({
      error: {
        code: "Throttled",
        message:
          "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
      },
    });
    await rawRequest(url, vault.ca, { token });
    expect(vault.emulator.limiter.throttledCount).toBeGreaterThanOrEqual(2);
  });

  it("is honoured by the SDK's own retry: every call succeeds after waiting out Retry-After", async () => {
    vault.emulator.limiter.configure({ allTransactions: 3, windowMs: 1000 });
    const before = vault.emulator.limiter.throttledCount;
    const client = vault.client();
    const values: string[] = [];
    for (let i = 0; i < 6; i += 1) values.push((await client.getSecret("hot")).value as string);
    expect(values).toEqual(Array(6).fill("v"));
    expect(vault.emulator.limiter.throttledCount).toBeGreaterThan(before);
  });

  it("limits secret writes separately from reads", async () => {
    vault.emulator.limiter.configure({ secretWrites: 1, windowMs: 60_000 });
    const client = vault.client(undefined, { retryOptions: { maxRetries: 0 } });
    await client.setSecret("written", "1");
    const error = await restError(client.setSecret("written", "2"));
    expect(error.statusCode).toBe(429);
    expect((await client.getSecret("written")).value).toBe("1");
  });

  it("can leave out Retry-After, and is configured over the admin endpoint", async () => {
    const put = await rawRequest(`${vault.emulator.url}/_emulator/throttle`, vault.ca, {
      method: "PUT",
      body: { allTransactions: 1, windowMs: 60_000, omitRetryAfter: true },
    });
    expect(put.status).toBe(200);
    const token = await emulatorToken();
    const url = `${vault.emulator.url}/secrets/hot?api-version=7.6`;
    await rawRequest(url, vault.ca, { token });
    const limited = await rawRequest(url, vault.ca, { token });
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBeUndefined();
    const bad = await rawRequest(`${vault.emulator.url}/_emulator/throttle`, vault.ca, {
      method: "PUT",
      body: { allTransactions: -1 },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("allTransactions");
    expect(
      (await rawRequest(`${vault.emulator.url}/_emulator/throttle`, vault.ca, { method: "DELETE" })).status,
    ).toBe(200);
    expect((await rawRequest(url, vault.ca, { token })).status).toBe(200);
  });
});
