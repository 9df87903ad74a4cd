import { randomUUID } from "node:crypto";
import type { TokenCredential } from "@azure/core-auth";
import { auditEventFor } from "../audit/auditEvent.js";
import type { AuditTrail } from "../audit/auditTrail.js";
import { RotationError, SecretTagError, SimulatedCrash } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { CredentialChange, RotatorContext } from "../rotators/rotator.js";
import { RotationTrace } from "../telemetry/telemetry.js";
import type { PendingRecord } from "../vault/pendingRecord.js";
import type { CurrentSecret, VaultGateway } from "../vault/vaultGateway.js";
import type { BlobLease, LeaseManager } from "./blobLease.js";
import { generatePassword, type PasswordPolicy } from "./passwordPolicy.js";
import { Redactor } from "./redaction.js";
import { decideRotation, isDueNow } from "./rotationDecision.js";
import { committedTags, planRotation, type RotationPlan } from "./rotationPlan.js";
import type { RotationOutcome, RotationTrigger, SkippedOutcome, SkipReason } from "./rotationOutcome.js";
import { extractCredential, replaceCredential } from "./secretValue.js";

export interface RotationRequest {
  vault: string;
  secret: string;
  trigger: RotationTrigger;
  /** The version an event was raised for: a different latest version means it was already rotated. */
  expectedVersion?: string;
  dryRun?: boolean;
  /** Rotate even if the secret was rotated within the minimum interval. */
  force?: boolean;
  /** The sweep: rotate only what is due (no expiry, expired, or expiring within the window). */
  onlyIfDue?: boolean;
}

/** Step boundaries, in order. The crash matrix stops the engine before each of them. */
export const ROTATION_STEPS = [
  "lease",
  "read",
  "plan",
  "preflight",
  "issue",
  "stage",
  "apply",
  "verify",
  "commit",
  "audit-keep",
  "close-pending",
  "audit-deliver",
] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

export interface EngineSettings {
  defaultValidityDays: number;
  rotateBeforeExpiryDays: number;
  minRotationIntervalMinutes: number;
}

export interface EngineDeps {
  vaults: ReadonlyMap<string, VaultGateway>;
  leases: LeaseManager;
  audit: AuditTrail;
  credential: TokenCredential;
  /** Management-plane endpoints and client options handed to rotators. */
  azure: RotatorContext["azure"];
  logger: Logger;
  settings: EngineSettings;
  now?: () => Date;
  /** Test seam: runs at each step boundary. A SimulatedCrash thrown here ends the run as a process death would. */
  checkpoint?: (step: RotationStep, request: RotationRequest) => void | Promise<void>;
}

/** What an outcome is built from: enough for a skip or a failure, also before any lease is held. */
interface RunInfo {
  request: RotationRequest;
  redactor: Redactor;
  started: number;
  rotationId: string;
  rotator?: string;
  pendingKept: boolean;
}

/** A run holding the lease. */
interface Run extends RunInfo {
  trace?: RotationTrace;
  gateway: VaultGateway;
  lease: BlobLease;
  /** This run delivered its own audit event: no outbox sweep needed afterwards. */
  delivered?: boolean;
}

const DAY_MS = 86_400_000;
const DEFAULT_POLICY: PasswordPolicy = { length: 32, require: ["lower", "upper", "digit"] };

/**
 * The rotation protocol of DESIGN.md: lease -> read -> plan -> stage -> apply -> verify -> commit -> finish.
 * The new value is in Key Vault (the pending record) before the target is touched, every step is safe to
 * repeat, and a run that finds a pending record resumes it, so a crash at any point converges.
 */
export class RotationEngine {
  private readonly now: () => Date;
  /** Why a run rotates outside its RotationWindow (rotationDecision.ts), carried into its outcome. */
  private readonly dueReasons = new WeakMap<RotationRequest, string>();

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async rotate(request: RotationRequest): Promise<RotationOutcome> {
    const rotationTrace = new RotationTrace(request);
    try {
      const outcome = await this.execute(request, rotationTrace);
      rotationTrace.end(outcome);
      return outcome;
    } catch (error) {
      rotationTrace.abandon();
      throw error;
    }
  }

