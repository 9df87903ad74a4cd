import { credentialChange, rotatorContext } from "./stepContext.js";
import { need, type Step } from "./runState.js";

/** Preflight: reach the target and authenticate as the rotation will; change nothing. */
export const preflight: Step = {
  name: "preflight",
  writes: true,
  run: async (run, deps) => {
    const plan = need(run.plan, "the plan");
    const change = credentialChange(run, deps, run.newCredential ?? "");
    await plan.rotator.preflight(plan.target, change, rotatorContext(run, deps));
    return undefined;
  },
};
