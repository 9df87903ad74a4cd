import { randomUUID } from "node:crypto";
import type { RotationOutcome } from "../rotation/rotationOutcome.js";

export const AUDIT_EVENT_TYPES = {
  rotated: "AkvRotator.SecretRotated",
  failed: "AkvRotator.SecretRotationFailed",
  skipped: "AkvRotator.SecretRotationSkipped",
  sweep: "AkvRotator.ComplianceSweepCompleted",
  warning: "AkvRotator.SecretExpiryWarning",
} as const;

export interface AuditData {
  vault: string;
  secret?: string;
  outcome: string;
  trigger: string;
  rotator?: string;
  previousVersion?: string;
  newVersion?: string;
  expiresOn?: string;
  durationMs: number;
  reason?: string;
  error?: { code: string; message: string };
  [extra: string]: unknown;
}

/** A CloudEvents 1.0 audit event as stored in the outbox and sent to the topic. Never holds a secret value. */
export interface AuditEvent {
  specversion: "1.0";
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  datacontenttype: "application/json";
  data: AuditData;
}

export function auditSource(vault: string): string {
  return `/akv-rotator/vaults/${vault}`;
}

/**
 * The audit event of a rotation outcome (DESIGN.md, audit events). Its id is the rotation id, so a
 * redelivered event can be recognised as the same one. `busy` and dry runs record nothing.
 */
export function auditEventFor(outcome: RotationOutcome, now: Date = new Date()): AuditEvent | undefined {
  if (outcome.status === "busy") return undefined;
  if (outcome.status === "skipped" && outcome.reason === "dry-run") return undefined;
  const data: AuditData = {
    vault: outcome.vault,
    secret: outcome.secret,
    outcome: outcome.status,
    trigger: outcome.trigger,
    ...(outcome.rotator ? { rotator: outcome.rotator } : {}),
    durationMs: outcome.durationMs,
  };
  let type: string;
  if (outcome.status === "rotated") {
    type = AUDIT_EVENT_TYPES.rotated;
    Object.assign(data, {
      previousVersion: outcome.previousVersion,
      newVersion: outcome.newVersion,
      expiresOn: outcome.expiresOn,
      ...(outcome.consumers ? { consumers: outcome.consumers } : {}),
      ...(outcome.retirement ? { retirement: outcome.retirement } : {}),
    });
    if (outcome.reason) data.reason = outcome.reason;
  } else if (outcome.status === "failed") {
    type = AUDIT_EVENT_TYPES.failed;
    data.error = { code: outcome.error.code, message: outcome.error.message };
  } else {
    type = AUDIT_EVENT_TYPES.skipped;
    data.reason = outcome.reason;
  }
  return {
    specversion: "1.0",
    // A failed or skipped run of the same rotation is a different event from its eventual success.
    id: outcome.status === "rotated" ? outcome.rotationId : randomUUID(),
    type,
    source: auditSource(outcome.vault),
    subject: `${outcome.vault}/secrets/${outcome.secret}`,
    time: now.toISOString(),
    datacontenttype: "application/json",
    data,
  };
}
