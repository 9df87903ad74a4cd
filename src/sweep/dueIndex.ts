import type { ContainerClient } from "@azure/storage-blob";
import type { Classification, ListedSecret } from "./classifySecret.js";
import type { ReportRow } from "./complianceReport.js";
import type { SweepObserver } from "./runSweep.js";

/** Where the sweep keeps the secrets that fall due before its next run, for the frequent timer. */
export const DUE_INDEX_BLOB = "schedule/due-index.json";
/** How far ahead the sweep indexes: two days covers a daily sweep that misses one run. */
export const DUE_INDEX_HORIZON_MS = 2 * 86_400_000;

export interface DueEntry {
  vault: string;
  secret: string;
  /** When it may rotate: its due time, or with a RotationWindow the start of the window it runs in. */
  runAt: string;
}

/** A secret whose rotations keep failing (sweep or timer), until one succeeds or a new version appears. */
export interface FailureRecord {
  /** Failed runs in a row. */
  count: number;
  /** The last failure: when, and its error (redacted like every outcome). */
  at: string;
  code: string;
  message: string;
}

export interface DueIndex {
  generatedAt: string;
  horizon: string;
  entries: DueEntry[];
  /** `<vault>/<secret>` -> its failing rotations, for the sweep's expiry warnings (expiryWarnings.ts). */
  failing: Record<string, FailureRecord>;
}

export const failureKey = (vault: string, secret: string): string => `${vault}/${secret}`;

/** The failure record after one more run: counted up on a failure, gone on success or a newer version. */
export function nextFailure(
  previous: FailureRecord | undefined,
  outcome: { status: string; error?: { code: string; message: string } } | undefined,
  at: Date,
  createdOn?: Date,
): FailureRecord | undefined {
  if (outcome?.status === "failed" && outcome.error)
    return {
      count: (previous?.count ?? 0) + 1,
      at: at.toISOString(),
      code: outcome.error.code,
      message: outcome.error.message,
    };
  if (outcome?.status === "rotated" || !previous) return undefined;
  // A version created after the last failure: someone (or something) renewed it.
  if (createdOn && createdOn.getTime() > Date.parse(previous.at)) return undefined;
  return previous;
}

/**
 * Collects, while the sweep streams, the managed secrets that are not rotated now but fall due within the
 * horizon (deferred to a window, or due soon). Holds only those, never the whole list.
 */
export class DueIndexBuilder implements SweepObserver {
  private readonly entries: DueEntry[] = [];
  private readonly failing: Record<string, FailureRecord> = {};
  private readonly until: number;

  /** `previous`: the failures the last index held (the timer's among them), carried on while they last. */
  constructor(
    private readonly now: Date,
    private readonly previous: Record<string, FailureRecord> = {},
  ) {
    this.until = now.getTime() + DUE_INDEX_HORIZON_MS;
  }

  row(row: ReportRow, listed: ListedSecret, c: Classification): void {
    const key = failureKey(row.vault, row.secret);
    const failure = nextFailure(this.previous[key], row.outcome, this.now, listed.createdOn);
    if (failure) this.failing[key] = failure;
    if (!c.dueAt || !listed.enabled || row.action === "rotated" || c.state === "pending-stuck") return;
    // Due now: the sweep rotated it (or a failure was recorded); only a rotation that found the lease held waits here.
    if (c.due && row.action !== "busy") return;
    if (c.dueAt.getTime() > this.until) return;
    this.entries.push({ vault: row.vault, secret: row.secret, runAt: c.dueAtIso ?? c.dueAt.toISOString() });
  }

  build(): DueIndex {
    this.entries.sort((a, b) => (a.runAt < b.runAt ? -1 : a.runAt > b.runAt ? 1 : 0));
    return {
      generatedAt: this.now.toISOString(),
      horizon: new Date(this.until).toISOString(),
      entries: this.entries,
      failing: this.failing,
    };
  }
}

/** Reads the index and its ETag; an absent or unreadable index is empty (the next sweep rewrites it). */
export async function readDueIndex(container: ContainerClient): Promise<{ index: DueIndex; etag?: string }> {
  try {
    const blob = container.getBlockBlobClient(DUE_INDEX_BLOB);
    const download = await blob.download();
    const chunks: Buffer[] = [];
    for await (const chunk of download.readableStreamBody ?? []) chunks.push(chunk as Buffer);
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return { index: parseDueIndex(parsed), ...(download.etag ? { etag: download.etag } : {}) };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404 || error instanceof SyntaxError)
      return { index: { generatedAt: "", horizon: "", entries: [], failing: {} } };
    throw error;
  }
}

/** The blob is the app's own, but still read as outside input: entries that are not well-formed are dropped. */
function parseDueIndex(value: unknown): DueIndex {
  const v = value as Partial<DueIndex> | null;
  const entries = Array.isArray(v?.entries)
    ? v.entries.filter(
        (e: unknown): e is DueEntry =>
          typeof (e as DueEntry)?.vault === "string" &&
          typeof (e as DueEntry).secret === "string" &&
          typeof (e as DueEntry).runAt === "string" &&
          !Number.isNaN(Date.parse((e as DueEntry).runAt)),
      )
    : [];
  const failing: Record<string, FailureRecord> = {};
  const f: unknown = v?.failing;
  if (f && typeof f === "object" && !Array.isArray(f))
    for (const [k, r] of Object.entries(f as Record<string, unknown>)) {
      const x = r as Partial<FailureRecord> | null;
      if (
        typeof x?.count === "number" &&
        typeof x.at === "string" &&
        !Number.isNaN(Date.parse(x.at)) &&
        typeof x.code === "string" &&
        typeof x.message === "string"
      )
        failing[k] = { count: x.count, at: x.at, code: x.code, message: x.message };
    }
  return {
    generatedAt: typeof v?.generatedAt === "string" ? v.generatedAt : "",
    horizon: typeof v?.horizon === "string" ? v.horizon : "",
    entries,
    failing,
  };
}

/**
 * Writes the index. With `ifMatch` (the timer) only if nobody rewrote it since it was read: a sweep's new
 * index wins over the timer's trimmed old one. Returns false when that condition failed.
 */
export async function writeDueIndex(
  container: ContainerClient,
  index: DueIndex,
  ifMatch?: string,
): Promise<boolean> {
  const body = JSON.stringify(index);
  try {
    await container.getBlockBlobClient(DUE_INDEX_BLOB).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: "application/json" },
      ...(ifMatch ? { conditions: { ifMatch } } : {}),
    });
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 412) return false;
    throw error;
  }
}
