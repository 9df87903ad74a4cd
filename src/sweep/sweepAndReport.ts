import { randomUUID } from "node:crypto";
import { AUDIT_EVENT_TYPES, auditSource, type AuditEvent } from "../audit/auditEvent.js";
import type { RotatorApp } from "../rotation/createEngine.js";
import type { ReportSummary } from "./complianceReport.js";
import { expiryWarningEvent } from "../audit/expiryWarning.js";
import { DueIndexBuilder, readDueIndex, writeDueIndex } from "./dueIndex.js";
import { ExpiryWarnings, readSentWarnings, writeSentWarnings } from "./expiryWarnings.js";
import { readVaultPosture } from "./readVaultPosture.js";
import { reportUploads } from "./reportStore.js";
import { runSweep, type SweepProgress } from "./runSweep.js";

export interface SweepRun {
  summary: ReportSummary;
  reports: string[];
  audit: { delivered: number; remaining: number };
}

/**
 * What the timer does: sweep every vault (rotating what is due), store the report in the app's container,
 * write the due index the frequent timer works from, redeliver the audit outbox, and emit
 * `ComplianceSweepCompleted`.
 */
export async function sweepAndReport(
  app: RotatorApp,
  options: { now?: () => Date; onProgress?: (p: SweepProgress) => void } = {},
): Promise<SweepRun> {
  const generatedAt = (options.now ?? (() => new Date()))();
  const uploads = reportUploads(app.container, generatedAt);
  const posture = await readVaultPosture(
    app.config,
    app.config.vaults.map((v) => ({ name: v.name, resourceId: app.config.vaultResourceIds[v.name] })),
    app.credential,
  );
  // The last index's failure records (the frequent timer's failures since the last sweep among them).
  const { failing } = (await readDueIndex(app.container)).index;
  const dueIndex = new DueIndexBuilder(generatedAt, failing);
  const warnings = new ExpiryWarnings(
    generatedAt,
    app.config.expiryWarningDays,
    await readSentWarnings(app.container),
    failing,
  );
  const summary = await runSweep({
    vaults: app.vaults,
    settings: app.config,
    rotate: true,
    dryRun: false,
    engine: app.engine,
    trigger: "sweep",
    writers: uploads.writers,
    throttle: app.throttle,
    policy: app.config.policy,
    posture,
    observers: [dueIndex, warnings],
    consumerLedger: app.consumerLedger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  await uploads.done;
  // Unconditional: the sweep's fresh view replaces whatever the frequent timer left.
  await writeDueIndex(app.container, dueIndex.build());
  // Kept in the outbox first, like every audit event: a warning the topic did not take is sent later.
  for (const w of warnings.warnings) await app.audit.record(expiryWarningEvent(w, generatedAt));
  await writeSentWarnings(app.container, warnings.memory());
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
      warnings: warnings.warnings.length,
      postureFailing: posture.flatMap((v) =>
        v.checks.filter((c) => c.status !== "pass").map((c) => `${v.vault}:${c.name}`),
      ),
      policyNonCompliant: summary.policyNonCompliant,
      report: uploads.names[0],
    },
  };
  await app.audit.record(event);
  return { summary, reports: uploads.names, audit };
}
