import { context, metrics, SpanStatusCode, trace, type Context, type Span } from "@opentelemetry/api";
import type { RotationOutcome } from "../rotation/rotationOutcome.js";
import type { ReportSummary } from "../sweep/complianceReport.js";

/**
 * Traces and metrics through the OpenTelemetry API: no-ops until a provider is registered (Azure Monitor when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set, or a test's in-memory one). Attributes are names, versions,
 * ids, codes and counts: never a value, never an error message.
 */
const tracer = trace.getTracer("akv-rotator", "0.1.0");

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

/** One rotation's trace: a root span, and one child span per protocol step. */
export class RotationTrace {
  private readonly root: Span;
  private readonly ctx: Context;
  private step: Span | undefined;

  constructor(attributes: { vault: string; secret: string; trigger: string }) {
    this.root = tracer.startSpan("rotation", {
      attributes: {
        "akv.vault": attributes.vault,
        "akv.secret": attributes.secret,
        "akv.trigger": attributes.trigger,
      },
    });
    this.ctx = trace.setSpan(context.active(), this.root);
  }

  /** Ends the current step's span and starts the next. */
  enter(step: string): void {
    this.step?.end();
    this.step = tracer.startSpan(`rotation.${step}`, {}, this.ctx);
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
    if (outcome.status === "failed")
      this.root.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.code });
    this.root.end();
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
    this.root.end();
  }
}

export function recordSweep(summary: ReportSummary): void {
  for (const [state, count] of Object.entries(summary.byState))
    if (count > 0) meters().swept.add(count, { state });
}
