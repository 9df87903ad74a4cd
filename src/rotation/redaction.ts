/**
 * Removes known secret values from text before it leaves a rotation (error messages, log lines). A value
 * is only what the rotation itself handled, and every one is removed whatever its length: a short value
 * makes a message harder to read (each occurrence of it becomes [REDACTED], even inside other words), which
 * is the price of never echoing it; the error code next to the message still says what happened.
 */
export class Redactor {
  private readonly values = new Set<string>();

  add(...values: (string | undefined)[]): void {
    for (const v of values) {
      if (v) {
        this.values.add(v);
        // The same value as it appears inside JSON or a SQL literal.
        this.values.add(JSON.stringify(v).slice(1, -1));
        this.values.add(v.replaceAll("'", "''"));
      }
    }
  }

  /** One pass, longest value first, so a marker already written is never scanned again. */
  scrub(text: string): string {
    if (this.values.size === 0) return text;
    const alternatives = [...this.values]
      .sort((a, b) => b.length - a.length)
      .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return text.replace(new RegExp(alternatives.join("|"), "g"), "[REDACTED]");
  }
}
