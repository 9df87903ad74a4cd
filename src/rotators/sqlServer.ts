import type mssql from "mssql";
import { RotationError } from "../errors.js";
import type { PasswordPolicy } from "../rotation/passwordPolicy.js";
import type { RotatorContext } from "./rotator.js";
import { tlsOnlyConnector } from "./sqlTlsGuard.js";

/** Where a SQL Server (or Azure SQL) database is reached. */
export interface SqlEndpoint {
  host: string;
  port: number;
  /** The database to log in to; contained users authenticate in their own database. */
  database?: string;
  /** TLS with certificate and host name checks: always for Azure SQL and remote hosts, off on loopback. */
  encrypt: boolean;
}

/** SQL Server's CHECK_POLICY wants three of four classes; connection strings choke on ; ' " { } =. */
export const SQL_PASSWORD_POLICY: PasswordPolicy = {
  length: 32,
  require: ["lower", "upper", "digit", "symbol"],
  exclude: ";'\"{}=",
};

export type SqlAuth = { user: string; password: string } | { token: string };

type MssqlModule = typeof mssql;
let mssqlModule: Promise<MssqlModule> | undefined;
/** `mssql` (and tedious) load on the first SQL rotation, not when the app starts (cold start). */
function loadMssql(): Promise<MssqlModule> {
  mssqlModule ??= import("mssql").then((m) => m.default);
  return mssqlModule;
}

/** The Entra token Azure SQL accepts for the app's identity. */
export async function sqlAccessToken(ctx: RotatorContext): Promise<string> {
  const token = await ctx.credential.getToken("https://database.windows.net/.default");
  if (!token) throw new RotationError("TargetAuthenticationFailed", "no Entra token for Azure SQL", true);
  return token.token;
}

/** `QUOTENAME`: brackets, with `]` doubled. Names are sysname: 1 to 128 characters. */
export function quoteName(name: string): string {
  return `[${name.replaceAll("]", "]]")}]`;
}

/** A Unicode string literal, `N'…'`, with `'` doubled: the only way a password enters a statement. */
export function quoteLiteral(value: string): string {
  return `N'${value.replaceAll("'", "''")}'`;
}

export function isLoginFailure(error: unknown): boolean {
  return (error as { code?: string }).code === "ELOGIN";
}

const KNOWN_NUMBERS = new Set([15151, 15115, 15116, 15118, 18456, 4060]);

/**
 * Maps an mssql error to a RotationError. Only SQL Server's messages for known errors are kept: others
 * (a syntax error quotes the text near it) are reduced to their number, so no statement text can leak.
 */
export function sqlTargetError(error: unknown, what: string): RotationError {
  if (error instanceof RotationError) return error;
  const e = error as { code?: string; number?: number; message?: string };
  const server =
    e.number !== undefined
      ? KNOWN_NUMBERS.has(e.number)
        ? `${e.message ?? ""} (error ${e.number})`
        : `SQL Server error ${e.number}`
      : undefined;
  if (e.code === "ELOGIN")
    return new RotationError("TargetAuthenticationFailed", `${what}: ${e.message ?? "login failed"}`, false, {
      cause: error,
    });
  if (e.number === 15151)
    return new RotationError("TargetPermissionDenied", `${what}: ${server}`, false, { cause: error });
  if (e.number === 15115 || e.number === 15116 || e.number === 15118)
    return new RotationError("TargetPasswordPolicy", `${what}: ${server}`, false, { cause: error });
  if (server) return new RotationError("TargetRejected", `${what}: ${server}`, false, { cause: error });
  return new RotationError(
    "TargetUnreachable",
    `${what}: ${e.code ?? ""} ${e.message ?? String(error)}`,
    true,
    {
      cause: error,
    },
  );
}

/**
 * Opens one connection, runs `fn` with a batch runner, and closes it whatever happens. With `encrypt` the
 * connection is TLS with the certificate and host name checked, and a server that declines encryption gets
 * no login (tlsOnlyConnector): a refused connection fails as TargetInsecureConnection, not retried.
 */
export async function withSqlConnection<T>(
  endpoint: SqlEndpoint,
  auth: SqlAuth,
  ctx: RotatorContext,
  fn: (
    batch: (statement: string) => Promise<void>,
    scalar: (query: string) => Promise<unknown>,
  ) => Promise<T>,
): Promise<T> {
  const sql = await loadMssql();
  const ca = ctx.azure.clientOptions.tlsOptions?.ca;
  const tlsOnly = endpoint.encrypt ? tlsOnlyConnector(endpoint.host, endpoint.port) : undefined;
  const pool = new sql.ConnectionPool({
    server: endpoint.host,
    port: endpoint.port,
    ...(endpoint.database ? { database: endpoint.database } : {}),
    ...("token" in auth
      ? { authentication: { type: "azure-active-directory-access-token", options: { token: auth.token } } }
      : { user: auth.user, password: auth.password }),
    options: {
      encrypt: endpoint.encrypt,
      trustServerCertificate: false,
      appName: "akv-rotator",
      ...(ca ? { cryptoCredentialsDetails: { ca } } : {}),
      ...(tlsOnly ? { connector: tlsOnly.connector } : {}),
    },
    connectionTimeout: 10_000,
    requestTimeout: 15_000,
    pool: { min: 0, max: 1 },
  });
  pool.on("error", () => undefined);
  try {
    await pool.connect().catch((error: unknown) => {
      // tedious 20 refuses a server that declines encryption itself (EENCRYPT); the connector is the
      // guarantee whatever the driver does.
      const declined =
        tlsOnly?.refused() || (endpoint.encrypt && (error as { code?: unknown }).code === "EENCRYPT");
      if (!declined) throw error;
      throw new RotationError(
        "TargetInsecureConnection",
        `SQL Server ${endpoint.host}:${endpoint.port} declined TLS; akv-rotator logs in to SQL Server only over TLS (except on loopback), so nothing was sent`,
        false,
      );
    });
    return await fn(
      async (statement) => {
        await pool.request().batch(statement);
      },
      async (query) => {
        const row = (await pool.request().query(query)).recordset?.[0] as Record<string, unknown> | undefined;
        return row ? Object.values(row)[0] : undefined;
      },
    );
  } finally {
    await pool.close().catch(() => undefined);
  }
}
