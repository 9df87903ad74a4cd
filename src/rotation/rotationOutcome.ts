import type { ConsumerReport } from "../consumers/consumer.js";

/** What a rotation ended with, as data: the functions map it to their trigger's answer. */
export type RotationTrigger = "event" | "http" | "sweep" | "cli" | "schedule";

export type SkipReason = "already-rotated" | "not-due" | "dry-run" | "unmanaged";

interface OutcomeBase {
  vault: string;
  secret: string;
  trigger: RotationTrigger;
  rotationId: string;
  rotator?: string;
  durationMs: number;
}

export interface RotatedOutcome extends OutcomeBase {
  status: "rotated";
  rotator: string;
  previousVersion: string;
  newVersion: string;
  expiresOn: string;
  credentialId: string;
  /** True when this run finished a rotation an earlier run had started. */
  resumed: boolean;
  /** Why it rotated outside its RotationWindow (it would have expired before the next one). */
  reason?: string;
  /** Per consumer the secret names: told, confirmed, or not confirmed and why. */
  consumers?: ConsumerReport[];
  /** Old credentials kept back for consumers that have not confirmed, or retired at their hard limit. */
  retirement?: string[];
}

export interface SkippedOutcome extends OutcomeBase {
  status: "skipped";
  reason: SkipReason;
  detail: string;
  /** For a dry run: what a rotation would do. */
  plan?: { rotator: string; strategy: "single" | "dual"; credentialId: string; validityDays: number };
}

export interface BusyOutcome extends OutcomeBase {
  status: "busy";
}

export interface FailedOutcome extends OutcomeBase {
  status: "failed";
  error: { code: string; message: string; retryable: boolean };
  /** A rotation is staged and will be resumed by the next run (the pending record holds its value). */
  pendingKept: boolean;
}

export type RotationOutcome = RotatedOutcome | SkippedOutcome | BusyOutcome | FailedOutcome;
