import { metrics, trace } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
let stack: RotationStack;
beforeAll(async () => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  stack = await startRotationStack({ vaultName: "otelvault" });
});
afterAll(() => stack?.stop());

describe("telemetry through OpenTelemetry", () => {
  it("traces each rotation with a span per step, counts outcomes, and carries no secret value", async () => {
    const app = await stack.app();
    await stack.kv.setSecret("traced", "CANARY-otel-1", { tags: { RotatorType: "random" } });
    await stack.kv.setSecret("broken", "CANARY-otel-2", {
      tags: { RotatorType: "random", ValidityPeriodDays: "x" },
    });
    const rotated = await app.engine.rotate({
      vault: "otelvault",
      secret: "traced",
      trigger: "http",
      force: true,
    });
    await app.engine.rotate({ vault: "otelvault", secret: "broken", trigger: "http", force: true });

    const finished = spans.getFinishedSpans();
    const root = finished.find((s) => s.name === "rotation" && s.attributes["akv.secret"] === "traced");
    expect(root?.attributes).toMatchObject({
      "akv.vault": "otelvault",
      "akv.outcome": "rotated",
      "akv.rotator": "random",
      "akv.rotation_id": rotated.rotationId,
    });
    const children = finished
      .filter((s) => s.parentSpanContext?.spanId === root?.spanContext().spanId)
      .map((s) => s.name);
    expect(children).toEqual([
      "rotation.lease",
      "rotation.catch-up-consumers",
      "rotation.read",
      "rotation.plan",
      "rotation.authorize",
      "rotation.plan-consumers",
      "rotation.preflight",
      "rotation.issue",
      "rotation.stage",
      "rotation.apply",
      "rotation.verify",
      "rotation.commit",
      "rotation.tell-consumers",
      "rotation.audit-keep",
      "rotation.close-pending",
      "rotation.audit-deliver",
    ]);
    const failed = finished.find((s) => s.name === "rotation" && s.attributes["akv.secret"] === "broken");
    expect(failed?.attributes).toMatchObject({
      "akv.outcome": "failed",
      "akv.error_code": "MisconfiguredSecret",
    });

    await reader.forceFlush();
    const exported = JSON.stringify(metricExporter.getMetrics());
    expect(exported).toContain("akv_rotator.rotations");
    expect(exported).toContain("akv_rotator.rotation.duration");
    expect(exported).toContain('"outcome":"rotated"');

    const everything =
      JSON.stringify(
        finished.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
      ) + exported;
    const values = stack.vault.emulator.store
      .snapshot()
      .secrets.flatMap((s) => s.versions.map((v) => v.value));
    for (const v of values) expect(everything.includes(v)).toBe(false);
    expect(everything).not.toContain("CANARY");
  });
});
