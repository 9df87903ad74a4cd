import type { BlobLeaseClient, ContainerClient } from "@azure/storage-blob";
import { RotationError } from "../errors.js";

/**
 * Mutual exclusion per secret: a blob lease named after vault + secret, renewed while the rotation runs.
 * Held elsewhere: `tryAcquire` answers undefined (the outcome is `busy`). A lease the holder failed to
 * renew in time is treated as lost: `assertHeld` throws before every write, so a slow run never writes
 * after another run has taken over.
 */
export class BlobLease {
  private timer: NodeJS.Timeout | undefined;
  private validUntil: number;
  private lost = false;

  constructor(
    private readonly client: BlobLeaseClient,
    private readonly seconds: number,
  ) {
    this.validUntil = Date.now() + seconds * 1000;
    this.timer = setInterval(() => void this.renewNow(), Math.max(1000, (seconds * 1000) / 3));
    this.timer.unref();
  }

  assertHeld(): void {
    // Two seconds of margin for clock drift between us and the storage service.
    if (this.lost || Date.now() > this.validUntil - 2000) {
      throw new RotationError(
        "LeaseLost",
        "the rotation lost its lease (renewal failed); another run may take over, so this one stops",
        true,
      );
    }
  }

  async release(): Promise<void> {
    this.stopRenewing();
    await this.client.releaseLease().catch(() => undefined);
  }

  /** Stops renewing without releasing: what a dying process leaves behind (the lease then expires). */
  abandon(): void {
    this.stopRenewing();
  }

  /** Renews the lease now (the timer does this every third of its duration). */
  async renewNow(): Promise<void> {
    try {
      await this.client.renewLease();
      this.validUntil = Date.now() + this.seconds * 1000;
    } catch {
      this.lost = true;
      this.stopRenewing();
    }
  }

  private stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export class LeaseManager {
  constructor(
    private readonly container: ContainerClient,
    private readonly seconds: number,
  ) {}

  static blobName(vaultName: string, secretName: string): string {
    return `leases/${vaultName.toLowerCase()}/${secretName.toLowerCase()}`;
  }

  async tryAcquire(vaultName: string, secretName: string): Promise<BlobLease | undefined> {
    const blob = this.container.getBlockBlobClient(LeaseManager.blobName(vaultName, secretName));
    try {
      await blob.upload("", 0, { conditions: { ifNoneMatch: "*" } });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      // 409: exists (possibly leased); 412: exists. Either way the blob is there to lease.
      if (status !== 409 && status !== 412) throw leaseError(error);
    }
    const leaseClient = blob.getBlobLeaseClient();
    try {
      await leaseClient.acquireLease(this.seconds);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 409) return undefined;
      throw leaseError(error);
    }
    return new BlobLease(leaseClient, this.seconds);
  }
}

function leaseError(error: unknown): RotationError {
  const e = error as { statusCode?: number; message?: string };
  const retryable = e.statusCode === undefined || e.statusCode === 429 || e.statusCode >= 500;
  return new RotationError(
    "LeaseUnavailable",
    `taking the rotation lease: ${(e.message ?? String(error)).split("\n")[0]}`,
    retryable,
    { cause: error },
  );
}
