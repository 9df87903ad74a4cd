import type { InvocationContext, Timer } from "@azure/functions";
import { rotatorApp } from "../src/runtime.js";
import { rotateDue } from "../src/sweep/rotateDue.js";
import { register } from "./functionDefinition.js";

/** Timer on SWEEP_SCHEDULE: the backstop that rotates what the events missed and redelivers the audit outbox. */
export async function complianceSweep(timer: Timer, context: InvocationContext): Promise<void> {
  const app = await rotatorApp();
  const result = await rotateDue(app);
  const line = `sweep: ${result.secrets} secrets in ${result.vaults} vault(s); ${result.rotated} rotated, ${result.failed} failed; audit outbox ${result.audit.delivered} sent, ${result.audit.remaining} waiting${timer.isPastDue ? " (past due)" : ""}`;
  if (result.failed > 0) context.warn(line);
  else context.log(line);
}

export const complianceSweepFunction = register({
  name: "complianceSweep",
  trigger: "timer",
  options: { schedule: "%SWEEP_SCHEDULE%", handler: complianceSweep },
});
