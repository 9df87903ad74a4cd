/**
 * Removes known secret values from text before it leaves a rotation (error messages, log lines). A value
 * is only what the rotation itself handled; values shorter than 6 characters are not scrubbed, as they
 * would match ordinary words, and none of ours are that short.
 */
export class Redactor {
  private readonly values = new Set<string>();

  add(...values: (string | undefined)[]): void {
    for (const v of values) {
      if (v && v.length >= 6) {
        this.values.add(v);
        // The same value as it appears inside JSON or a SQL literal.
        this.values.add(JSON.stringify(v).slice(1, -1));
        this.values.add(v.replaceAll("'", "''"));
      }
    }
  }

  scrub(text: string): string {
    let out = text;
    for (const v of [...this.values].sort((a, b) => b.length - a.length))
      out = out.split(v).join("[REDACTED]");
    return out;
  }
}
