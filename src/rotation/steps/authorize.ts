import { authorizeBinding } from "../authorizeBinding.js";
import { rotatorContext } from "./stepContext.js";
import type { Step } from "./runState.js";

/**
 * The security model's step: the plan's bindings (target, admin secret, the app's Entra token) are allowed
 * by someone other than the tag-writer, or the run fails with `BindingNotAllowed` before anything is read
 * from or sent to the target. Runs on resumed rotations too: a staged rotation whose target is no longer
 * allowed is not applied. A run resumed after its commit touches no target and has nothing to authorize.
 */
export const authorize: Step = {
  name: "authorize",
  writes: false,
  always: true,
  run: async (run, deps) => {
    if (!run.plan || run.resumedAfter === "commit") return undefined;
    await authorizeBinding(run.plan, {
      vault: run.request.vault,
      secret: run.request.secret,
      allowedTargets: deps.settings.allowedTargets ?? [],
      readSecret: rotatorContext(run, deps).readSecret,
    });
    return undefined;
  },
};
