import type { SecretClient } from "@azure/keyvault-secrets";
import type { PostgresFixture } from "../helpers/postgresFixture.js";
import type { SqlFixture } from "../helpers/sqlFixture.js";
import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import type { GraphEmulator } from "../../local/graph/graphEmulator.js";

/** A secret arranged for rotation, and how to tell whether the target accepts a value of it. */
export interface ArrangedSecret {
  secret: string;
  version: string;
  /** Does the target accept this stored value (the whole value, JSON or bare) for this credential? */
  accepts(storedValue: string, credentialId: string): Promise<boolean>;
  dual: boolean;
  /** Credentials the provider issued for rotations (the rotation ids in their names), where it issues them. */
  issued?(): Promise<string[]>;
}

export interface Scenario {
  name: string;
  /** App settings the engine needs for this target (ARM_ENDPOINT, GRAPH_ENDPOINT). */
  env?: Record<string, string>;
  arrange(kv: SecretClient, id: string): Promise<ArrangedSecret>;
}

export function postgresScenarios(pg: PostgresFixture): Scenario[] {
  const accepts = async (value: string, role: string): Promise<boolean> => {
    // Generated passwords may start with "{" too: only a JSON object with a password field is JSON here.
    let password = value;
    try {
      const parsed = JSON.parse(value) as { password?: unknown };
      if (typeof parsed.password === "string") password = parsed.password;
    } catch {
      password = value;
    }
    return pg.canLogin(role, password);
  };

  return [
    {
      name: "postgres single",
      arrange: async (kv, id) => {
        const role = `single_${id}`;
        await pg.createRole(role, `CANARY-${id}-old`);
        const set = await kv.setSecret(`pg-single-${id}`, `CANARY-${id}-old`, {
          tags: { CredentialId: role, ProviderAddress: pg.address, RotatorType: "postgres" },
          expiresOn: new Date(Date.now() + 5 * 86_400_000),
        });
        return { secret: set.name, version: set.properties.version as string, accepts, dual: false };
      },
    },
    {
      name: "postgres dual",
      arrange: async (kv, id) => {
        const [a, b, admin] = [`a_${id}`, `b_${id}`, `admin_${id}`];
        await pg.createRole(admin, `CANARY-${id}-admin`, "CREATEROLE");
        await pg.createRole(a, `CANARY-${id}-a`);
        await pg.createRole(b, `CANARY-${id}-b`);
        await pg.sql(`GRANT ${a}, ${b} TO ${admin} WITH ADMIN OPTION`);
        await kv.setSecret(`pg-admin-${id}`, `CANARY-${id}-admin`, {
          tags: { CredentialId: admin, AkvRotatorAdminFor: `pg-dual-${id}` },
        });
        const set = await kv.setSecret(
          `pg-dual-${id}`,
          JSON.stringify({ username: a, password: `CANARY-${id}-a` }),
          {
            contentType: "application/json",
            tags: {
              CredentialId: a,
              AlternateCredentialId: b,
              ProviderAddress: pg.address,
              RotatorType: "postgres",
              AdminSecretName: `pg-admin-${id}`,
            },
            expiresOn: new Date(Date.now() + 5 * 86_400_000),
          },
        );
        return { secret: set.name, version: set.properties.version as string, accepts, dual: true };
      },
    },
  ];
}

export const randomScenario: Scenario = {
  name: "random",
  arrange: async (kv, id) => {
    const set = await kv.setSecret(`api-key-${id}`, `CANARY-${id}-apikey`, {
      tags: { RotatorType: "random" },
      expiresOn: new Date(Date.now() + 5 * 86_400_000),
    });
    // No external target: any value the app itself stores is the credential.
    return {
      secret: set.name,
      version: set.properties.version as string,
      accepts: async (v) => v.length > 0,
      dual: false,
    };
  },
};

export function sqlScenarios(sqlfx: SqlFixture): Scenario[] {
  const accepts = async (value: string, login: string): Promise<boolean> => sqlfx.canLogin(login, value);
  return [
    {
      name: "sql-login single",
      arrange: async (kv, id) => {
        const login = `single_${id}`;
        sqlfx.server.addLogin({ name: login, password: `CANARY-${id}-Old1` });
        const set = await kv.setSecret(`sql-single-${id}`, `CANARY-${id}-Old1`, {
          tags: { CredentialId: login, ProviderAddress: sqlfx.address(), RotatorType: "sql-login" },
          expiresOn: new Date(Date.now() + 5 * 86_400_000),
        });
        return { secret: set.name, version: set.properties.version as string, accepts, dual: false };
      },
    },
    {
      name: "sql-login dual",
      arrange: async (kv, id) => {
        const [a, b, admin] = [`a_${id}`, `b_${id}`, `admin_${id}`];
        sqlfx.server.addLogin({ name: admin, password: `CANARY-${id}-Admin1`, canAlterOthers: true });
        sqlfx.server.addLogin({ name: a, password: `CANARY-${id}-A1` });
        sqlfx.server.addLogin({ name: b, password: `CANARY-${id}-B1` });
        await kv.setSecret(`sql-admin-${id}`, `CANARY-${id}-Admin1`, {
          tags: { CredentialId: admin, AkvRotatorAdminFor: `sql-dual-${id}` },
        });
        const set = await kv.setSecret(`sql-dual-${id}`, `CANARY-${id}-A1`, {
          tags: {
            CredentialId: a,
            AlternateCredentialId: b,
            ProviderAddress: sqlfx.address(),
            RotatorType: "sql-login",
            AdminSecretName: `sql-admin-${id}`,
          },
          expiresOn: new Date(Date.now() + 5 * 86_400_000),
        });
        return { secret: set.name, version: set.properties.version as string, accepts, dual: true };
      },
    },
  ];
}

