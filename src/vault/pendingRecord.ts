import { createHash } from "node:crypto";

/**
 * The pending record: a companion secret that holds a rotation's new value from before the target is
 * touched until the rotation is committed. Enabled while a rotation is under way, disabled when it ends,
 * never deleted (purge protection would block re-creating the name). Its tags tie it to its secret.
 */
export const PENDING_FOR_TAG = "AkvRotatorPendingFor";
/** The pending record's checkpoint: the last step of its rotation that completed. */
export const STEP_TAG = "RotationStep";

export interface PendingRecord {
  /** Name of the companion secret in Key Vault. */
  recordName: string;
  /** Its Key Vault version. */
  version: string;
  /** The full value to commit (JSON form already merged when the secret is JSON). */
  value: string;
  rotationId: string;
  /** The latest version of the secret when the rotation was staged. */
  baseVersion: string;
  /** The credential the new value is for (the alternate one in dual-credential mode). */
  credentialId: string;
  trigger: string;
  stagedAt: Date;
  /** How far the rotation got: the last step it recorded (`stage` when written, `verify` later). */
  step?: string;
}

/** `<secret>--pending`, or a hashed name when that would pass Key Vault's 127-character limit. */
export function pendingRecordName(secretName: string): string {
  const plain = `${secretName}--pending`;
  if (plain.length <= 127) return plain;
  return `akvr-pending-${createHash("sha256").update(secretName.toLowerCase()).digest("hex").slice(0, 48)}`;
}

export function pendingRecordTags(
  secretName: string,
  record: Omit<PendingRecord, "recordName" | "version" | "value">,
): Record<string, string> {
  return {
    [PENDING_FOR_TAG]: secretName,
    RotationId: record.rotationId,
    BaseVersion: record.baseVersion,
    // Rotators without a login (random) have no credential id; Key Vault tags are better left out than empty.
    ...(record.credentialId ? { CredentialId: record.credentialId } : {}),
    RotationTrigger: record.trigger,
    StagedAt: record.stagedAt.toISOString(),
    ...(record.step ? { [STEP_TAG]: record.step } : {}),
  };
}

/** Reads a pending record from its tags, or undefined when they are not a complete set. */
export function parsePendingTags(
  tags: Record<string, string> | undefined,
): Omit<PendingRecord, "recordName" | "version" | "value"> | undefined {
  const t = tags ?? {};
  const stagedAt = new Date(t.StagedAt ?? "");
  if (!t.RotationId || !t.BaseVersion || !t.RotationTrigger || Number.isNaN(stagedAt.getTime()))
    return undefined;
  return {
    rotationId: t.RotationId,
    baseVersion: t.BaseVersion,
    credentialId: t.CredentialId ?? "",
    trigger: t.RotationTrigger,
    stagedAt,
    ...(t[STEP_TAG] ? { step: t[STEP_TAG] } : {}),
  };
}
