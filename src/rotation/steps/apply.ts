import { rotatorContext, stagedChange } from "./stepContext.js";
import { need, type Step } from "./runState.js";

/** Apply: the staged value is set on the target (after issue: any follow-up). Safe to repeat. */
export const apply: Step = {
  name: "apply",
  writes: true,
  run: async (run, deps) => {
    const plan = need(run.plan, "the plan");
    await plan.rotator.apply(plan.target, stagedChange(run, deps), rotatorContext(run, deps));
    return undefined;
  },
};
