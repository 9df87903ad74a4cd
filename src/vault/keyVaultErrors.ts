import { RotationError } from "../errors.js";

/**
 * Turns a Key Vault SDK error into a RotationError with a stable code and the right retry flag. Key
 * Vault's own messages never contain secret values, and nothing else of the request is copied.
 */
export function fromKeyVaultError(error: unknown, action: string): RotationError {
  if (error instanceof RotationError) return error;
  const e = error as { statusCode?: number; code?: string; message?: string; name?: string };
  const detail = `${action}: ${(e.message ?? String(error)).split("\n")[0]}`;
  const status = e.statusCode;
  if (e.name === "AbortError") return new RotationError("KeyVaultTimeout", detail, true, { cause: error });
  if (status === 404) return new RotationError("SecretNotFound", detail, false, { cause: error });
  if (status === 401) return new RotationError("KeyVaultUnauthorized", detail, false, { cause: error });
  if (status === 403) return new RotationError("KeyVaultForbidden", detail, false, { cause: error });
  if (status === 429) return new RotationError("KeyVaultThrottled", detail, true, { cause: error });
  if (status === 409) return new RotationError("KeyVaultConflict", detail, false, { cause: error });
  if (status !== undefined && status >= 400 && status < 500)
    return new RotationError("KeyVaultRejected", detail, false, { cause: error });
  return new RotationError("KeyVaultUnavailable", detail, true, { cause: error });
}
