import type { InvocationContext, Timer } from "@azure/functions";
import { rotatorApp } from "../src/runtime.js";
import { runScheduledRotations } from "../src/sweep/scheduledRotations.js";
import { register } from "./functionDefinition.js";

/** Timer on SCHEDULED_ROTATION_SCHEDULE: rotates what the sweep's due index says is due now (windows, schedules). */
export async function scheduledRotations(timer: Timer, context: InvocationContext): Promise<void> {
  const app = await rotatorApp();
  const run = await runScheduledRotations(app);
  if (run.due === 0) return;
  const count = (status: string): number => run.outcomes.filter((o) => o.status === status).length;
  const line = `scheduled rotations: ${run.due} due; ${count("rotated")} rotated, ${count("skipped")} skipped, ${count("busy")} busy, ${count("failed")} failed; ${run.remaining} left in the index${timer.isPastDue ? " (past due)" : ""}`;
  if (count("failed") > 0) context.warn(line);
  else context.log(line);
}

export const scheduledRotationsFunction = register({
  name: "scheduledRotations",
  trigger: "timer",
  options: { schedule: "%SCHEDULED_ROTATION_SCHEDULE%", handler: scheduledRotations },
});
