import { nextWindow, openWindow, scheduleDueAt, type RotationPolicy } from "./rotationSchedule.js";

const DAY_MS = 86_400_000;

export interface DecisionInput {
  now: Date;
  /** The latest version's expiry, if it has one. */
  expiresOn?: Date;
  /** The latest version's creation: its last rotation (or when a person set it). */
  createdOn?: Date;
  /** Days before expiry a secret is due: ROTATE_BEFORE_EXPIRY_DAYS, at most half its validity. */
  dueBeforeExpiryDays: number;
  policy: RotationPolicy;
}

/**
 * Whether a rotation is due now. `not-due`: not yet (`dueAt` says when). `deferred`: due, but outside its
 * window; it waits for `windowStart`. `due`: rotate now. `due-before-expiry`: due outside its window, but
 * the secret would expire before the next window opens, so it rotates now and `reason` says why.
 */
export type RotationDecision =
  | { kind: "not-due"; dueAt: Date; detail: string }
  | { kind: "deferred"; dueAt: Date; windowStart: Date; detail: string }
  | { kind: "due"; dueAt?: Date; detail: string }
  | { kind: "due-before-expiry"; dueAt: Date; windowStart: Date; detail: string; reason: string };

/**
 * The due decision for one secret (pure: the clock is an input). Due at the earlier of its expiry due time
 * (`dueBeforeExpiryDays` before expiry) and its schedule (`RotationSchedule` counted from the latest
 * version's creation); a secret with neither an expiry nor a schedule is due at once. A due rotation runs
 * only inside a `RotationWindow`, unless the secret would expire before the next window opens.
 */
export function decideRotation(input: DecisionInput): RotationDecision {
  const { now, expiresOn, policy } = input;
  const t = now.getTime();
  const byExpiry = expiresOn ? new Date(expiresOn.getTime() - input.dueBeforeExpiryDays * DAY_MS) : undefined;
  const bySchedule = policy.schedule ? scheduleDueAt(policy.schedule, input.createdOn ?? now) : undefined;
  const dueAt =
    byExpiry && bySchedule
      ? byExpiry.getTime() <= bySchedule.getTime()
        ? byExpiry
        : bySchedule
      : (byExpiry ?? bySchedule);
  const cause = dueAt === undefined ? "no expiry date" : dueAt === bySchedule ? "schedule" : "expiry";
  if (dueAt && t < dueAt.getTime()) {
    const detail =
      cause === "expiry" && expiresOn
        ? `expires ${expiresOn.toISOString()}, in ${Math.floor((expiresOn.getTime() - t) / DAY_MS)} days; it is due ${input.dueBeforeExpiryDays} days before (due ${dueAt.toISOString()})`
        : `${expiresOn ? `expires ${expiresOn.toISOString()}; ` : ""}due ${dueAt.toISOString()} (${cause})`;
    return { kind: "not-due", dueAt, detail };
  }
  const why =
    cause === "no expiry date"
      ? "no expiry date"
      : cause === "schedule"
        ? `due by its schedule since ${dueAt?.toISOString()}`
        : `expires ${expiresOn?.toISOString()}; due since ${dueAt?.toISOString()}`;
  if (!policy.window) return dueAt ? { kind: "due", dueAt, detail: why } : { kind: "due", detail: why };
  const open = openWindow(policy.window, now);
  if (open) {
    const detail = `${why}; in its window until ${open.end.toISOString()}`;
    return dueAt ? { kind: "due", dueAt, detail } : { kind: "due", detail };
  }
  const windowStart = nextWindow(policy.window, now);
  const at = dueAt ?? now;
  if (expiresOn && expiresOn.getTime() <= windowStart.getTime()) {
    const reason = `${expiresOn.getTime() <= t ? "expired" : "expires"} ${expiresOn.toISOString()}, before its next window opens ${windowStart.toISOString()}`;
    return { kind: "due-before-expiry", dueAt: at, windowStart, detail: `${why}; ${reason}`, reason };
  }
  return {
    kind: "deferred",
    dueAt: at,
    windowStart,
    detail: `${why}; deferred to its next window ${windowStart.toISOString()}`,
  };
}

/** Whether a decision means rotate now. */
export function isDueNow(d: RotationDecision): boolean {
  return d.kind === "due" || d.kind === "due-before-expiry";
}
