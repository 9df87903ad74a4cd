import { serverResourceId } from "./resourceId.js";
import { RotationError } from "../errors.js";
import type { CredentialChange, Rotator, RotatorContext } from "./rotator.js";
import {
  isLoginFailure,
  quoteLiteral,
  quoteName,
  SQL_PASSWORD_POLICY,
  sqlAccessToken,
  sqlTargetError,
  withSqlConnection,
  type SqlAuth,
} from "./sqlServer.js";
import { parseSqlLoginTarget, SQL_SERVER, type SqlLoginTarget } from "./sqlTarget.js";
import { readAdminLogin } from "./targetTags.js";

/** `ALTER LOGIN` (server login) or `ALTER USER` (contained user), every part quoted, never interpolated raw. */
function alterPassword(target: SqlLoginTarget, name: string, password: string, oldPassword?: string): string {
  if (target.containedIn)
    return `ALTER USER ${quoteName(name)} WITH PASSWORD = ${quoteLiteral(password)}${oldPassword !== undefined ? `, OLD_PASSWORD = ${quoteLiteral(oldPassword)}` : ""}`;
  return `ALTER LOGIN ${quoteName(name)} WITH PASSWORD = ${quoteLiteral(password)}${oldPassword !== undefined ? ` OLD_PASSWORD = ${quoteLiteral(oldPassword)}` : ""}`;
}

async function adminAuth(target: SqlLoginTarget, ctx: RotatorContext): Promise<SqlAuth | undefined> {
  if (target.admin.kind === "secret") return readAdminLogin(ctx, target.admin.secretName);
  if (target.admin.kind === "entra") return { token: await sqlAccessToken(ctx) };
  return undefined;
}

/**
 * Sets `to` as the password of the changing credential. As an admin: one ALTER without OLD_PASSWORD.
 * As the login itself: log in with `from` and change it with OLD_PASSWORD; when `from` no longer logs in
 * but `to` does, an earlier run already changed it and there is nothing to do.
 */
async function setPassword(
  target: SqlLoginTarget,
  change: CredentialChange,
  ctx: RotatorContext,
  from: string | undefined,
  to: string,
  what: string,
): Promise<void> {
  const endpoint = target.endpoint;
  const admin = await adminAuth(target, ctx);
  try {
    if (admin) {
      await withSqlConnection(endpoint, admin, ctx, (batch) =>
        batch(alterPassword(target, change.credentialId, to)),
      );
      return;
    }
    if (from === undefined)
      throw new RotationError("NoCurrentValue", `${what}: the current password is unknown`, false);
    try {
      await withSqlConnection(endpoint, { user: change.credentialId, password: from }, ctx, (batch) =>
        batch(alterPassword(target, change.credentialId, to, from)),
      );
    } catch (error) {
      if (!isLoginFailure(error)) throw error;
      await withSqlConnection(
        endpoint,
        { user: change.credentialId, password: to },
        ctx,
        async () => undefined,
      );
    }
  } catch (error) {
    if (error instanceof RotationError) throw error;
    throw sqlTargetError(error, what);
  }
}

/**
 * `sql-login`: a SQL Server / Azure SQL login, or a contained database user when ProviderAddress names a
 * database. Changed by the login itself (OLD_PASSWORD), an admin login from `AdminSecretName`, or the app's
 * Entra identity (`AdminAuth=entra`); dual mode with `AlternateCredentialId` needs an admin. Verified by a
 * fresh login with the new password.
 */
export const sqlLoginRotator: Rotator<SqlLoginTarget> = {
  type: "sql-login",
  resourceTypes: [SQL_SERVER, `${SQL_SERVER}/databases`],
  passwordPolicy: SQL_PASSWORD_POLICY,
  needsCredentialId: true,
  supportsDual: true,
  parseTarget: parseSqlLoginTarget,
  binding: (target) => ({
    // A resource ID names the server, but the app connects to the host derived from its name: that host.
    target: {
      kind: "host",
      host: target.endpoint.host,
      port: target.endpoint.port,
      ...(target.resourceId ? { serverId: serverResourceId(target.resourceId) } : {}),
    },
    ...(target.admin.kind === "secret" ? { adminSecret: target.admin.secretName } : {}),
    ...(target.admin.kind === "entra" ? { entraTokenHost: target.endpoint.host } : {}),
  }),
  preflight: async (target, change, ctx) => {
    const what = `connecting to SQL Server ${target.endpoint.host}`;
    const admin = await adminAuth(target, ctx);
    // Only the current password: the new one is not sent anywhere before it is staged.
    const auth: SqlAuth | undefined =
      admin ??
      (change.currentValue !== undefined
        ? { user: change.credentialId, password: change.currentValue }
        : undefined);
    if (!auth) throw new RotationError("NoCurrentValue", `${what}: the current password is unknown`, false);
    // As an admin, prove the right the change needs, not only the login: ALTER ANY LOGIN for a server
    // login, ALTER ANY USER in the database for a contained user. A login changing itself needs none.
    const permission = target.containedIn ? "ALTER ANY USER" : "ALTER ANY LOGIN";
    const held = await withSqlConnection(target.endpoint, auth, ctx, (batch, scalar) =>
      admin
        ? scalar(
            target.containedIn
              ? `SELECT HAS_PERMS_BY_NAME(DB_NAME(), N'DATABASE', N'${permission}') AS held`
              : `SELECT HAS_PERMS_BY_NAME(NULL, NULL, N'${permission}') AS held`,
          )
        : batch("SELECT 1").then(() => 1),
    ).catch((error: unknown) => {
      throw sqlTargetError(error, what);
    });
    if (held !== 1 && held !== true)
      throw new RotationError(
        "TargetPermissionDenied",
        `${what}: the admin login does not hold ${permission}, which changing '${change.credentialId}' needs`,
        false,
      );
  },
  apply: (target, change, ctx) =>
    setPassword(
      target,
      change,
      ctx,
      change.currentValue,
      change.newValue,
      `changing the password of '${change.credentialId}'`,
    ),
  verify: (target, change, ctx) =>
    withSqlConnection(
      { ...target.endpoint, ...(target.verifyDatabase ? { database: target.verifyDatabase } : {}) },
      { user: change.credentialId, password: change.newValue },
      ctx,
      (batch) => batch("SELECT 1"),
    ).catch((error: unknown) => {
      throw sqlTargetError(error, `logging in as '${change.credentialId}' with the new password`);
    }),
  revert: async (target, change, ctx) => {
    if (change.currentValue === undefined) return;
    await setPassword(
      target,
      change,
      ctx,
      change.newValue,
      change.currentValue,
      `restoring the password of '${change.credentialId}'`,
    );
  },
};
