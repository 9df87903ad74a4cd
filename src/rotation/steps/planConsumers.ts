import { authorizeConsumers } from "../../consumers/authorizeConsumers.js";
import { parseConsumers } from "../../consumers/consumerTags.js";
import { need, type Step } from "./runState.js";

/**
 * Plan consumers: the `Consumers` tags -> consumers, each authorized against the ARM scopes the app may
 * touch. A tag that cannot be used or a consumer outside them fails the rotation before anything changes.
 * A run that only finishes a committed rotation reports such a problem instead: the version is written.
 */
export const planConsumers: Step = {
  name: "plan-consumers",
  writes: false,
  always: true,
  run: async (run, deps) => {
    const current = need(run.current, "the current version");
    const secret = run.request.secret;
    try {
      const consumers = parseConsumers(current.tags, secret, deps.settings.consumerSubscriptionId);
      if (consumers.length > 0) authorizeConsumers(consumers, deps.consumers?.allowedScopes ?? [], secret);
      run.consumers = consumers;
    } catch (error) {
      if (run.resumedAfter !== "commit") throw error;
      run.consumers = [];
      deps.logger.warn("consumers not told: their tags cannot be used", {
        rotationId: run.rotationId,
        reason: (error as Error).message,
      });
    }
    return undefined;
  },
};
