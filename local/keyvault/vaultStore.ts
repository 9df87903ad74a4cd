import { randomUUID } from "node:crypto";
import {
  badParameter,
  deletedButRecoverable,
  deletedSecretNotFound,
  KeyVaultError,
  purgeProtected,
  secretDisabled,
  secretNotFound,
  secretTooLarge,
} from "./keyVaultError.js";
import { SortedKeys } from "./sortedKeys.js";

/** One version of a secret as the emulator keeps it. Times are epoch seconds, as on the wire. */
export interface StoredVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  /** Event bookkeeping: each of these events is raised once per version. */
  nearExpiryRaised?: boolean;
  expiredRaised?: boolean;
}

export interface StoredSecret {
  name: string;
  /** In creation order: the last one is the current ("latest") version. */
  versions: StoredVersion[];
  deletedDate?: number;
  scheduledPurgeDate?: number;
}

/** A loaded state file, checked to be the Key Vault emulator's (format 1). */
export function parseVaultSnapshot(parsed: unknown, file: string): VaultSnapshot {
  const p = (parsed ?? {}) as Partial<VaultSnapshot>;
  if (p.format !== 1 || !Array.isArray(p.secrets) || !Array.isArray(p.deleted))
    throw new Error(
      `${file} is not a Key Vault emulator state file (format 1); move it away or start with --fresh`,
    );
  return p as VaultSnapshot;
}

export interface VaultSnapshot {
  format: 1;
  secrets: StoredSecret[];
  deleted: StoredSecret[];
}

export interface SetSecretInput {
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled?: boolean;
  nbf?: number;
  exp?: number;
}

export interface UpdateInput {
  contentType?: string;
  tags?: Record<string, string>;
  enabled?: boolean;
  nbf?: number | null;
  exp?: number | null;
}

export interface VaultPolicy {
  /** 7 to 90 days; the service's default is 90. */
  softDeleteRetentionDays: number;
  purgeProtection: boolean;
}

/** What the store tells its owner after a change, so events and persistence can follow. */
export type StoreChange =
  { kind: "version-created"; secret: StoredSecret; version: StoredVersion } | { kind: "changed" };

// Service limits: https://learn.microsoft.com/azure/key-vault/general/service-limits and
// https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates (object names).
const NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
export const MAX_VALUE_BYTES = 25 * 1024;
export const MAX_TAGS = 15;
export const MAX_TAG_NAME = 512;
export const MAX_TAG_VALUE = 512;
export const MAX_CONTENT_TYPE = 255;

/**
 * The secrets of one vault and the service's rules for them: versions, soft delete, recovery, purge,
 * backup and restore. Names are case-insensitive, as in Key Vault; the first spelling is kept.
 */
export class VaultStore {
  private readonly live = new Map<string, StoredSecret>();
  private readonly deleted = new Map<string, StoredSecret>();
  private readonly liveKeys = new SortedKeys();
  private readonly deletedKeys = new SortedKeys();

  constructor(
    readonly policy: VaultPolicy,
    private readonly now: () => number,
    private readonly onChange: (change: StoreChange) => void = () => undefined,
  ) {}

  static validateName(name: string): void {
    if (!NAME_PATTERN.test(name)) throw badParameter(`The request URI contains an invalid name: ${name}`);
  }

  get recoveryLevel(): string {
    const custom = this.policy.softDeleteRetentionDays < 90 ? "CustomizedRecoverable" : "Recoverable";
    return this.policy.purgeProtection ? custom : `${custom}+Purgeable`;
  }

  set(name: string, input: SetSecretInput): { secret: StoredSecret; version: StoredVersion } {
    VaultStore.validateName(name);
    validateValue(input.value);
    validateContentType(input.contentType);
    validateTags(input.tags);
    const key = name.toLowerCase();
    if (this.deleted.has(key)) throw deletedButRecoverable(name);
    const at = this.seconds();
    const version: StoredVersion = {
      version: randomUUID().replaceAll("-", ""),
      value: input.value,
      ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
      ...(input.tags !== undefined ? { tags: { ...input.tags } } : {}),
      enabled: input.enabled ?? true,
      ...(input.nbf !== undefined ? { nbf: input.nbf } : {}),
      ...(input.exp !== undefined ? { exp: input.exp } : {}),
      created: at,
      updated: at,
    };
    let secret = this.live.get(key);
    if (!secret) {
      secret = { name, versions: [] };
      this.live.set(key, secret);
      this.liveKeys.add(key);
    }
    secret.versions.push(version);
    this.onChange({ kind: "version-created", secret, version });
    return { secret, version };
  }

