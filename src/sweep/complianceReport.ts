import type { ConsumerColumns } from "../consumers/consumerColumns.js";
import type { SecretState } from "./classifySecret.js";

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
}

export interface ReportSummary {
  total: number;
  byState: Record<SecretState, number>;
  rotated: number;
  failed: number;
  wouldRotate: number;
  /** Rotations found under way whose owner row could not be matched in listing order. */
  openRotations: { vault: string; secret: string; rotationId: string; stagedAt: string }[];
  throttled: number;
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
export function needsAttention(summary: ReportSummary): boolean {
  const s = summary.byState;
  return (
    summary.failed > 0 || s.expired > 0 || s.misconfigured > 0 || s["pending-stuck"] > 0 || s.overdue > 0
  );
}
