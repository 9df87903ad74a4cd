import type { SecretProperties } from "@azure/keyvault-secrets";
import type { RotatorApp } from "../rotation/createEngine.js";
import type { RotationOutcome } from "../rotation/rotationOutcome.js";
import { PENDING_FOR_TAG } from "../vault/pendingRecord.js";

export interface DueSweepResult {
  vaults: number;
  secrets: number;
  rotated: number;
  failed: number;
  outcomes: RotationOutcome[];
  audit: { delivered: number; remaining: number };
}

const DAY_MS = 86_400_000;

/**
 * The backstop until the full compliance sweep lands: stream every secret of every vault, rotate what is
 * due (managed, enabled, and expired, expiring within ROTATE_BEFORE_EXPIRY_DAYS, or without expiry), resume
 * rotations left half-way, with at most SWEEP_CONCURRENCY at once; then redeliver the audit outbox.
 */
export async function rotateDue(app: RotatorApp, now: Date = new Date()): Promise<DueSweepResult> {
  const result: DueSweepResult = {
    vaults: 0,
    secrets: 0,
    rotated: 0,
    failed: 0,
    outcomes: [],
    audit: { delivered: 0, remaining: 0 },
  };
  const running = new Set<Promise<void>>();
  const limit = app.config.sweepConcurrency;
  for (const [name, gateway] of app.vaults) {
    result.vaults += 1;
    for await (const props of gateway.listProperties()) {
      result.secrets += 1;
      const secret = dueSecret(props, now, app.config.rotateBeforeExpiryDays);
      if (!secret) continue;
      const task = app.engine
        .rotate({ vault: name, secret, trigger: "sweep", onlyIfDue: !props.tags?.[PENDING_FOR_TAG] })
        .then((outcome) => {
          result.outcomes.push(outcome);
          if (outcome.status === "rotated") result.rotated += 1;
          if (outcome.status === "failed") result.failed += 1;
        });
      const tracked = task.finally(() => running.delete(tracked));
      running.add(tracked);
      if (running.size >= limit) await Promise.race(running);
    }
  }
  await Promise.all(running);
  result.audit = await app.audit.redeliver();
  return result;
}

/** The secret to rotate for this listing entry, if any: a managed secret that is due, or the owner of an open pending record. */
function dueSecret(props: SecretProperties, now: Date, windowDays: number): string | undefined {
  const tags = props.tags ?? {};
  const owner = tags[PENDING_FOR_TAG];
  if (owner !== undefined) return props.enabled === false ? undefined : owner;
  if (props.enabled === false) return undefined;
  if (tags.ProviderAddress === undefined && tags.RotatorType === undefined) return undefined;
  if (!props.expiresOn) return props.name;
  return props.expiresOn.getTime() - now.getTime() <= windowDays * DAY_MS ? props.name : undefined;
}
