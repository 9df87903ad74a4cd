import type { SecretProperties } from "@azure/keyvault-secrets";
import type { RotationEngine } from "../rotation/rotationEngine.js";
import type { RotationOutcome, RotationTrigger } from "../rotation/rotationOutcome.js";
import { parsePendingTags, PENDING_FOR_TAG, pendingRecordName } from "../vault/pendingRecord.js";
import type { ThrottleSignal } from "../vault/throttlePolicy.js";
import type { VaultGateway } from "../vault/vaultGateway.js";
import { recordSweep } from "../telemetry/telemetry.js";
import type { PolicyParameters } from "../config.js";
import type { VaultPosture } from "./vaultPosture.js";
import { AdaptiveLimiter } from "./adaptiveLimiter.js";
import { describePolicies, evaluateSecretPolicies, SECRET_POLICIES } from "./secretPolicies.js";
import { ownerOf } from "./expiryWarnings.js";
import { consumerColumns, withLedger } from "../consumers/consumerColumns.js";
import type { ConsumerLedger } from "../rotation/consumerLedger.js";
import {
  classifySecret,
  SECRET_STATES,
  type Classification,
  type ClassifySettings,
  type ListedSecret,
  type OpenRotation,
} from "./classifySecret.js";
import {
  ATTENTION_STATES,
  REPORT_SCHEMA,
  REPORT_SCHEMA_VERSION,
  type ReportRow,
  type ReportSummary,
  type ReportWriter,
} from "./complianceReport.js";

export interface SweepProgress {
  listed: number;
  reported: number;
  rotated: number;
  failed: number;
  inFlight: number;
  concurrency: number;
}

export interface SweepOptions {
  /** Evaluate every secret against the Azure Policy definitions (SECRET_POLICIES) with these parameters. */
  policy?: PolicyParameters;
  /** The vaults' posture, read beforehand, for the report's header. */
  posture?: VaultPosture[];
  vaults: ReadonlyMap<string, VaultGateway>;
  settings: ClassifySettings & { sweepConcurrency: number };
  /** Rotate what is due (needs `engine`); otherwise only classify and report. */
  rotate: boolean;
  /** With `rotate`: report what would be rotated, change nothing. */
  dryRun: boolean;
  engine?: RotationEngine;
  trigger: RotationTrigger;
  writers: ReportWriter[];
  throttle?: ThrottleSignal;
  now?: () => Date;
  onProgress?: (progress: SweepProgress) => void;
  /** What each consumer of a secret was last told and seen using; the report shows it. */
  consumerLedger?: Pick<ConsumerLedger, "read">;
  /** Attempts per secret when Key Vault keeps throttling (default 5). */
  maxAttempts?: number;
  /** Told of every row as it is reported (the due index, expiry warnings): each keeps only what it needs. */
  observers?: SweepObserver[];
}

/** Sees each secret's final row (after any rotation) with its listing and classification. */
export interface SweepObserver {
  row(row: ReportRow, listed: ListedSecret, classification: Classification): void;
}

interface Waiting {
  vault: string;
  listed: ListedSecret;
  pendingKey: string;
}

/**
 * The compliance sweep: streams every secret of every vault page by page (the list is never held whole),
 * classifies each, rotates what is due with adaptive concurrency, and streams one report row per secret to
 * every writer. Pending records are matched to their secrets and never reported as secrets of their own.
 */
