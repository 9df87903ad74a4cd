import { randomUUID } from "node:crypto";
import type { StoredSecret, StoredVersion } from "./vaultStore.js";

export const SECRET_EVENT_TYPES = [
  "Microsoft.KeyVault.SecretNewVersionCreated",
  "Microsoft.KeyVault.SecretNearExpiry",
  "Microsoft.KeyVault.SecretExpired",
] as const;
export type SecretEventType = (typeof SECRET_EVENT_TYPES)[number];

/**
 * A Key Vault event in Event Grid schema, with the service's PascalCase data
 * (https://learn.microsoft.com/azure/event-grid/event-schema-key-vault). `NBF`/`EXP` are epoch seconds
 * or null.
 */
export interface KeyVaultEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: SecretEventType;
  eventTime: string;
  data: {
    Id: string;
    VaultName: string;
    ObjectType: "Secret";
    ObjectName: string;
    Version: string;
    NBF: number | null;
    EXP: number | null;
  };
  dataVersion: "1";
  metadataVersion: "1";
}

export interface VaultIdentity {
  name: string;
  /** ARM id of the vault: the event's `topic`. */
  resourceId: string;
  baseUrl: string;
}

export function secretEvent(
  eventType: SecretEventType,
  vault: VaultIdentity,
  secret: StoredSecret,
  version: StoredVersion,
  nowMs: number,
): KeyVaultEvent {
  return {
    id: randomUUID(),
    topic: vault.resourceId,
    subject: secret.name,
    eventType,
    eventTime: new Date(nowMs).toISOString(),
    data: {
      Id: `${vault.baseUrl}/secrets/${secret.name}/${version.version}`,
      VaultName: vault.name,
      ObjectType: "Secret",
      ObjectName: secret.name,
      Version: version.version,
      NBF: version.nbf ?? null,
      EXP: version.exp ?? null,
    },
    dataVersion: "1",
    metadataVersion: "1",
  };
}

/**
 * The near-expiry and expired events: Key Vault raises them for the current version of a secret, once
 * each, `leadDays` (30) before `exp` and at `exp`. Returns the events due now and marks them raised.
 */
export function dueExpiryEvents(
  secrets: Iterable<StoredSecret>,
  vault: VaultIdentity,
  nowMs: number,
  leadDays: number,
): KeyVaultEvent[] {
  const now = Math.floor(nowMs / 1000);
  const events: KeyVaultEvent[] = [];
  for (const secret of secrets) {
    const current = secret.versions.at(-1);
    if (!current || current.exp === undefined) continue;
    if (!current.expiredRaised && current.exp <= now) {
      current.expiredRaised = true;
      current.nearExpiryRaised = true;
      events.push(secretEvent("Microsoft.KeyVault.SecretExpired", vault, secret, current, nowMs));
    } else if (!current.nearExpiryRaised && current.exp - leadDays * 86_400 <= now) {
      current.nearExpiryRaised = true;
      events.push(secretEvent("Microsoft.KeyVault.SecretNearExpiry", vault, secret, current, nowMs));
    }
  }
  return events;
}
