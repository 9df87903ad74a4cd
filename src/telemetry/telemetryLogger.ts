import { logs, SeverityNumber } from "@opentelemetry/api-logs";
import type { LogFields, Logger } from "../logging/logger.js";

/**
 * A logger that also emits each line as an OpenTelemetry log record (exported as an Application Insights
 * trace when the distro runs, a no-op otherwise), joined to the active rotation's trace and scrubbed with its
 * redactor before export.
 */
export function telemetryLogger(inner: Logger): Logger {
  const emit = (
    severityNumber: SeverityNumber,
    severityText: string,
    body: string,
    fields?: LogFields,
  ): void => {
    const attributes = Object.fromEntries(
      Object.entries(fields ?? {}).filter(
        (entry): entry is [string, string | number | boolean] => entry[1] !== undefined,
      ),
    );
    logs.getLogger("akv-rotator", "0.1.0").emit({ severityNumber, severityText, body, attributes });
  };
  return {
    info: (m, f) => {
      inner.info(m, f);
      emit(SeverityNumber.INFO, "INFO", m, f);
    },
    warn: (m, f) => {
      inner.warn(m, f);
      emit(SeverityNumber.WARN, "WARN", m, f);
    },
    error: (m, f) => {
      inner.error(m, f);
      emit(SeverityNumber.ERROR, "ERROR", m, f);
    },
  };
}
