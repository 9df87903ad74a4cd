import { SecretTagError } from "../errors.js";
import type { SecretTags } from "../rotators/rotator.js";
import type { ConsumerKind, ConsumerReport, ConsumerState } from "./consumer.js";
import { parseConsumers } from "./consumerTags.js";

/** What the compliance report shows of a secret's consumers. */
export interface ConsumerColumns {
  consumers?: {
    consumer: string;
    kind: ConsumerKind;
    /** From the last rotation's record: the version it was told of, and whether it confirmed it. */
    version?: string;
    state?: ConsumerState;
    detail?: string;
  }[];
  /** The Consumers tags cannot be used: rotations of the secret fail until they are fixed. */
  consumerProblem?: string;
  /** A single credential read by consumers that cache it: locked out from the apply until they reload. */
  lockoutRisk?: string;
}

// Only the tags' shape is checked here; rotations resolve short forms in CONSUMER_SUBSCRIPTION_ID.
const ANY_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

/**
 * The report's consumer columns of one secret: who reads it (from its Consumers tags), and a flag when it is a
 * single credential with consumers that cache it (every kind akv-rotator knows caches: App Service up to a day,
 * API Management about four hours): the README says how to move such a secret to dual credentials.
 */
export function consumerColumns(
  secret: string,
  tags: SecretTags,
  plan: { strategy?: "single" | "dual"; rotator?: string },
): ConsumerColumns {
  let consumers;
  try {
    consumers = parseConsumers(tags, secret, ANY_SUBSCRIPTION);
  } catch (error) {
    if (error instanceof SecretTagError) return { consumerProblem: error.message };
    throw error;
  }
  if (consumers.length === 0) return {};
  const columns: ConsumerColumns = { consumers: consumers.map((c) => ({ consumer: c.label, kind: c.kind })) };
  // An Entra application's secrets overlap through the grace period: not a single credential in effect.
  if (plan.strategy === "single" && plan.rotator !== "entra-app-secret")
    columns.lockoutRisk = `single credential read by ${consumers.length} caching consumer(s): they fail from the rotation's apply until they reload it (told right after the commit; if telling fails, up to their cache time); use dual credentials (AlternateCredentialId)`;
  return columns;
}

/** Adds what the last rotation recorded of each consumer (the ledger) to the report's columns. */
export function withLedger(
  columns: ConsumerColumns,
  ledger: { version: string; reports: readonly ConsumerReport[] } | undefined,
): ConsumerColumns {
  if (!columns.consumers || !ledger) return columns;
  const byName = new Map(ledger.reports.map((r) => [r.consumer, r]));
  return {
    ...columns,
    consumers: columns.consumers.map((c) => {
      const r = byName.get(c.consumer);
      return r ? { ...c, version: r.version, state: r.state, ...(r.detail ? { detail: r.detail } : {}) } : c;
    }),
  };
}