  private async execute(request: RotationRequest, rotationTrace: RotationTrace): Promise<RotationOutcome> {
    const started = this.now().getTime();
    const info: RunInfo = {
      request,
      started,
      rotationId: randomUUID(),
      pendingKept: false,
      redactor: new Redactor(),
    };
    const gateway = this.deps.vaults.get(request.vault.toLowerCase());
    if (!gateway) {
      return this.failedOutcome(
        info,
        new RotationError(
          "UnknownVault",
          `vault '${request.vault}' is not configured (KEYVAULT_URIS)`,
          false,
        ),
      );
    }
    if (request.dryRun) return this.dryRun(info, gateway);
    await this.checkpoint("lease", request, rotationTrace);
    let lease: BlobLease | undefined;
    try {
      lease = await this.deps.leases.tryAcquire(request.vault, request.secret);
    } catch (error) {
      return this.failedOutcome(info, error);
    }
    if (!lease) {
      const { vault, secret, trigger } = request;
      return {
        vault,
        secret,
        trigger,
        rotationId: info.rotationId,
        status: "busy",
        durationMs: this.now().getTime() - started,
      };
    }
    const run: Run = { ...info, trace: rotationTrace, gateway, lease };
    let outcome: RotationOutcome;
    try {
      outcome = await this.locked(run);
    } catch (error) {
      if (error instanceof SimulatedCrash) {
        lease.abandon();
        throw error;
      }
      outcome = this.failedOutcome(run, error);
      await this.record(outcome);
    }
    await lease.release();
    // Events an interrupted run kept but did not send go out with whichever run comes next.
    if (!(outcome.status === "rotated" && !outcome.resumed && run.delivered)) {
      await this.deps.audit
        .redeliver(25)
        .catch((error: unknown) =>
          this.deps.logger.warn("audit outbox redelivery failed", { reason: (error as Error).message }),
        );
    }
    this.deps.logger.info(`rotation ${outcome.status}`, {
      rotationId: outcome.rotationId,
      vault: request.vault,
      secret: request.secret,
      trigger: request.trigger,
    });
    return outcome;
  }

  private async locked(run: Run): Promise<RotationOutcome> {
    const { request, gateway, redactor } = run;
    await this.checkpoint("read", request, run.trace);
    const current = await gateway.readLatest(request.secret);
    redactor.add(current.value);
    const { record: pending, absent } = await gateway.pendingState(request.secret);
    if (pending) {
      redactor.add(pending.value);
      return this.resume(run, current, pending);
    }
    if (request.expectedVersion && current.version !== request.expectedVersion.toLowerCase()) {
      return this.skip(
        run,
        "already-rotated",
        `the event was for version ${request.expectedVersion}; the latest is ${current.version}`,
      );
    }
    await this.checkpoint("plan", request, run.trace);
    const plan = this.plan(run, current);
    if (!plan) return this.skip(run, "unmanaged", "the secret has neither ProviderAddress nor RotatorType");
    const notDue = this.notDue(request, current, plan);
    if (notDue) return this.skip(run, "not-due", notDue);

    const { rotator } = plan;
    // The engine makes passwords; targets that issue their own credentials make them in "issue".
    let newCredential = rotator.issue ? "" : generatePassword(rotator.passwordPolicy ?? DEFAULT_POLICY);
    const change = this.change(run, current, plan, newCredential);
    const ctx = this.context(run);
    await this.beforeWrite("preflight", run);
    await rotator.preflight(plan.target, change, ctx);

    await this.beforeWrite("issue", run);
    if (rotator.issue) {
      newCredential = await rotator.issue(plan.target, change, ctx);
      redactor.add(newCredential);
      if (newCredential === "")
        throw new RotationError(
          "TargetIssuedNothing",
          `the ${plan.rotatorType} target returned no new credential`,
          true,
        );
    }

    await this.beforeWrite("stage", run);
    const login =
      plan.strategy === "dual" ? { from: plan.activeCredentialId, to: plan.credentialId } : undefined;
    const value = replaceCredential(current.value, current.contentType, request.secret, newCredential, login);
    redactor.add(value);
    const staged = await gateway.stagePending(
      request.secret,
      value,
      current.contentType,
      {
        rotationId: run.rotationId,
        baseVersion: current.version,
        credentialId: plan.credentialId,
        trigger: request.trigger,
        stagedAt: this.now(),
      },
      absent,
    );
    run.pendingKept = true;
    return this.complete(run, current, plan, staged, false);
  }

