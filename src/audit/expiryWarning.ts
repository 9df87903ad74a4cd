import { createHash } from "node:crypto";
import { AUDIT_EVENT_TYPES, auditSource, type AuditEvent } from "./auditEvent.js";

/** Why nobody will renew the secret in time unless a person acts. */
export type WarningReason = "not-rotated" | "misconfigured" | "rotation-failing" | "rotation-stuck";

export interface ExpiryWarning {
  vault: string;
  secret: string;
  reason: WarningReason;
  /** The report state and detail that led to it (no value, only names and dates). */
  state: string;
  detail: string;
  expiresOn: string;
  daysLeft: number;
  /** The lead time (EXPIRY_WARNING_DAYS) this warning is for. */
  leadDays: number;
  /** For `rotation-failing`: failed runs in a row (sweeps and the frequent timer). */
  failures?: number;
  /** The secret's `Owner` tag, when it has one. */
  owner?: string;
}

/**
 * `AkvRotator.SecretExpiryWarning`. Its id is derived from vault, secret, expiry and lead time, so the same
 * warning delivered twice (outbox redelivery) can be recognised as one.
 */
export function expiryWarningEvent(w: ExpiryWarning, now: Date): AuditEvent {
  const hex = createHash("sha256")
    .update(`${w.vault}\n${w.secret}\n${w.expiresOn}\n${w.leadDays}`)
    .digest("hex");
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return {
    specversion: "1.0",
    id,
    type: AUDIT_EVENT_TYPES.warning,
    source: auditSource(w.vault),
    subject: `${w.vault}/secrets/${w.secret}`,
    time: now.toISOString(),
    datacontenttype: "application/json",
    data: {
      vault: w.vault,
      secret: w.secret,
      outcome: "warning",
      trigger: "sweep",
      durationMs: 0,
      reason: w.reason,
      state: w.state,
      detail: w.detail,
      expiresOn: w.expiresOn,
      daysLeft: w.daysLeft,
      leadDays: w.leadDays,
      ...(w.failures !== undefined ? { failures: w.failures } : {}),
      ...(w.owner !== undefined ? { owner: w.owner } : {}),
    },
  };
}
