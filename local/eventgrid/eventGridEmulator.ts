import { appendFile, mkdir } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { KeyVaultEvent } from "../keyvault/vaultEvents.js";
import { CustomTopicEmulator, type ReceivedCloudEvent } from "./customTopicEmulator.js";

export type DeliverySchema = "EventGridSchema" | "CloudEventSchemaV1_0";

export interface SubscriptionSpec {
  name: string;
  /** Webhook URL (for a function: `/runtime/webhooks/eventgrid?functionName=...&code=...`). */
  endpoint: string;
  schema?: DeliverySchema;
  includedEventTypes?: string[];
  /** Exact subjects (secret names) to deliver; all when absent. Event Grid's prefix/suffix filters would also match other names. */
  subjects?: string[];
  maxDeliveryAttempts?: number;
  eventTimeToLiveMinutes?: number;
}

export interface DeliveryRecord {
  subscription: string;
  eventId: string;
  eventType: string;
  subject: string;
  attempt: number;
  status: number | "timeout" | "error";
  outcome: "delivered" | "retrying" | "dead-lettered";
  at: string;
}

export interface EventGridEmulatorOptions {
  /** Multiplies every retry delay and the time-to-live: 0.001 turns Event Grid's 10 s first retry into 10 ms. */
  timeScale?: number;
  /** Delivery timeout; Event Grid waits 30 s. */
  deliveryTimeoutMs?: number;
  /** Dead letters go to `<dir>/<subscription>.jsonl`. */
  deadLetterDir?: string;
  /** The custom topic for audit events. */
  topic: { key: string; port?: number; certDir?: string; file?: string };
  onDelivery?: (record: DeliveryRecord) => void;
}

/**
 * Event Grid's retry schedule for webhooks (Event Grid docs, "Delivery and retry"): 10 s, 30 s, 1 min, 5 min,
 * 10 min, 30 min, 1 h, 3 h, 6 h, then every 12 h, within the time-to-live (24 h) and 30 attempts.
 */
const RETRY_SCHEDULE_MS = [10e3, 30e3, 60e3, 300e3, 600e3, 1800e3, 3600e3, 10800e3, 21600e3];
const LATER_RETRY_MS = 43200e3;
/** Codes Event Grid does not retry: the event is dead-lettered at once. */
const NO_RETRY = new Set([400, 413]);

interface Delivery {
  spec: Required<Omit<SubscriptionSpec, "includedEventTypes" | "subjects">> &
    Pick<SubscriptionSpec, "includedEventTypes" | "subjects">;
  event: KeyVaultEvent;
  attempt: number;
  publishedAt: number;
}

/**
 * An Event Grid emulator: a system topic fed by the Key Vault emulator, subscriptions with event-type and
 * exact-subject filters, webhook delivery with the validation handshake (both schemas), Event Grid's retry
 * schedule and dead-lettering to a file; plus the custom topic that takes the audit events.
 */
