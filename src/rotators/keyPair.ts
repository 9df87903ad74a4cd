import { RotationError, SecretTagError } from "../errors.js";
import type { SecretTags } from "./rotator.js";

/**
 * Two keys that take turns (storage `key1`/`key2`, Cosmos `primary`/`secondary`, Redis `Primary`/`Secondary`).
 * Each spelling maps to the provider's own name; the partner keeps the spelling the secret uses, so a vault set
 * up for Microsoft's samples (`key1`, `Primary`) keeps its style after the flip.
 */
export interface KeyPairSpelling {
  /** Accepted CredentialId spellings (case-insensitive) -> [provider key name, partner spelling]. */
  readonly names: Readonly<Record<string, readonly [string, string]>>;
}

function lookup(spelling: KeyPairSpelling, credentialId: string): readonly [string, string] | undefined {
  const exact = spelling.names[credentialId];
  if (exact) return exact;
  const lower = credentialId.toLowerCase();
  const key = Object.keys(spelling.names).find((k) => k.toLowerCase() === lower);
  return key !== undefined ? spelling.names[key] : undefined;
}

/** The provider's name for the key a CredentialId names; a SecretTagError lists the accepted spellings. */
export function providerKeyName(spelling: KeyPairSpelling, tags: SecretTags, secret: string): string {
  const id = tags.CredentialId;
  const found = id !== undefined ? lookup(spelling, id) : undefined;
  if (!found)
    throw new SecretTagError(
      secret,
      "CredentialId",
      `${id === undefined ? "is required" : `'${id.slice(0, 32)}' is not a key name`}: one of ${Object.keys(spelling.names).join(", ")}`,
    );
  return found[0];
}

export function partnerOf(spelling: KeyPairSpelling, credentialId: string): string | undefined {
  return lookup(spelling, credentialId)?.[1];
}

/** The key named by a change's CredentialId, in provider terms (after the engine picked the partner). */
export function keyFor(spelling: KeyPairSpelling, credentialId: string): string {
  const found = lookup(spelling, credentialId);
  if (!found)
    throw new RotationError("TargetCredentialNotFound", `'${credentialId}' is not a key name`, false);
  return found[0];
}

/** Verify by the management plane's own view: the key it now lists must be the value the engine staged. */
export function assertKeyHeld(
  listed: string | undefined,
  expected: string,
  key: string,
  resource: string,
): void {
  if (listed === undefined)
    throw new RotationError("TargetCredentialNotFound", `${resource} lists no key '${key}'`, false);
  if (listed !== expected)
    throw new RotationError(
      "VerifyFailed",
      `${resource} holds a different value for key '${key}' than the one staged`,
      false,
    );
}
