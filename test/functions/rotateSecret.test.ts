import type { HttpResponseInit } from "@azure/functions";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rotateSecret } from "../../functions/rotateSecret.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import { rotatorApp } from "../../src/runtime.js";
import { pendingRecordName } from "../../src/vault/pendingRecord.js";
import { invocation, principalHeader, rotateRequest, useSettings } from "../helpers/functionsHarness.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

let stack: RotationStack;
beforeAll(async () => {
  stack = await startRotationStack({ vaultName: "httpvault" });
  useSettings(stack.env);
  await stack.kv.setSecret("api-key", "CANARY-http-1", { tags: { RotatorType: "random" } });
});
afterAll(() => stack?.stop());

async function call(
  name: string,
  init: Parameters<typeof rotateRequest>[1] = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  const { context } = invocation("rotateSecret");
  const res: HttpResponseInit = await rotateSecret(rotateRequest(name, init), context);
  return {
    status: res.status ?? 200,
    body: JSON.parse(String(res.body)) as Record<string, unknown>,
    headers: (res.headers ?? {}) as Record<string, string>,
  };
}

describe("POST /api/secrets/{name}/rotate", () => {
  it("200 with the outcome when it rotates", async () => {
    const res = await call("api-key", { body: { force: true } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "rotated",
      vault: "httpvault",
      secret: "api-key",
      trigger: "http",
      rotator: "random",
    });
    expect(JSON.stringify(res.body)).not.toContain("CANARY");
  });

  it("200 skipped for a dry run and for a recent rotation without force; query flags work too", async () => {
    expect((await call("api-key", { query: { dryRun: "true" } })).body).toMatchObject({
      status: "skipped",
      reason: "dry-run",
    });
    expect((await call("api-key")).body).toMatchObject({ status: "skipped", reason: "not-due" });
  });

  it.each([
    ["a bad secret name", "bad_name!", {}, "secret name"],
    ["a body that is not JSON", "api-key", { rawBody: "{nope" }, "not JSON"],
    ["a body that is not an object", "api-key", { rawBody: "[1]" }, "JSON object"],
    ["an unknown field", "api-key", { body: { forse: true } }, "unknown field(s) forse"],
    ["a flag that is not a boolean", "api-key", { body: { force: "yes" } }, "'force'"],
    [
      "a vault that is not configured",
      "api-key",
      { body: { vault: "other" } },
      "vault 'other' is not one of the configured vaults",
    ],
  ])("400 problem details for %s, naming what is wrong", async (_what, name, init, text) => {
    const res = await call(name, init);
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toBe("application/problem+json");
    expect(res.body).toMatchObject({ type: "about:blank", title: "Bad request", status: 400 });
    expect(String(res.body.detail)).toContain(text);
  });

  it.each<[string, Parameters<typeof rotateRequest>[1], number]>([
    ["a duplicate body key", { rawBody: '{"dryRun":true,"force":true,"dryRun":false}' }, 400],
    ["a duplicate query key", { url: "?force=true&force=false" }, 400],
    ["query and body disagreeing", { url: "?dryRun=true", rawBody: '{"dryRun":false,"force":true}' }, 400],
    ["a text/plain body", { rawBody: '{"force":true}', headers: { "content-type": "text/plain" } }, 415],
    ["a declared 10 MB body", { rawBody: '{"force":true}', headers: { "content-length": "10485760" } }, 413],
  ])("%s: 4xx problem details, and the secret is not rotated", async (_what, init, status) => {
    const before = (await stack.kv.getSecret("api-key")).properties.version;
    const res = await call("api-key", init);
    expect(res.status).toBe(status);
    expect(res.headers["content-type"]).toBe("application/problem+json");
    expect(res.body).toMatchObject({ type: "about:blank", status });
    expect((await stack.kv.getSecret("api-key")).properties.version).toBe(before);
  });

  it("400 when several vaults are configured and none is named", async () => {
    useSettings(stack.env, { KEYVAULT_URIS: `${stack.env.KEYVAULT_URIS},second=https://127.0.0.1:1` });
    const res = await call("api-key");
    useSettings(stack.env);
    expect(res.status).toBe(400);
    expect(String(res.body.detail)).toContain("'vault' is required");
  });

  it("404 for an unknown secret, 422 for an unmanaged or misconfigured one", async () => {
    expect((await call("no-such-secret")).status).toBe(404);
    await stack.kv.setSecret("plain", "CANARY-plain", {});
    expect((await call("plain")).status).toBe(422);
    await stack.kv.setSecret("broken", "CANARY-broken", {
      tags: { RotatorType: "random", ValidityPeriodDays: "abc" },
    });
    const broken = await call("broken");
    expect(broken.status).toBe(422);
    expect(String(broken.body.detail)).toContain("ValidityPeriodDays");
  });

  it("409 while another rotation holds the lease", async () => {
    const app = await rotatorApp();
    const lease = await new LeaseManager(app.container, 15).tryAcquire("httpvault", "api-key");
    const res = await call("api-key", { body: { force: true } });
    await lease?.release();
    expect(res.status).toBe(409);
  });

  it("503 with Retry-After for a retryable failure, 502 for a final one", async () => {
    await stack.kv.setSecret("pg-down", "CANARY-pg-down", {
      tags: { RotatorType: "postgres", ProviderAddress: "127.0.0.1:1/db", CredentialId: "x" },
    });
    const down = await call("pg-down", { body: { force: true } });
    expect(down.status).toBe(503);
    expect(down.headers["retry-after"]).toBe("60");
    await stack.kv.setSecret("kv-denied", "CANARY-denied", { tags: { RotatorType: "random" } });
    stack.vault.emulator.faults.inject({
      operation: "setSecret",
      secretName: pendingRecordName("kv-denied"),
      status: 403,
      body: { error: { code: "Forbidden", message: "no" } },
    });
    const denied = await call("kv-denied", { body: { force: true } });
    expect(denied.status).toBe(502);
    expect(denied.body).toMatchObject({ outcome: { error: { code: "KeyVaultForbidden" } } });
  });

  it("401 and 403 by app role when App Service Authentication is required", async () => {
    useSettings(stack.env, { HTTP_REQUIRED_ROLE: "Rotator.Rotate", WEBSITE_AUTH_ENABLED: "True" });
    expect((await call("api-key", { body: { dryRun: true } })).status).toBe(401);
    expect(
      (
        await call("api-key", {
          body: { dryRun: true },
          headers: { "x-ms-client-principal": "not base64 json" },
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await call("api-key", {
          body: { dryRun: true },
          headers: { "x-ms-client-principal": principalHeader(["Reader"]) },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call("api-key", {
          body: { dryRun: true },
          headers: { "x-ms-client-principal": principalHeader(["Rotator.Rotate"]) },
        })
      ).status,
    ).toBe(200);
    useSettings(stack.env, { HTTP_REQUIRED_ROLE: undefined, WEBSITE_AUTH_ENABLED: undefined });
  });

  it("refuses to run (500, configuration) with a required role but App Service Authentication off", async () => {
    useSettings(stack.env, { HTTP_REQUIRED_ROLE: "Rotator.Rotate", WEBSITE_AUTH_ENABLED: undefined });
    const forged = await call("api-key", {
      body: { force: true },
      headers: { "x-ms-client-principal": principalHeader(["Rotator.Rotate"]) },
    });
    useSettings(stack.env, { HTTP_REQUIRED_ROLE: undefined });
    expect(forged.status).toBe(500);
    expect((forged.body.problems as string[]).join("\n")).toContain("WEBSITE_AUTH_ENABLED");
  });

  it("500 naming every bad setting when the app is not configured", async () => {
    useSettings(stack.env, { KEYVAULT_URIS: "http://nope", LEASE_SECONDS: "5" });
    const res = await call("api-key");
    useSettings(stack.env);
    expect(res.status).toBe(500);
    expect((res.body.problems as string[]).join("\n")).toMatch(/must use https[\s\S]*LEASE_SECONDS/);
  });

  it("a storage failure at first use answers a problem naming it: 500 when refused, 503 with Retry-After when unreachable", async () => {
    const wrongKey = Buffer.from("CANARY-wrong-storage-key".padEnd(64, "x")).toString("base64");
    useSettings(stack.env, {
      AzureWebJobsStorage: String(stack.env.AzureWebJobsStorage).replace(
        /AccountKey=[^;]+/,
        `AccountKey=${wrongKey}`,
      ),
    });
    const refused = await call("api-key");
    expect(refused.status).toBe(500);
    expect(refused.headers["content-type"]).toBe("application/problem+json");
    expect(refused.body).toMatchObject({
      status: 500,
      setting: "AzureWebJobsStorage",
      detail: expect.stringMatching(/AzureWebJobsStorage\) answered 403 AuthorizationFailure/),
    });
    expect(JSON.stringify(refused.body)).not.toContain(wrongKey);

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    useSettings(stack.env, {
      AzureWebJobsStorage: String(stack.env.AzureWebJobsStorage).replace(
        /BlobEndpoint=[^;]+/,
        `BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1`,
      ),
    });
    const unreachable = await call("api-key");
    useSettings(stack.env);
    expect(unreachable.status).toBe(503);
    expect(unreachable.headers["retry-after"]).toBe("60");
    expect(unreachable.body).toMatchObject({
      setting: "AzureWebJobsStorage",
      detail: expect.stringMatching(/could not be reached \(ECONNREFUSED\)/),
    });
  });
});