export async function runSweep(options: SweepOptions): Promise<ReportSummary> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const limiter = new AdaptiveLimiter(options.settings.sweepConcurrency);
  const unsubscribe = options.throttle?.onThrottle((ms) => limiter.throttled(ms));
  const byState = Object.fromEntries(SECRET_STATES.map((s) => [s, 0])) as ReportSummary["byState"];
  const summary: ReportSummary = {
    total: 0,
    byState,
    rotated: 0,
    failed: 0,
    unresolved: 0,
    wouldRotate: 0,
    openRotations: [],
    throttled: 0,
    durationMs: 0,
    completedAt: "",
  };
  const policy = options.policy;
  const nonCompliant = policy
    ? (Object.fromEntries(SECRET_POLICIES.map((p) => [p.name, 0])) as Record<
        (typeof SECRET_POLICIES)[number]["name"],
        number
      >)
    : undefined;
  if (nonCompliant) summary.policyNonCompliant = nonCompliant;
  const progress = { listed: 0, reported: 0 };
  const running = new Set<Promise<void>>();
  const report = (): void =>
    options.onProgress?.({
      ...progress,
      rotated: summary.rotated,
      failed: summary.failed,
      inFlight: limiter.inFlight,
      concurrency: limiter.limit,
    });
  const throttledAtStart = options.throttle?.count ?? 0;

  await Promise.all(
    options.writers.map((w) =>
      w.start({
        schema: REPORT_SCHEMA,
        schemaVersion: REPORT_SCHEMA_VERSION,
        generatedAt: started.toISOString(),
        trigger: options.trigger,
        rotate: options.rotate,
        dryRun: options.dryRun,
        vaults: [...options.vaults.values()].map((g) => ({ name: g.vault.name, url: g.vault.url })),
        settings: {
          rotateBeforeExpiryDays: options.settings.rotateBeforeExpiryDays,
          defaultValidityDays: options.settings.defaultValidityDays,
        },
        ...(policy ? { policies: describePolicies(policy) } : {}),
        ...(options.posture ? { posture: options.posture } : {}),
      }),
    ),
  );
  const observers = options.observers ?? [];
  const write = (row: ReportRow, listed: ListedSecret, c: Classification): void => {
    if (nonCompliant && row.policy)
      for (const p of SECRET_POLICIES) if (row.policy[p.name] === "fail") nonCompliant[p.name] += 1;
    for (const w of options.writers) w.row(row);
    for (const o of observers) o.row(row, listed, c);
    progress.reported += 1;
    if (ATTENTION_STATES.has(row.state) && row.action !== "rotated") summary.unresolved += 1;
  };

  /** Classifies one secret and reports it, or starts its rotation (the only path that waits, on the limiter). */
  const settle = (
    vault: string,
    listed: ListedSecret,
    open: OpenRotation | undefined,
  ): Promise<void> | undefined => {
    const at = now();
    const c = classifySecret(listed, at, options.settings, open);
    summary.total += 1;
    byState[c.state] += 1;
    const row: ReportRow = {
      vault,
      secret: listed.name,
      state: c.state,
      detail: c.detail,
      enabled: listed.enabled,
      action: "none",
    };
    if (c.rotator) row.rotator = c.rotator;
    if (c.validityDays) row.validityDays = c.validityDays;
    if (listed.expiresIso) row.expiresOn = listed.expiresIso;
    if (listed.createdOn) row.createdOn = listed.createdOn.toISOString();
    if (listed.tags.RotatedAt) row.rotatedAt = listed.tags.RotatedAt;
    if (c.dueAtIso) row.dueAt = c.dueAtIso;
    const owner = listed.tags.Owner === undefined ? undefined : ownerOf(listed.tags);
    if (owner) row.owner = owner;
    if (policy) row.policy = evaluateSecretPolicies(listed, at, policy);
    if (listed.tags.Consumers !== undefined) Object.assign(row, consumerColumns(listed.name, listed.tags, c));
    if (!c.due || !options.rotate) {
      // Only secrets that name consumers wait for their record.
      if (!row.consumers || !options.consumerLedger) {
        write(row, listed, c);
        return undefined;
      }
      const ledger = options.consumerLedger;
      return (async () => {
        Object.assign(row, withLedger(row, await ledger.read(vault, listed.name).catch(() => undefined)));
        write(row, listed, c);
      })();
    }
    if (options.dryRun || !options.engine) {
      summary.wouldRotate += 1;
      write({ ...row, action: "would-rotate" }, listed, c);
      return undefined;
    }
    return startRotation(vault, listed, open, row, c);
  };
  /** Waits for a rotation slot, then rotates in the background; the sweep goes on listing meanwhile. */
  const startRotation = async (
    vault: string,
    listed: ListedSecret,
    open: OpenRotation | undefined,
    row: ReportRow,
    c: Classification,
  ): Promise<void> => {
    const engine = options.engine as RotationEngine;
    await limiter.acquire();
    const task = (async () => {
      let outcome: RotationOutcome | undefined;
      for (let attempt = 1; attempt <= (options.maxAttempts ?? 5); attempt += 1) {
        outcome = await engine.rotate({
          vault,
          secret: listed.name,
          trigger: options.trigger,
          onlyIfDue: !open,
        });
        const throttled = outcome.status === "failed" && outcome.error.code === "KeyVaultThrottled";
        if (!throttled) break;
        limiter.throttled();
        limiter.release(false);
        await limiter.acquire();
      }
      const o = outcome as RotationOutcome;
      limiter.release(o.status === "rotated" || o.status === "skipped");
      if (o.status === "rotated") summary.rotated += 1;
      if (o.status === "failed") summary.failed += 1;
      if (o.status === "rotated" && policy) {
        // The row stands for the secret as the sweep leaves it: the new version, valid from now.
        const renewed: ListedSecret = { ...listed, expiresOn: new Date(o.expiresOn), createdOn: now() };
        delete renewed.notBefore;
        row.policy = evaluateSecretPolicies(renewed, now(), policy);
      }
      write(
        {
          ...row,
          action: o.status === "rotated" ? "rotated" : o.status,
          outcome: {
            status: o.status,
            ...(o.status === "rotated" ? { newVersion: o.newVersion, expiresOn: o.expiresOn } : {}),
            ...(o.status === "skipped" ? { reason: o.reason } : {}),
            ...(o.status === "failed" ? { error: { code: o.error.code, message: o.error.message } } : {}),
            ...(o.status === "rotated" && o.reason ? { reason: o.reason } : {}),
          },
        },
        listed,
        c,
      );
    })();
    const tracked: Promise<void> = task.finally(() => running.delete(tracked));
    running.add(tracked);
  };
  const flushWriters = async (): Promise<void> => {
    for (const w of options.writers) await w.flush();
    report();
  };

  for (const [vaultName, gateway] of options.vaults) {
    // Secrets wait here until the listing has passed where their pending record would be (names sort
    // case-insensitively, so `x--pending` comes shortly after `x`): a few at a time, never the whole list.
    const waiting = new Map<string, Waiting>();
    const open = new Map<string, OpenRotation>();
    const flushBefore = async (position: string | undefined): Promise<void> => {
      for (const [key, w] of waiting) {
        if (position !== undefined && w.pendingKey >= position) continue;
        waiting.delete(key);
        const found =
          open.get(key) ??
          (w.pendingKey.startsWith("akvr-pending-") ? await hashedPending(gateway, w) : undefined);
        open.delete(key);
        // Reporting only is synchronous: no promise per secret unless a rotation waits for a slot.
        const rotating = settle(vaultName, w.listed, found);
        if (rotating) await rotating;
      }
    };
    for await (const page of gateway.listPropertyPages()) {
      for (const props of page) {
        progress.listed += 1;
        // Let the listing's next response in now and then: its request goes out while this page is classified.
        if (progress.listed % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const position = props.name.toLowerCase();
        if (waiting.size > 0) await flushBefore(position);
        const owner = props.tags?.[PENDING_FOR_TAG];
        if (owner !== undefined) {
          const meta = parsePendingTags(props.tags);
          if (props.enabled !== false && meta) {
            const rotation = { rotationId: meta.rotationId, stagedAt: meta.stagedAt };
            if (waiting.has(owner.toLowerCase())) open.set(owner.toLowerCase(), rotation);
            else
              summary.openRotations.push({
                vault: vaultName,
                secret: owner,
                rotationId: meta.rotationId,
                stagedAt: meta.stagedAt.toISOString(),
              });
          }
          continue;
        }
        waiting.set(position, {
          vault: vaultName,
          listed: toListed(props),
          pendingKey: pendingRecordName(props.name).toLowerCase(),
        });
      }
      await flushWriters();
    }
    await flushBefore(undefined);
  }
  await Promise.all(running);
  // Rotations staged for secrets that the listing did not place next to their record: resume them too.
  if (options.rotate && !options.dryRun && options.engine) {
    for (const o of summary.openRotations) {
      const outcome = await options.engine.rotate({
        vault: o.vault,
        secret: o.secret,
        trigger: options.trigger,
      });
      if (outcome.status === "rotated") summary.rotated += 1;
      if (outcome.status === "failed") summary.failed += 1;
    }
  }
  unsubscribe?.();
  const done = now();
  summary.durationMs = done.getTime() - started.getTime();
  summary.completedAt = done.toISOString();
  summary.throttled = (options.throttle?.count ?? 0) - throttledAtStart;
  await Promise.all(options.writers.map((w) => w.end(summary)));
  recordSweep(summary);
  return summary;
}

/** Secrets classified between turns of the event loop. */
const YIELD_EVERY = 8;

function toListed(props: SecretProperties): ListedSecret {
  // Assigned field by field: a sweep makes one of these per secret, and spreads would allocate several.
  const listed: ListedSecret = { name: props.name, enabled: props.enabled !== false, tags: props.tags ?? {} };
  if (props.expiresOn) {
    listed.expiresOn = props.expiresOn;
    listed.expiresIso = props.expiresOn.toISOString();
  }
  if (props.createdOn) listed.createdOn = props.createdOn;
  if (props.notBefore) listed.notBefore = props.notBefore;
  if (props.contentType) listed.contentType = props.contentType;
  return listed;
}

/** Owners of hashed pending names (names over 118 characters) are looked up directly: their record does not sort next to them. */
async function hashedPending(gateway: VaultGateway, w: Waiting): Promise<OpenRotation | undefined> {
  const pending = await gateway.readPending(w.listed.name).catch(() => undefined);
  return pending ? { rotationId: pending.rotationId, stagedAt: pending.stagedAt } : undefined;
}
