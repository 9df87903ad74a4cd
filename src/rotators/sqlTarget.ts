import { SecretTagError } from "../errors.js";
import { formatResourceId, parseResourceId } from "./resourceId.js";
import type { SecretTags } from "./rotator.js";
import type { SqlEndpoint } from "./sqlServer.js";
import { adminSecretTag, loginNameTag, parseHostAddress } from "./targetTags.js";

/** Who changes the password: the login itself, an admin login kept in the vault, or the app's Entra identity. */
export type SqlAdmin = { kind: "self" } | { kind: "secret"; secretName: string } | { kind: "entra" };

export interface SqlLoginTarget {
  endpoint: SqlEndpoint;
  /** The server's (or database's) resource ID when ProviderAddress names one: what the binding is to. */
  resourceId?: string;
  /** Set when ProviderAddress names a database: the logins are contained users of it. */
  containedIn?: string;
  /** Where a server login proves its new password (`DatabaseName`, default master). */
  verifyDatabase?: string;
  login: string;
  alternateLogin?: string;
  admin: SqlAdmin;
}

export const SQL_SERVER = "Microsoft.Sql/servers";

// sysname: QUOTENAME refuses (returns NULL for) anything longer than 128 characters.
const SYSNAME = { max: 128, unit: "characters", what: "a SQL Server login or user name" } as const;

/** Reads a SQL login's target from its tags: the server (resource ID or host[:port][/database]), logins and admin. */
export function parseSqlLoginTarget(tags: SecretTags, secret: string): SqlLoginTarget {
  const address = tags.ProviderAddress;
  if (!address)
    throw new SecretTagError(
      secret,
      "ProviderAddress",
      `is required: a ${SQL_SERVER} resource ID (optionally /databases/<db>) or host[:port][/database]`,
    );
  let endpoint: SqlEndpoint;
  let resourceId: string | undefined;
  if (address.startsWith("/")) {
    const id = parseResourceId(address);
    if (!id || !(id.resourceType === SQL_SERVER || id.resourceType === `${SQL_SERVER}/databases`))
      throw new SecretTagError(
        secret,
        "ProviderAddress",
        `must be the full resource ID of a ${SQL_SERVER} (or one of its databases)`,
      );
    endpoint = {
      host: `${id.names[0] as string}.database.windows.net`,
      port: 1433,
      ...(id.names[1] ? { database: id.names[1] } : {}),
      encrypt: true,
    };
    resourceId = formatResourceId(id);
  } else {
    const parsed = parseHostAddress(address, secret, "a resource ID or host[:port][/database]");
    endpoint = {
      host: parsed.host,
      port: parsed.port ?? 1433,
      ...(parsed.database ? { database: parsed.database } : {}),
      encrypt: !parsed.loopback,
    };
  }
  const login = loginNameTag(tags, secret, "CredentialId", SYSNAME);
  if (!login)
    throw new SecretTagError(
      secret,
      "CredentialId",
      "is required: the SQL login (or contained user) whose password this secret holds; for the server administrator use RotatorType sql-admin",
    );
  const alternateLogin = loginNameTag(tags, secret, "AlternateCredentialId", SYSNAME);
  if (alternateLogin !== undefined && alternateLogin.toLowerCase() === login.toLowerCase())
    throw new SecretTagError(
      secret,
      "AlternateCredentialId",
      "must name a different login than CredentialId",
    );

  const adminSecret = adminSecretTag(tags, secret);
  const adminAuth = tags.AdminAuth;
  if (adminAuth !== undefined && adminAuth !== "entra")
    throw new SecretTagError(
      secret,
      "AdminAuth",
      `must be 'entra' (the app's identity), got '${adminAuth.slice(0, 32)}'`,
    );
  if (adminAuth && adminSecret)
    throw new SecretTagError(secret, "AdminAuth", "and AdminSecretName both name an admin: keep one");
  const admin: SqlAdmin = adminSecret
    ? { kind: "secret", secretName: adminSecret }
    : adminAuth
      ? { kind: "entra" }
      : { kind: "self" };
  if (alternateLogin !== undefined && admin.kind === "self")
    throw new SecretTagError(
      secret,
      "AlternateCredentialId",
      "needs an admin (AdminSecretName or AdminAuth=entra): a SQL login cannot change another login's password",
    );
  const verifyDatabase = tags.DatabaseName;
  if (verifyDatabase !== undefined && (verifyDatabase.length === 0 || verifyDatabase.length > 128))
    throw new SecretTagError(secret, "DatabaseName", "must be a database name of 1 to 128 characters");
  if (verifyDatabase !== undefined && endpoint.database)
    throw new SecretTagError(
      secret,
      "DatabaseName",
      "is for server logins; ProviderAddress already names a database",
    );
  return {
    endpoint,
    ...(resourceId ? { resourceId } : {}),
    ...(endpoint.database ? { containedIn: endpoint.database } : {}),
    ...(verifyDatabase !== undefined ? { verifyDatabase } : {}),
    login,
    ...(alternateLogin !== undefined ? { alternateLogin } : {}),
    admin,
  };
}
