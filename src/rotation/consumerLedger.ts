import type { ContainerClient } from "@azure/storage-blob";
import { z } from "zod";
import { CONSUMER_KINDS, type ConsumerKind, type ConsumerReport } from "../consumers/consumer.js";

const ledgerSchema = z.object({
  version: z.string(),
  /** Runs in a row that left a consumer of this version stale: the resume timer backs off by it. */
  staleRuns: z.number().int().min(0).optional(),
  reports: z.array(
    z.object({
      consumer: z.string(),
      kind: z.enum(Object.keys(CONSUMER_KINDS) as [ConsumerKind, ...ConsumerKind[]]),
      version: z.string(),
      state: z.enum(["confirmed", "told", "stale"]),
      detail: z.string().optional(),
    }),
  ),
});

export type LedgerEntry = z.infer<typeof ledgerSchema>;

/**
 * What each consumer of a secret was last told and seen using: one small JSON blob
 * `consumers/<vault>/<secret>` in the app's container. A later run reads it to tell again those that could
 * not be told (and only those), and the compliance report shows it. Holds names and versions, never a value.
 */
export class ConsumerLedger {
  constructor(private readonly container: ContainerClient) {}

  static blobName(vault: string, secret: string): string {
    return `consumers/${vault.toLowerCase()}/${secret.toLowerCase()}`;
  }

  async read(vault: string, secret: string): Promise<LedgerEntry | undefined> {
    try {
      const body = await this.container
        .getBlobClient(ConsumerLedger.blobName(vault, secret))
        .downloadToBuffer();
      const parsed = ledgerSchema.safeParse(JSON.parse(body.toString("utf8")));
      return parsed.success ? parsed.data : undefined;
    } catch (error) {
      // None yet, or not a ledger (damaged): nothing recorded, so consumers are told again.
      if ((error as { statusCode?: number }).statusCode === 404 || error instanceof SyntaxError)
        return undefined;
      throw error;
    }
  }

  async write(
    vault: string,
    secret: string,
    entry: { version: string; reports: ConsumerReport[]; staleRuns?: number },
    now: Date = new Date(),
  ): Promise<void> {
    const text = JSON.stringify(entry);
    const stale = entry.reports.some((r) => r.state === "stale");
    // The first retry at once, then 20 s, 60 s, 140 s, ... at most an hour apart.
    const runs = entry.staleRuns ?? 0;
    const retryAt = now.getTime() + Math.min(20_000 * (2 ** Math.max(runs - 1, 0) - 1), 3_600_000);
    await this.container
      .getBlockBlobClient(ConsumerLedger.blobName(vault, secret))
      .upload(text, Buffer.byteLength(text), {
        blobHTTPHeaders: { blobContentType: "application/json" },
        // Listed by the resume timer without reading each record.
        metadata: { stale: String(stale), retryat: String(retryAt) },
      });
  }

  /** Secrets with a consumer that could not be told, due for another try at `now`: the resume timer runs them. */
  async listStale(now: Date = new Date()): Promise<{ vault: string; secret: string }[]> {
    const found: { vault: string; secret: string }[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix: "consumers/", includeMetadata: true })) {
      const [, vault, secret] = blob.name.split("/");
      const due = Number(blob.metadata?.retryat ?? 0) <= now.getTime();
      if (vault && secret && blob.metadata?.stale === "true" && due) found.push({ vault, secret });
    }
    return found;
  }
}
