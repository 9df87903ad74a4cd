import { SimulatedCrash } from "../../errors.js";
import { logStale, tellAndConfirm } from "../consumerRound.js";
import { need, type Step } from "./runState.js";

/**
 * After commit: tell each consumer the secret names that a new version exists, then watch (up to
 * CONSUMER_WAIT_SECONDS) until the platform shows it resolved that version. The outcome and the audit event
 * carry the result per consumer; a consumer that cannot be told never fails the rotation (the version is
 * committed) and is told again by a later run (catchUpConsumers).
 */
export const tellConsumers: Step = {
  name: "tell-consumers",
  writes: true,
  run: async (run, deps) => {
    const consumers = run.consumers ?? [];
    if (consumers.length === 0) return undefined;
    const committed = need(run.committed, "the committed version");
    // Resumed after the commit, the latest version read is the one committed; otherwise the commit just happened.
    const since = (run.resumedAfter === "commit" ? run.current?.createdOn : undefined) ?? deps.now();
    const target = {
      vault: run.request.vault,
      secret: run.request.secret,
      version: committed.version,
      since,
    };
    try {
      run.consumerReports = await tellAndConfirm({
        consumers,
        target,
        ctx: { credential: deps.credential, azure: deps.azure, signal: run.signal },
        ledger: deps.consumerLedger,
        waitMs: (deps.settings.consumerWaitSeconds ?? 0) * 1000,
        redactor: run.redactor,
        mark: run.mark,
      });
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      // The ledger could not be read or written: report every consumer; the version stays committed.
      const detail = `not told: ${run.redactor.scrub((error as Error).message).slice(0, 200)}`;
      run.consumerReports = consumers.map((c) => ({
        consumer: c.label,
        kind: c.kind,
        version: committed.version,
        state: "stale" as const,
        detail,
      }));
    }
    logStale(deps.logger, target, run.consumerReports);
    return undefined;
  },
};