export function sqlAdminScenario(arm: ArmEmulator, sqlfx: SqlFixture): Scenario {
  return {
    name: "sql-admin",
    env: { ARM_ENDPOINT: arm.url },
    arrange: async (kv, id) => {
      const login = `admin_${id}`;
      sqlfx.server.addLogin({ name: login, password: `CANARY-${id}-Adm1`, canAlterOthers: true });
      const server = arm.addSqlServer({
        name: `sql-${id}`.toLowerCase(),
        administratorLogin: login,
        password: `CANARY-${id}-Adm1`,
        fullyQualifiedDomainName: `127.0.0.1,${sqlfx.server.port}`,
        onPasswordChange: (name, next) =>
          sqlfx.server.addLogin({ name, password: next, canAlterOthers: true }),
      });
      const set = await kv.setSecret(`sql-admin-pw-${id}`, `CANARY-${id}-Adm1`, {
        tags: { ProviderAddress: server.id, RotatorType: "sql-admin", CredentialId: login },
        expiresOn: new Date(Date.now() + 5 * 86_400_000),
      });
      return {
        secret: set.name,
        version: set.properties.version as string,
        accepts: async (value) => sqlfx.canLogin(login, value),
        dual: false,
      };
    },
  };
}

/** A storage, Cosmos DB or Redis key pair in the ARM emulator; a consumer's value works while ARM holds it. */
export function keyScenario(arm: ArmEmulator, kind: "storage" | "cosmos" | "redis"): Scenario {
  return {
    name: `${kind}-key`,
    env: { ARM_ENDPOINT: arm.url },
    arrange: async (kv, id) => {
      const name = `${kind}${id}`.toLowerCase();
      const resource =
        kind === "storage"
          ? arm.addStorageAccount(name)
          : kind === "cosmos"
            ? arm.addCosmosAccount(name)
            : arm.addRedisCache(name);
      const keys = resource.keys as Record<string, string>;
      const [credentialId, first] =
        kind === "storage"
          ? ["key1", keys.key1]
          : kind === "cosmos"
            ? ["Primary", keys.primaryMasterKey]
            : ["Primary", keys.primaryKey];
      const set = await kv.setSecret(`${kind}-key-${id}`, first as string, {
        tags: { ProviderAddress: resource.id, CredentialId: credentialId as string },
        expiresOn: new Date(Date.now() + 5 * 86_400_000),
      });
      return {
        secret: set.name,
        version: set.properties.version as string,
        accepts: async (value) => Object.values(resource.keys as Record<string, string>).includes(value),
        dual: true,
      };
    },
  };
}

/** An Entra application whose client secret the vault holds; a consumer's secret works while Entra accepts it. */
export function entraScenario(graph: GraphEmulator): Scenario {
  return {
    name: "entra-app-secret",
    env: { GRAPH_ENDPOINT: graph.url, ENTRA_AUTHORITY_HOST: graph.url },
    arrange: async (kv, id) => {
      const app = graph.addApplication(`crash-${id}`);
      const seed = graph.addPassword(app, `akv-rotator arranged-${id}`);
      const set = await kv.setSecret(`entra-${id}`, seed.secretText, {
        tags: {
          ProviderAddress: `applications/${app.id}`,
          RotatorType: "entra-app-secret",
          CredentialId: app.appId,
          // A grace period keeps the arranged secret: only the orphan rule may remove a crashed run's secret.
          GracePeriodDays: "7",
          RotationId: `arranged-${id}`,
          RotatedAt: new Date(Date.now() - 86_400_000).toISOString(),
        },
        expiresOn: new Date(Date.now() + 5 * 86_400_000),
      });
      return {
        secret: set.name,
        version: set.properties.version as string,
        accepts: async (value) => graph.accepts(app.appId, value),
        issued: async () =>
          app.passwordCredentials
            .map((p) => p.displayName ?? "")
            .filter((n) => n.startsWith("akv-rotator ") && n !== `akv-rotator arranged-${id}`)
            .map((n) => n.slice("akv-rotator ".length)),
        // Consumers hold the latest version: its secret must keep working throughout.
        dual: true,
      };
    },
  };
}