  /** An earlier run stopped half-way: finish it with its value, whatever triggered this run. */
  private async resume(run: Run, current: CurrentSecret, pending: PendingRecord): Promise<RotationOutcome> {
    run.rotationId = pending.rotationId;
    run.pendingKept = true;
    this.deps.logger.warn("resuming an interrupted rotation", {
      rotationId: pending.rotationId,
      secret: run.request.secret,
    });
    if (current.tags.RotationId === pending.rotationId) {
      // Committed already; only the finish is missing.
      const plan = this.plan(run, current, true);
      return this.finish(run, pending, {
        previousVersion: current.tags.PreviousVersion ?? pending.baseVersion,
        newVersion: current.version,
        expiresOn: current.expiresOn ?? this.now(),
        credentialId: pending.credentialId,
        rotator: plan?.rotatorType ?? current.tags.RotatorType ?? "unknown",
      });
    }
    if (current.version !== pending.baseVersion) {
      throw new RotationError(
        "PendingConflict",
        `a rotation (${pending.rotationId}) was staged on version ${pending.baseVersion}, but version ${current.version} was written since; check which value the target accepts, then disable '${pending.recordName}'`,
        false,
      );
    }
    await this.checkpoint("plan", run.request, run.trace);
    const plan = this.plan(run, current);
    if (!plan || plan.credentialId !== pending.credentialId) {
      throw new RotationError(
        "PendingConflict",
        `the tags of '${run.request.secret}' changed since rotation ${pending.rotationId} was staged`,
        false,
      );
    }
    return this.complete(run, current, plan, pending, true);
  }

  private async complete(
    run: Run,
    current: CurrentSecret,
    plan: RotationPlan,
    pending: PendingRecord,
    resumed: boolean,
  ): Promise<RotationOutcome> {
    const { request } = run;
    const newCredential = extractCredential(pending.value, current.contentType, request.secret);
    const change = this.change(run, current, plan, newCredential);
    const ctx = this.context(run);
    await this.beforeWrite("apply", run);
    await plan.rotator.apply(plan.target, change, ctx);

    await this.checkpoint("verify", request, run.trace);
    try {
      await plan.rotator.verify(plan.target, change, ctx);
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      if (plan.strategy === "single" && plan.rotator.revert) {
        await plan.rotator.revert(plan.target, change, ctx).catch((revertError: unknown) => {
          if (revertError instanceof SimulatedCrash) throw revertError;
          this.deps.logger.error(
            "could not put the old value back after a failed verify; the pending record holds the value the target has",
            {
              rotationId: run.rotationId,
              reason: run.redactor.scrub((revertError as Error).message),
            },
          );
        });
      }
      const reason = run.redactor.scrub((error as Error).message ?? String(error));
      if (plan.rotator.issue) {
        // An issued value the target does not hold is worth nothing: consumers still use the untouched
        // active credential, so close the record and let the next run issue a fresh one.
        await run.gateway.disablePending(pending);
        run.pendingKept = false;
        throw new RotationError(
          "VerifyFailed",
          `the target does not hold the issued value: ${reason}; the next run issues a new one`,
          true,
        );
      }
      throw new RotationError("VerifyFailed", `the target did not accept the new value: ${reason}`, false);
    }

    await this.beforeWrite("commit", run);
    const at = this.now();
    let committed: { version: string; expiresOn: Date };
    try {
      committed = await run.gateway.commit(request.secret, {
        value: pending.value,
        tags: committedTags(current.tags, plan, {
          rotationId: run.rotationId,
          trigger: pending.trigger,
          previousVersion: current.version,
          at,
        }),
        ...(current.contentType ? { contentType: current.contentType } : {}),
        expiresOn: new Date(at.getTime() + plan.validityDays * DAY_MS),
      });
    } catch (error) {
      committed = await this.afterFailedCommit(run, current, plan, change, error);
    }
    return this.finish(run, pending, {
      previousVersion: current.version,
      newVersion: committed.version,
      expiresOn: committed.expiresOn,
      credentialId: plan.credentialId,
      rotator: plan.rotatorType,
      resumed,
    });
  }

