import { replaceCredential } from "../secretValue.js";
import { need, type Step } from "./runState.js";

/** Stage: the new value goes into the pending record before the target is touched (or right after it issued it). */
export const stage: Step = {
  name: "stage",
  writes: true,
  run: async (run, deps) => {
    const { request, gateway, redactor } = run;
    const current = need(run.current, "the current version");
    const plan = need(run.plan, "the plan");
    const login =
      plan.strategy === "dual" ? { from: plan.activeCredentialId, to: plan.credentialId } : undefined;
    const value = replaceCredential(
      current.value,
      current.contentType,
      request.secret,
      need(run.newCredential, "the new credential"),
      login,
    );
    redactor.add(value);
    // Indexed before it is staged: the resume timer finds it whatever happens next.
    await deps.openRotations.opened(request.vault, request.secret, run.rotationId);
    await run.mark("stage:indexed");
    run.pending = await gateway.stagePending(
      request.secret,
      value,
      current.contentType,
      {
        rotationId: run.rotationId,
        baseVersion: current.version,
        credentialId: plan.credentialId,
        trigger: request.trigger,
        stagedAt: deps.now(),
        step: "stage",
      },
      run.pendingSeen,
      run.signal,
    );
    run.pendingKept = true;
    return undefined;
  },
};
