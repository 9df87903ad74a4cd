import type { KeyVaultSecret, SecretClient, SecretProperties } from "@azure/keyvault-secrets";
import type { VaultRef } from "../config.js";
import { RotationError } from "../errors.js";
import { fromKeyVaultError } from "./keyVaultErrors.js";
import {
  parsePendingTags,
  PENDING_FOR_TAG,
  pendingRecordName,
  pendingRecordTags,
  type PendingRecord,
} from "./pendingRecord.js";
import { WRITE_RETRY, writeOnce, type WriteRetry } from "./writeOnce.js";

/** The latest version of a secret, as a rotation reads it. */
export interface CurrentSecret {
  name: string;
  version: string;
  value: string;
  tags: Record<string, string>;
  contentType?: string;
  enabled: boolean;
  expiresOn?: Date;
  createdOn?: Date;
}

export interface CommitInput {
  value: string;
  tags: Record<string, string>;
  contentType?: string;
  expiresOn: Date;
}

/**
 * What a rotation does with Key Vault: read current, stage and resume the pending record, commit, list.
 * Writing a version is not idempotent, so those writes go through `writer`, a client the SDK never retries
 * (throttling aside: a 429 was not carried out), and are tried again only after reading that the first
 * attempt did not land (its `RotationId` tag).
 */
/** What reading the pending record found when there is none to resume: no such secret, or a closed one. */
export type PendingSeen = "absent" | "disabled";

export class VaultGateway {
  private readonly writer: SecretClient;

  constructor(
    readonly vault: VaultRef,
    private readonly client: SecretClient,
    options: { writer?: SecretClient; retry?: WriteRetry } = {},
  ) {
    this.writer = options.writer ?? client;
    this.retry = options.retry ?? WRITE_RETRY;
  }

  private readonly retry: WriteRetry;

  async readLatest(name: string): Promise<CurrentSecret> {
    const secret = await this.call(`reading secret '${name}'`, () => this.client.getSecret(name));
    return toCurrent(secret);
  }

  /** The enabled pending record of a secret, if a rotation of it is under way. */
  async readPending(secretName: string): Promise<PendingRecord | undefined> {
    return (await this.pendingState(secretName)).record;
  }

  /**
   * The pending record's state: `record` when a rotation is under way; `absent` when no secret of that name
   * exists at all (staging can then skip the ownership check it would otherwise read for).
   */
  async pendingState(secretName: string): Promise<{ record?: PendingRecord; seen?: PendingSeen }> {
    const recordName = pendingRecordName(secretName);
    let record: KeyVaultSecret;
    try {
      record = await this.client.getSecret(recordName);
    } catch (error) {
      const e = error as { statusCode?: number; details?: unknown; message?: string };
      if (e.statusCode === 404) return { seen: "absent" };
      // A disabled latest version is a finished rotation (Key Vault refuses to read it: 403 SecretDisabled).
      if (e.statusCode === 403 && isDisabled(e.details)) return { seen: "disabled" };
      throw fromKeyVaultError(error, `reading the pending record of '${secretName}'`);
    }
    this.assertOwned(secretName, recordName, record.properties.tags);
    if (record.properties.enabled === false) return { seen: "disabled" };
    const parsed = parsePendingTags(record.properties.tags);
    if (!parsed) {
      throw new RotationError(
        "PendingRecordDamaged",
        `the pending record '${recordName}' of '${secretName}' lacks its rotation tags; disable it after checking the target`,
        false,
      );
    }
    return {
      record: { ...parsed, recordName, version: record.properties.version ?? "", value: record.value ?? "" },
    };
  }

  /** Writes the pending record before the target is touched. Refuses to write over a secret that is not ours. */
  async stagePending(
    secretName: string,
    value: string,
    contentType: string | undefined,
    meta: Omit<PendingRecord, "recordName" | "version" | "value">,
    /** What the pending-state read just saw: nothing there, or a disabled latest version (no need to GET it again). */
    known: PendingSeen | undefined = undefined,
    signal?: AbortSignal,
  ): Promise<PendingRecord> {
    const recordName = pendingRecordName(secretName);
    const existingTags =
      known === "absent"
        ? undefined
        : known === "disabled"
          ? await this.tagsOfLatestVersion(recordName)
          : await this.tagsOfLatest(recordName);
    if (existingTags !== undefined) this.assertOwned(secretName, recordName, existingTags);
    const version = await writeOnce(
      this.retry,
      async () =>
        (
          await this.writer.setSecret(recordName, value, {
            tags: pendingRecordTags(secretName, meta),
            enabled: true,
            ...(contentType ? { contentType } : {}),
          })
        ).properties.version ?? "",
      async () => {
        let found: KeyVaultSecret;
        try {
          found = await this.client.getSecret(recordName);
        } catch (error) {
          const e = error as { statusCode?: number; details?: unknown };
          // None there, or only a disabled one: the write (which enables) did not land.
          if (e.statusCode === 404 || (e.statusCode === 403 && isDisabled(e.details))) return undefined;
          throw error;
        }
        return found.properties.tags?.RotationId === meta.rotationId && found.properties.enabled !== false
          ? (found.properties.version ?? "")
          : undefined;
      },
      (error) => fromKeyVaultError(error, `staging the pending record of '${secretName}'`),
      signal,
    );
    return { ...meta, recordName, version, value };
  }

  async disablePending(record: PendingRecord): Promise<void> {
    await this.call(`closing the pending record '${record.recordName}'`, () =>
      this.client.updateSecretProperties(record.recordName, record.version, { enabled: false }),
    );
  }