  /** The version to read: the named one, or the latest. Disabled versions are refused, like the service. */
  get(name: string, version?: string): { secret: StoredSecret; version: StoredVersion } {
    const found = this.find(name, version);
    if (!found.version.enabled) throw secretDisabled();
    return found;
  }

  update(
    name: string,
    version: string | undefined,
    input: UpdateInput,
  ): { secret: StoredSecret; version: StoredVersion } {
    validateContentType(input.contentType);
    validateTags(input.tags);
    const found = this.find(name, version);
    const v = found.version;
    if (input.contentType !== undefined) v.contentType = input.contentType;
    if (input.tags !== undefined) v.tags = { ...input.tags };
    if (input.enabled !== undefined) v.enabled = input.enabled;
    if (input.nbf !== undefined) setOptional(v, "nbf", input.nbf);
    if (input.exp !== undefined) {
      if (input.exp !== v.exp) {
        // A new expiry is a new chance to warn: the service raises near-expiry against the current expiry.
        v.nearExpiryRaised = false;
        v.expiredRaised = false;
      }
      setOptional(v, "exp", input.exp);
    }
    v.updated = this.seconds();
    this.onChange({ kind: "changed" });
    return found;
  }

  /** Live secrets in name order, one page after `afterKey`. */
  page(afterKey: string | undefined, count: number): StoredSecret[] {
    return this.liveKeys.page(afterKey, count).map((k) => this.live.get(k) as StoredSecret);
  }

  deletedPage(afterKey: string | undefined, count: number): StoredSecret[] {
    return this.deletedKeys.page(afterKey, count).map((k) => this.deleted.get(k) as StoredSecret);
  }

  /** The live secret of that name, or undefined. */
  versionsOfOrNone(name: string): StoredSecret | undefined {
    return this.live.get(name.toLowerCase());
  }

  versionsOf(name: string): StoredSecret {
    const secret = this.live.get(name.toLowerCase());
    if (!secret) throw secretNotFound(name);
    return secret;
  }

  delete(name: string): StoredSecret {
    const key = name.toLowerCase();
    const secret = this.live.get(key);
    if (!secret) throw secretNotFound(name);
    const at = this.seconds();
    secret.deletedDate = at;
    secret.scheduledPurgeDate = at + this.policy.softDeleteRetentionDays * 86_400;
    this.live.delete(key);
    this.liveKeys.delete(key);
    this.deleted.set(key, secret);
    this.deletedKeys.add(key);
    this.onChange({ kind: "changed" });
    return secret;
  }

  getDeleted(name: string): StoredSecret {
    const secret = this.deleted.get(name.toLowerCase());
    if (!secret) throw deletedSecretNotFound(name);
    return secret;
  }

  recover(name: string): StoredSecret {
    const key = name.toLowerCase();
    const secret = this.deleted.get(key);
    // Recovering what is not deleted answers the generic SecretNotFound text, not getDeleted's "Deleted Secret
    // not found" (azure-sdk-for-js keyvault-secrets recording `can recover a deleted secret (non existing)`).
    if (!secret) throw secretNotFound(name);
    delete secret.deletedDate;
    delete secret.scheduledPurgeDate;
    this.deleted.delete(key);
    this.deletedKeys.delete(key);
    this.live.set(key, secret);
    this.liveKeys.add(key);
    this.onChange({ kind: "changed" });
    return secret;
  }

  purge(name: string): void {
    this.getDeleted(name);
    if (this.policy.purgeProtection) throw purgeProtected();
    this.dropDeleted(name.toLowerCase());
  }

  /** Purges what soft delete scheduled for purging; returns how many went. */
  purgeDue(): number {
    const at = this.seconds();
    let count = 0;
    for (const [key, secret] of this.deleted) {
      if ((secret.scheduledPurgeDate ?? Infinity) <= at) {
        this.dropDeleted(key);
        count += 1;
      }
    }
    return count;
  }

  backup(name: string): string {
    const secret = this.versionsOf(name);
    const blob = JSON.stringify({
      kind: "akv-rotator-emulator-backup",
      v: 1,
      secret: stripEventState(secret),
    });
    // The service's blob is opaque and protected; ours is opaque enough for clients that treat it so.
    return Buffer.from(`KVBK${blob}`, "utf8").toString("base64url");
  }

  restore(blob: string): StoredSecret {
    const secret = parseBackup(blob);
    const key = secret.name.toLowerCase();
    if (this.deleted.has(key)) throw deletedButRecoverable(secret.name);
    if (this.live.has(key)) {
      throw new KeyVaultError(409, "Conflict", `Secret ${secret.name} already exists in this vault.`);
    }
    this.live.set(key, secret);
    this.liveKeys.add(key);
    this.onChange({ kind: "changed" });
    return secret;
  }

