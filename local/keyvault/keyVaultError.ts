/**
 * An error answered the way Key Vault answers it: a status and `{"error":{"code","message","innererror"}}`.
 * Messages follow the service's own where a recording or its documentation shows them (sources at each
 * factory below); where none was found the text is ours and says so.
 */
export class KeyVaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "KeyVaultError";
  }

  toBody(): { error: { code: string; message: string; innererror?: { code: string } } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.innerCode ? { innererror: { code: this.innerCode } } : {}),
      },
    };
  }
}

const HELP_NOT_FOUND =
  "For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182";

/** Source: azure-sdk-for-js keyvault-secrets recordings (`can get a secret (non existing)`). */
export function secretNotFound(nameOrId: string): KeyVaultError {
  return new KeyVaultError(
    404,
    "SecretNotFound",
    `A secret with (name/id) ${nameOrId} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. ${HELP_NOT_FOUND}`,
  );
}

/** Source: azure-sdk-for-js keyvault-secrets recordings (`can delete a secret`, polling getDeletedSecret). */
export function deletedSecretNotFound(name: string): KeyVaultError {
  return new KeyVaultError(404, "SecretNotFound", `Deleted Secret not found: ${name}`);
}

/** Source: azure-sdk-for-js issue #24756 (the service's body for a get on a disabled secret). */
export function secretDisabled(): KeyVaultError {
  return new KeyVaultError(
    403,
    "Forbidden",
    "Operation get is not allowed on a disabled secret.",
    "SecretDisabled",
  );
}

/** Source: the service's 409 for a name that is soft-deleted (quoted in SDK issues and Microsoft quickstarts). */
export function deletedButRecoverable(name: string): KeyVaultError {
  return new KeyVaultError(
    409,
    "Conflict",
    `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can be recovered or purged.`,
    "ObjectIsDeletedButRecoverable",
  );
}

/** Source: the Key Vault docs on purge protection; the exact service text was not found, this is ours. */
export function purgeProtected(): KeyVaultError {
  return new KeyVaultError(
    403,
    "Forbidden",
    'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.',
    "PurgeProtectionEnabled",
  );
}

/**
 * A value over the 25 KB limit (Key Vault docs, About Azure Key Vault secrets). The text is the service's as
 * Azure CLI users quote it (Azure/azure-cli#5639: "Secret is beyond the maximum permitted length of 25600
 * characters."); the inner error code SecretTooLarge is the service's.
 */
export function secretTooLarge(maxBytes: number): KeyVaultError {
  return new KeyVaultError(
    400,
    "BadParameter",
    `Secret is beyond the maximum permitted length of ${maxBytes} characters.`,
    "SecretTooLarge",
  );
}

export function badParameter(message: string): KeyVaultError {
  return new KeyVaultError(400, "BadParameter", message);
}

/** Source: AKV10000 body from the SDK recordings; the header form from the SDK's challenge policy. */
export function unauthorized(message: string, tenantId: string): KeyVaultError {
  return new KeyVaultError(401, "Unauthorized", message, undefined, {
    "www-authenticate": `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="https://vault.azure.net"`,
  });
}

/** Source: the service's access-policy 403 (quoted in the AKS secrets-store docs). */
export function accessDenied(identity: string, permission: string, vaultName: string): KeyVaultError {
  return new KeyVaultError(
    403,
    "Forbidden",
    `The user, group or application '${identity}' does not have secrets ${permission} permission on key vault '${vaultName};location=local'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
    "AccessDenied",
  );
}

/** Source: Key Vault throttling guidance (429 + Retry-After); the body's reason string from service reports. */
export function throttled(retryAfterSeconds: number | undefined): KeyVaultError {
  return new KeyVaultError(
    429,
    "Throttled",
    "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
    undefined,
    retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) },
  );
}
