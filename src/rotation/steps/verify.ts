import { RotationError, SimulatedCrash } from "../../errors.js";
import { revertTarget } from "./revertTarget.js";
import { rotatorContext, stagedChange } from "./stepContext.js";
import { need, type Step } from "./runState.js";

/**
 * Verify: the target accepts the new value (a fresh login, a token, the provider's own view). On failure a
 * single credential gets its old value back and the rotation stays staged; an issued value the target does
 * not hold is worth nothing: it is removed from the provider, its record closed, and the next run issues
 * a fresh one.
 */
export const verify: Step = {
  name: "verify",
  writes: false,
  // Issued credentials: resuming after a verified one needs no second wait for the provider.
  recorded: (run) => run.plan?.rotator.issue !== undefined,
  run: async (run, deps) => {
    const plan = need(run.plan, "the plan");
    const pending = need(run.pending, "the pending record");
    const change = stagedChange(run, deps);
    try {
      await plan.rotator.verify(plan.target, change, rotatorContext(run, deps));
      return undefined;
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      await revertTarget(run, deps, change, "verify failed");
      const reason = run.redactor.scrub((error as Error).message ?? String(error));
      if (plan.rotator.issue) {
        // Removed from the provider before the record closes: no credential outlives a failed rotation.
        await plan.rotator.retire?.(plan.target, change, rotatorContext(run, deps));
        await run.mark("verify:retired");
        await run.gateway.disablePending(pending);
        run.pendingKept = false;
        await deps.openRotations.closed(run.request.vault, run.request.secret);
        throw new RotationError(
          "VerifyFailed",
          `the target does not hold the issued value: ${reason}; the next run issues a new one`,
          true,
        );
      }
      throw new RotationError("VerifyFailed", `the target did not accept the new value: ${reason}`, false);
    }
  },
};