export class EventGridEmulator {
  readonly topic: CustomTopicEmulator;
  readonly deliveries: DeliveryRecord[] = [];
  readonly deadLetters: (KeyVaultEvent & { deadLetterReason: string; deliveryAttempts: number })[] = [];
  private readonly subscriptions = new Map<string, Delivery["spec"]>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: EventGridEmulatorOptions) {
    this.topic = new CustomTopicEmulator({
      key: options.topic.key,
      ...(options.topic.port !== undefined ? { port: options.topic.port } : {}),
      ...(options.topic.certDir ? { certDir: options.topic.certDir } : {}),
      ...(options.topic.file ? { file: options.topic.file } : {}),
      admin: (method, url) => this.admin(method, url),
    });
  }

  async start(): Promise<this> {
    await this.topic.start();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled([...this.inFlight]);
    await this.topic.stop();
  }

  get auditEvents(): ReceivedCloudEvent[] {
    return this.topic.events;
  }

  /** Creates a subscription after the endpoint passes the validation handshake (throws if it does not). */
  async subscribe(spec: SubscriptionSpec): Promise<void> {
    const full: Delivery["spec"] = {
      schema: "EventGridSchema",
      maxDeliveryAttempts: 30,
      eventTimeToLiveMinutes: 1440,
      ...spec,
    };
    await this.validate(full);
    this.subscriptions.set(full.name, full);
  }

  /** A system-topic event: delivered to every subscription whose filters match. */
  publish(event: KeyVaultEvent): void {
    for (const spec of this.subscriptions.values()) {
      if (spec.includedEventTypes && !spec.includedEventTypes.includes(event.eventType)) continue;
      if (spec.subjects && !spec.subjects.some((s) => s.toLowerCase() === event.subject.toLowerCase()))
        continue;
      this.track(this.attempt({ spec, event, attempt: 1, publishedAt: Date.now() }));
    }
  }

  /** Resolves once nothing is being delivered or waiting to be retried (for tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.timers.size > 0) {
      await Promise.allSettled([...this.inFlight]);
      if (this.timers.size > 0) await new Promise((r) => setTimeout(r, 5));
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async validate(spec: Delivery["spec"]): Promise<void> {
    if (spec.schema === "CloudEventSchemaV1_0") {
      // CloudEvents webhook abuse protection: OPTIONS with WebHook-Request-Origin.
      const res = await fetch(spec.endpoint, {
        method: "OPTIONS",
        headers: { "WebHook-Request-Origin": "eventgrid.azure.net" },
        signal: AbortSignal.timeout(30_000),
      });
      const allowed = res.headers.get("webhook-allowed-origin");
      if (res.status !== 200 || (allowed !== "eventgrid.azure.net" && allowed !== "*")) {
        throw new Error(
          `subscription ${spec.name}: ${spec.endpoint} did not pass the CloudEvents handshake (status ${res.status})`,
        );
      }
      return;
    }
    const code = randomUUID();
    const res = await fetch(spec.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", "aeg-event-type": "SubscriptionValidation" },
      body: JSON.stringify([
        {
          id: randomUUID(),
          topic:
            "/subscriptions/local/resourceGroups/local/providers/Microsoft.EventGrid/systemTopics/keyvault",
          subject: "",
          data: { validationCode: code, validationUrl: `https://127.0.0.1/validate?code=${code}` },
          eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
          eventTime: new Date().toISOString(),
          metadataVersion: "1",
          dataVersion: "2",
        },
      ]),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json().catch(() => ({}))) as { validationResponse?: string };
    if (res.status !== 200 || body.validationResponse !== code) {
      throw new Error(
        `subscription ${spec.name}: ${spec.endpoint} did not echo the validation code (status ${res.status})`,
      );
    }
  }

  private async attempt(d: Delivery): Promise<void> {
    if (this.stopped) return;
    const cloud = d.spec.schema === "CloudEventSchemaV1_0";
    const body = cloud
      ? {
          specversion: "1.0",
          id: d.event.id,
          source: d.event.topic,
          subject: d.event.subject,
          type: d.event.eventType,
          time: d.event.eventTime,
          datacontenttype: "application/json",
          data: d.event.data,
        }
      : [d.event];
    let status: DeliveryRecord["status"];
    try {
      const res = await fetch(d.spec.endpoint, {
        method: "POST",
        headers: {
          "content-type": cloud ? "application/cloudevents+json; charset=utf-8" : "application/json",
          "aeg-event-type": "Notification",
          "aeg-subscription-name": d.spec.name.toUpperCase(),
          "aeg-delivery-count": String(d.attempt - 1),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.deliveryTimeoutMs ?? 30_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      status = res.status;
    } catch (error) {
      status = (error as Error).name === "TimeoutError" ? "timeout" : "error";
    }
    const delivered = typeof status === "number" && status >= 200 && status <= 204;
    const scale = this.options.timeScale ?? 1;
    const delay = (RETRY_SCHEDULE_MS[d.attempt - 1] ?? LATER_RETRY_MS) * scale;
    const expired = Date.now() + delay - d.publishedAt > d.spec.eventTimeToLiveMinutes * 60_000 * scale;
    const final = typeof status === "number" && NO_RETRY.has(status);
    const outcome: DeliveryRecord["outcome"] = delivered
      ? "delivered"
      : final || expired || d.attempt >= d.spec.maxDeliveryAttempts
        ? "dead-lettered"
        : "retrying";
    const record: DeliveryRecord = {
      subscription: d.spec.name,
      eventId: d.event.id,
      eventType: d.event.eventType,
      subject: d.event.subject,
      attempt: d.attempt,
      status,
      outcome,
      at: new Date().toISOString(),
    };
    this.deliveries.push(record);
    this.options.onDelivery?.(record);
    if (outcome === "dead-lettered") {
      await this.deadLetter(
        d,
        final
          ? "NoRetryStatus"
          : d.attempt >= d.spec.maxDeliveryAttempts
            ? "MaxDeliveryAttemptsExceeded"
            : "TimeToLiveExceeded",
        status,
      );
    } else if (outcome === "retrying" && !this.stopped) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.track(this.attempt({ ...d, attempt: d.attempt + 1 }));
      }, delay);
      this.timers.add(timer);
    }
  }

  private async deadLetter(d: Delivery, reason: string, status: DeliveryRecord["status"]): Promise<void> {
    const entry = {
      ...d.event,
      deadLetterReason: reason,
      deliveryAttempts: d.attempt,
      lastDeliveryOutcome: typeof status === "number" ? `HTTP ${status}` : status,
      publishTime: new Date(d.publishedAt).toISOString(),
      lastDeliveryAttemptTime: new Date().toISOString(),
    };
    this.deadLetters.push(entry);
    if (this.options.deadLetterDir) {
      await mkdir(this.options.deadLetterDir, { recursive: true });
      await appendFile(
        path.join(this.options.deadLetterDir, `${d.spec.name}.jsonl`),
        `${JSON.stringify(entry)}\n`,
      );
    }
  }

  private admin(method: string, url: URL): { status: number; body: unknown } {
    const route = `${method} ${url.pathname.replace(/\/+$/, "")}`;
    switch (route) {
      case "GET /_emulator":
        return {
          status: 200,
          body: {
            topicEndpoint: this.topic.endpoint,
            subscriptions: [...this.subscriptions.values()],
            deliveries: this.deliveries.length,
            deadLetters: this.deadLetters.length,
            auditEvents: this.topic.events.length,
          },
        };
      case "GET /_emulator/deliveries":
        return { status: 200, body: { deliveries: this.deliveries } };
      case "GET /_emulator/dead-letters":
        return { status: 200, body: { deadLetters: this.deadLetters } };
      case "GET /_emulator/audit-events":
        return { status: 200, body: { events: this.topic.events } };
      default:
        return {
          status: 404,
          body: {
            error: {
              code: "NotFound",
              message: `No admin endpoint ${route}. See local/eventgrid/README.md.`,
            },
          },
        };
    }
  }
}