  /**
   * The commit failed, or its answer was lost. If Key Vault shows it landed, carry on. If Key Vault shows
   * it did not, put the old value back on the target (single mode) so consumers of the latest version keep
   * working until the next run; the pending record keeps the new value. If Key Vault cannot tell, change
   * nothing: the pending record holds the value the target now has.
   */
  private async afterFailedCommit(
    run: Run,
    current: CurrentSecret,
    plan: RotationPlan,
    change: CredentialChange,
    error: unknown,
  ): Promise<{ version: string; expiresOn: Date }> {
    let latest: CurrentSecret;
    try {
      latest = await run.gateway.readLatest(run.request.secret);
    } catch {
      throw error;
    }
    if (latest.tags.RotationId === run.rotationId)
      return { version: latest.version, expiresOn: latest.expiresOn ?? this.now() };
    if (latest.version === current.version && plan.strategy === "single" && plan.rotator.revert) {
      await plan.rotator.revert(plan.target, change, this.context(run)).then(
        () =>
          this.deps.logger.warn(
            "commit failed; the old value is back on the target and the rotation stays staged",
            { rotationId: run.rotationId },
          ),
        (revertError: unknown) => {
          if (revertError instanceof SimulatedCrash) throw revertError;
          this.deps.logger.error(
            "commit failed and the old value could not be put back; the pending record holds the value the target has",
            {
              rotationId: run.rotationId,
              reason: run.redactor.scrub((revertError as Error).message),
            },
          );
        },
      );
    }
    throw error;
  }
  /** Keep the audit event, close the pending record, then deliver: a crash anywhere here is finished by the next run. */
  private async finish(
    run: Run,
    pending: PendingRecord,
    done: {
      previousVersion: string;
      newVersion: string;
      expiresOn: Date;
      credentialId: string;
      rotator: string;
      resumed?: boolean;
    },
  ): Promise<RotationOutcome> {
    const outcome: RotationOutcome = {
      vault: run.request.vault,
      secret: run.request.secret,
      trigger: run.request.trigger,
      rotationId: run.rotationId,
      status: "rotated",
      rotator: done.rotator,
      previousVersion: done.previousVersion,
      newVersion: done.newVersion,
      expiresOn: done.expiresOn.toISOString(),
      credentialId: done.credentialId,
      resumed: done.resumed ?? true,
      durationMs: this.now().getTime() - run.started,
      ...(this.dueReasons.has(run.request) ? { reason: this.dueReasons.get(run.request) as string } : {}),
    };
    const event = auditEventFor(outcome, this.now());
    await this.checkpoint("audit-keep", run.request, run.trace);
    if (event) await this.deps.audit.keep(event);
    await this.checkpoint("close-pending", run.request, run.trace);
    await run.gateway.disablePending(pending);
    run.pendingKept = false;
    await this.checkpoint("audit-deliver", run.request, run.trace);
    if (event) run.delivered = await this.deps.audit.deliver(event);
    return outcome;
  }

  private async dryRun(run: RunInfo, gateway: VaultGateway): Promise<RotationOutcome> {
    const { request } = run;
    try {
      const current = await gateway.readLatest(request.secret);
      run.redactor.add(current.value);
      const plan = this.plan(run, current);
      if (!plan)
        return this.skipOutcome(run, "unmanaged", "the secret has neither ProviderAddress nor RotatorType");
      const pending = await gateway.readPending(request.secret);
      const notDue = this.notDue(request, current, plan);
      const detail = pending
        ? `rotation ${pending.rotationId} is under way and would be resumed`
        : (notDue ??
          `would rotate ${plan.credentialId} (${plan.strategy}) and keep the new version for ${plan.validityDays} days`);
      return {
        ...this.skipOutcome(run, "dry-run", detail),
        plan: {
          rotator: plan.rotatorType,
          strategy: plan.strategy,
          credentialId: plan.credentialId,
          validityDays: plan.validityDays,
        },
      };
    } catch (error) {
      return this.failedOutcome(run, error);
    }
  }

  private plan(run: RunInfo, current: CurrentSecret, lenient = false): RotationPlan | undefined {
    try {
      const result = planRotation(run.request.secret, current.tags, this.deps.settings.defaultValidityDays);
      if (!result.managed) return undefined;
      run.rotator = result.plan.rotatorType;
      return result.plan;
    } catch (error) {
      if (lenient) return undefined;
      throw error;
    }
  }

  /**
   * Why this run should not rotate now, if it should not. Events and the sweep rotate only what is due:
   * no expiry, expired, or expiring within the due window, which is ROTATE_BEFORE_EXPIRY_DAYS but at most
   * half the validity. (Key Vault raises SecretNearExpiry 30 days ahead; without the cap, a version valid
   * for 30 days or less would be near expiry the moment it is written and rotate again at once.) On demand,
   * a version younger than MIN_ROTATION_INTERVAL_MINUTES needs force.
   */
  private notDue(request: RotationRequest, current: CurrentSecret, plan: RotationPlan): string | undefined {
    if (request.force) return undefined;
    const now = this.now().getTime();
    const { rotateBeforeExpiryDays, minRotationIntervalMinutes } = this.deps.settings;
    if (request.onlyIfDue || request.trigger === "event") {
      // Expiry, RotationSchedule and RotationWindow (rotationDecision.ts); why it rotates anyway goes in the outcome.
      const decision = decideRotation({
        now: this.now(),
        ...(current.expiresOn ? { expiresOn: current.expiresOn } : {}),
        ...(current.createdOn ? { createdOn: current.createdOn } : {}),
        dueBeforeExpiryDays: Math.min(rotateBeforeExpiryDays, plan.validityDays / 2),
        policy: plan.policy,
      });
      if (!isDueNow(decision)) return decision.detail;
      if (decision.kind === "due-before-expiry") this.dueReasons.set(request, decision.reason);
    }
    if (
      (request.trigger === "http" || request.trigger === "cli") &&
      !request.onlyIfDue &&
      current.createdOn
    ) {
      const ageMinutes = (now - current.createdOn.getTime()) / 60_000;
      if (ageMinutes < minRotationIntervalMinutes) {
        return `the latest version is ${Math.floor(ageMinutes)} minutes old (minimum ${minRotationIntervalMinutes}); use force to rotate anyway`;
      }
    }
    return undefined;
  }

