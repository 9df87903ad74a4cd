import { committedTags } from "../rotationPlan.js";
import type { CurrentSecret } from "../../vault/vaultGateway.js";
import { revertTarget } from "./revertTarget.js";
import { DAY_MS, stagedChange } from "./stepContext.js";
import { need, type Committed, type RunState, type Step, type StepDeps } from "./runState.js";

/**
 * The commit failed for good (the gateway has already told a lost answer from a write that did not land,
 * and retried the latter). If Key Vault shows it landed after all, carry on. If Key Vault shows it did not,
 * put the old value back on the target (single mode) so consumers of the latest version keep working until
 * the next run; the pending record keeps the new value. If Key Vault cannot tell, change nothing: the
 * pending record holds the value the target now has.
 */
async function afterFailedCommit(
  run: RunState,
  deps: StepDeps,
  current: CurrentSecret,
  error: unknown,
): Promise<Committed> {
  let latest: CurrentSecret;
  try {
    latest = await run.gateway.readLatest(run.request.secret);
  } catch {
    throw error;
  }
  if (latest.tags.RotationId === run.rotationId)
    return {
      previousVersion: current.version,
      version: latest.version,
      expiresOn: latest.expiresOn ?? deps.now(),
      credentialId: need(run.plan, "the plan").credentialId,
    };
  if (latest.version === current.version) {
    const reverted = await revertTarget(run, deps, stagedChange(run, deps), "commit failed");
    if (reverted)
      deps.logger.warn("commit failed; the old value is back on the target and the rotation stays staged", {
        rotationId: run.rotationId,
      });
  }
  throw error;
}

/** Commit: the staged value becomes the secret's new version, with `expiresOn = now + validity`. */
export const commit: Step = {
  name: "commit",
  writes: true,
  run: async (run, deps) => {
    const current = need(run.current, "the current version");
    const plan = need(run.plan, "the plan");
    const pending = need(run.pending, "the pending record");
    const at = deps.now();
    try {
      const written = await run.gateway.commit(
        run.request.secret,
        {
          value: pending.value,
          tags: committedTags(current.tags, plan, {
            rotationId: run.rotationId,
            trigger: pending.trigger,
            previousVersion: current.version,
            at,
          }),
          ...(current.contentType ? { contentType: current.contentType } : {}),
          expiresOn: new Date(at.getTime() + plan.validityDays * DAY_MS),
        },
        run.signal,
      );
      run.committed = { previousVersion: current.version, credentialId: plan.credentialId, ...written };
    } catch (error) {
      // Past the run's deadline the run has already returned and another may be resuming: touch nothing.
      if (run.signal.aborted) throw error;
      run.committed = await afterFailedCommit(run, deps, current, error);
    }
    return undefined;
  },
};
