import type { InvocationContext, Timer } from "@azure/functions";
import { resumeOpenRotations, RESUME_SCHEDULE } from "../src/rotation/resumeOpenRotations.js";
import { rotatorApp } from "../src/runtime.js";
import { register } from "./functionDefinition.js";

/**
 * Timer every 20 seconds: resumes rotations a crashed run left open (the index `open/` in the app's
 * container), and tells again the consumers a rotation could not tell (`consumers/`).
 */
export async function resumeRotations(_timer: Timer, context: InvocationContext): Promise<void> {
  const app = await rotatorApp();
  const summary = await resumeOpenRotations(app.engine, app.openRotations, 50, app.consumerLedger);
  if (summary.consumers) context.log(`resume: told the consumers of ${summary.consumers} secret(s) again`);
  if (summary.open === 0) return;
  const line = `resume: ${summary.open} open rotation(s); ${summary.resumed} resumed, ${summary.busy} busy, ${summary.failed} failed`;
  if (summary.failed > 0) context.warn(line);
  else context.log(line);
}

export const resumeRotationsFunction = register({
  name: "resumeRotations",
  trigger: "timer",
  options: { schedule: RESUME_SCHEDULE, handler: resumeRotations },
});