  /** The change a rotator sees; both credentials join the redactor (inside JSON or a connection string too). */
  private change(run: Run, current: CurrentSecret, plan: RotationPlan, newValue: string): CredentialChange {
    const activeValue = extractCredential(current.value, current.contentType, run.request.secret);
    run.redactor.add(activeValue, newValue);
    return {
      credentialId: plan.credentialId,
      newValue,
      ...(plan.strategy === "single" ? { currentValue: activeValue } : {}),
      activeCredentialId: plan.activeCredentialId,
      activeValue,
      rotationId: run.rotationId,
      validUntil: new Date(this.now().getTime() + plan.validityDays * DAY_MS),
    };
  }

  private context(run: Run): RotatorContext {
    return {
      credential: this.deps.credential,
      azure: this.deps.azure,
      now: this.now,
      readSecret: async (name) => {
        const s = await run.gateway.readLatest(name);
        run.redactor.add(s.value, extractCredential(s.value, s.contentType, name));
        return { value: s.value, tags: s.tags, ...(s.contentType ? { contentType: s.contentType } : {}) };
      },
    };
  }

  private async skip(run: Run, reason: SkipReason, detail: string): Promise<RotationOutcome> {
    const outcome = this.skipOutcome(run, reason, detail);
    await this.record(outcome);
    return outcome;
  }

  private skipOutcome(run: RunInfo, reason: SkipReason, detail: string): SkippedOutcome {
    const { request } = run;
    return {
      vault: request.vault,
      secret: request.secret,
      trigger: request.trigger,
      rotationId: run.rotationId,
      ...(run.rotator ? { rotator: run.rotator } : {}),
      status: "skipped",
      reason,
      detail,
      durationMs: this.now().getTime() - run.started,
    };
  }

  private failedOutcome(run: RunInfo, error: unknown): RotationOutcome {
    const { request } = run;
    let code = "InternalError";
    let retryable = false;
    let message = error instanceof Error ? error.message : String(error);
    if (error instanceof RotationError) ({ code, retryable } = error);
    else if (error instanceof SecretTagError) code = "MisconfiguredSecret";
    else
      this.deps.logger.error("unexpected error in rotation", {
        rotationId: run.rotationId,
        error: run.redactor.scrub(String((error as Error)?.stack ?? error)),
      });
    message = run.redactor.scrub(message);
    return {
      vault: request.vault,
      secret: request.secret,
      trigger: request.trigger,
      rotationId: run.rotationId,
      ...(run.rotator ? { rotator: run.rotator } : {}),
      status: "failed",
      error: { code, message, retryable },
      pendingKept: run.pendingKept,
      durationMs: this.now().getTime() - run.started,
    };
  }

  /** Best-effort audit of a skip or failure: the outbox keeps it if the topic is down; nothing else waits on it. */
  private async record(outcome: RotationOutcome): Promise<void> {
    const event = auditEventFor(outcome, this.now());
    if (!event) return;
    await this.deps.audit.record(event).catch((error: unknown) => {
      if (error instanceof SimulatedCrash) throw error;
      this.deps.logger.error("could not record an audit event", {
        eventId: event.id,
        reason: (error as Error).message,
      });
    });
  }

  /** A step that writes (to the target or Key Vault): only while this run still holds the lease. */
  private async beforeWrite(step: RotationStep, run: Run): Promise<void> {
    await this.checkpoint(step, run.request, run.trace);
    run.lease.assertHeld();
  }

  private async checkpoint(
    step: RotationStep,
    request: RotationRequest,
    rotationTrace: RotationTrace | undefined,
  ): Promise<void> {
    rotationTrace?.enter(step);
    await this.deps.checkpoint?.(step, request);
  }
}
