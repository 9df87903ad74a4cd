import { Cron } from "croner";
import { SecretTagError } from "../errors.js";

/** The two tags of a rotation policy (few and compact: Key Vault allows 15 tags a secret). */
export const SCHEDULE_TAG = "RotationSchedule";
export const WINDOW_TAG = "RotationWindow";

/** When a secret is due by its calendar, independent of its expiry: every N days, or on a cron (UTC). */
export type RotationSchedule =
  { kind: "interval"; days: number } | { kind: "cron"; expression: string; cron: Cron };

/** When a due rotation may run: windows opening on a cron (UTC) and lasting `durationMs`. */
export interface RotationWindow {
  expression: string;
  cron: Cron;
  durationMs: number;
}

export interface RotationPolicy {
  schedule?: RotationSchedule;
  window?: RotationWindow;
}

const INTERVAL = /^(\d{1,4})d$/;
const DURATION = /^(\d{1,4})(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Five fields (minute hour day month weekday), numbers, names, ranges, lists and steps: nothing else. */
const CRON_FIELDS = /^[0-9A-Za-z*,\-/]+( [0-9A-Za-z*,\-/]+){4}$/;
const MAX_WINDOW_MS = 7 * 86_400_000;

function cronOf(secret: string, tag: string, raw: string): Cron {
  const expression = raw.trim().replace(/ +/g, " ");
  if (!CRON_FIELDS.test(expression))
    throw new SecretTagError(
      secret,
      tag,
      `must hold a cron expression of five fields in UTC (minute hour day month weekday), got '${raw.slice(0, 64)}'`,
    );
  try {
    // Paused: the expression is only asked for its next occurrences, nothing is ever scheduled.
    const cron = new Cron(expression, { timezone: "UTC", paused: true });
    if (!cron.nextRun(new Date(0))) throw new Error("it never occurs");
    return cron;
  } catch (error) {
    throw new SecretTagError(
      secret,
      tag,
      `is not a usable cron expression ('${expression.slice(0, 64)}'): ${(error as Error).message.slice(0, 120)}`,
    );
  }
}

/**
 * `RotationSchedule`: `<N>d` (every N days after the last rotation, 1-3650) or a five-field cron in UTC
 * (`0 22 * * 0`: due at the first occurrence after the last rotation).
 * `RotationWindow`: `<cron>;<duration>` (`0 22 * * 0;4h`: Sundays 22:00-02:00 UTC); the duration is
 * `<N>m`, `<N>h` or `<N>d`, at most 7 days. Neither tag: an empty policy. A tag that cannot be used is a
 * SecretTagError naming it, never a guess.
 */
export function parseRotationPolicy(secret: string, tags: Record<string, string>): RotationPolicy {
  const policy: RotationPolicy = {};
  for (const tag of [SCHEDULE_TAG, WINDOW_TAG]) {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(tags[tag] ?? ""))
      throw new SecretTagError(secret, tag, "contains control characters");
  }
  const rawSchedule = tags[SCHEDULE_TAG];
  if (rawSchedule !== undefined) {
    const interval = INTERVAL.exec(rawSchedule.trim());
    if (interval) {
      const days = Number(interval[1]);
      if (days < 1 || days > 3650)
        throw new SecretTagError(secret, SCHEDULE_TAG, `must be 1d to 3650d, got '${rawSchedule}'`);
      policy.schedule = { kind: "interval", days };
    } else {
      const cron = cronOf(secret, SCHEDULE_TAG, rawSchedule);
      policy.schedule = { kind: "cron", expression: cron.getPattern() ?? rawSchedule, cron };
    }
  }
  const rawWindow = tags[WINDOW_TAG];
  if (rawWindow !== undefined) {
    const parts = rawWindow.split(";");
    const duration = DURATION.exec(parts[1]?.trim() ?? "");
    if (parts.length !== 2 || !duration)
      throw new SecretTagError(
        secret,
        WINDOW_TAG,
        `must be '<cron>;<duration>' (e.g. '0 22 * * 0;4h'; duration in m, h or d), got '${rawWindow.slice(0, 64)}'`,
      );
    const durationMs = Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
    if (durationMs < 60_000 || durationMs > MAX_WINDOW_MS)
      throw new SecretTagError(secret, WINDOW_TAG, `lasts 1 minute to 7 days, got '${parts[1]?.trim()}'`);
    const cron = cronOf(secret, WINDOW_TAG, parts[0] as string);
    policy.window = { expression: cron.getPattern() ?? (parts[0] as string), cron, durationMs };
  }
  return policy;
}

/** When the schedule makes the secret due, counted from its last rotation (or creation). */
export function scheduleDueAt(schedule: RotationSchedule, lastRotation: Date): Date {
  if (schedule.kind === "interval") return new Date(lastRotation.getTime() + schedule.days * 86_400_000);
  return schedule.cron.nextRun(lastRotation) ?? new Date(8.64e15);
}

/** The window open at `at`, if any: its start and end. */
export function openWindow(window: RotationWindow, at: Date): { start: Date; end: Date } | undefined {
  // The latest start at or before `at` lies within the last `durationMs`: look for one after at - duration.
  const from = new Date(at.getTime() - window.durationMs - 1000);
  const start = window.cron.nextRun(from);
  if (!start || start.getTime() > at.getTime()) return undefined;
  const end = new Date(start.getTime() + window.durationMs);
  return end.getTime() > at.getTime() ? { start, end } : undefined;
}

/** The next window to open after `at`. */
export function nextWindow(window: RotationWindow, at: Date): Date {
  return window.cron.nextRun(at) ?? new Date(8.64e15);
}
