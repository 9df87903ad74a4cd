import type { SecretClient } from "@azure/keyvault-secrets";
import pg from "pg";
import { randomBytes } from "node:crypto";
import type { ArmEmulator } from "../arm/armEmulator.js";
import type { GraphEmulator } from "../graph/graphEmulator.js";
import type { RunningPostgres } from "../postgres/startPostgres.js";
import { DEMO_CONSUMER } from "./demoConsumer.js";

const DAY = 86_400_000;
/**
 * Each rotated demo version lives this long: beyond Key Vault's 30-day near-expiry lead, so a new version
 * does not raise `SecretNearExpiry` (and a skipped rotation) at once.
 */
export const DEMO_VALIDITY_DAYS = 90;
const validity = String(DEMO_VALIDITY_DAYS);

/** The demo's targets in the ARM and Graph emulators: made on the first run, found again on later ones. */
export interface DemoTargets {
  storage: ReturnType<ArmEmulator["addStorageAccount"]>;
  cosmos: ReturnType<ArmEmulator["addCosmosAccount"]>;
  redis: ReturnType<ArmEmulator["addRedisCache"]>;
  app: ReturnType<GraphEmulator["addApplication"]>;
}

export function demoTargets(arm: ArmEmulator, graph: GraphEmulator): DemoTargets {
  const scope = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers";
  const existing = (id: string, kind: string): unknown => {
    const found = arm.resources.get(`${scope}/${id}`.toLowerCase());
    return found?.kind === kind ? found : undefined;
  };
  const storage =
    (existing("Microsoft.Storage/storageAccounts/demostorage", "storage") as
      DemoTargets["storage"] | undefined) ?? arm.addStorageAccount("demostorage");
  const cosmos =
    (existing("Microsoft.DocumentDB/databaseAccounts/democosmos", "cosmos") as
      DemoTargets["cosmos"] | undefined) ?? arm.addCosmosAccount("democosmos");
  const redis =
    (existing("Microsoft.Cache/redis/demoredis", "redis") as DemoTargets["redis"] | undefined) ??
    arm.addRedisCache("demoredis");
  const app =
    [...graph.applications.values()].find((a) => a.displayName === "demo-app") ??
    graph.addApplication("demo-app");
  return { storage, cosmos, redis, app };
}

/**
 * What the demo allows secrets of its vault to be bound to (AKV_ROTATOR_ALLOWED_TARGETS), as an operator
 * would: its PostgreSQL server, the resource group of its storage, Cosmos DB and Redis resources, and its Entra
 * application, nothing else.
 */
export function demoAllowedTargets(postgres: RunningPostgres, targets: DemoTargets): string {
  return [
    `demo=${postgres.host}:${postgres.port}`,
    // The resource group of its storage, Cosmos DB and Redis resources (where the ARM emulator's admin
    // endpoint adds more); other resource groups stay refused.
    `demo=${targets.storage.id.slice(0, targets.storage.id.indexOf("/providers/"))}`,
    `demo=applications/${targets.app.id}`,
  ].join(",");
}

/**
 * The demo secrets of the local stack's first run: a PostgreSQL login expiring tomorrow, an API key (read by
 * the demo consumer web app), a
 * storage account key, a Cosmos DB account key, a Redis cache key and an Entra application's client secret
 * expiring within days (all rotated within
 * seconds of start, through Key Vault's near-expiry event), an unmanaged secret (reported, never touched)
 * and a misconfigured one (its rotation fails, audited).
 */
export async function seedDemoSecrets(
  kv: SecretClient,
  postgres: RunningPostgres,
  graph: GraphEmulator,
  targets: DemoTargets,
): Promise<string[]> {
  const appPassword = `Demo-${randomBytes(12).toString("base64url")}`;
  const client = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.user,
    password: postgres.password,
    database: "postgres",
  });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = 'demo_app'");
    const verb = exists.rowCount ? "ALTER" : "CREATE";
    await client.query(`${verb} ROLE demo_app WITH LOGIN PASSWORD ${pg.escapeLiteral(appPassword)}`);
  } finally {
    await client.end();
  }
  const now = Date.now();
  await kv.setSecret("demo-postgres-app", appPassword, {
    tags: {
      CredentialId: "demo_app",
      ProviderAddress: `${postgres.host}:${postgres.port}/postgres`,
      RotatorType: "postgres",
      ValidityPeriodDays: validity,
    },
    expiresOn: new Date(now + DAY),
  });
  await kv.setSecret("demo-api-key", randomBytes(24).toString("base64url"), {
    // Read by the demo consumer (demoConsumer.ts): told of each new version right after the commit.
    tags: { RotatorType: "random", ValidityPeriodDays: validity, Consumers: DEMO_CONSUMER.consumer },
    expiresOn: new Date(now + 3 * DAY),
  });
  const { storage, cosmos, redis, app } = targets;
  await kv.setSecret("demo-storage-key", storage.keys.key1, {
    tags: { CredentialId: "key1", ProviderAddress: storage.id, ValidityPeriodDays: validity },
    expiresOn: new Date(now + 2 * DAY),
  });
  await kv.setSecret("demo-cosmos-key", cosmos.keys.primaryMasterKey, {
    tags: { CredentialId: "primary", ProviderAddress: cosmos.id, ValidityPeriodDays: validity },
    expiresOn: new Date(now + 2 * DAY),
  });
  await kv.setSecret("demo-redis-key", redis.keys.primaryKey, {
    tags: { CredentialId: "Primary", ProviderAddress: redis.id, ValidityPeriodDays: validity },
    expiresOn: new Date(now + 2 * DAY),
  });
  const clientSecret = graph.addPassword(app, "created by hand");
  await kv.setSecret("demo-entra-app", clientSecret.secretText, {
    tags: {
      CredentialId: app.appId,
      ProviderAddress: `applications/${app.id}`,
      RotatorType: "entra-app-secret",
      ValidityPeriodDays: validity,
      GracePeriodDays: "1",
    },
    expiresOn: new Date(now + 2 * DAY),
  });
  await kv.setSecret("demo-unmanaged", "not rotated by akv-rotator", {
    expiresOn: new Date(now + 200 * DAY),
  });
  await kv.setSecret("demo-misconfigured", randomBytes(12).toString("base64url"), {
    tags: { ProviderAddress: "demo-db.example.com:5432", CredentialId: "app" },
    expiresOn: new Date(now + 2 * DAY),
  });
  return [
    "demo-postgres-app",
    "demo-api-key",
    "demo-storage-key",
    "demo-cosmos-key",
    "demo-redis-key",
    "demo-entra-app",
    "demo-unmanaged",
    "demo-misconfigured",
  ];
}
