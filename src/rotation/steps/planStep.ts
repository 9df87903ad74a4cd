import { RotationError } from "../../errors.js";
import type { CurrentSecret } from "../../vault/vaultGateway.js";
import { generatePassword, type PasswordPolicy } from "../passwordPolicy.js";
import { decideRotation, isDueNow } from "../rotationDecision.js";
import { planRotation, type RotationPlan } from "../rotationPlan.js";
import { need, type RotationRequest, type RunState, type Step, type StepDeps } from "./runState.js";

const DEFAULT_POLICY: PasswordPolicy = { length: 32, require: ["lower", "upper", "digit"] };

/** Tags -> plan; undefined for an unmanaged secret. Also used by dry runs. */
export function planOf(
  run: Pick<RunState, "request" | "rotator">,
  deps: StepDeps,
  current: CurrentSecret,
): RotationPlan | undefined {
  const result = planRotation(run.request.secret, current.tags, deps.settings.defaultValidityDays);
  if (!result.managed) return undefined;
  run.rotator = result.plan.rotatorType;
  return result.plan;
}

/**
 * Why this run should not rotate now, if it should not. Events and the sweep rotate only what is due:
 * no expiry, expired, or expiring within the due window, which is ROTATE_BEFORE_EXPIRY_DAYS but at most
 * half the validity, or due by its RotationSchedule, and then only inside its RotationWindow unless it would
 * expire first. (Key Vault raises SecretNearExpiry 30 days ahead; without the cap, a version valid
 * for 30 days or less would be near expiry the moment it is written and rotate again at once.) On demand,
 * a version younger than MIN_ROTATION_INTERVAL_MINUTES needs force.
 */
export function notDue(
  request: RotationRequest,
  current: CurrentSecret,
  plan: RotationPlan,
  deps: StepDeps,
  /** Told why a secret rotates outside its RotationWindow (it would expire before the next one). */
  onDueReason?: (reason: string) => void,
): string | undefined {
  if (request.force) return undefined;
  const now = deps.now().getTime();
  const { rotateBeforeExpiryDays, minRotationIntervalMinutes } = deps.settings;
  if (request.onlyIfDue || request.trigger === "event") {
    // Expiry, RotationSchedule and RotationWindow (rotationDecision.ts); why it rotates anyway goes in the outcome.
    const decision = decideRotation({
      now: deps.now(),
      ...(current.expiresOn ? { expiresOn: current.expiresOn } : {}),
      ...(current.createdOn ? { createdOn: current.createdOn } : {}),
      dueBeforeExpiryDays: Math.min(rotateBeforeExpiryDays, plan.validityDays / 2),
      policy: plan.policy,
    });
    if (!isDueNow(decision)) return decision.detail;
    if (decision.kind === "due-before-expiry") onDueReason?.(decision.reason);
  }
  if ((request.trigger === "http" || request.trigger === "cli") && !request.onlyIfDue && current.createdOn) {
    const ageMinutes = (now - current.createdOn.getTime()) / 60_000;
    if (ageMinutes < minRotationIntervalMinutes) {
      return `the latest version is ${Math.floor(ageMinutes)} minutes old (minimum ${minRotationIntervalMinutes}); use force to rotate anyway`;
    }
  }
  return undefined;
}

/**
 * Plan (tags -> rotator, target, strategy, validity). A fresh run skips unmanaged and not-due secrets and
 * generates the new password (targets that issue their own make it in "issue"). A resumed run plans again
 * and refuses to go on when the tags no longer match what was staged.
 */
export const planStep: Step = {
  name: "plan",
  writes: false,
  always: true,
  run: async (run, deps) => {
    const current = need(run.current, "the current version");
    if (run.resumedAfter === "commit") {
      // Only the finish is left: a plan names the rotator, but nothing depends on it any more.
      try {
        run.plan = planOf(run, deps, current);
      } catch {
        run.plan = undefined;
      }
      return undefined;
    }
    const plan = planOf(run, deps, current);
    if (run.pending) {
      if (!plan || plan.credentialId !== run.pending.credentialId) {
        throw new RotationError(
          "PendingConflict",
          `the tags of '${run.request.secret}' changed since rotation ${run.pending.rotationId} was staged`,
          false,
        );
      }
      run.plan = plan;
      return undefined;
    }
    if (!plan) return { skip: "unmanaged", detail: "the secret has neither ProviderAddress nor RotatorType" };
    const reason = notDue(run.request, current, plan, deps, (why) => (run.dueReason = why));
    if (reason) return { skip: "not-due", detail: reason };
    run.plan = plan;
    run.newCredential = plan.rotator.issue
      ? ""
      : generatePassword(plan.rotator.passwordPolicy ?? DEFAULT_POLICY);
    return undefined;
  },
};
