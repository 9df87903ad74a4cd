import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArmEmulator } from "../local/arm/armEmulator.js";
import type { GraphEmulator } from "../local/graph/graphEmulator.js";
import type { PostgresFixture } from "./helpers/postgresFixture.js";
import type { SqlFixture } from "./helpers/sqlFixture.js";
import { startTargetFixtures, type TargetFixtures } from "./helpers/targetFixtures.js";
import { startRotationStack, type RotationStack } from "./helpers/rotationStack.js";
import type { RotationOutcome } from "../src/rotation/rotationOutcome.js";
import type { RotatorApp } from "../src/rotation/createEngine.js";
import { pendingRecordName } from "../src/vault/pendingRecord.js";

let stack: RotationStack;
let targets: TargetFixtures;
let pgfx: PostgresFixture;
let sqlfx: SqlFixture;
let arm: ArmEmulator;
let graph: GraphEmulator;
beforeAll(async () => {
  [stack, targets] = await Promise.all([startRotationStack({ vaultName: "leaks" }), startTargetFixtures()]);
  ({ pg: pgfx, sql: sqlfx, arm, graph } = targets);
});
afterAll(async () => {
  await Promise.all([stack?.stop(), targets?.stop()]);
});
/** Scans every trace the runs left outside Key Vault for every value the vault holds, old or new. */
async function assertNoLeak(app: RotatorApp, outcomes: RotationOutcome[], minValues: number): Promise<void> {
  const outbox: string[] = [];
  for await (const blob of app.container.listBlobsFlat({ prefix: "outbox/" })) {
    outbox.push((await app.container.getBlobClient(blob.name).downloadToBuffer()).toString("utf8"));
  }
  const captured = [
    ...stack.logger.lines,
    ...outcomes.map((o) => JSON.stringify(o)),
    ...stack.topic.events.map((e) => JSON.stringify(e)),
    ...outbox,
  ].join("\n");
  const values = new Set<string>();
  for (const secret of stack.vault.emulator.store.snapshot().secrets) {
    for (const v of secret.versions) {
      values.add(v.value);
      if (v.contentType === "application/json" && v.value.startsWith("{"))
        values.add((JSON.parse(v.value) as { password: string }).password);
      for (const m of v.value.matchAll(/AccountKey=([^;]+)/g)) values.add(m[1] as string);
    }
  }
  expect(values.size).toBeGreaterThanOrEqual(minValues);
  expect([...values].some((v) => v.startsWith("CANARY-"))).toBe(true);
  for (const value of values)
    expect(captured.includes(value), `a secret value leaked: ${value.slice(0, 3)}…`).toBe(false);
  expect(captured).not.toContain("CANARY");
}

/**
 * The leak canary: run rotations that succeed, fail in every way we can provoke, and wait in the outbox,
 * then scan everything they left outside Key Vault (log lines, outcomes, error messages, audit events,
 * outbox blobs) for any secret value the vault holds, old or new, and for the canary marker.
 */
