import type { PipelinePolicy } from "@azure/core-rest-pipeline";

/** Tells whoever listens (the sweep's limiter) that Key Vault throttled a request, and for how long it asked to wait. */
export class ThrottleSignal {
  private readonly listeners = new Set<(retryAfterMs: number | undefined) => void>();
  count = 0;

  throttled(retryAfterMs: number | undefined): void {
    this.count += 1;
    for (const l of this.listeners) l(retryAfterMs);
  }

  onThrottle(listener: (retryAfterMs: number | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), if the response has one. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * A per-call pipeline policy for Key Vault clients. The SDK retries a 429 only when it carries
 * `Retry-After`; Key Vault's throttling guidance says to back off on every 429. This policy signals each
 * 429 that reaches it and retries with the server's delay or exponential backoff (1 s, 2 s, 4 s, ... with
 * jitter), up to `maxAttempts`.
 */
export function throttleBackoffPolicy(
  signal: ThrottleSignal,
  options: { maxAttempts?: number; baseMs?: number; maxMs?: number } = {},
): PipelinePolicy {
  const maxAttempts = options.maxAttempts ?? 6;
  const baseMs = options.baseMs ?? 1000;
  const maxMs = options.maxMs ?? 30_000;
  return {
    name: "akvRotatorThrottleBackoff",
    sendRequest: async (request, next) => {
      for (let attempt = 1; ; attempt += 1) {
        const response = await next(request);
        if (response.status !== 429 || attempt >= maxAttempts) return response;
        const asked = retryAfterMs(response.headers.get("retry-after") ?? undefined);
        signal.throttled(asked);
        const backoff = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
        const wait = asked ?? backoff / 2 + Math.random() * (backoff / 2);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, wait);
          request.abortSignal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(new Error("aborted while waiting out Key Vault throttling"));
          });
        });
      }
    },
  };
}
