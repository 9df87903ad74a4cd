import type { StoredSecret, StoredVersion } from "./vaultStore.js";

/** The JSON shapes of the Key Vault REST API (secrets, api-version 7.x), built from stored state. */
export interface WireAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  recoveryLevel: string;
  recoverableDays: number;
}

export class WireFormat {
  constructor(
    private readonly baseUrl: string,
    private readonly recoveryLevel: () => string,
    private readonly recoverableDays: number,
  ) {}

  attributes(v: StoredVersion): WireAttributes {
    return {
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel: this.recoveryLevel(),
      recoverableDays: this.recoverableDays,
    };
  }

  secretId(secret: StoredSecret, v?: StoredVersion): string {
    return `${this.baseUrl}/secrets/${secret.name}${v ? `/${v.version}` : ""}`;
  }

  /** SecretBundle: what get, set, update and recover answer. */
  bundle(secret: StoredSecret, v: StoredVersion, withValue: boolean): Record<string, unknown> {
    return {
      ...(withValue ? { value: v.value } : {}),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      id: this.secretId(secret, v),
      attributes: this.attributes(v),
      ...(v.tags !== undefined ? { tags: v.tags } : {}),
    };
  }

  /** SecretItem: one row of a secrets or versions listing (never a value). */
  item(secret: StoredSecret, v: StoredVersion, withVersion: boolean): Record<string, unknown> {
    return {
      id: this.secretId(secret, withVersion ? v : undefined),
      attributes: this.attributes(v),
      ...(v.tags !== undefined ? { tags: v.tags } : {}),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    };
  }

  deletedBundle(secret: StoredSecret): Record<string, unknown> {
    const latest = secret.versions.at(-1) as StoredVersion;
    return { ...this.deletedFields(secret), ...this.bundle(secret, latest, false) };
  }

  deletedItem(secret: StoredSecret): Record<string, unknown> {
    const latest = secret.versions.at(-1) as StoredVersion;
    return { ...this.deletedFields(secret), ...this.item(secret, latest, false) };
  }

  private deletedFields(secret: StoredSecret): Record<string, unknown> {
    return {
      recoveryId: `${this.baseUrl}/deletedsecrets/${secret.name}`,
      deletedDate: secret.deletedDate,
      scheduledPurgeDate: secret.scheduledPurgeDate,
    };
  }
}
