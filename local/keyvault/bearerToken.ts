/** The claims the emulator reads from a bearer token. Signatures are not checked: this is a local
 * stand-in, and the only tokens it sees come from `EmulatorCredential` or a test. */
export interface TokenClaims {
  identity: string;
  audience: string;
  expiresAt: number;
}

export type TokenProblem = "missing" | "malformed" | "expired" | "audience";

export const KEY_VAULT_AUDIENCES = [
  "https://vault.azure.net",
  "https://vault.azure.net/",
  "cfa8b339-82a2-471a-a3c9-0fc0be7a4093",
];

export function readBearerToken(
  header: string | undefined,
  nowMs: number,
  audiences: readonly string[] = KEY_VAULT_AUDIENCES,
): TokenClaims | TokenProblem {
  if (!header) return "missing";
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) return "missing";
  const parts = (match[1] as string).split(".");
  if (parts.length !== 3) return "malformed";
  let claims: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(parts[1] as string, "base64url").toString("utf8"));
    if (typeof parsed !== "object" || parsed === null) return "malformed";
    claims = parsed as Record<string, unknown>;
  } catch {
    return "malformed";
  }
  const identity = claims.oid ?? claims.appid ?? claims.sub;
  const audience = claims.aud;
  const exp = claims.exp;
  if (typeof identity !== "string" || typeof audience !== "string" || typeof exp !== "number")
    return "malformed";
  if (exp * 1000 <= nowMs) return "expired";
  if (!audiences.includes(audience)) return "audience";
  return { identity, audience, expiresAt: exp };
}
