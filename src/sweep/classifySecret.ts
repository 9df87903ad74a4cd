import { SecretTagError } from "../errors.js";
import { decideRotation, isDueNow } from "../rotation/rotationDecision.js";
import { planRotation } from "../rotation/rotationPlan.js";
import { nextWindow, openWindow, type RotationPolicy } from "../rotation/rotationSchedule.js";

export const SECRET_STATES = [
  "ok",
  "near-expiry",
  "expired",
  "no-expiry",
  "overdue",
  "unmanaged",
  "misconfigured",
  "pending-stuck",
] as const;
export type SecretState = (typeof SECRET_STATES)[number];

/** What the listing says of a secret (no value): the latest version's properties. */
export interface ListedSecret {
  name: string;
  enabled: boolean;
  expiresOn?: Date;
  createdOn?: Date;
  /** Activation date (`nbf`), when set. */
  notBefore?: Date;
  contentType?: string;
  tags: Record<string, string>;
  /** `expiresOn` as ISO 8601, when the caller has it already (a sweep formats each date once). */
  expiresIso?: string;
}

/** An enabled pending record of the secret: a rotation under way or stopped half-way. */
export interface OpenRotation {
  rotationId: string;
  stagedAt: Date;
}

export interface Classification {
  state: SecretState;
  detail: string;
  /** Whether the sweep should rotate it now (managed, enabled, due or resumable). */
  due: boolean;
  rotator?: string;
  validityDays?: number;
  /** Single or dual credential, for managed secrets. */
  strategy?: "single" | "dual";
  /** When it becomes due: the start of its due window (with a RotationWindow: when it will really run). */
  dueAt?: Date;
  dueAtIso?: string;
}

export interface ClassifySettings {
  defaultValidityDays: number;
  rotateBeforeExpiryDays: number;
  /** A pending record older than this is a stuck rotation (default 60 minutes). */
  pendingStuckMinutes?: number;
}

const DAY = 86_400_000;

/**
 * The state of one secret at `now` (DESIGN.md, sweep): pending-stuck, unmanaged, misconfigured, expired,
 * near-expiry (inside its due window: ROTATE_BEFORE_EXPIRY_DAYS, at most half its validity), overdue (no
 * expiry and older than its validity), no-expiry, or ok. Disabled secrets keep their state but are never due.
 */
export function classifySecret(
  secret: ListedSecret,
  now: Date,
  settings: ClassifySettings,
  open?: OpenRotation,
): Classification {
  const t = now.getTime();
  if (secret.tags.ProviderAddress === undefined && secret.tags.RotatorType === undefined) {
    return {
      state: "unmanaged",
      detail: "no ProviderAddress or RotatorType tag: reported, never rotated",
      due: false,
    };
  }
  let plan;
  // A misconfigured secret is a finding, not a crash: its error needs no stack trace, and a sweep of a large
  // vault would spend most of its time capturing them.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    plan = planRotation(secret.name, secret.tags, settings.defaultValidityDays);
  } catch (error) {
    if (error instanceof SecretTagError) return { state: "misconfigured", detail: error.message, due: false };
    throw error;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (!plan.managed) return { state: "unmanaged", detail: "no rotation tags", due: false };
  const { rotatorType: rotator, validityDays, strategy } = plan.plan;
  // Built as literals, not spread from a shared base: a sweep classifies every secret, and object spread
  // costs several times more than the rest of the classification.
  const managed = (
    state: SecretState,
    detail: string,
    due: boolean,
    dueAt?: Date,
    dueAtIso?: string,
  ): Classification =>
    dueAt
      ? { state, detail, due, rotator, validityDays, strategy, dueAt, dueAtIso }
      : { state, detail, due, rotator, validityDays, strategy };
  const enabled = secret.enabled;
  if (open) {
    const ageMinutes = (t - open.stagedAt.getTime()) / 60_000;
    if (ageMinutes > (settings.pendingStuckMinutes ?? 60)) {
      return managed(
        "pending-stuck",
        `rotation ${open.rotationId} was staged ${Math.floor(ageMinutes)} minutes ago and has not finished`,
        enabled,
      );
    }
  }
  const windowDays = Math.min(settings.rotateBeforeExpiryDays, validityDays / 2);
  const { policy } = plan.plan;
  if (policy.schedule || policy.window) {
    const c = scheduledClassification(secret, now, windowDays, validityDays, policy);
    return { ...c, due: enabled && c.due, rotator, validityDays, strategy: plan.plan.strategy };
  }
  if (!secret.expiresOn) {
    const created = secret.createdOn ?? now;
    const ageDays = (t - created.getTime()) / DAY;
    return managed(
      ageDays > validityDays ? "overdue" : "no-expiry",
      `no expiry date; the latest version is ${Math.floor(ageDays)} days old (validity ${validityDays})`,
      enabled,
    );
  }
  const expiresMs = secret.expiresOn.getTime();
  const expiresIso = secret.expiresIso ?? secret.expiresOn.toISOString();
  const dueAt = new Date(expiresMs - windowDays * DAY);
  const dueAtIso = dueAt.toISOString();
  const leftDays = (expiresMs - t) / DAY;
  if (leftDays <= 0) return managed("expired", `expired ${expiresIso}`, enabled, dueAt, dueAtIso);
  if (t >= dueAt.getTime())
    return managed(
      "near-expiry",
      `expires ${expiresIso}, in ${leftDays.toFixed(1)} days`,
      enabled,
      dueAt,
      dueAtIso,
    );
  return managed("ok", `expires ${expiresIso}; due ${dueAtIso}`, false, dueAt, dueAtIso);
}

/** The state by expiry, but due and due time by the secret's RotationSchedule and RotationWindow. */
function scheduledClassification(
  secret: ListedSecret,
  now: Date,
  windowDays: number,
  validityDays: number,
  policy: RotationPolicy,
): Classification {
  const d = decideRotation({
    now,
    ...(secret.expiresOn ? { expiresOn: secret.expiresOn } : {}),
    ...(secret.createdOn ? { createdOn: secret.createdOn } : {}),
    dueBeforeExpiryDays: windowDays,
    policy,
  });
  const t = now.getTime();
  const expires = secret.expiresOn?.getTime();
  const state: SecretState =
    expires === undefined
      ? (t - (secret.createdOn ?? now).getTime()) / DAY > validityDays
        ? "overdue"
        : "no-expiry"
      : expires <= t
        ? "expired"
        : t >= expires - windowDays * DAY
          ? "near-expiry"
          : "ok";
  let runAt: Date | undefined =
    d.kind === "deferred" ? d.windowStart : d.kind === "not-due" ? d.dueAt : (d.dueAt ?? undefined);
  if (d.kind === "not-due" && policy.window && !openWindow(policy.window, d.dueAt)) {
    // Due outside a window: it runs when the next one opens, or at its due time if it would expire first.
    const next = nextWindow(policy.window, d.dueAt);
    runAt = expires !== undefined && expires <= next.getTime() ? d.dueAt : next;
  }
  const c: Classification = { state, detail: d.detail, due: isDueNow(d) };
  if (runAt) {
    c.dueAt = runAt;
    c.dueAtIso = runAt.toISOString();
  }
  return c;
}
