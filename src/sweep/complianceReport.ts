import type { ConsumerColumns } from "../consumers/consumerColumns.js";
import type { SecretState } from "./classifySecret.js";
import type { PolicyDescription, PolicyResults, SecretPolicyName } from "./secretPolicies.js";
import type { VaultPosture } from "./vaultPosture.js";

/**
 * The compliance report, schema version 1 (documented in README "Compliance report"). Written as a stream:
 * the header fields, then `secrets` one row at a time, then `summary`, so memory stays flat however many
 * secrets there are. Never holds a secret value.
 */
export const REPORT_SCHEMA = "akv-rotator/compliance-report";
export const REPORT_SCHEMA_VERSION = 1;

export type RowAction = "none" | "rotated" | "failed" | "skipped" | "busy" | "would-rotate";

export interface ReportRow extends ConsumerColumns {
  vault: string;
  secret: string;
  state: SecretState;
  detail: string;
  enabled: boolean;
  rotator?: string;
  validityDays?: number;
  expiresOn?: string;
  createdOn?: string;
  rotatedAt?: string;
  dueAt?: string;
  /** The secret's `Owner` tag. */
  owner?: string;
  /** Each Azure Policy definition of SECRET_POLICIES: pass, fail or n/a. */
  policy?: PolicyResults;
  action: RowAction;
  outcome?: {
    status: string;
    newVersion?: string;
    expiresOn?: string;
    reason?: string;
    error?: { code: string; message: string };
  };
}

export interface ReportHeader {
  schema: typeof REPORT_SCHEMA;
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  generatedAt: string;
  trigger: string;
  rotate: boolean;
  dryRun: boolean;
  vaults: { name: string; url: string }[];
  settings: { rotateBeforeExpiryDays: number; defaultValidityDays: number };
  /** The Azure Policy definitions the rows are evaluated against, with their parameters. */
  policies?: PolicyDescription[];
  /** Each vault's posture against the Key Vault policies (ARM), when it was read. */
  posture?: VaultPosture[];
}

export interface ReportSummary {
  total: number;
  byState: Record<SecretState, number>;
  rotated: number;
  failed: number;
  /**
   * Secrets left needing attention after this sweep's own rotations: expired, overdue, misconfigured or
   * stuck, and not rotated by it (`byState` counts states as found, before rotation).
   */
  unresolved: number;
  wouldRotate: number;
  /** Rotations found under way whose owner row could not be matched in listing order. */
  openRotations: { vault: string; secret: string; rotationId: string; stagedAt: string }[];
  throttled: number;
  /** Secrets not compliant with each policy. */
  policyNonCompliant?: Record<SecretPolicyName, number>;
  durationMs: number;
  completedAt: string;
}

/** Rows are buffered synchronously (a sweep emits many); `flush` writes them out, honouring backpressure. */
export interface ReportWriter {
  start(header: ReportHeader): Promise<void>;
  row(row: ReportRow): void;
  flush(): Promise<void>;
  end(summary: ReportSummary): Promise<void>;
}

/** Whether a summary needs a person's attention (the CLI's exit code 1). */
/** The states a secret needs attention in until it is rotated or fixed. */
export const ATTENTION_STATES: ReadonlySet<SecretState> = new Set<SecretState>([
  "expired",
  "misconfigured",
  "pending-stuck",
  "overdue",
]);

/** Whether the sweep left anything to look at: a failed rotation, or a secret it did not bring back in order. */
export function needsAttention(summary: ReportSummary): boolean {
  return summary.failed > 0 || summary.unresolved > 0;
}
