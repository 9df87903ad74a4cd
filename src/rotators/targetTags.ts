import { SecretTagError } from "../errors.js";
import { RotationError } from "../errors.js";
import { extractCredential } from "../rotation/secretValue.js";
import type { RotatorContext, SecretTags } from "./rotator.js";

/** A database reached directly: `host[:port][/database]` (SQL Server's `host,port` too). */
export interface HostAddress {
  host: string;
  port?: number;
  database?: string;
  /** Loopback hosts: the local stack and tests, where TLS is optional. */
  loopback: boolean;
}

const HOST_ADDRESS = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?:[:,](\d{1,5}))?(?:\/([^/?#\s]+))?$/;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/i;

/** A loopback host (the local stack, tests): where TLS is optional and the emulator credential may go. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** C0 controls (NUL included), DEL and C1 controls: never part of a name, and a NUL splits wire protocols. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Reads a `host[:port][/database]` ProviderAddress; a SecretTagError names the tag when it is not one. */
export function parseHostAddress(address: string, secret: string, expected: string): HostAddress {
  const match = HOST_ADDRESS.exec(address);
  if (!match) throw new SecretTagError(secret, "ProviderAddress", `must be ${expected}`);
  const host = (match[1] as string).replace(/^\[|\]$/g, "");
  const port = match[2] !== undefined ? Number(match[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535))
    throw new SecretTagError(secret, "ProviderAddress", `has port ${port}, outside 1-65535`);
  let database: string | undefined;
  if (match[3] !== undefined) {
    try {
      database = decodeURIComponent(match[3]);
    } catch {
      throw new SecretTagError(
        secret,
        "ProviderAddress",
        "has a database name that is not valid URL encoding",
      );
    }
    // Decoded, it goes into the driver's startup packet (NUL separates PostgreSQL's startup parameters).
    if (CONTROL.test(database) || database === "")
      throw new SecretTagError(
        secret,
        "ProviderAddress",
        "has a database name with a control character (or an empty one) once decoded",
      );
  }
  return {
    host,
    ...(port !== undefined ? { port } : {}),
    ...(database !== undefined ? { database } : {}),
    loopback: isLoopbackHost(host),
  };
}

/** The `AdminSecretName` tag, if set: another secret of the same vault. */
export function adminSecretTag(tags: SecretTags, secret: string): string | undefined {
  const admin = tags.AdminSecretName;
  if (admin === undefined) return undefined;
  if (!SECRET_NAME.test(admin))
    throw new SecretTagError(secret, "AdminSecretName", "must be the name of a secret in the same vault");
  if (admin.toLowerCase() === secret.toLowerCase())
    throw new SecretTagError(secret, "AdminSecretName", "must name another secret, not this one");
  return admin;
}

/** The admin login an `AdminSecretName` secret holds: its CredentialId tag (or JSON username) and password. */
export async function readAdminLogin(
  ctx: RotatorContext,
  secretName: string,
): Promise<{ user: string; password: string }> {
  const admin = await ctx.readSecret(secretName);
  const password = extractCredential(admin.value, admin.contentType, secretName);
  const user = adminLoginName(admin);
  if (user === undefined || user === "")
    throw new RotationError(
      "AdminSecretIncomplete",
      `admin secret '${secretName}' names no login (CredentialId tag or JSON username)`,
      false,
    );
  if (CONTROL.test(user))
    throw new RotationError(
      "AdminSecretIncomplete",
      `admin secret '${secretName}' names a login with a control character`,
      false,
    );
  return { user, password };
}

/** The login an admin secret holds: its CredentialId tag, else a JSON value's `username`. */
export function adminLoginName(admin: {
  value: string;
  tags: Record<string, string>;
  contentType?: string;
}): string | undefined {
  if (admin.tags.CredentialId) return admin.tags.CredentialId;
  if (!admin.contentType?.includes("json")) return undefined;
  try {
    const user = (JSON.parse(admin.value) as { username?: unknown }).username;
    return typeof user === "string" ? user : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A login-name tag (`CredentialId`, `AlternateCredentialId`), if set: non-empty, no NUL, and within what the
 * target's identifiers hold (a longer name would be truncated into another principal's, or refused).
 */
export function loginNameTag(
  tags: SecretTags,
  secret: string,
  tag: "CredentialId" | "AlternateCredentialId",
  limit: { max: number; unit: "bytes" | "characters"; what: string },
): string | undefined {
  const value = tags[tag];
  if (value === undefined) return undefined;
  const size = limit.unit === "bytes" ? Buffer.byteLength(value, "utf8") : value.length;
  if (value.length === 0 || size > limit.max || CONTROL.test(value))
    throw new SecretTagError(secret, tag, `must be ${limit.what} of 1 to ${limit.max} ${limit.unit}`);
  // Servers compare names ignoring trailing blanks (SQL Server) : "app " would be another spelling of "app".
  if (value.trim() !== value) throw new SecretTagError(secret, tag, "must not begin or end with white space");
  return value;
}

/**
 * Tries each login in turn until one gets in: after an interrupted run the password may already be the new
 * one. Only a refused login moves on to the next; any other failure, or the last refusal, is thrown as is.
 */
export async function firstLoginThatWorks<L, T>(
  logins: readonly L[],
  attempt: (login: L) => Promise<T>,
  isLoginRefused: (error: unknown) => boolean,
): Promise<T> {
  let last: unknown = new Error("no login to try");
  for (const login of logins) {
    try {
      return await attempt(login);
    } catch (error) {
      last = error;
      if (!isLoginRefused(error)) break;
    }
  }
  throw last;
}
