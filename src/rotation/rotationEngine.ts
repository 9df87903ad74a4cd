import { randomUUID } from "node:crypto";
import type { TokenCredential } from "@azure/core-auth";
import { auditEventFor } from "../audit/auditEvent.js";
import type { AuditTrail } from "../audit/auditTrail.js";
import { RotationError, SecretTagError, SimulatedCrash } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { RotatorContext } from "../rotators/rotator.js";
import { RotationTrace } from "../telemetry/telemetry.js";
import type { VaultGateway } from "../vault/vaultGateway.js";
import type { BlobLease, LeaseManager } from "./blobLease.js";
import type { OpenRotations } from "./openRotations.js";
import type { RotationOutcome, SkippedOutcome, SkipReason } from "./rotationOutcome.js";
import { notDue, planOf } from "./steps/planStep.js";
import {
  need,
  type EngineSettings,
  type RotationRequest,
  type RotationStep,
  type RunState,
  type Step,
  type StepDeps,
} from "./steps/runState.js";
import { ROTATION_SEQUENCE } from "./steps/sequence.js";

export { ROTATION_STEPS } from "./steps/runState.js";
export type { EngineSettings, RotationRequest, RotationStep } from "./steps/runState.js";

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
  checkpoint?: (step: RotationStep | (string & {}), request: RotationRequest) => void | Promise<void>;
  /** The index of rotations under way (the resume timer's; also what the app staged). */
  openRotations: OpenRotations;
  /** Which version each consumer of a secret was told of. */
  consumerLedger: StepDeps["consumerLedger"];
}

/** What an outcome is built from: enough for a skip or a failure, also before any lease is held. */
type RunInfo = Pick<RunState, "request" | "redactor" | "started" | "rotationId" | "rotator" | "pendingKept">;

/**
 * The rotation protocol of DESIGN.md: lease, then the steps of ROTATION_SEQUENCE (read, plan, preflight,
 * issue, stage, apply, verify, commit, finish), then release. The engine only sequences: it stops at each
 * step boundary for the crash seam, checks the lease before every write, records in the pending record the
 * steps that say so, and turns what happened into an outcome. A run that finds a pending record resumes it
 * from the last step recorded there.
 */
export class RotationEngine {
  private readonly now: () => Date;
  private readonly steps: readonly Step[];
  private readonly stepDeps: StepDeps;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? (() => new Date());
    this.steps = ROTATION_SEQUENCE;
    this.stepDeps = {
      audit: deps.audit,
      logger: deps.logger,
      settings: deps.settings,
      credential: deps.credential,
      azure: deps.azure,
      now: this.now,
      openRotations: deps.openRotations,
      consumerLedger: deps.consumerLedger,
    };
  }

  async rotate(request: RotationRequest): Promise<RotationOutcome> {
    const rotationTrace = new RotationTrace(request);
    try {
      const outcome = await rotationTrace.within(() => this.execute(request, rotationTrace));
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
      redactor: rotationTrace.redactor,
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
    if (!request.expectedVersion && (request.trigger === "http" || request.trigger === "cli")) {
      // On demand: the latest version on arrival, before waiting for the lease. If another run rotates the
      // secret meanwhile, this request is answered `already-rotated`, with or without force.
      try {
        request = { ...request, expectedVersion: (await gateway.readLatest(request.secret)).version };
      } catch (error) {
        const failed = this.failedOutcome(info, error);
        await this.record(failed);
        return failed;
      }
      info.request = request;
    }
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
    const deadline = new AbortController();
    const runSeconds = this.deps.settings.runTimeoutSeconds ?? 180;
    const timer = setTimeout(() => deadline.abort(), runSeconds * 1000);
    const run: RunState = {
      ...info,
      gateway,
      signal: deadline.signal,
      secretsRead: new Map(),
      // Points inside a step are crash seams only, not steps: no span of their own.
      mark: async (point) => this.deps.checkpoint?.(point, request),
    };
    let outcome: RotationOutcome;
    let settled = true;
    try {
      outcome = await this.locked(run, lease, rotationTrace, runSeconds);
    } catch (error) {
      if (error instanceof SimulatedCrash) {
        lease.abandon();
        throw error;
      }
      // A call that timed out may still be carried out: nobody else may start until the lease runs out.
      settled = !timedOut(error);
      outcome = this.failedOutcome(run, error);
      await this.record(outcome);
    } finally {
      clearTimeout(timer);
    }
    if (settled) await lease.release();
    else lease.abandon();
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

  /** Runs the steps in order; a resumed rotation skips those its pending record says are done. */
  private async locked(
    run: RunState,
    lease: BlobLease,
    trace: RotationTrace,
    runSeconds: number,
  ): Promise<RotationOutcome> {
    for (const step of this.steps) {
      if (!step.always && this.doneBefore(step, run)) continue;
      await this.checkpoint(step.name, run.request, trace);
      if (step.writes) lease.assertHeld();
      const skip = await beforeDeadline(run.signal, runSeconds, step.run(run, this.stepDeps));
      if (skip) return this.skip(run, skip.skip, skip.detail);
      if (step.recorded?.(run) && run.pending) {
        await run.mark(`${step.name}:done`);
        run.pending = await run.gateway.recordStep(run.request.secret, run.pending, step.name);
      }
    }
    return need(run.outcome, "the outcome");
  }

  /** Whether an earlier run of this rotation completed `step` (it is at or before the recorded one). */
  private doneBefore(step: Step, run: RunState): boolean {
    if (run.resumedAfter === undefined) return false;
    const recorded = this.steps.findIndex((s) => s.name === run.resumedAfter);
    return this.steps.indexOf(step) <= recorded;
  }

  private async dryRun(run: RunInfo, gateway: VaultGateway): Promise<RotationOutcome> {
    const { request } = run;
    try {
      const current = await gateway.readLatest(request.secret);
      run.redactor.add(current.value);
      const plan = planOf(run, this.stepDeps, current);
      if (!plan)
        return this.skipOutcome(run, "unmanaged", "the secret has neither ProviderAddress nor RotatorType");
      const pending = await gateway.readPending(request.secret);
      const why = notDue(request, current, plan, this.stepDeps);
      const detail = pending
        ? `rotation ${pending.rotationId} is under way and would be resumed`
        : (why ??
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

  private async skip(run: RunInfo, reason: SkipReason, detail: string): Promise<RotationOutcome> {
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

  private async checkpoint(
    step: RotationStep | (string & {}),
    request: RotationRequest,
    rotationTrace: RotationTrace | undefined,
  ): Promise<void> {
    rotationTrace?.enter(step);
    await this.deps.checkpoint?.(step, request);
  }
}

/** The step's result, unless the run's deadline passes first: then a retryable RunTimedOut. */
async function beforeDeadline<T>(signal: AbortSignal, seconds: number, work: Promise<T>): Promise<T> {
  const late = (): RotationError =>
    new RotationError(
      "RunTimedOut",
      `the run passed its deadline of ${seconds} s (RUN_TIMEOUT_SECONDS); the next run resumes it`,
      true,
    );
  if (signal.aborted) throw late();
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(late());
        signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/** Whether a failure came from a deadline (the run's, or a call's): such a call may still land. */
function timedOut(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth += 1) {
    if (e.name === "AbortError" || (e instanceof RotationError && e.code === "RunTimedOut")) return true;
  }
  return false;
}
