import type { ContainerClient } from "@azure/storage-blob";
import type { ExpiryWarning, WarningReason } from "../audit/expiryWarning.js";
import type { Classification, ListedSecret } from "./classifySecret.js";
import type { ReportRow } from "./complianceReport.js";
import { failureKey, nextFailure, type FailureRecord } from "./dueIndex.js";
import type { SweepObserver } from "./runSweep.js";

/** What was warned already: `<vault>/<secret>@<expiresOn>` -> the smallest lead time warned for. */
export const WARNINGS_BLOB = "warnings/sent.json";
const DAY = 86_400_000;
const OWNER_MAX = 256;

/** The owner a secret names (`Owner` tag), cut to a sane length; never more than that tag. */
export function ownerOf(tags: Record<string, string>): string | undefined {
  const owner = tags.Owner?.trim();
  return owner ? owner.slice(0, OWNER_MAX) : undefined;
}

/**
 * Expiry warnings at lead times (EXPIRY_WARNING_DAYS) for secrets nobody will renew in time: unmanaged or
 * misconfigured secrets, rotations that keep failing (in this sweep, or in the frequent timer's runs since the
 * last one: the due index's failure records), and stuck rotations. Each version (its expiry
 * date: every new version has its own) is warned once per lead time: what was sent is remembered in one blob
 * that holds only the secrets being warned about, read once and written once per sweep.
 */
export class ExpiryWarnings implements SweepObserver {
  readonly warnings: ExpiryWarning[] = [];
  private readonly seen: Record<string, number> = {};

  constructor(
    private readonly now: Date,
    private readonly leadDays: number[],
    private readonly sent: Record<string, number>,
    /** The failure records of the last due index (dueIndex.ts). */
    private readonly failing: Record<string, FailureRecord> = {},
  ) {}

  row(row: ReportRow, listed: ListedSecret, c: Classification): void {
    if (!listed.expiresOn || !listed.enabled) return;
    const failure = nextFailure(
      this.failing[failureKey(row.vault, row.secret)],
      row.outcome,
      this.now,
      listed.createdOn,
    );
    const reason = reasonOf(c, failure);
    if (!reason) return;
    const daysLeft = (listed.expiresOn.getTime() - this.now.getTime()) / DAY;
    let lead: number | undefined;
    for (const l of this.leadDays) if (daysLeft <= l) lead = l; // largest first: ends on the smallest that applies
    if (lead === undefined) return;
    const expiresOn = listed.expiresIso ?? listed.expiresOn.toISOString();
    const key = `${row.vault}/${row.secret}@${expiresOn}`;
    const before = this.sent[key];
    this.seen[key] = Math.min(lead, before ?? lead);
    if (before !== undefined && before <= lead) return;
    const owner = ownerOf(listed.tags);
    this.warnings.push({
      vault: row.vault,
      secret: row.secret,
      reason,
      state: c.state,
      detail:
        reason === "rotation-failing" && failure
          ? `its rotation failed ${failure.count} time(s) in a row, last at ${failure.at}: ${failure.code}: ${failure.message}`
          : row.detail,
      expiresOn,
      daysLeft: Math.floor(daysLeft * 10) / 10,
      leadDays: lead,
      ...(reason === "rotation-failing" && failure ? { failures: failure.count } : {}),
      ...(owner !== undefined ? { owner } : {}),
    });
  }

  /** What to remember: the warned secrets seen in this sweep (others were renewed or are gone). */
  memory(): Record<string, number> {
    return this.seen;
  }
}

function reasonOf(c: Classification, failure: FailureRecord | undefined): WarningReason | undefined {
  if (c.state === "unmanaged") return "not-rotated";
  if (c.state === "misconfigured") return "misconfigured";
  if (c.state === "pending-stuck") return "rotation-stuck";
  if (failure) return "rotation-failing";
  return undefined;
}

/** The remembered warnings; absent or unreadable means none sent (at worst a warning is repeated once). */
export async function readSentWarnings(container: ContainerClient): Promise<Record<string, number>> {
  try {
    const parsed: unknown = JSON.parse(
      (await container.getBlockBlobClient(WARNINGS_BLOB).downloadToBuffer()).toString("utf8"),
    );
    const out: Record<string, number> = {};
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
      for (const [k, v] of Object.entries(parsed)) if (typeof v === "number") out[k] = v;
    return out;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404 || error instanceof SyntaxError) return {};
    throw error;
  }
}

export async function writeSentWarnings(
  container: ContainerClient,
  sent: Record<string, number>,
): Promise<void> {
  const body = JSON.stringify(sent);
  await container.getBlockBlobClient(WARNINGS_BLOB).upload(body, Buffer.byteLength(body), {
    blobHTTPHeaders: { blobContentType: "application/json" },
  });
}
