import { randomUUID } from "node:crypto";
import { AUDIT_EVENT_TYPES, auditSource, type AuditEvent } from "../audit/auditEvent.js";
import type { RotatorApp } from "../rotation/createEngine.js";
import type { ReportSummary } from "./complianceReport.js";
import { reportUploads } from "./reportStore.js";
import { runSweep, type SweepProgress } from "./runSweep.js";

export interface SweepRun {
  summary: ReportSummary;
  reports: string[];
  audit: { delivered: number; remaining: number };
}

/**
 * What the timer does: sweep every vault (rotating what is due), store the report in the app's container,
 * redeliver the audit outbox, and emit `ComplianceSweepCompleted`.
 */
export async function sweepAndReport(
  app: RotatorApp,
  options: { now?: () => Date; onProgress?: (p: SweepProgress) => void } = {},
): Promise<SweepRun> {
  const generatedAt = (options.now ?? (() => new Date()))();
  const uploads = reportUploads(app.container, generatedAt);
  const summary = await runSweep({
    vaults: app.vaults,
    settings: app.config,
    rotate: true,
    dryRun: false,
    engine: app.engine,
    trigger: "sweep",
    writers: uploads.writers,
    throttle: app.throttle,
    consumerLedger: app.consumerLedger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  await uploads.done;
  const audit = await app.audit.redeliver();
  const event: AuditEvent = {
    specversion: "1.0",
    id: randomUUID(),
    type: AUDIT_EVENT_TYPES.sweep,
    source: auditSource(app.config.vaults.map((v) => v.name).join(",")),
    subject: `sweep/${generatedAt.toISOString()}`,
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data: {
      vault: app.config.vaults.map((v) => v.name).join(","),
      outcome: summary.failed > 0 ? "completed-with-failures" : "completed",
      trigger: "sweep",
      durationMs: summary.durationMs,
      total: summary.total,
      byState: summary.byState,
      rotated: summary.rotated,
      failed: summary.failed,
      report: uploads.names[0],
    },
  };
  await app.audit.record(event);
  return { summary, reports: uploads.names, audit };
}
