import type { TokenCredential } from "@azure/core-auth";
import type { AllowedTarget } from "../../allowedTargets.js";
import type { AuditEvent } from "../../audit/auditEvent.js";
import type { AuditTrail } from "../../audit/auditTrail.js";
import type { Consumer, ConsumerReport } from "../../consumers/consumer.js";
import type { ConsumerLedger } from "../consumerLedger.js";
import type { OpenRotations } from "../openRotations.js";
import type { Logger } from "../../logging/logger.js";
import type { CredentialChange, RotatorContext } from "../../rotators/rotator.js";
import type { PendingRecord } from "../../vault/pendingRecord.js";
import type { CurrentSecret, PendingSeen, VaultGateway } from "../../vault/vaultGateway.js";
import type { Redactor } from "../redaction.js";
import type { RotationPlan } from "../rotationPlan.js";
import type { RotatedOutcome, RotationTrigger, SkipReason } from "../rotationOutcome.js";

export interface RotationRequest {
  vault: string;
  secret: string;
  trigger: RotationTrigger;
  /**
   * The version the request was for: an event's version, or the latest one an on-demand request saw on
   * arrival. A different latest version means it was already rotated.
   */
  expectedVersion?: string;
  dryRun?: boolean;
  /** Rotate even if the secret was rotated within the minimum interval. */
  force?: boolean;
  /** The sweep: rotate only what is due (no expiry, expired, or expiring within the window). */
  onlyIfDue?: boolean;
  /** Only finish a rotation under way (the resume timer); never start one. */
  resumeOnly?: boolean;
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
  /** RUN_TIMEOUT_SECONDS (180 when absent). */
  runTimeoutSeconds?: number;
  /** PROPAGATION_WAIT_SECONDS (0 when absent). */
  propagationWaitSeconds?: number;
  /** AKV_ROTATOR_ALLOWED_TARGETS: what a secret may be bound to (the authorize step). */
  allowedTargets?: readonly AllowedTarget[];
  /** CONSUMER_SUBSCRIPTION_ID: where the short forms of the Consumers tags resolve. */
  consumerSubscriptionId?: string;
  /** CONSUMER_WAIT_SECONDS (0 when absent). */
  consumerWaitSeconds?: number;
}

/** What the steps use besides the run itself. */
export interface StepDeps {
  audit: AuditTrail;
  logger: Logger;
  settings: EngineSettings;
  credential: TokenCredential;
  azure: RotatorContext["azure"];
  now: () => Date;
  /** The index of rotations under way: what the resume timer resumes, and the app's record of what it staged. */
  openRotations: OpenRotations;
  /** Which version each consumer of a secret was told of, and what it showed. */
  consumerLedger: ConsumerLedger;
}

/** The version a rotation wrote (or found written, when it resumed after the commit). */
export interface Committed {
  previousVersion: string;
  version: string;
  expiresOn: Date;
  credentialId: string;
}

/** Everything one rotation run knows, filled in step by step. */
export interface RunState {
  request: RotationRequest;
  gateway: VaultGateway;
  redactor: Redactor;
  rotationId: string;
  started: number;
  /** Ends with the run's deadline: rotators pass it on to their calls. */
  signal: AbortSignal;
  /** The crash seam inside a step (`<step>:<point>`), after one of its writes landed and before the next. */
  mark: (point: string) => Promise<void>;
  rotator?: string;
  /** A rotation is staged and will be resumed by the next run. */
  pendingKept: boolean;
  current?: CurrentSecret;
  /** Other secrets of the vault this run read (admin secrets), by lower-case name. */
  secretsRead: Map<string, ReturnType<RotatorContext["readSecret"]>>;
  /** No pending record to resume: none at all, or a closed one (staging need not read it again). */
  pendingSeen?: PendingSeen;
  pending?: PendingRecord;
  /** Resuming: the last step an earlier run of this rotation completed. */
  resumedAfter?: RotationStep;
  plan?: RotationPlan;
  /** The credential a fresh run generated or was issued, before it is staged. */
  newCredential?: string;
  committed?: Committed;
  /** Why it rotates outside its RotationWindow, for the outcome. */
  dueReason?: string;
  /** The consumers the secret names, authorized; empty when it names none. */
  consumers?: Consumer[];
  /** Consumers told of the latest version (before this rotation) that have not confirmed it. */
  unconfirmedConsumers?: string[];
  /** What rotators reported about retiring old credentials (kept back for consumers, or at the hard limit). */
  retirement?: string[];
  /** What each consumer was told and seen using, after the commit. */
  consumerReports?: ConsumerReport[];
  outcome?: RotatedOutcome;
  event?: AuditEvent;
  /** This run delivered its own audit event: no outbox sweep needed afterwards. */
  delivered?: boolean;
}

/** A step that ends the run early, without rotating. */
export interface StepSkip {
  skip: SkipReason;
  detail: string;
}

/**
 * One step of the protocol (DESIGN.md, "Rotation protocol"). The engine calls them in order, stops before
 * each at the crash seam, and checks the lease before each step that writes.
 */
export interface Step {
  readonly name: RotationStep | (string & {});
  /** Writes to the target or Key Vault: only while this run still holds the lease. */
  readonly writes: boolean;
  /** Runs on a resumed rotation even when an earlier run completed it (reading, planning, authorizing). */
  readonly always?: boolean;
  /** After it completes, the pending record records it, so a resumed run starts after it. */
  readonly recorded?: (run: RunState) => boolean;
  run(run: RunState, deps: StepDeps): Promise<StepSkip | undefined>;
}

/** For steps that only run once an earlier step has filled in the run: a bug, never a user error. */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`rotation step order: ${what} is not known yet`);
  return value;
}

export type { CredentialChange, RotatorContext };
