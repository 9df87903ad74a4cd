import type { SqlManagementClient } from "@azure/arm-sql";
import { RotationError, SecretTagError } from "../errors.js";
import { armClientOptions, armError, armTarget } from "./armClient.js";
import { formatResourceId, type ResourceId } from "./resourceId.js";
import type { CredentialChange, Rotator, RotatorContext, SecretTags } from "./rotator.js";
import { SQL_PASSWORD_POLICY, sqlTargetError, withSqlConnection, type SqlEndpoint } from "./sqlServer.js";
import { SQL_SERVER } from "./sqlTarget.js";
import { isLoopbackHost } from "./targetTags.js";

export interface SqlAdminTarget {
  server: ResourceId;
  /** The administrator login the secret is for, when a tag names it; ARM's view is checked against it. */
  login?: string;
}

async function client(target: SqlAdminTarget, ctx: RotatorContext): Promise<SqlManagementClient> {
  const { SqlManagementClient } = await import("@azure/arm-sql");
  return new SqlManagementClient(ctx.credential, target.server.subscriptionId, armClientOptions(ctx));
}

/** ARM's view of the server: its administrator login and where TDS reaches it (`host` or `host,port`). */
async function readServer(
  target: SqlAdminTarget,
  ctx: RotatorContext,
): Promise<{ login: string; endpoint: SqlEndpoint }> {
  const name = target.server.names[0] as string;
  const server = await (
    await client(target, ctx)
  ).servers
    .get(target.server.resourceGroup, name)
    .catch((error: unknown) => {
      throw armError(error, `reading SQL server '${name}'`);
    });
  const login = server.administratorLogin;
  if (!login)
    throw new RotationError("TargetNotFound", `SQL server '${name}' reports no administrator login`, false);
  if (target.login !== undefined && target.login.toLowerCase() !== login.toLowerCase())
    throw new RotationError(
      "TargetCredentialNotFound",
      `CredentialId names '${target.login}', but the administrator of '${name}' is '${login}'`,
      false,
    );
  const [host, port] = (server.fullyQualifiedDomainName ?? `${name}.database.windows.net`).split(",");
  return {
    login,
    endpoint: {
      host: host as string,
      port: port ? Number(port) : 1433,
      encrypt: !isLoopbackHost(host as string),
    },
  };
}

async function setPassword(
  target: SqlAdminTarget,
  password: string,
  ctx: RotatorContext,
  what: string,
): Promise<void> {
  await (
    await client(target, ctx)
  ).servers
    .beginUpdateAndWait(target.server.resourceGroup, target.server.names[0] as string, {
      administratorLoginPassword: password,
    })
    .catch((error: unknown) => {
      throw armError(error, what);
    });
}

/**
 * `sql-admin`: the administrator password of an Azure SQL logical server, set through ARM (`servers` update,
 * a long-running operation) and verified by logging in as the administrator over TDS.
 */
export const sqlAdminRotator: Rotator<SqlAdminTarget> = {
  type: "sql-admin",
  resourceTypes: [],
  passwordPolicy: SQL_PASSWORD_POLICY,
  needsCredentialId: false,
  supportsDual: false,
  parseTarget: (tags: SecretTags, secret: string) => {
    const server = armTarget(tags.ProviderAddress, secret, SQL_SERVER);
    const login = tags.CredentialId;
    if (login !== undefined && (login.length === 0 || login.length > 128))
      throw new SecretTagError(
        secret,
        "CredentialId",
        "must be the server administrator's login (1 to 128 characters)",
      );
    return { server, ...(login !== undefined ? { login } : {}) };
  },
  binding: (target) => ({ target: { kind: "arm", resourceId: formatResourceId(target.server) } }),
  preflight: async (target, _change, ctx) => {
    await readServer(target, ctx);
  },
  apply: (target, change: CredentialChange, ctx) =>
    setPassword(
      target,
      change.newValue,
      ctx,
      `setting the administrator password of '${target.server.names[0] as string}'`,
    ),
  verify: async (target, change, ctx) => {
    const { login, endpoint } = await readServer(target, ctx);
    await withSqlConnection(endpoint, { user: login, password: change.newValue }, ctx, (batch) =>
      batch("SELECT 1"),
    ).catch((error: unknown) => {
      throw sqlTargetError(error, `logging in as administrator '${login}' with the new password`);
    });
  },
  revert: async (target, change, ctx) => {
    if (change.currentValue === undefined) return;
    await setPassword(
      target,
      change.currentValue,
      ctx,
      `restoring the administrator password of '${target.server.names[0] as string}'`,
    );
  },
};