describe("no secret value leaves Key Vault", () => {
  it("appears in no log line, outcome, error, audit event or outbox blob", async () => {
    const app = await stack.app();
    const outcomes: RotationOutcome[] = [];
    const run = async (secret: string, extra: object = {}): Promise<void> => {
      outcomes.push(
        await app.engine.rotate({ vault: "leaks", secret, trigger: "http", force: true, ...extra }),
      );
    };
    await pgfx.createRole("leak_ok", "CANARY-leak-ok-1");
    await stack.kv.setSecret("leak-ok", "CANARY-leak-ok-1", {
      tags: { RotatorType: "postgres", ProviderAddress: pgfx.address, CredentialId: "leak_ok" },
    });
    await run("leak-ok");
    await stack.kv.setSecret("leak-wrong-password", "CANARY-leak-wrong-1", {
      tags: { RotatorType: "postgres", ProviderAddress: pgfx.address, CredentialId: "leak_ok" },
    });
    await run("leak-wrong-password");
    await stack.kv.setSecret("leak-no-role", "CANARY-leak-norole-1", {
      tags: { RotatorType: "postgres", ProviderAddress: pgfx.address, CredentialId: "ghost" },
    });
    await run("leak-no-role");
    await stack.kv.setSecret("leak-json", JSON.stringify({ password: "CANARY-leak-json-1" }), {
      contentType: "application/json",
      tags: { RotatorType: "random" },
    });
    await run("leak-json");
    await stack.kv.setSecret("leak-bad-json", "CANARY-leak-notjson-1", {
      contentType: "application/json",
      tags: { RotatorType: "random" },
    });
    await run("leak-bad-json");
    await stack.kv.setSecret("leak-tags", "CANARY-leak-tags-1", {
      tags: { RotatorType: "random", ValidityPeriodDays: "soon" },
    });
    await run("leak-tags");
    await stack.kv.setSecret("leak-dry", "CANARY-leak-dry-1", { tags: { RotatorType: "random" } });
    await run("leak-dry", { dryRun: true });
    stack.topic.setDown(true);
    await stack.kv.setSecret("leak-outbox", "CANARY-leak-outbox-1", { tags: { RotatorType: "random" } });
    await run("leak-outbox");
    await stack.kv.setSecret("leak-commit", "CANARY-leak-commit-1", { tags: { RotatorType: "random" } });
    stack.vault.emulator.faults.inject({
      operation: "setSecret",
      secretName: "leak-commit",
      count: 10,
      status: 400,
      body: { error: { code: "BadParameter", message: "nope" } },
    });
    await run("leak-commit");
    stack.topic.setDown(false);

    expect(outcomes.map((o) => o.status)).toEqual([
      "rotated",
      "failed",
      "failed",
      "rotated",
      "failed",
      "failed",
      "skipped",
      "rotated",
      "failed",
    ]);

    let outboxBlobs = 0;
    for await (const _ of app.container.listBlobsFlat({ prefix: "outbox/" })) outboxBlobs += 1;
    expect(outboxBlobs).toBeGreaterThan(0);
    await assertNoLeak(app, outcomes, 12);
    expect(
      stack.vault.emulator.store.snapshot().secrets.some((s) => s.name === pendingRecordName("leak-ok")),
    ).toBe(true);
  });

  it("nor from SQL Server, ARM key and Entra targets, whether they rotate or fail", async () => {
    const app = await stack.app({ env: targets.env });
    const outcomes: RotationOutcome[] = [];
    const run = async (secret: string): Promise<void> => {
      outcomes.push(await app.engine.rotate({ vault: "leaks", secret, trigger: "http", force: true }));
    };
    sqlfx.server.addLogin({ name: "leak_sql", password: "CANARY-leak-sql-1!" });
    const sqlTags = { RotatorType: "sql-login", ProviderAddress: sqlfx.address(), CredentialId: "leak_sql" };
    await stack.kv.setSecret("leak-sql", "CANARY-leak-sql-1!", { tags: sqlTags });
    await run("leak-sql");
    await stack.kv.setSecret("leak-sql-wrong", "CANARY-leak-sqlwrong-1!", { tags: sqlTags });
    await run("leak-sql-wrong");
    sqlfx.server.addLogin({ name: "leak_admin", password: "CANARY-leak-admin-1!", canAlterOthers: true });
    const server = arm.addSqlServer({
      name: "leak-sql-server",
      administratorLogin: "leak_admin",
      password: "CANARY-leak-admin-1!",
      fullyQualifiedDomainName: `127.0.0.1,${sqlfx.server.port}`,
      onPasswordChange: (name, next) => sqlfx.server.addLogin({ name, password: next, canAlterOthers: true }),
    });
    await stack.kv.setSecret("leak-sql-admin", "CANARY-leak-admin-1!", {
      tags: { RotatorType: "sql-admin", ProviderAddress: server.id },
    });
    await run("leak-sql-admin");
    const account = arm.addStorageAccount("leakstorage");
    await stack.kv.setSecret(
      "leak-storage",
      `AccountName=leakstorage;AccountKey=${account.keys.key1};EndpointSuffix=core.windows.net;Comment=CANARY-leak-storage-1`,
      {
        contentType: "application/x-connection-string",
        tags: { ProviderAddress: account.id, CredentialId: "key1" },
      },
    );
    await run("leak-storage");
    const application = graph.addApplication("leak-app");
    const seed = graph.addPassword(application, "by hand");
    await stack.kv.setSecret("leak-entra", seed.secretText, {
      tags: { RotatorType: "entra-app-secret", ProviderAddress: `applications/${application.id}` },
    });
    await run("leak-entra");
    // A client secret Entra will not accept: the token request fails and its answer must not echo it.
    await stack.kv.setSecret("leak-entra-foreign", "CANARY-leak-entra-1", {
      tags: {
        RotatorType: "entra-app-secret",
        ProviderAddress: `applications/${graph.addApplication("x").id}`,
      },
    });
    graph.acceptTokens = false;
    await run("leak-entra-foreign");
    graph.acceptTokens = true;

    expect(outcomes.map((o) => `${o.secret}:${o.status}`)).toEqual([
      "leak-sql:rotated",
      "leak-sql-wrong:failed",
      "leak-sql-admin:rotated",
      "leak-storage:rotated",
      "leak-entra:rotated",
      "leak-entra-foreign:failed",
    ]);
    await assertNoLeak(app, outcomes, 10);
  });
});
