/**
 * Removes known secret values from text before it leaves a rotation (error messages, log lines). A value
 * is only what the rotation itself handled, and every one is removed whatever its length: a short value
 * makes a message harder to read (each occurrence of it becomes [REDACTED], even inside other words), which
 * is the price of never echoing it; the error code next to the message still says what happened.
 */
export class Redactor {
  private readonly values = new Set<string>();
  /** Built on the first scrub after a value was added: telemetry scrubs every attribute of every span. */
  private pattern: RegExp | undefined;

  add(...values: (string | undefined)[]): void {
    for (const v of values) {
      if (v) {
        this.values.add(v);
        // The same value as it appears inside JSON or a SQL literal.
        this.values.add(JSON.stringify(v).slice(1, -1));
        this.values.add(v.replaceAll("'", "''"));
        // As it appears inside a quoted connection-string value (a quote doubled).
        this.values.add(v.replaceAll('"', '""'));
        this.pattern = undefined;
      }
    }
  }

  /** One pass, longest value first, so a marker already written is never scanned again. */
  scrub(text: string): string {
    if (this.values.size === 0) return text;
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join("|"),
      "g",
    );
    return text.replace(this.pattern, "[REDACTED]");
  }
}
