import { RotationError } from "../../errors.js";
import { credentialChange, rotatorContext } from "./stepContext.js";
import { need, type Step } from "./runState.js";

/** Issue: a target that makes its own credentials (access keys, client secrets) makes the new one now. */
export const issue: Step = {
  name: "issue",
  writes: true,
  run: async (run, deps) => {
    const plan = need(run.plan, "the plan");
    if (!plan.rotator.issue) return undefined;
    const change = credentialChange(run, deps, "");
    const issued = await plan.rotator.issue(plan.target, change, rotatorContext(run, deps));
    run.redactor.add(issued);
    if (issued === "")
      throw new RotationError(
        "TargetIssuedNothing",
        `the ${plan.rotatorType} target returned no new credential`,
        true,
      );
    run.newCredential = issued;
    return undefined;
  },
};
