import { AsyncLocalStorage } from "node:async_hooks";
import { context, ROOT_CONTEXT, trace, type Context, type ContextManager } from "@opentelemetry/api";
import { LoggerProvider, SimpleLogRecordProcessor, InMemoryLogRecordExporter } from "@opentelemetry/sdk-logs";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScrubbingLogRecordProcessor, ScrubbingSpanProcessor } from "../../src/telemetry/secretScrubber.js";
import { RotationTrace } from "../../src/telemetry/telemetry.js";

/** What the distro registers (its AsyncLocalStorage context manager), reduced to what this test uses. */
class StorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

const VALUE = "Planted-secret-value-42";
const spans = new InMemorySpanExporter();
const logs = new InMemoryLogRecordExporter();
const loggers = new LoggerProvider({
  processors: [new ScrubbingLogRecordProcessor(), new SimpleLogRecordProcessor(logs)],
});
beforeAll(() => {
  // As the distro does: spans started inside `within` join the rotation's trace.
  context.setGlobalContextManager(new StorageContextManager());
  // As the distro orders them: the scrubber before the exporting processor.
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({
      spanProcessors: [new ScrubbingSpanProcessor(), new SimpleSpanProcessor(spans)],
    }),
  );
});
afterAll(() => {
  trace.disable();
  context.disable();
});

/**
 * Whatever an instrumentation puts on a span or log record inside a rotation's trace (a value in an
 * attribute, an event, the name, the status; a database statement; a URL with its `?code=`) is scrubbed
 * before the exporter sees it. Planted directly: the rotations themselves put no value there.
 */
describe("the telemetry scrubber", () => {
  it("removes the rotation's values, statements and query strings from spans and log records", async () => {
    const rotation = new RotationTrace({ vault: "kv", secret: "s", trigger: "http" });
    rotation.redactor.add(VALUE);
    await rotation.within(async () => {
      const span = trace.getTracer("planted").startSpan(`GET ${VALUE}`);
      span.setAttributes({
        "db.statement": "ALTER ROLE x WITH PASSWORD 'SCRAM-SHA-256$4096:abc'",
        "db.query.text": "SELECT 1",
        "http.url": "https://host/api/secrets/s/rotate?code=function-key",
        "url.full": "https://host/api?code=function-key",
        "planted.value": `prefix ${VALUE} suffix`,
        "planted.list": ["ok", VALUE],
      });
      span.addEvent("planted", { detail: VALUE });
      span.setStatus({ code: 2, message: `failed with ${VALUE}` });
      span.end();
      loggers
        .getLogger("planted")
        .emit({ body: `log ${VALUE}`, attributes: { detail: VALUE }, context: context.active() });
    });
    rotation.abandon();

    const exported = JSON.stringify(
      spans.getFinishedSpans().map((s) => ({
        name: s.name,
        attributes: s.attributes,
        events: s.events,
        status: s.status,
      })),
    );
    const planted = spans.getFinishedSpans().find((s) => s.name.startsWith("GET "));
    expect(planted?.attributes["planted.value"]).toBe("prefix [REDACTED] suffix");
    expect(planted?.attributes["http.url"]).toBe("https://host/api/secrets/s/rotate");
    expect(exported).not.toContain(VALUE);
    expect(exported).not.toMatch(/db\.statement|db\.query\.text|SCRAM|code=/);
    const records = JSON.stringify(logs.getFinishedLogRecords().map((r) => [r.body, r.attributes]));
    expect(records).toContain("[REDACTED]");
    expect(records).not.toContain(VALUE);
  });
});
