import type { ConsumerLedger } from "./consumerLedger.js";
import type { OpenRotations } from "./openRotations.js";
import type { RotationEngine } from "./rotationEngine.js";

/**
 * How often functions/resumeRotations.ts looks for open rotations (NCRONTAB, every 20 seconds). With the
 * lease a crashed run leaves held (LEASE_SECONDS, 30 by default), a rotation a process died in is resumed
 * within LEASE_SECONDS + 20 s (+ the resume's own run time).
 */
export const RESUME_SCHEDULE = "*/20 * * * * *";

export interface ResumeSummary {
  open: number;
  resumed: number;
  busy: number;
  failed: number;
  /** Secrets given a run because a consumer of their latest version could not be told. */
  consumers?: number;
}

/**
 * Resumes every open rotation whose lease is free; one at a time, oldest first. With the consumer ledger,
 * then gives a run (resumeOnly: it rotates nothing) to each secret with a consumer that could not be told:
 * the run's first step tells it again.
 */
export async function resumeOpenRotations(
  engine: RotationEngine,
  open: OpenRotations,
  limit = 50,
  consumers?: ConsumerLedger,
): Promise<ResumeSummary> {
  const entries = (await open.list()).slice(0, limit);
  const summary: ResumeSummary = { open: entries.length, resumed: 0, busy: 0, failed: 0 };
  for (const { vault, secret } of entries) {
    const outcome = await engine.rotate({ vault, secret, trigger: "sweep", resumeOnly: true });
    if (outcome.status === "rotated") summary.resumed += 1;
    else if (outcome.status === "busy") summary.busy += 1;
    else if (outcome.status === "failed") {
      summary.failed += 1;
      // Needs a person (PendingConflict, say): the sweep reports the stuck pending record; no retry every tick.
      if (!outcome.error.retryable) await open.closed(vault, secret);
    }
  }
  if (consumers) {
    const stale = (await consumers.listStale()).slice(0, limit);
    summary.consumers = stale.length;
    for (const { vault, secret } of stale)
      await engine.rotate({ vault, secret, trigger: "sweep", resumeOnly: true });
  }
  return summary;
}
