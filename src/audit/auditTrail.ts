import type { ContainerClient } from "@azure/storage-blob";
import { SimulatedCrash } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { AuditEvent } from "./auditEvent.js";
import type { AuditSink } from "./auditSink.js";

/**
 * At-least-once audit delivery through an outbox: each event is first written to a blob named after its
 * id (`outbox/<id>.json`, so writing it again is harmless), then sent, then its blob removed. When the
 * topic is down the event stays in the outbox and `redeliver` (run by the sweep) sends it later; no
 * rotation waits on the topic, and none goes unrecorded.
 */
export class AuditTrail {
  constructor(
    private readonly container: ContainerClient,
    private readonly sink: AuditSink,
    private readonly logger: Logger,
  ) {}

  static blobName(id: string): string {
    return `outbox/${id}.json`;
  }

  /** Step one: keep the event. Throws if it cannot be kept (the caller has not finished then). */
  async keep(event: AuditEvent): Promise<void> {
    const body = JSON.stringify(event);
    await this.container
      .getBlockBlobClient(AuditTrail.blobName(event.id))
      .upload(body, Buffer.byteLength(body), {
        blobHTTPHeaders: { blobContentType: "application/json" },
      });
  }

  /** Step two: send a kept event and drop it from the outbox. Never throws: a failure leaves it kept. */
  async deliver(event: AuditEvent): Promise<boolean> {
    try {
      await this.sink.send([event]);
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      this.logger.warn("audit event kept in the outbox: the sink did not take it", {
        eventId: event.id,
        sink: this.sink.name,
        reason: (error as Error).message?.split("\n")[0],
      });
      return false;
    }
    await this.container.getBlockBlobClient(AuditTrail.blobName(event.id)).deleteIfExists();
    return true;
  }

  async record(event: AuditEvent): Promise<boolean> {
    await this.keep(event);
    return this.deliver(event);
  }

  /** Sends what the outbox holds, oldest first; returns how many were delivered and how many remain. */
  async redeliver(limit = 500): Promise<{ delivered: number; remaining: number }> {
    const pending: { name: string; lastModified: number }[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix: "outbox/" })) {
      pending.push({ name: blob.name, lastModified: blob.properties.lastModified?.getTime() ?? 0 });
    }
    pending.sort((a, b) => a.lastModified - b.lastModified);
    let delivered = 0;
    for (const { name } of pending.slice(0, limit)) {
      const buffer = await this.container
        .getBlockBlobClient(name)
        .downloadToBuffer()
        .catch(() => undefined);
      if (!buffer) continue;
      let event: AuditEvent;
      try {
        event = JSON.parse(buffer.toString("utf8")) as AuditEvent;
      } catch {
        this.logger.error("unreadable audit outbox entry left in place", { blob: name });
        continue;
      }
      if (await this.deliver(event)) delivered += 1;
      else break;
    }
    return { delivered, remaining: pending.length - delivered };
  }
}
