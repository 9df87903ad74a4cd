import type { SecretClient } from "@azure/keyvault-secrets";
import pg from "pg";
import { randomBytes } from "node:crypto";
import type { ArmEmulator } from "../arm/armEmulator.js";
import type { GraphEmulator } from "../graph/graphEmulator.js";
import type { RunningPostgres } from "../postgres/startPostgres.js";

const DAY = 86_400_000;

/** The demo's targets in the ARM and Graph emulators: made on the first run, found again on later ones. */
export interface DemoTargets {
  storage: ReturnType<ArmEmulator["addStorageAccount"]>;
  app: ReturnType<GraphEmulator["addApplication"]>;
}

export function demoTargets(arm: ArmEmulator, graph: GraphEmulator): DemoTargets {
  const storageId =
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/demostorage";
  const found = arm.resources.get(storageId.toLowerCase());
  const storage =
    found?.kind === "storage" ? (found as DemoTargets["storage"]) : arm.addStorageAccount("demostorage");
  const app =
    [...graph.applications.values()].find((a) => a.displayName === "demo-app") ??
    graph.addApplication("demo-app");
  return { storage, app };
}

/**
 * What the demo allows secrets of its vault to be bound to (AKV_ROTATOR_ALLOWED_TARGETS), as an operator
 * would: its PostgreSQL server, its storage account and its Entra application, nothing else.
 */
export function demoAllowedTargets(postgres: RunningPostgres, targets: DemoTargets): string {
  return [
    `demo=${postgres.host}:${postgres.port}`,
    `demo=${targets.storage.id}`,
    `demo=applications/${targets.app.id}`,
  ].join(",");
}

/**
 * The demo secrets of the local stack's first run: a PostgreSQL login expiring tomorrow, an API key, a
 * storage account key and an Entra application's client secret expiring within days (all rotated within
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
      ValidityPeriodDays: "30",
    },
    expiresOn: new Date(now + DAY),
  });
  await kv.setSecret("demo-api-key", randomBytes(24).toString("base64url"), {
    tags: { RotatorType: "random", ValidityPeriodDays: "90" },
    expiresOn: new Date(now + 3 * DAY),
  });
  const { storage, app } = targets;
  await kv.setSecret("demo-storage-key", storage.keys.key1, {
    tags: { CredentialId: "key1", ProviderAddress: storage.id, ValidityPeriodDays: "30" },
    expiresOn: new Date(now + 2 * DAY),
  });
  const clientSecret = graph.addPassword(app, "created by hand");
  await kv.setSecret("demo-entra-app", clientSecret.secretText, {
    tags: {
      CredentialId: app.appId,
      ProviderAddress: `applications/${app.id}`,
      RotatorType: "entra-app-secret",
      ValidityPeriodDays: "30",
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
    "demo-entra-app",
    "demo-unmanaged",
    "demo-misconfigured",
  ];
}
