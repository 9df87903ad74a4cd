import type { Consumer, ConsumerReport } from "../consumers/consumer.js";
import type { ConsumerContext } from "../consumers/armRest.js";
import { CONSUMER_HANDLERS } from "../consumers/consumerHandlers.js";
import type { ConsumedVersion } from "../consumers/consumerHandler.js";
import type { ConsumerLedger } from "./consumerLedger.js";
import type { Logger } from "../logging/logger.js";
import type { Redactor } from "./redaction.js";

export interface ConsumerRound {
  consumers: readonly Consumer[];
  target: ConsumedVersion;
  ctx: ConsumerContext;
  ledger: ConsumerLedger;
  /** How long to wait for the platform to show the new version (CONSUMER_WAIT_SECONDS). */
  waitMs: number;
  redactor: Redactor;
  /** A crash seam after the consumers were told and before the ledger says so (tests; see RunState.mark). */
  mark?: (point: string) => Promise<void>;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Tells every consumer of `target.version` that was not told of it yet (the ledger remembers who was: a
 * resumed run or a later one tells each exactly once), then watches what the platform shows until each
 * confirmed or `waitMs` passed. A consumer that cannot be told is `stale`, with the reason; one told but
 * not seen on the new version in time is `told`. Nothing here fails the rotation: the version is committed.
 */
export async function tellAndConfirm(round: ConsumerRound): Promise<ConsumerReport[]> {
  const { consumers, target, ctx, ledger, redactor } = round;
  const before = await ledger.read(target.vault, target.secret);
  const earlier = new Map(
    before?.version === target.version ? before.reports.map((r) => [r.consumer, r] as const) : [],
  );
  const reports = new Map<string, ConsumerReport>();
  const why = (error: unknown): string =>
    redactor.scrub((error as Error).message ?? String(error)).slice(0, 300);
  for (const consumer of consumers) {
    const prior = earlier.get(consumer.label);
    const base = { consumer: consumer.label, kind: consumer.kind, version: target.version };
    if (prior && prior.state !== "stale") {
      reports.set(consumer.label, {
        ...base,
        state: prior.state,
        ...(prior.detail ? { detail: prior.detail } : {}),
      });
      continue;
    }
    try {
      await CONSUMER_HANDLERS[consumer.kind].tell(consumer, target, ctx);
      reports.set(consumer.label, { ...base, state: "told" });
    } catch (error) {
      reports.set(consumer.label, { ...base, state: "stale", detail: `could not be told: ${why(error)}` });
    }
  }
  await round.mark?.("tell-consumers:told");
  await ledger.write(target.vault, target.secret, {
    version: target.version,
    reports: [...reports.values()],
  });
  const until = Date.now() + round.waitMs;
  const unobservable = new Set<string>();
  const watched = (c: Consumer): boolean =>
    reports.get(c.label)?.state === "told" && !unobservable.has(c.label);
  for (let wait = 500; ; wait = Math.min(wait * 2, 5000)) {
    const open = consumers.filter(watched);
    for (const consumer of open) {
      const report = reports.get(consumer.label) as ConsumerReport;
      try {
        const seen = await CONSUMER_HANDLERS[consumer.kind].observe(consumer, target, ctx);
        if (seen.confirmed) {
          report.state = "confirmed";
          delete report.detail;
        } else {
          report.detail = `not confirmed: ${redactor.scrub(seen.detail)}`;
          if (seen.unobservable) unobservable.add(consumer.label);
        }
      } catch (error) {
        report.detail = `not confirmed: ${why(error)}`;
      }
    }
    const waiting = consumers.some(watched);
    if (!waiting || Date.now() + wait > until || ctx.signal?.aborted) break;
    await sleep(wait, ctx.signal);
  }
  const result = [...reports.values()];
  const staleRuns = result.some((r) => r.state === "stale")
    ? (before?.version === target.version ? (before.staleRuns ?? 0) : 0) + 1
    : 0;
  await ledger.write(target.vault, target.secret, { version: target.version, reports: result, staleRuns });
  return result;
}

/**
 * One log line per consumer left stale: `consumer stale`, which the template's `consumers-stale` alert
 * (infra/modules/monitoring.bicep) looks for. Names and versions only; the detail passed the redactor.
 */
export function logStale(
  logger: Logger,
  target: { vault: string; secret: string },
  reports: readonly ConsumerReport[],
): void {
  for (const r of reports)
    if (r.state === "stale")
      logger.warn("consumer stale", {
        vault: target.vault,
        secret: target.secret,
        consumer: r.consumer,
        ...(r.version ? { version: r.version } : {}),
        ...(r.detail ? { detail: r.detail } : {}),
      });
}
