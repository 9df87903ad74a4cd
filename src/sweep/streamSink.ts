import type { Writable } from "node:stream";

/**
 * Text to a stream: pushed synchronously into a buffer, written out in chunks (about 64 KiB) honouring
 * backpressure. Rows are small and many; a sweep of 100,000 secrets must not pay a stream write per row.
 */
export class StreamSink {
  private buffer: string[] = [];
  private size = 0;

  constructor(private readonly stream: Writable) {}

  push(text: string): void {
    this.buffer.push(text);
    this.size += text.length;
  }

  async write(text: string): Promise<void> {
    this.push(text);
    await this.flush();
  }

  /** Writes what is buffered, once it reaches `atLeast` characters. */
  async flush(atLeast = 0): Promise<void> {
    if (this.size === 0 || this.size < atLeast) return;
    const chunk = this.buffer.join("");
    this.buffer = [];
    this.size = 0;
    if (!this.stream.write(chunk))
      await new Promise<void>((resolve) => this.stream.once("drain", () => resolve()));
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once("error", reject);
      this.stream.end(() => resolve());
    });
  }
}

/** JSON for inside a `<script>` element: no `</script>`, no line separators that end JS strings. */
export function scriptSafeJson(value: unknown): string {
  return scriptSafe(JSON.stringify(value));
}

/** JSON text made safe for inside a `<script>` element (see `scriptSafeJson`); untouched when nothing needs it. */
export function scriptSafe(json: string): string {
  if (!UNSAFE_IN_SCRIPT.test(json)) return json;
  return json
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

const UNSAFE_IN_SCRIPT = /[<\u2028\u2029]/;
