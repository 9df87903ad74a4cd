import { armScopesFor } from "../../allowedTargets.js";
import { authorizeConsumers } from "../../consumers/authorizeConsumers.js";
import { parseConsumers } from "../../consumers/consumerTags.js";
import { CONSUMER_KINDS, type Consumer } from "../../consumers/consumer.js";
import type { ConsumerLedger } from "../consumerLedger.js";
import { need, type RunState, type Step } from "./runState.js";

/**
 * The consumers that were told of the latest version and have not confirmed it (stale ones, and told ones of
 * a kind the platform can confirm). No record for the latest version (it predates its consumers, or them
 * being named): nothing to wait for.
 */
async function unconfirmed(
  consumers: readonly Consumer[],
  version: string,
  ledger: ConsumerLedger,
  run: RunState,
): Promise<string[]> {
  const entry = await ledger.read(run.request.vault, run.request.secret);
  if (entry?.version !== version) return [];
  const named = new Set(consumers.map((c) => c.label));
  return entry.reports
    .filter((r) => named.has(r.consumer))
    .filter((r) => r.state === "stale" || (r.state === "told" && CONSUMER_KINDS[r.kind].confirmable))
    .map((r) => r.consumer);
}

/**
 * Plan consumers: the `Consumers` tags -> consumers, each authorized against the ARM scopes the app may
 * touch. A tag that cannot be used or a consumer outside them fails the rotation before anything changes.
 * A run that only finishes a committed rotation reports such a problem instead: the version is written.
 * Also reads which consumers have not confirmed the latest version: retirement of old credentials waits for
 * them (rotators, consumerHold.ts).
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
      if (consumers.length > 0)
        authorizeConsumers(
          consumers,
          armScopesFor(deps.settings.allowedTargets ?? [], run.request.vault),
          secret,
        );
      run.consumers = consumers;
      if (consumers.length > 0 && run.resumedAfter !== "commit")
        run.unconfirmedConsumers = await unconfirmed(consumers, current.version, deps.consumerLedger, run);
    } catch (error) {
      if (run.resumedAfter !== "commit") throw error;
      run.consumers = [];
      deps.logger.warn("consumers not told: their tags cannot be used", {
        rotationId: run.rotationId,
        reason: run.redactor.scrub((error as Error).message).slice(0, 300),
      });
    }
    return undefined;
  },
};
