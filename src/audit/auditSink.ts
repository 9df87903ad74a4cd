import type { TokenCredential } from "@azure/core-auth";
import type { EventGridPublisherClient } from "@azure/eventgrid";
import type { AppConfig } from "../config.js";
import type { Logger } from "../logging/logger.js";
import { sdkClientOptions } from "../vault/clientOptions.js";
import type { AuditEvent } from "./auditEvent.js";

/** Where audit events go. `send` throws when they could not be delivered (the outbox keeps them). */
export interface AuditSink {
  readonly name: string;
  send(events: AuditEvent[]): Promise<void>;
}

/** An Event Grid custom topic, CloudEvents schema, with its access key or the app's Entra identity. */
export function eventGridSink(
  audit: NonNullable<AppConfig["audit"]>,
  credential: TokenCredential,
  config: Pick<AppConfig, "tlsCa" | "credential">,
): AuditSink {
  const options = {
    ...sdkClientOptions(config),
    retryOptions: { maxRetries: 1, retryDelayInMs: 200, maxRetryDelayInMs: 1000 },
  };
  // @azure/eventgrid is loaded with the first audit event, not when the app starts (cold start).
  let client: Promise<EventGridPublisherClient<"CloudEvent">> | undefined;
  const getClient = (): Promise<EventGridPublisherClient<"CloudEvent">> =>
    (client ??= import("@azure/eventgrid").then(
      (eg) =>
        new eg.EventGridPublisherClient(
          audit.endpoint,
          "CloudEvent",
          audit.key ? new eg.AzureKeyCredential(audit.key) : credential,
          options,
        ),
    ));
  return {
    name: "event-grid",
    send: async (events) => {
      const c = await getClient();
      await c.send(
        events.map((e) => ({
          id: e.id,
          type: e.type,
          source: e.source,
          subject: e.subject,
          time: new Date(e.time),
          datacontenttype: e.datacontenttype,
          data: e.data,
        })),
      );
    },
  };
}

/** With no topic configured, audit events are written to the log as JSON lines. */
export function logSink(logger: Logger): AuditSink {
  return {
    name: "log",
    send: async (events) => {
      for (const e of events) logger.info(`audit ${JSON.stringify(e)}`);
    },
  };
}
