import type pg from "pg";
import { RotationError } from "../errors.js";
import { parsePostgresTarget, type PostgresTarget } from "./postgresTarget.js";
import type { CredentialChange, Rotator, RotatorContext } from "./rotator.js";
import { scramSha256Verifier } from "./scramVerifier.js";
import { firstLoginThatWorks, readAdminLogin } from "./targetTags.js";

interface Login {
  user: string;
  password: string;
}

type PgModule = typeof pg;
let pgModule: Promise<PgModule> | undefined;
/** `pg` is loaded on the first PostgreSQL rotation, not when the app starts (cold start). */
function loadPg(): Promise<PgModule> {
  pgModule ??= import("pg").then((m) => m.default);
  return pgModule;
}

/** PostgreSQL refused the login (wrong password, or no such role / not allowed to log in). */
function isAuthFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "28P01" || code === "28000";
}

/** Maps a pg or socket error to a RotationError; pg's messages never carry the password. */
function targetError(error: unknown, what: string): RotationError {
  const e = error as { code?: string; message?: string };
  const detail = `${what}: ${e.message ?? String(error)}`;
  if (isAuthFailure(error))
    return new RotationError("TargetAuthenticationFailed", detail, false, { cause: error });
  if (e.code === "42501") return new RotationError("TargetPermissionDenied", detail, false, { cause: error });
  if (e.code === "42704")
    return new RotationError("TargetCredentialNotFound", detail, false, { cause: error });
  return new RotationError("TargetUnreachable", detail, true, { cause: error });
}

async function withClient<T>(
  target: PostgresTarget,
  login: Login,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const { Client } = await loadPg();
  const client = new Client({
    host: target.host,
    port: target.port,
    database: target.database,
    user: login.user,
    password: login.password,
    ssl: target.tls ? { rejectUnauthorized: true, servername: target.host } : false,
    connectionTimeoutMillis: 10_000,
    query_timeout: 15_000,
    application_name: "akv-rotator",
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The login that changes the password: the admin secret's, else the login itself (dual: the active one). */
async function changerLogins(
  target: PostgresTarget,
  change: CredentialChange,
  ctx: RotatorContext,
): Promise<Login[]> {
  if (target.adminSecretName) return [await readAdminLogin(ctx, target.adminSecretName)];
  if (change.credentialId !== change.activeCredentialId)
    return [{ user: change.activeCredentialId, password: change.activeValue }];
  // The login changes its own password. After an interrupted run the new value may already be in place.
  return [change.currentValue, change.newValue]
    .filter((p): p is string => p !== undefined)
    .map((password) => ({ user: change.credentialId, password }));
}

async function asChanger<T>(
  target: PostgresTarget,
  change: CredentialChange,
  ctx: RotatorContext,
  what: string,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const logins = await changerLogins(target, change, ctx);
  return firstLoginThatWorks(logins, (login) => withClient(target, login, fn), isAuthFailure).catch(
    (error: unknown) => {
      throw targetError(error, what);
    },
  );
}

async function alterPassword(role: string, password: string): Promise<string> {
  const { escapeIdentifier, escapeLiteral } = await loadPg();
  return `ALTER ROLE ${escapeIdentifier(role)} WITH PASSWORD ${escapeLiteral(scramSha256Verifier(password))}`;
}

/**
 * `postgres`: `ALTER ROLE … PASSWORD` with a client-made SCRAM verifier, as the login itself, as an admin
 * login named by `AdminSecretName`, or (dual mode) as the active login; verified by a fresh login.
 */
export const postgresRotator: Rotator<PostgresTarget> = {
  type: "postgres",
  resourceTypes: [
    "Microsoft.DBforPostgreSQL/flexibleServers",
    "Microsoft.DBforPostgreSQL/flexibleServers/databases",
  ],
  passwordPolicy: { length: 32, require: ["lower", "upper", "digit", "symbol"], exclude: ":/@\"'\\`" },
  needsCredentialId: true,
  supportsDual: true,
  parseTarget: parsePostgresTarget,
  preflight: (target, change, ctx) =>
    asChanger(target, change, ctx, "connecting to PostgreSQL", (c) =>
      c.query("SELECT 1").then(() => undefined),
    ),
  apply: (target, change, ctx) =>
    asChanger(target, change, ctx, `changing the password of role '${change.credentialId}'`, (c) =>
      alterPassword(change.credentialId, change.newValue)
        .then((sql) => c.query(sql))
        .then(() => undefined),
    ),
  verify: (target, change) =>
    withClient(target, { user: change.credentialId, password: change.newValue }, (c) =>
      c.query("SELECT 1").then(() => undefined),
    ).catch((error: unknown) => {
      throw targetError(error, `logging in as '${change.credentialId}' with the new password`);
    }),
  revert: async (target, change, ctx) => {
    if (change.currentValue === undefined) return;
    const back: CredentialChange = {
      ...change,
      newValue: change.currentValue,
      currentValue: change.newValue,
    };
    await asChanger(target, back, ctx, `restoring the password of role '${change.credentialId}'`, (c) =>
      alterPassword(change.credentialId, back.newValue)
        .then((sql) => c.query(sql))
        .then(() => undefined),
    );
  },
};
