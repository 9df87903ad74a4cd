import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { connect } from "node:net";
import { SecretClient } from "@azure/keyvault-secrets";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SiteResource } from "../../../local/arm/armSites.js";
import { startLocalStack, type RunningStack } from "../../../local/stack/localStack.js";
import { pendingRecordName } from "../../../src/vault/pendingRecord.js";
import { EmulatorCredential } from "../../../src/vault/emulatorCredential.js";
import { startInsecurePostgres } from "../../helpers/recordingListener.js";
import { rawRequest } from "../../helpers/keyVaultFixture.js";

let dir: string;
let stack: RunningStack;
const lines: string[] = [];
const ZERO = { keyVault: 0, eventGrid: 0, azurite: 0, postgres: 0, host: 0, arm: 0, graph: 0 };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "akv-stack-"));
  stack = await startLocalStack({
    dir,
    ports: ZERO,
    timeScale: 0.01,
    expiryCheckIntervalMs: 200,
    runTimers: false,
    print: (l) => lines.push(l),
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${lines.slice(-30).join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface RotatedBody {
  status: string;
  newVersion: string;
  consumers?: { consumer: string; state: string; version: string }[];
}

/** Rotates demo-api-key on demand, after its own near-expiry rotation at start (which holds the lease until done). */
async function rotateApiKey(): Promise<RotatedBody> {
  await until("demo-api-key's rotation at start", () =>
    auditFor("demo-api-key", "AkvRotator.SecretRotated").find((d) => d.trigger === "event"),
  );
  const res = await fetch(`${stack.host.url}/api/secrets/demo-api-key/rotate`, {
    method: "POST",
    headers: { "x-functions-key": stack.keys.functionKey, "content-type": "application/json" },
    body: JSON.stringify({ force: true }),
  });
  const body = (await res.json()) as RotatedBody;
  expect([res.status, body.status]).toEqual([200, "rotated"]);
  return body;
}

const auditFor = (secret: string, type: string): Record<string, unknown>[] =>
  stack.eventGrid.auditEvents
    .filter((e) => e.type === type && (e.data as { secret?: string }).secret === secret)
    .map((e) => e.data as Record<string, unknown>);

async function canLogin(user: string, password: string): Promise<boolean> {
  const c = new pg.Client({
    host: stack.postgres.host,
    port: stack.postgres.port,
    user,
    password,
    database: "postgres",
  });
  c.on("error", () => undefined);
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

describe("npm start's stack, end to end over HTTP", () => {
  it("rotates the seeded PostgreSQL login through the event path by itself; the new password logs in", async () => {
    expect(stack.seeded).toEqual([
      "demo-postgres-app",
      "demo-api-key",
      "demo-storage-key",
      "demo-cosmos-key",
      "demo-redis-key",
      "demo-entra-app",
      "demo-unmanaged",
      "demo-misconfigured",
    ]);
    const rotated = await until(
      "the seeded login's rotation",
      () => auditFor("demo-postgres-app", "AkvRotator.SecretRotated")[0],
    );
    expect(rotated).toMatchObject({
      vault: "demo",
      trigger: "event",
      rotator: "postgres",
      outcome: "rotated",
    });
    const kv = stack.keyVault.store.get("demo-postgres-app");
    expect(kv.version.version).toBe(rotated.newVersion);
    expect(await canLogin("demo_app", kv.version.value)).toBe(true);
    const failed = await until(
      "the misconfigured secret's failure",
      () => auditFor("demo-misconfigured", "AkvRotator.SecretRotationFailed")[0],
    );
    expect(failed).toMatchObject({ error: { code: "MisconfiguredSecret" } });
    expect(auditFor("demo-unmanaged", "AkvRotator.SecretRotated")).toEqual([]);
  });

  it("rotates the seeded storage key and Entra client secret through ARM and Graph emulators by itself", async () => {
    const storage = await until(
      "the storage key's rotation",
      () => auditFor("demo-storage-key", "AkvRotator.SecretRotated")[0],
    );
    expect(storage).toMatchObject({ trigger: "event", rotator: "storage-key" });
    const account = [...stack.arm.resources.values()].find((r) => r.name === "demostorage");
    expect(stack.keyVault.store.get("demo-storage-key").version.tags).toMatchObject({ CredentialId: "key2" });
    expect(stack.keyVault.store.get("demo-storage-key").version.value).toBe(
      (account as { keys: { key2: string } }).keys.key2,
    );
    const entra = await until(
      "the client secret's rotation",
      () => auditFor("demo-entra-app", "AkvRotator.SecretRotated")[0],
    );
    expect(entra).toMatchObject({ trigger: "event", rotator: "entra-app-secret" });
    const app = [...stack.graph.applications.values()].find((a) => a.displayName === "demo-app");
    expect(
      stack.graph.accepts(app?.appId ?? "", stack.keyVault.store.get("demo-entra-app").version.value),
    ).toBe(true);
    // The hand-made secret is not akv-rotator's: it stays.
    expect(app?.passwordCredentials.map((p) => p.displayName)).toContain("created by hand");
  });

  it("rotates the seeded Cosmos DB and Redis keys through the ARM emulator by itself", async () => {
    const cosmos = await until(
      "the Cosmos DB key's rotation",
      () => auditFor("demo-cosmos-key", "AkvRotator.SecretRotated")[0],
    );
    expect(cosmos).toMatchObject({ trigger: "event", rotator: "cosmos-key" });
    const account = [...stack.arm.resources.values()].find((r) => r.name === "democosmos");
    const cosmosSecret = stack.keyVault.store.get("demo-cosmos-key").version;
    expect(cosmosSecret.tags).toMatchObject({ CredentialId: "secondary" });
    expect(cosmosSecret.value).toBe(
      (account as { keys: { secondaryMasterKey: string } }).keys.secondaryMasterKey,
    );
    const redis = await until(
      "the Redis key's rotation",
      () => auditFor("demo-redis-key", "AkvRotator.SecretRotated")[0],
    );
    expect(redis).toMatchObject({ trigger: "event", rotator: "redis-key" });
    const cache = [...stack.arm.resources.values()].find((r) => r.name === "demoredis");
    const redisSecret = stack.keyVault.store.get("demo-redis-key").version;
    expect(redisSecret.tags).toMatchObject({ CredentialId: "Secondary" });
    expect(redisSecret.value).toBe((cache as { keys: { secondaryKey: string } }).keys.secondaryKey);
  });

  it("gives every rotated demo version a validity beyond Key Vault's near-expiry lead: no new SecretNearExpiry", async () => {
    const rotated = [
      "demo-postgres-app",
      "demo-storage-key",
      "demo-cosmos-key",
      "demo-redis-key",
      "demo-entra-app",
    ];
    const versions = await Promise.all(
      rotated.map((name) =>
        until(`${name}'s rotation`, () => auditFor(name, "AkvRotator.SecretRotated")[0]?.newVersion),
      ),
    );
    stack.keyVault.checkExpiry();
    const nearExpiry = stack.keyVault
      .eventsAfter(0)
      .map((e) => e.event)
      .filter((e) => e.eventType === "Microsoft.KeyVault.SecretNearExpiry")
      .map((e) => e.data.Version);
    for (const version of versions) expect(nearExpiry).not.toContain(version);
  });

  it("takes resources through the ARM emulator's admin endpoint and rotates a secret bound to one", async () => {
    const ca = await readFile(stack.keyVault.caCertPath, "utf8");
    const admin = `${stack.arm.url}/_emulator/resources`;
    const added = await rawRequest(admin, ca, {
      method: "POST",
      body: { kind: "redis", name: "added-cache" },
    });
    expect(added.status).toBe(201);
    const id = (added.body as { id: string }).id;
    expect(id).toMatch(/\/providers\/Microsoft\.Cache\/redis\/added-cache$/);
    expect(JSON.stringify(added.body)).not.toMatch(/primaryKey|secondaryKey/);
    expect(
      (await rawRequest(admin, ca, { method: "POST", body: { kind: "redis", name: "added-cache" } })).status,
    ).toBe(409);
    const keys = await rawRequest(`${stack.arm.url}${id}/listKeys?api-version=2024-11-01`, ca, {
      method: "POST",
      token: (await new EmulatorCredential().getToken("https://management.azure.com/.default")).token,
    });
    const { primaryKey } = keys.body as { primaryKey: string };
    const kv = new SecretClient(stack.keyVault.url, new EmulatorCredential(), {
      tlsOptions: { ca },
      disableChallengeResourceVerification: true,
    });
    await kv.setSecret("added-redis-key", primaryKey, {
      tags: { CredentialId: "Primary", ProviderAddress: id },
    });
    const res = await fetch(`${stack.host.url}/api/secrets/added-redis-key/rotate`, {
      method: "POST",
      headers: { "x-functions-key": stack.keys.functionKey, "content-type": "application/json" },
      body: JSON.stringify({ force: true }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "rotated" });
    const cache = stack.arm.resources.get(id.toLowerCase()) as { keys: { secondaryKey: string } };
    expect((await kv.getSecret("added-redis-key")).value).toBe(cache.keys.secondaryKey);
  });

  it("rotates on demand with the function key, and refuses without it", async () => {
    const url = `${stack.host.url}/api/secrets/demo-api-key/rotate`;
    expect((await fetch(url, { method: "POST" })).status).toBe(401);
    const res = await fetch(url, {
      method: "POST",
      headers: { "x-functions-key": stack.keys.functionKey, "content-type": "application/json" },
      body: JSON.stringify({ force: true }),
    });
    expect(res.status).toBe(200);
    const outcome = (await res.json()) as { status: string; newVersion: string };
    expect(outcome.status).toBe("rotated");
    await until("the manual rotation's audit event", () =>
      auditFor("demo-api-key", "AkvRotator.SecretRotated").find((d) => d.trigger === "http"),
    );
  });

  it("tells the demo consumer of each new demo-api-key: it resolves the new version, in the output and stack.json", async () => {
    const described = JSON.parse(await readFile(path.join(dir, "stack.json"), "utf8")) as {
      demoConsumer: { consumer: string; id: string; secret: string };
    };
    expect(described.demoConsumer).toMatchObject({
      consumer: "site:local/demo-web",
      secret: "demo/demo-api-key",
    });
    const site = stack.arm.resources.get(described.demoConsumer.id.toLowerCase()) as SiteResource;
    const outcome = await rotateApiKey();
    expect(outcome.consumers).toEqual([
      { consumer: "site:local/demo-web", kind: "site", version: outcome.newVersion, state: "confirmed" },
    ]);
    expect(site.references.API_KEY?.activeVersion).toBe(outcome.newVersion);
    expect(lines).toContain(
      `[consumer]  demo-web resolves demo/demo-api-key to version ${outcome.newVersion.slice(0, 8)} (Resolved)`,
    );
  });

  it("commits a rotation whose consumer cannot be told, reports it stale, and tells it once on the resume timer", async () => {
    const site = [...stack.arm.resources.values()].find((r) => r.name === "demo-web") as SiteResource;
    const refreshes = (): number =>
      stack.arm.requests.filter((r) => r.method === "POST" && r.path.endsWith("/appsettings/refresh")).length;
    const before = site.references.API_KEY?.activeVersion;
    stack.arm.faults.inject({ operation: "refreshReferences", name: "demo-web", status: 403, count: 100 });
    let outcome: RotatedBody;
    try {
      outcome = await rotateApiKey();
    } finally {
      stack.arm.faults.clear();
    }
    expect(outcome.consumers).toMatchObject([{ state: "stale", version: outcome.newVersion }]);
    expect(stack.keyVault.store.get("demo-api-key").version.version).toBe(outcome.newVersion);
    expect(site.references.API_KEY?.activeVersion).toBe(before);
    const admin = (fn: string): Promise<Response> =>
      fetch(`${stack.host.url}/admin/functions/${fn}`, {
        method: "POST",
        headers: { "x-functions-key": stack.keys.masterKey, "content-type": "application/json" },
        body: "{}",
      });
    expect((await admin("complianceSweep")).status).toBe(202);
    const report = await fetch(`${stack.host.url}/api/compliance`, {
      headers: { "x-functions-key": stack.keys.functionKey },
    });
    const text = await report.text();
    expect(text).toMatch(
      /"secret":"demo-api-key"[^\n]*"consumers":\[\{"consumer":"site:local\/demo-web","kind":"site","version":"[0-9a-f]+","state":"stale"/,
    );
    const told = refreshes();
    expect((await admin("resumeRotations")).status).toBe(202);
    await until(
      "the consumer told again",
      () => (site.references.API_KEY?.activeVersion === outcome.newVersion ? true : undefined),
      10_000,
    );
    expect(refreshes() - told).toBe(1);
    expect((await admin("resumeRotations")).status).toBe(202);
    expect(refreshes() - told).toBe(1);
    expect(stack.keyVault.store.get("demo-api-key").version.version).toBe(outcome.newVersion);
  });

  it("rotates nothing on a duplicate delivery of the same event", async () => {
    const delivered = stack.eventGrid.deliveries.find(
      (d) => d.subject === "demo-postgres-app" && d.outcome === "delivered",
    );
    expect(delivered).toBeDefined();
    const event = stack.keyVault
      .eventsAfter(0)
      .map((e) => e.event)
      .find((e) => e.id === delivered?.eventId);
    await stack.eventGrid.idle();
    const before = stack.keyVault.store.versionsOf("demo-postgres-app").versions.length;
    // A delivery that meets another run's lease is answered 500 (busy) and retried, as Event Grid would.
    let status = 0;
    for (let attempt = 0; attempt < 10 && status !== 200; attempt += 1) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 300));
      const res = await fetch(stack.host.webhookUrl("secretNearExpiry"), {
        method: "POST",
        headers: { "content-type": "application/json", "aeg-event-type": "Notification" },
        body: JSON.stringify([event]),
      });
      status = res.status;
    }
    expect(status).toBe(200);
    expect(stack.keyVault.store.versionsOf("demo-postgres-app").versions.length).toBe(before);
  });

  it("keeps the audit events in .local/audit.jsonl and describes itself in stack.json", async () => {
    const audit = (await readFile(path.join(dir, "audit.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string });
    expect(audit.some((e) => e.type === "AkvRotator.SecretRotated")).toBe(true);
    const described = JSON.parse(await readFile(path.join(dir, "stack.json"), "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    expect(described.host).toMatchObject({ url: stack.host.url, functionKey: stack.keys.functionKey });
    expect(described.keyVault?.adminUrl).toBe(`${stack.keyVault.url}/_emulator`);
    expect(described.eventGrid?.adminUrl).toMatch(/\/_emulator$/);
    expect(described.postgres).toMatchObject({
      host: "127.0.0.1",
      port: stack.postgres.port,
      user: "postgres",
    });
    const allText = JSON.stringify(audit) + lines.join("\n");
    expect(allText).not.toContain(stack.keyVault.store.get("demo-postgres-app").version.value);
  });

  it("refuses hostile tags over HTTP: nothing reaches the listener, another team's key or application, nothing is staged", async () => {
    const kv = new SecretClient(stack.keyVault.url, new EmulatorCredential(), {
      tlsOptions: { ca: await readFile(stack.keyVault.caCertPath, "utf8") },
      disableChallengeResourceVerification: true,
    });
    const listener = await startInsecurePostgres("cleartext");
    try {
      const other = stack.arm.addStorageAccount("otherteam", "00000000-0000-0000-0000-000000000000", "other");
      const keys = { ...other.keys };
      const otherApp = stack.graph.addApplication("other-team");
      const graphCalls = stack.graph.requests.length;
      const cases: [string, Record<string, string>, number, string][] = [
        [
          "hx-exfil",
          {
            RotatorType: "postgres",
            ProviderAddress: `127.0.0.1:${listener.port}/hxdb`,
            CredentialId: "hx_user",
            AdminSecretName: "demo-postgres-app",
          },
          403,
          "BindingNotAllowed",
        ],
        [
          // The demo server is allowed; the admin secret is not: demo-postgres-app names no one in AkvRotatorAdminFor.
          "hx-borrow",
          {
            RotatorType: "postgres",
            ProviderAddress: `${stack.postgres.host}:${stack.postgres.port}`,
            CredentialId: "postgres",
            AdminSecretName: "demo-postgres-app",
          },
          403,
          "BindingNotAllowed",
        ],
        ["hx-storage", { ProviderAddress: other.id, CredentialId: "key1" }, 403, "BindingNotAllowed"],
        [
          "hx-entra",
          { RotatorType: "entra-app-secret", ProviderAddress: `applications/${otherApp.id}` },
          403,
          "BindingNotAllowed",
        ],
        [
          "hx-nul",
          {
            RotatorType: "postgres",
            ProviderAddress: `${stack.postgres.host}:${stack.postgres.port}`,
            CredentialId: "demo_app",
            DatabaseName: "postgres\u0000options\u0000-c default_transaction_read_only=on",
          },
          422,
          "MisconfiguredSecret",
        ],
      ];
      for (const [name, tags, status, code] of cases) {
        await kv.setSecret(name, `CANARY-${name}`, { tags });
        const res = await fetch(`${stack.host.url}/api/secrets/${name}/rotate`, {
          method: "POST",
          headers: { "x-functions-key": stack.keys.functionKey, "content-type": "application/json" },
          body: JSON.stringify({ force: true }),
        });
        const body = (await res.json()) as { outcome?: { error?: { code?: string } } };
        expect([name, res.status, body.outcome?.error?.code]).toEqual([name, status, code]);
        expect(stack.keyVault.store.versionsOf(name).versions).toHaveLength(1);
        await expect(kv.getSecret(pendingRecordName(name))).rejects.toMatchObject({ statusCode: 404 });
      }
      expect(listener.connections).toHaveLength(0);
      expect(other.keys).toEqual(keys);
      expect(stack.graph.requests.slice(graphCalls)).toEqual([]);
    } finally {
      await listener.stop();
    }
  });

  it("answers every ambiguous or malformed request with 4xx problem details and rotates nothing", async () => {
    const before = stack.keyVault.store.versionsOf("demo-api-key").versions.length;
    const send = (
      pathAndQuery: string,
      body: string | Buffer,
      contentType = "application/json",
    ): Promise<Response> =>
      fetch(`${stack.host.url}/api/secrets/${pathAndQuery}`, {
        method: "POST",
        headers: { "x-functions-key": stack.keys.functionKey, "content-type": contentType },
        body,
      });
    const answers: [string, number, string | null][] = [];
    for (const [what, res] of [
      ["duplicate body key", send("demo-api-key/rotate", '{"dryRun":true,"force":true,"dryRun":false}')],
      ["duplicate query key", send("demo-api-key/rotate?force=true&force=false", "")],
      ["query and body disagree", send("demo-api-key/rotate?dryRun=true", '{"dryRun":false,"force":true}')],
      ["text/plain", send("demo-api-key/rotate", '{"force":true}', "text/plain")],
      ["double decoding", send("%2564emo-api-key/rotate", '{"force":true}')],
      ["malformed escape", send("%zz/rotate", '{"force":true}')],
      ["10 MB body", send("demo-api-key/rotate", Buffer.alloc(10 * 1024 * 1024, 0x20))],
    ] as const) {
      const r = await res;
      answers.push([what, r.status, r.headers.get("content-type")]);
      expect(((await r.json()) as { status?: number }).status).toBe(r.status);
    }
    expect(answers).toEqual([
      ["duplicate body key", 400, "application/problem+json"],
      ["duplicate query key", 400, "application/problem+json"],
      ["query and body disagree", 400, "application/problem+json"],
      ["text/plain", 415, "application/problem+json"],
      ["double decoding", 400, "application/problem+json"],
      ["malformed escape", 400, "application/problem+json"],
      ["10 MB body", 413, "application/problem+json"],
    ]);
    const connectReply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(stack.host.url).port), "127.0.0.1", () =>
        socket.write("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
      );
      let text = "";
      socket.on("data", (d) => (text += d.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(connectReply).toMatch(/^HTTP\/1\.1 405 /);
    expect(stack.keyVault.store.versionsOf("demo-api-key").versions.length).toBe(before);
  });

  it("shows the demo vault's posture with two checks failing, in the report the sweep stores", async () => {
    const run = await fetch(`${stack.host.url}/admin/functions/complianceSweep`, {
      method: "POST",
      headers: { "x-functions-key": stack.keys.masterKey, "content-type": "application/json" },
      body: "{}",
    });
    expect(run.status).toBe(202);
    const res = await fetch(`${stack.host.url}/api/compliance`, {
      headers: { "x-functions-key": stack.keys.functionKey },
    });
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      posture: { vault: string; checks: { name: string; status: string }[] }[];
    };
    expect(report.posture.map((v) => v.vault)).toEqual(["demo"]);
    expect(report.posture[0]?.checks.filter((c) => c.status !== "pass").map((c) => c.name)).toEqual([
      "purge-protection",
      "public-network-disabled",
    ]);
  });

  it("keeps its state across a restart without seeding again, and names a port in use", async () => {
    const versions = stack.keyVault.store.versionsOf("demo-api-key").versions.length;
    const kvPort = Number(new URL(stack.keyVault.url).port);
    await stack.stop();
    stack = await startLocalStack({ dir, ports: ZERO, timeScale: 0.01, runTimers: false });
    expect(stack.seeded).toEqual([]);
    expect(stack.keyVault.store.versionsOf("demo-api-key").versions.length).toBe(versions);
    const blocker = stack.keyVault.url;
    await expect(
      startLocalStack({ dir: `${dir}-other`, ports: { ...ZERO, keyVault: Number(new URL(blocker).port) } }),
    ).rejects.toThrow(
      new RegExp(
        `port ${Number(new URL(blocker).port)} \\(keyVault\\) is in use: stop what holds it, or pass --keyvault-port N`,
      ),
    );
    expect(kvPort).toBeGreaterThan(0);
  });
});
