import type { RotatorApp } from "../../src/rotation/createEngine.js";
import type { RotationOutcome } from "../../src/rotation/rotationOutcome.js";
import type { RotationStack } from "./rotationStack.js";
import type { TargetFixtures } from "./targetFixtures.js";

/** What a tour expects: each secret and its outcome's status, in order. */
export const TOUR_EXPECTED = [
  "tour-pg:rotated",
  "tour-pg-wrong:failed",
  "tour-pg-norole:failed",
  "tour-pg-commit:failed",
  "tour-json:rotated",
  "tour-bad-json:failed",
  "tour-tags:failed",
  "tour-dry:skipped",
  "tour-outbox:rotated",
  "tour-commit:failed",
  "tour-sql:rotated",
  "tour-sql-wrong:failed",
  "tour-sql-admin:rotated",
  "tour-storage:rotated",
  "tour-cosmos:rotated",
  "tour-redis:rotated",
  "tour-entra:rotated",
  "tour-entra-foreign:failed",
];

/**
 * Rotations of every rotator through one engine, succeeding and failing in every way we can provoke
 * (wrong password, missing login, refused commit with the old value put back, bad JSON, bad tags, dry run,
 * topic down so events wait in the outbox, an Entra that refuses tokens). Every value starts with CANARY-
 * where the target lets us choose it. The leak canary and the telemetry test both run it.
 */
