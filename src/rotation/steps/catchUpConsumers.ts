import { armScopesFor } from "../../allowedTargets.js";
import { authorizeConsumers } from "../../consumers/authorizeConsumers.js";
import { CONSUMER_TAGS, parseConsumers } from "../../consumers/consumerTags.js";
import { logStale, tellAndConfirm } from "../consumerRound.js";
import type { Step } from "./runState.js";

/**
 * Before anything else, every run of a secret (event, sweep, resume timer, on demand) finishes what an
 * earlier rotation left with its consumers: those the ledger shows `stale` for the latest version are told
 * again, those `told` are watched again. Consumers come from the latest version's tags and are authorized
 * again. A problem here is logged and never stops the run: it only concerns a version already committed.
 * It reads the latest version first, which the read step then uses: a secret that names no consumers costs
 * no extra round trip. When it told consumers (which takes a while), the read step reads the latest again.
 */
export const catchUpConsumers: Step = {
  name: "catch-up-consumers",
  writes: true,
  always: true,
  run: async (run, deps) => {
    const { request } = run;
    if (request.dryRun) return undefined;
    // Its failure is the read step's failure (the secret is missing, Key Vault refuses): not caught here.
    const latest = await run.gateway.readLatest(request.secret);
    run.redactor.add(latest.value);
    run.current = latest;
    if (!CONSUMER_TAGS.some((tag) => latest.tags[tag] !== undefined)) return undefined;
    try {
      const entry = await deps.consumerLedger.read(request.vault, request.secret);
      if (!entry || entry.reports.every((r) => r.state === "confirmed")) return undefined;
      if (latest.version !== entry.version) return undefined;
      run.current = undefined;
      const consumers = parseConsumers(latest.tags, request.secret, deps.settings.consumerSubscriptionId);
      authorizeConsumers(
        consumers,
        armScopesFor(deps.settings.allowedTargets ?? [], request.vault),
        request.secret,
      );
      const reports = await tellAndConfirm({
        consumers,
        target: {
          vault: request.vault,
          secret: request.secret,
          version: latest.version,
          since: latest.createdOn ?? deps.now(),
        },
        ctx: { credential: deps.credential, azure: deps.azure, signal: run.signal },
        ledger: deps.consumerLedger,
        waitMs: (deps.settings.consumerWaitSeconds ?? 0) * 1000,
        redactor: run.redactor,
      });
      logStale(deps.logger, request, reports);
      deps.logger.info("consumers caught up", {
        secret: request.secret,
        version: latest.version,
        consumers: reports.map((r) => `${r.consumer}: ${r.state}`).join(", "),
      });
    } catch (error) {
      deps.logger.warn("consumers of the latest version could not be caught up", {
        secret: request.secret,
        reason: run.redactor.scrub((error as Error).message).slice(0, 300),
      });
    }
    return undefined;
  },
};