  /** Records in the pending record how far its rotation got (PATCH of its tags: safe to repeat). */
  async recordStep(secretName: string, record: PendingRecord, step: string): Promise<PendingRecord> {
    const next = { ...record, step };
    await this.call(`recording step '${step}' in '${record.recordName}'`, () =>
      this.client.updateSecretProperties(record.recordName, record.version, {
        tags: pendingRecordTags(secretName, next),
      }),
    );
    return next;
  }

  /** Writes the new version once: a lost answer is told from a write that did not land by its RotationId tag. */
  async commit(
    name: string,
    input: CommitInput,
    signal?: AbortSignal,
  ): Promise<{ version: string; expiresOn: Date }> {
    const rotationId = input.tags.RotationId;
    return writeOnce(
      this.retry,
      async () => {
        const written = await this.writer.setSecret(name, input.value, {
          tags: input.tags,
          expiresOn: input.expiresOn,
          enabled: true,
          ...(input.contentType ? { contentType: input.contentType } : {}),
        });
        return {
          version: written.properties.version ?? "",
          expiresOn: written.properties.expiresOn ?? input.expiresOn,
        };
      },
      async () => {
        const latest = await this.readLatest(name);
        return rotationId !== undefined && latest.tags.RotationId === rotationId
          ? { version: latest.version, expiresOn: latest.expiresOn ?? input.expiresOn }
          : undefined;
      },
      (error) => fromKeyVaultError(error, `writing the new version of '${name}'`),
      signal,
    );
  }

  /** Every secret's properties (no values), one page at a time: the list is never held whole. */
  listProperties(): AsyncIterable<SecretProperties> {
    return this.client.listPropertiesOfSecrets();
  }

  /**
   * Every secret's properties, page by page, read ahead: a reader of its own pulls pages as fast as Key Vault
   * answers (up to `readAhead` pages beyond the consumer), so the next request is on the wire while the caller
   * works on this page. Memory stays bounded by the read-ahead, never the vault.
   */
  async *listPropertyPages(readAhead = 4): AsyncIterable<SecretProperties[]> {
    const pages = this.client.listPropertiesOfSecrets().byPage()[Symbol.asyncIterator]();
    const buffered: SecretProperties[][] = [];
    let done = false;
    let failure: { error: unknown } | undefined;
    let wakeConsumer: (() => void) | undefined;
    let wakeReader: (() => void) | undefined;
    let stopped = false;
    const reader = (async () => {
      try {
        while (!stopped) {
          if (buffered.length >= readAhead) {
            await new Promise<void>((resolve) => (wakeReader = resolve));
            continue;
          }
          const page = await pages.next();
          if (page.done) break;
          buffered.push(page.value);
          wakeConsumer?.();
        }
      } catch (error) {
        failure = { error };
      } finally {
        done = true;
        wakeConsumer?.();
      }
    })();
    try {
      for (;;) {
        const page = buffered.shift();
        if (page) {
          wakeReader?.();
          yield page;
          continue;
        }
        if (failure) throw failure.error;
        if (done) return;
        await new Promise<void>((resolve) => (wakeConsumer = resolve));
        wakeConsumer = undefined;
      }
    } finally {
      stopped = true;
      wakeReader?.();
      await reader;
    }
  }

  /** Tags of the latest version of a secret, also when it is disabled; undefined when there is none. */
  private async tagsOfLatest(name: string): Promise<Record<string, string> | undefined> {
    try {
      return (await this.client.getSecret(name)).properties.tags ?? {};
    } catch (error) {
      const e = error as { statusCode?: number; details?: unknown };
      if (e.statusCode === 404) return undefined;
      if (!(e.statusCode === 403 && isDisabled(e.details)))
        throw fromKeyVaultError(error, `reading '${name}'`);
    }
    return this.tagsOfLatestVersion(name);
  }

  /** The tags of the newest version, read from the versions list (a disabled version cannot be read). */
  private async tagsOfLatestVersion(name: string): Promise<Record<string, string>> {
    let latest: SecretProperties | undefined;
    for await (const v of this.client.listPropertiesOfSecretVersions(name)) {
      if (!latest || (v.createdOn?.getTime() ?? 0) >= (latest.createdOn?.getTime() ?? 0)) latest = v;
    }
    return latest?.tags ?? {};
  }

  private assertOwned(
    secretName: string,
    recordName: string,
    tags: Record<string, string> | undefined,
  ): void {
    const owner = tags?.[PENDING_FOR_TAG];
    if (owner === undefined || owner.toLowerCase() !== secretName.toLowerCase()) {
      throw new RotationError(
        "PendingNameCollision",
        `secret '${recordName}' exists but is not the pending record of '${secretName}' (no ${PENDING_FOR_TAG}=${secretName} tag); rename it so rotations can stage their value there`,
        false,
      );
    }
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw fromKeyVaultError(error, action);
    }
  }
}

function isDisabled(details: unknown): boolean {
  return JSON.stringify(details ?? "").includes("SecretDisabled");
}

function toCurrent(secret: KeyVaultSecret): CurrentSecret {
  const p = secret.properties;
  return {
    name: secret.name,
    version: p.version ?? "",
    value: secret.value ?? "",
    tags: { ...(p.tags ?? {}) },
    ...(p.contentType ? { contentType: p.contentType } : {}),
    enabled: p.enabled ?? true,
    ...(p.expiresOn ? { expiresOn: p.expiresOn } : {}),
    ...(p.createdOn ? { createdOn: p.createdOn } : {}),
  };
}
