import type { Context } from "@opentelemetry/api";
import { trace } from "@opentelemetry/api";
import type { LogRecordProcessor, SdkLogRecord } from "@opentelemetry/sdk-logs";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Redactor } from "../rotation/redaction.js";
import { redactorForTrace } from "./telemetry.js";

type AttributeValue = string | number | boolean | (string | number | boolean | null | undefined)[];
type Attributes = Record<string, AttributeValue | undefined>;

/** Attributes that carry a database statement or its parameters: never exported (pg's held `ALTER ROLE ... PASSWORD`). */
const STATEMENT = /^db\.(statement|query\.text|query\.parameter\.|operation\.parameter\.)/;
/** Attributes that carry a URL or its query: exported without the query (a function key travels as `?code=`). */
const URLS = new Set(["url.full", "http.url", "http.target", "url.original", "server.url"]);

function withoutQuery(value: string): string {
  const at = value.search(/[?#]/);
  return at < 0 ? value : value.slice(0, at);
}

/** Scrubs an attribute map in place: statements dropped, URLs without query, every string through the redactor. */
export function scrubAttributes(attributes: Attributes, redactor: Redactor | undefined): void {
  for (const [key, value] of Object.entries(attributes)) {
    if (STATEMENT.test(key) || key === "url.query") {
      delete attributes[key];
      continue;
    }
    const scrub = (text: string): string => {
      const cut = URLS.has(key) ? withoutQuery(text) : text;
      return redactor ? redactor.scrub(cut) : cut;
    };
    if (typeof value === "string") attributes[key] = scrub(value);
    else if (Array.isArray(value))
      attributes[key] = value.map((v) => (typeof v === "string" ? scrub(v) : v)) as AttributeValue;
  }
}

/**
 * Runs before the exporter's processor (the distro puts user span processors between its own and its
 * batch exporter): each ended span's name, attributes, events and status pass through `scrubAttributes`
 * with the redactor of the rotation the span belongs to.
 */
export class ScrubbingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const redactor = redactorForTrace(span.spanContext().traceId);
    // A ReadableSpan is the ended span itself: its attribute maps are plain objects, changed in place.
    scrubAttributes(span.attributes as Attributes, redactor);
    for (const event of span.events)
      if (event.attributes) scrubAttributes(event.attributes as Attributes, redactor);
    if (redactor) {
      const mutable = span as { name: string; status: { code: number; message?: string } };
      mutable.name = redactor.scrub(span.name);
      if (span.status.message)
        mutable.status = { ...span.status, message: redactor.scrub(span.status.message) };
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The same for log records: body and attributes, with the redactor of the rotation whose span was active. */
export class ScrubbingLogRecordProcessor implements LogRecordProcessor {
  onEmit(record: SdkLogRecord, context?: Context): void {
    const traceId = (context ? trace.getSpanContext(context) : record.spanContext)?.traceId;
    const redactor = traceId ? redactorForTrace(traceId) : undefined;
    if (typeof record.body === "string") {
      const body = redactor ? redactor.scrub(record.body) : record.body;
      record.setBody(body);
    }
    // A plain object on the record, changed in place like a span's.
    scrubAttributes(record.attributes as Attributes, redactor);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
