import type { InvocationContext, Timer } from "@azure/functions";
import { rotatorApp } from "../src/runtime.js";
import { needsAttention } from "../src/sweep/complianceReport.js";
import { sweepAndReport } from "../src/sweep/sweepAndReport.js";
import { register } from "./functionDefinition.js";

/** Timer on SWEEP_SCHEDULE: rotates what the events missed, stores the compliance report, redelivers the audit outbox. */
export async function complianceSweep(timer: Timer, context: InvocationContext): Promise<void> {
  const app = await rotatorApp();
  const { summary, audit } = await sweepAndReport(app);
  const states = Object.entries(summary.byState)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(", ");
  const line = `sweep: ${summary.total} secrets (${states || "none"}); ${summary.rotated} rotated, ${summary.failed} failed; audit outbox ${audit.delivered} sent, ${audit.remaining} waiting${timer.isPastDue ? " (past due)" : ""}`;
  if (summary.failed > 0) context.warn(line);
  else context.log(line);
  // The signal the 'secrets-need-attention' alert rule reads (README, Monitoring and alerts).
  if (needsAttention(summary)) {
    const s = summary.byState;
    context.warn(
      `sweep needs attention: expired=${s.expired} misconfigured=${s.misconfigured} overdue=${s.overdue} pending-stuck=${s["pending-stuck"]} failed=${summary.failed}`,
    );
  }
}

export const complianceSweepFunction = register({
  name: "complianceSweep",
  trigger: "timer",
  options: { schedule: "%SWEEP_SCHEDULE%", handler: complianceSweep },
});