  /** Every live secret, for the expiry watcher. */
  liveSecrets(): IterableIterator<StoredSecret> {
    return this.live.values();
  }

  get liveCount(): number {
    return this.live.size;
  }

  snapshot(): VaultSnapshot {
    return { format: 1, secrets: [...this.live.values()], deleted: [...this.deleted.values()] };
  }

  load(snapshot: VaultSnapshot): void {
    for (const s of snapshot.secrets) {
      this.live.set(s.name.toLowerCase(), s);
      this.liveKeys.add(s.name.toLowerCase());
    }
    for (const s of snapshot.deleted) {
      this.deleted.set(s.name.toLowerCase(), s);
      this.deletedKeys.add(s.name.toLowerCase());
    }
  }

  private find(name: string, version: string | undefined): { secret: StoredSecret; version: StoredVersion } {
    const secret = this.live.get(name.toLowerCase());
    if (!secret) throw secretNotFound(name);
    const found = version
      ? secret.versions.find((v) => v.version === version.toLowerCase())
      : secret.versions.at(-1);
    if (!found) throw secretNotFound(version ? `${name}/${version}` : name);
    return { secret, version: found };
  }

  private dropDeleted(key: string): void {
    this.deleted.delete(key);
    this.deletedKeys.delete(key);
    this.onChange({ kind: "changed" });
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }
}

function setOptional(v: StoredVersion, field: "nbf" | "exp", value: number | null): void {
  if (value === null) delete v[field];
  else v[field] = value;
}

function validateValue(value: string): void {
  if (Buffer.byteLength(value, "utf8") > MAX_VALUE_BYTES) throw secretTooLarge(MAX_VALUE_BYTES);
}

function validateContentType(contentType: string | undefined): void {
  // Limit: "The maximum length of this field is 255 characters" (Key Vault docs, About Azure Key Vault
  // secrets, contentType). Message text is ours.
  if (contentType !== undefined && contentType.length > MAX_CONTENT_TYPE)
    throw badParameter(`The content type is longer than ${MAX_CONTENT_TYPE} characters.`);
}

function validateTags(tags: Record<string, string> | undefined): void {
  if (!tags) return;
  const entries = Object.entries(tags);
  // Limits: 15 tags, names and values up to 512 characters each (Key Vault docs, Azure Key Vault service
  // limits, "Resource type: vault" tags). Message texts are ours.
  if (entries.length > MAX_TAGS)
    throw badParameter(`Too many tags: ${entries.length}. The maximum is ${MAX_TAGS}.`);
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > MAX_TAG_NAME) {
      throw badParameter(`Tag name '${k.slice(0, 40)}' must be between 1 and ${MAX_TAG_NAME} characters.`);
    }
    if (typeof v !== "string" || v.length > MAX_TAG_VALUE) {
      throw badParameter(`Tag '${k.slice(0, 40)}' has a value longer than ${MAX_TAG_VALUE} characters.`);
    }
  }
}

function stripEventState(secret: StoredSecret): StoredSecret {
  return {
    name: secret.name,
    versions: secret.versions.map((v) => {
      const copy = { ...v };
      delete copy.nearExpiryRaised;
      delete copy.expiredRaised;
      return copy;
    }),
  };
}

function parseBackup(blob: string): StoredSecret {
  // The service's code for it is the phrase "Malformed backup blob" (azure-sdk-for-js keyvault-secrets recording
  // `can restore a secret (Malformed Backup Bytes)`: 400 {"code":"Malformed backup blob","message":...}).
  const bad = new KeyVaultError(
    400,
    "Malformed backup blob",
    "Backup blob contains invalid or corrupt version.",
  );
  let text: string;
  try {
    text = Buffer.from(blob, "base64url").toString("utf8");
  } catch {
    throw bad;
  }
  if (!text.startsWith("KVBK")) throw bad;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(4));
  } catch {
    throw bad;
  }
  const secret = (parsed as { kind?: unknown; secret?: unknown } | null)?.secret as StoredSecret | undefined;
  if (
    (parsed as { kind?: unknown }).kind !== "akv-rotator-emulator-backup" ||
    !secret ||
    typeof secret.name !== "string" ||
    !Array.isArray(secret.versions) ||
    secret.versions.length === 0
  ) {
    throw bad;
  }
  VaultStore.validateName(secret.name);
  return { name: secret.name, versions: secret.versions };
}
