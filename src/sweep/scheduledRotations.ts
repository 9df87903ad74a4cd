import type { RotatorApp } from "../rotation/createEngine.js";
import type { RotationOutcome } from "../rotation/rotationOutcome.js";
import { failureKey, nextFailure, readDueIndex, writeDueIndex, type DueEntry } from "./dueIndex.js";

export interface ScheduledRun {
  /** Entries whose time had come. */
  due: number;
  outcomes: RotationOutcome[];
  /** Entries left for later runs (not yet due, or busy / retryable failures). */
  remaining: number;
  /** False when a sweep rewrote the index meanwhile (its index stands). */
  indexUpdated: boolean;
}

/**
 * The frequent timer: rotates what the sweep's due index says is due now, without listing any vault. Each
 * entry goes through the engine with `onlyIfDue`, so the engine decides again from the secret itself
 * (a secret rotated or re-tagged since the sweep is skipped, a window is honoured). Done entries leave the
 * index; busy and retryable failures stay for the next run.
 */
export async function runScheduledRotations(
  app: Pick<RotatorApp, "container" | "engine">,
  options: { now?: () => Date } = {},
): Promise<ScheduledRun> {
  const now = (options.now ?? (() => new Date()))();
  const { index, etag } = await readDueIndex(app.container);
  const keep: DueEntry[] = [];
  const outcomes: RotationOutcome[] = [];
  const failing = { ...index.failing };
  let due = 0;
  for (const entry of index.entries) {
    if (Date.parse(entry.runAt) > now.getTime()) {
      keep.push(entry);
      continue;
    }
    due += 1;
    const outcome = await app.engine.rotate({
      vault: entry.vault,
      secret: entry.secret,
      trigger: "schedule",
      onlyIfDue: true,
    });
    outcomes.push(outcome);
    // Counted for the sweep's expiry warnings: a rotation that keeps failing in its window is warned about.
    const key = failureKey(entry.vault, entry.secret);
    const failure = nextFailure(failing[key], outcome, now);
    if (failure) failing[key] = failure;
    else delete failing[key];
    if (outcome.status === "busy" || (outcome.status === "failed" && outcome.error.retryable))
      keep.push(entry);
  }
  const indexUpdated =
    due === 0 ? true : await writeDueIndex(app.container, { ...index, entries: keep, failing }, etag ?? "*");
  return { due, outcomes, remaining: keep.length, indexUpdated };
}
