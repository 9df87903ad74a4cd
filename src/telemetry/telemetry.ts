import { context, metrics, SpanStatusCode, trace, type Context, type Span } from "@opentelemetry/api";
import { Redactor } from "../rotation/redaction.js";
import type { RotationOutcome } from "../rotation/rotationOutcome.js";
import type { ReportSummary } from "../sweep/complianceReport.js";

/**
 * Traces and metrics through the OpenTelemetry API: no-ops until a provider is registered (Azure Monitor when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set, or a test's in-memory one). Attributes are names, versions,
 * ids, codes and counts: never a value. The tracer is looked up at each use: the distro replaces the global
 * provider when it starts, and a tracer taken before that would stay silent.
 */
const tracer = (): ReturnType<typeof trace.getTracer> => trace.getTracer("akv-rotator", "0.1.0");

/**
 * The redactor of each rotation whose trace is open, by trace id: the telemetry scrubber passes every span,
 * span event and log record of that trace through it before export (secretScrubber.ts).
 */
const openTraces = new Map<string, Redactor>();
export function redactorForTrace(traceId: string): Redactor | undefined {
  return openTraces.get(traceId);
}

/** Instruments are made on first use: the metrics API has no proxy, so they must come after the provider is registered. */
let instruments:
  | {
      rotations: ReturnType<ReturnType<typeof metrics.getMeter>["createCounter"]>;
      durations: ReturnType<ReturnType<typeof metrics.getMeter>["createHistogram"]>;
      swept: ReturnType<ReturnType<typeof metrics.getMeter>["createCounter"]>;
    }
  | undefined;
function meters(): NonNullable<typeof instruments> {
  if (!instruments) {
    const meter = metrics.getMeter("akv-rotator", "0.1.0");
    instruments = {
      rotations: meter.createCounter("akv_rotator.rotations", {
        description: "Rotation outcomes, by outcome, rotator and trigger",
      }),
      durations: meter.createHistogram("akv_rotator.rotation.duration", {
        description: "Rotation duration",
        unit: "ms",
      }),
      swept: meter.createCounter("akv_rotator.sweep.secrets", {
        description: "Secrets classified by the sweep, by state",
      }),
    };
  }
  return instruments;
}

/**
 * One rotation's trace: a root span, one child span per protocol step, and the dependencies (Azure SDK
 * calls) of whatever runs `within` it. It owns the rotation's redactor, so telemetry scrubs what the
 * rotation scrubs.
 */
export class RotationTrace {
  readonly redactor = new Redactor();
  private readonly root: Span;
  private readonly ctx: Context;
  private step: Span | undefined;

  constructor(attributes: { vault: string; secret: string; trigger: string }) {
    this.root = tracer().startSpan("rotation", {
      attributes: {
        "akv.vault": attributes.vault,
        "akv.secret": attributes.secret,
        "akv.trigger": attributes.trigger,
      },
    });
    this.ctx = trace.setSpan(context.active(), this.root);
    if (this.root.isRecording()) openTraces.set(this.root.spanContext().traceId, this.redactor);
  }

  /** Runs `work` with the rotation span active: the Azure SDK's spans and log records join this trace. */
  within<T>(work: () => Promise<T>): Promise<T> {
    return context.with(this.ctx, work);
  }

  /** Ends the current step's span and starts the next. */
  enter(step: string): void {
    this.step?.end();
    this.step = tracer().startSpan(`rotation.${step}`, {}, this.ctx);
  }

  end(outcome: RotationOutcome): void {
    this.step?.end();
    this.root.setAttributes({
      "akv.rotation_id": outcome.rotationId,
      "akv.outcome": outcome.status,
      ...(outcome.rotator ? { "akv.rotator": outcome.rotator } : {}),
      ...(outcome.status === "failed"
        ? { "akv.error_code": outcome.error.code, "akv.retryable": outcome.error.retryable }
        : {}),
      ...(outcome.status === "skipped" ? { "akv.skip_reason": outcome.reason } : {}),
      ...(outcome.status === "rotated"
        ? { "akv.new_version": outcome.newVersion, "akv.previous_version": outcome.previousVersion }
        : {}),
    });
    if (outcome.status === "failed") {
      // Exported as an exception; the message was scrubbed by the engine and is scrubbed again on export.
      this.root.recordException({ name: outcome.error.code, message: outcome.error.message });
      this.root.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.code });
    }
    this.close();
    const labels = { outcome: outcome.status, rotator: outcome.rotator ?? "none", trigger: outcome.trigger };
    meters().rotations.add(
      1,
      outcome.status === "failed" ? { ...labels, error_code: outcome.error.code } : labels,
    );
    meters().durations.record(outcome.durationMs, labels);
  }

  /** A crash (the test seam): the spans end without an outcome. */
  abandon(): void {
    this.step?.end();
    this.close();
  }

  private close(): void {
    this.root.end();
    openTraces.delete(this.root.spanContext().traceId);
  }
}

export function recordSweep(summary: ReportSummary): void {
  for (const [state, count] of Object.entries(summary.byState))
    if (count > 0) meters().swept.add(count, { state });
}
