import { fromKeyVaultError } from "./keyVaultErrors.js";

export interface WriteRetry {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled for each one after. */
  delayMs: number;
}

/**
 * A write that must happen once (a new secret version): tried, and after a retryable failure (a lost
 * answer, a timeout, a 5xx) tried again only when `landed` reads that the first attempt did not land. When
 * Key Vault cannot be read either, the first failure is thrown: nothing is written blindly.
 */
export async function writeOnce<T>(
  action: string,
  retry: WriteRetry,
  write: () => Promise<T>,
  landed: () => Promise<T | undefined>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      const failure = fromKeyVaultError(error, action);
      if (!failure.retryable) throw failure;
      let found: T | undefined;
      try {
        found = await landed();
      } catch {
        throw failure;
      }
      if (found !== undefined) return found;
      if (attempt >= retry.attempts) throw failure;
      await new Promise<void>((resolve) => setTimeout(resolve, retry.delayMs * 2 ** (attempt - 1)));
    }
  }
}
