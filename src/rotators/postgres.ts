import { serverResourceId } from "./resourceId.js";
import type { EventEmitter } from "node:events";
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
  if (error instanceof RotationError) return error;
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
  let method = "none";
  const client = new Client({
    host: target.host,
    port: target.port,
    database: target.database,
    user: login.user,
    // pg asks for the password when the server asks for it, whichever way: only SCRAM gets it.
    password: () => {
      if (method !== "scram")
        throw new RotationError(
          "TargetInsecureAuthentication",
          `${target.host}:${target.port} asked for ${method} password authentication; akv-rotator sends a password only by SCRAM-SHA-256`,
          false,
        );
      return login.password;
    },
    ssl: target.tls ? { rejectUnauthorized: true, servername: target.host } : false,
    connectionTimeoutMillis: 10_000,
    query_timeout: 15_000,
    application_name: "akv-rotator",
  });
  client.on("error", () => undefined);
  // Before pg's own handlers (which send the password): which method the server asked for.
  const connection = (client as unknown as { connection: EventEmitter }).connection;
  connection.prependListener("authenticationCleartextPassword", () => (method = "cleartext"));
  connection.prependListener("authenticationMD5Password", () => (method = "MD5"));
  connection.prependListener("authenticationSASL", () => (method = "scram"));
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The login that changes the password: the admin secret's, else the login itself (dual: the active one).
 * Once the new value is staged (apply, revert) it may already be in place after an interrupted run; before
 * that (preflight) it is never sent anywhere.
 */
async function changerLogins(
  target: PostgresTarget,
  change: CredentialChange,
  ctx: RotatorContext,
  staged: boolean,
): Promise<Login[]> {
  if (target.adminSecretName) return [await readAdminLogin(ctx, target.adminSecretName)];
  if (change.credentialId !== change.activeCredentialId)
    return [{ user: change.activeCredentialId, password: change.activeValue }];
  return [change.currentValue, staged ? change.newValue : undefined]
    .filter((p): p is string => p !== undefined)
    .map((password) => ({ user: change.credentialId, password }));
}

async function asChanger<T>(
  target: PostgresTarget,
  change: CredentialChange,
  ctx: RotatorContext,
  what: string,
  fn: (c: pg.Client) => Promise<T>,
  staged = true,
): Promise<T> {
  const logins = await changerLogins(target, change, ctx, staged);
  return firstLoginThatWorks(logins, (login) => withClient(target, login, fn), isAuthFailure).catch(
    (error: unknown) => {
      throw targetError(error, what);
    },
  );
}

/**
 * Preflight's proof that the connected login may change `role`'s password: itself, a superuser, or (for a
 * role that is not a superuser) CREATEROLE, from PostgreSQL 16 on with ADMIN OPTION on the role.
 */
async function assertMayAlter(client: pg.Client, role: string): Promise<void> {
  const result = await client.query<{ found: boolean; may: boolean }>(
    // Every name schema-qualified: nothing a role on the server put first on the search_path can stand in.
    `SELECT t.rolname IS NOT NULL AS found,
       t.rolname OPERATOR(pg_catalog.=) current_user OR me.rolsuper
       OR (me.rolcreaterole AND NOT COALESCE(t.rolsuper, false)
         AND (pg_catalog.current_setting('server_version_num')::int OPERATOR(pg_catalog.<) 160000
              OR pg_catalog.pg_has_role(current_user, t.oid, 'MEMBER WITH ADMIN OPTION'))) AS may
     FROM pg_catalog.pg_roles me LEFT JOIN pg_catalog.pg_roles t ON t.rolname OPERATOR(pg_catalog.=) $1
     WHERE me.rolname OPERATOR(pg_catalog.=) current_user`,
    [role],
  );
  const row = result.rows[0];
  if (!row?.found)
    throw new RotationError("TargetCredentialNotFound", `PostgreSQL has no role '${role}'`, false);
  if (!row.may)
    throw new RotationError(
      "TargetPermissionDenied",
      `the login that changes the password may not alter role '${role}' (needs to be the role, a superuser, or CREATEROLE with ADMIN OPTION on it)`,
      false,
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
  binding: (target) => ({
    // A resource ID names the server, but the app connects to the host derived from its name: that host.
    target: {
      kind: "host",
      host: target.host,
      port: target.port,
      ...(target.resourceId ? { serverId: serverResourceId(target.resourceId) } : {}),
    },
    ...(target.adminSecretName ? { adminSecret: target.adminSecretName } : {}),
  }),
  preflight: (target, change, ctx) =>
    asChanger(
      target,
      change,
      ctx,
      "connecting to PostgreSQL",
      (c) => assertMayAlter(c, change.credentialId),
      false,
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
