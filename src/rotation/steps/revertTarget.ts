import { SimulatedCrash } from "../../errors.js";
import type { CredentialChange } from "../../rotators/rotator.js";
import { rotatorContext } from "./stepContext.js";
import { need, type RunState, type StepDeps } from "./runState.js";

/**
 * Single-credential mode: puts the current value back on the target, so consumers of the latest version
 * work again while the rotation stays staged. A failure is logged, never thrown: the pending record still
 * holds the value the target has. Answers whether the old value is back.
 */
export async function revertTarget(
  run: RunState,
  deps: StepDeps,
  change: CredentialChange,
  when: string,
): Promise<boolean> {
  const plan = need(run.plan, "the plan");
  if (plan.strategy !== "single" || !plan.rotator.revert) return false;
  try {
    await run.mark("revert");
    await plan.rotator.revert(plan.target, change, rotatorContext(run, deps));
    await run.mark("revert:done");
    return true;
  } catch (error) {
    if (error instanceof SimulatedCrash) throw error;
    deps.logger.error(
      `${when} and the old value could not be put back; the pending record holds the value the target has`,
      { rotationId: run.rotationId, reason: run.redactor.scrub((error as Error).message) },
    );
    return false;
  }
}
