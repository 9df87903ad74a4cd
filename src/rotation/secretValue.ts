import { RotationError } from "../errors.js";
import {
  encodeConnectionStringValue,
  parseConnectionString,
  type ConnectionStringPart,
} from "./connectionString.js";

/**
 * The secret's value format (DESIGN.md, tag contract): the bare credential by default; with content type
 * `application/json`, an object whose `password` (or `key`) field holds the credential and whose other
 * fields are kept. In dual-credential mode a `username`/`user`/`login` field naming the old login follows
 * the flip. Errors never quote the value.
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  return /^application\/json\b/i.test(contentType?.trim() ?? "");
}

/**
 * A `key=value;…` connection string (content type `application/x-connection-string`, or any content type
 * naming a connection string), read by its real grammar (connectionString.ts): its `AccountKey`,
 * `Password`/`Pwd`, `SharedAccessKey`, `AccessKey` or `Key` field holds the credential; every other field,
 * and the text around the credential, is kept as it is.
 */
export function isConnectionStringContentType(contentType: string | undefined): boolean {
  return /connection-?string/i.test(contentType ?? "");
}

const CONNECTION_STRING_FIELDS = ["accountkey", "password", "pwd", "sharedaccesskey", "accesskey", "key"];

function connectionStringField(value: string, secretName: string): ConnectionStringPart {
  const parts = parseConnectionString(value, secretName);
  for (const wanted of CONNECTION_STRING_FIELDS) {
    const part = parts.find((p) => p.key === wanted);
    if (part) return part;
  }
  throw new RotationError(
    "SecretValueNoCredentialField",
    `secret '${secretName}' is a connection string without an AccountKey, Password, SharedAccessKey, AccessKey or Key field`,
    false,
  );
}

const CREDENTIAL_FIELDS = ["password", "key"] as const;
const LOGIN_FIELDS = ["username", "user", "login"] as const;

function parseObject(value: string, secretName: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new RotationError(
      "SecretValueNotJson",
      `secret '${secretName}' has content type application/json but its value is not JSON`,
      false,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new RotationError(
      "SecretValueNotJson",
      `secret '${secretName}' has content type application/json but its value is not a JSON object`,
      false,
    );
  }
  return parsed as Record<string, unknown>;
}

/** The credential inside a stored value. */
export function extractCredential(
  value: string,
  contentType: string | undefined,
  secretName: string,
): string {
  if (isConnectionStringContentType(contentType)) return connectionStringField(value, secretName).value;
  if (!isJsonContentType(contentType)) return value;
  const obj = parseObject(value, secretName);
  for (const field of CREDENTIAL_FIELDS) {
    if (typeof obj[field] === "string") return obj[field];
  }
  throw new RotationError(
    "SecretValueNoCredentialField",
    `secret '${secretName}' is JSON without a string 'password' or 'key' field`,
    false,
  );
}

/** The stored value with the credential replaced (and the login renamed in dual mode). */
export function replaceCredential(
  value: string,
  contentType: string | undefined,
  secretName: string,
  credential: string,
  login?: { from: string; to: string },
): string {
  if (isConnectionStringContentType(contentType)) {
    const part = connectionStringField(value, secretName);
    const encoded = encodeConnectionStringValue(credential, part.quote);
    return `${value.slice(0, part.valueStart)}${encoded}${value.slice(part.valueEnd)}`;
  }
  if (!isJsonContentType(contentType)) return credential;
  const obj = parseObject(value, secretName);
  const field = CREDENTIAL_FIELDS.find((f) => typeof obj[f] === "string");
  if (!field)
    throw new RotationError(
      "SecretValueNoCredentialField",
      `secret '${secretName}' is JSON without a string 'password' or 'key' field`,
      false,
    );
  obj[field] = credential;
  if (login) {
    for (const f of LOGIN_FIELDS) if (obj[f] === login.from) obj[f] = login.to;
  }
  return JSON.stringify(obj);
}
