import { RotationError } from "../../errors.js";
import type { Step } from "./runState.js";

/**
 * Read current: the latest version and the pending record. An enabled pending record is an earlier run's
 * rotation: this run takes it over (its id, its value) and starts after the last step it recorded, or after
 * the commit when the latest version already carries its id. Otherwise a request for a version that is no
 * longer the latest is skipped as already rotated.
 */
export const readCurrent: Step = {
  name: "read",
  writes: false,
  always: true,
  run: async (run, deps) => {
    const { request, gateway, redactor } = run;
    // The consumer catch-up may have read it just before (and not waited since).
    const current = run.current ?? (await gateway.readLatest(request.secret));
    redactor.add(current.value);
    run.current = current;
    const { record: pending, seen } = await gateway.pendingState(request.secret);
    if (seen) run.pendingSeen = seen;
    if (!pending) {
      if (request.resumeOnly) {
        // An index entry left by a run that died before staging: nothing to resume.
        await deps.openRotations.closed(request.vault, request.secret);
        return { skip: "not-due", detail: "no rotation of this secret is under way" };
      }
      if (request.expectedVersion && current.version !== request.expectedVersion.toLowerCase())
        return {
          skip: "already-rotated",
          detail: `the ${request.trigger === "event" ? "event" : "request"} was for version ${request.expectedVersion}; the latest is ${current.version}`,
        };
      return undefined;
    }
    redactor.add(pending.value);
    run.pending = pending;
    run.rotationId = pending.rotationId;
    run.pendingKept = true;
    deps.logger.warn("resuming an interrupted rotation", {
      rotationId: pending.rotationId,
      secret: request.secret,
    });
    if (current.tags.RotationId === pending.rotationId) {
      // Committed already; only the finish is missing.
      run.resumedAfter = "commit";
      run.committed = {
        previousVersion: current.tags.PreviousVersion ?? pending.baseVersion,
        version: current.version,
        expiresOn: current.expiresOn ?? deps.now(),
        credentialId: pending.credentialId,
      };
      return undefined;
    }
    if (current.version !== pending.baseVersion) {
      throw new RotationError(
        "PendingConflict",
        `a rotation (${pending.rotationId}) was staged on version ${pending.baseVersion}, but version ${current.version} was written since; check which value the target accepts, then disable '${pending.recordName}'`,
        false,
      );
    }
    // Only a rotation this app staged: the pending record's name and tags are anyone's who may set secrets.
    const noted = await deps.openRotations.rotationOf(request.vault, request.secret);
    if (noted !== pending.rotationId)
      throw new RotationError(
        "PendingConflict",
        `the pending record '${pending.recordName}' names rotation ${pending.rotationId}, which this app did not stage (its index of open rotations ${noted ? `names ${noted}` : "has none"}); check it, then disable it`,
        false,
      );
    run.resumedAfter = pending.step === "verify" ? "verify" : "stage";
    return undefined;
  },
};
