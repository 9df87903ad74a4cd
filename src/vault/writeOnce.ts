import type { RotationError } from "../errors.js";

export interface WriteRetry {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled for each one after. */
  delayMs: number;
}

/**
 * A write that must happen once (a new secret version, a regenerated key, a new client secret): tried,
 * and after a retryable failure (a lost answer, a timeout, a 5xx) tried again only when `landed` reads that
 * the attempt did not land. When that cannot be read either, the failure is thrown: nothing is written
 * blindly. The client doing the write must not retry on its own (`withoutRetries`). With `signal` (the run's
 * deadline), no attempt starts once it has fired: a run that already returned never writes again, while a
 * later run may be resuming the same rotation.
 */
export async function writeOnce<T>(
  retry: WriteRetry,
  write: () => Promise<T>,
  landed: () => Promise<T | undefined>,
  failure: (error: unknown) => RotationError,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    if (signal?.aborted && attempt > 1)
      throw failure(new Error("the run's deadline passed before the write could be tried again"));
    try {
      return await write();
    } catch (error) {
      const failed = failure(error);
      if (!failed.retryable) throw failed;
      let found: T | undefined;
      try {
        found = await landed();
      } catch {
        throw failed;
      }
      if (found !== undefined) return found;
      if (attempt >= retry.attempts) throw failed;
      await new Promise<void>((resolve) => setTimeout(resolve, retry.delayMs * 2 ** (attempt - 1)));
    }
  }
}

export const WRITE_RETRY: WriteRetry = { attempts: 3, delayMs: 500 };
