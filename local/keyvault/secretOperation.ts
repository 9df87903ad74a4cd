/** The secret operations of the Key Vault REST API, named as the SDK's generated client names them. */
export const SECRET_OPERATIONS = {
  setSecret: { permission: "set", write: true },
  getSecret: { permission: "get", write: false },
  updateSecret: { permission: "set", write: true },
  getSecrets: { permission: "list", write: false },
  getSecretVersions: { permission: "list", write: false },
  deleteSecret: { permission: "delete", write: true },
  getDeletedSecret: { permission: "get", write: false },
  getDeletedSecrets: { permission: "list", write: false },
  recoverDeletedSecret: { permission: "recover", write: true },
  purgeDeletedSecret: { permission: "purge", write: true },
  backupSecret: { permission: "backup", write: false },
  restoreSecret: { permission: "restore", write: true },
} as const;

export type SecretOperation = keyof typeof SECRET_OPERATIONS;
export type SecretPermission = (typeof SECRET_OPERATIONS)[SecretOperation]["permission"];

export const SECRET_PERMISSIONS: readonly SecretPermission[] = [
  "get",
  "list",
  "set",
  "delete",
  "recover",
  "backup",
  "restore",
  "purge",
];

export function isSecretOperation(value: unknown): value is SecretOperation {
  return typeof value === "string" && Object.hasOwn(SECRET_OPERATIONS, value);
}