export async function rotateEveryRotator(
  stack: RotationStack,
  targets: TargetFixtures,
  app: RotatorApp,
  vault: string,
  /** Runs while the audit topic is down, with events waiting in the outbox (the canary reads them there). */
  whileTopicDown: () => Promise<void> = async () => undefined,
): Promise<RotationOutcome[]> {
  const { pg, sql, arm, graph } = targets;
  const outcomes: RotationOutcome[] = [];
  const run = async (secret: string, extra: object = {}): Promise<void> => {
    outcomes.push(await app.engine.rotate({ vault, secret, trigger: "http", force: true, ...extra }));
  };
  const pgTags = (role: string): Record<string, string> => ({
    RotatorType: "postgres",
    ProviderAddress: pg.address,
    CredentialId: role,
  });
  await pg.createRole("tour_ok", "CANARY-tour-pg-1");
  await stack.kv.setSecret("tour-pg", "CANARY-tour-pg-1", { tags: pgTags("tour_ok") });
  await run("tour-pg");
  await stack.kv.setSecret("tour-pg-wrong", "CANARY-tour-pgwrong-1", { tags: pgTags("tour_ok") });
  await run("tour-pg-wrong");
  await stack.kv.setSecret("tour-pg-norole", "CANARY-tour-pgnorole-1", { tags: pgTags("tour_ghost") });
  await run("tour-pg-norole");
  // Commit refused: the old password goes back on the role (its verifier travels too).
  await pg.createRole("tour_commit", "CANARY-tour-pgcommit-1");
  await stack.kv.setSecret("tour-pg-commit", "CANARY-tour-pgcommit-1", { tags: pgTags("tour_commit") });
  const refuse = (secretName: string): void =>
    stack.vault.emulator.faults.inject({
      operation: "setSecret",
      secretName,
      count: 10,
      status: 400,
      body: { error: { code: "BadParameter", message: "nope" } },
    });
  refuse("tour-pg-commit");
  await run("tour-pg-commit");

  await stack.kv.setSecret("tour-json", JSON.stringify({ password: "CANARY-tour-json-1" }), {
    contentType: "application/json",
    tags: { RotatorType: "random" },
  });
  await run("tour-json");
  await stack.kv.setSecret("tour-bad-json", "CANARY-tour-notjson-1", {
    contentType: "application/json",
    tags: { RotatorType: "random" },
  });
  await run("tour-bad-json");
  await stack.kv.setSecret("tour-tags", "CANARY-tour-tags-1", {
    tags: { RotatorType: "random", ValidityPeriodDays: "soon" },
  });
  await run("tour-tags");
  await stack.kv.setSecret("tour-dry", "CANARY-tour-dry-1", { tags: { RotatorType: "random" } });
  await run("tour-dry", { dryRun: true });
  stack.topic.setDown(true);
  await stack.kv.setSecret("tour-outbox", "CANARY-tour-outbox-1", { tags: { RotatorType: "random" } });
  await run("tour-outbox");
  await stack.kv.setSecret("tour-commit", "CANARY-tour-commit-1", { tags: { RotatorType: "random" } });
  refuse("tour-commit");
  await run("tour-commit");
  await whileTopicDown();
  stack.topic.setDown(false);

  sql.server.addLogin({ name: "tour_sql", password: "CANARY-tour-sql-1!" });
  const sqlTags = { RotatorType: "sql-login", ProviderAddress: sql.address(), CredentialId: "tour_sql" };
  await stack.kv.setSecret("tour-sql", "CANARY-tour-sql-1!", { tags: sqlTags });
  await run("tour-sql");
  await stack.kv.setSecret("tour-sql-wrong", "CANARY-tour-sqlwrong-1!", { tags: sqlTags });
  await run("tour-sql-wrong");
  sql.server.addLogin({ name: "tour_admin", password: "CANARY-tour-admin-1!", canAlterOthers: true });
  const server = arm.addSqlServer({
    name: "tour-sql-server",
    administratorLogin: "tour_admin",
    password: "CANARY-tour-admin-1!",
    fullyQualifiedDomainName: `127.0.0.1,${sql.server.port}`,
    onPasswordChange: (name, next) => sql.server.addLogin({ name, password: next, canAlterOthers: true }),
  });
  await stack.kv.setSecret("tour-sql-admin", "CANARY-tour-admin-1!", {
    tags: { RotatorType: "sql-admin", ProviderAddress: server.id },
  });
  await run("tour-sql-admin");
  const account = arm.addStorageAccount("tourstorage");
  await stack.kv.setSecret(
    "tour-storage",
    `AccountName=tourstorage;AccountKey=${account.keys.key1};EndpointSuffix=core.windows.net;Comment=CANARY-tour-storage-1`,
    {
      contentType: "application/x-connection-string",
      tags: { ProviderAddress: account.id, CredentialId: "key1" },
    },
  );
  await run("tour-storage");
  const cosmos = arm.addCosmosAccount("tourcosmos");
  await stack.kv.setSecret("tour-cosmos", Object.values(cosmos.keys)[0] as string, {
    tags: { ProviderAddress: cosmos.id, CredentialId: "primary" },
  });
  await run("tour-cosmos");
  const redis = arm.addRedisCache("tourredis");
  await stack.kv.setSecret("tour-redis", Object.values(redis.keys)[0] as string, {
    tags: { ProviderAddress: redis.id, CredentialId: "Primary" },
  });
  await run("tour-redis");
  const application = graph.addApplication("tour-app");
  const seed = graph.addPassword(application, "by hand");
  await stack.kv.setSecret("tour-entra", seed.secretText, {
    tags: { RotatorType: "entra-app-secret", ProviderAddress: `applications/${application.id}` },
  });
  await run("tour-entra");
  // A client secret Entra will not accept: the token request fails and its answer must not echo it.
  await stack.kv.setSecret("tour-entra-foreign", "CANARY-tour-entra-1", {
    tags: {
      RotatorType: "entra-app-secret",
      ProviderAddress: `applications/${graph.addApplication("x").id}`,
    },
  });
  graph.acceptTokens = false;
  await run("tour-entra-foreign");
  graph.acceptTokens = true;
  return outcomes;
}

/** Every value the vault holds or held (old and new, pending records too), and the credential inside each. */
export function vaultValues(stack: RotationStack): string[] {
  const values = new Set<string>();
  for (const secret of stack.vault.emulator.store.snapshot().secrets) {
    for (const v of secret.versions) {
      values.add(v.value);
      if (v.value.startsWith("{")) {
        try {
          const password = (JSON.parse(v.value) as { password?: unknown }).password;
          if (typeof password === "string") values.add(password);
        } catch {
          // Not JSON after all (the bad-JSON case): the raw value is already in.
        }
      }
      for (const m of v.value.matchAll(/AccountKey=([^;]+)/g)) values.add(m[1] as string);
    }
  }
  return [...values];
}
