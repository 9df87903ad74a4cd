import type { PipelinePolicy } from "@azure/core-rest-pipeline";

/**
 * A deadline on every attempt of every request of an Azure SDK client: an attempt with no whole answer
 * within `ms` is aborted (an AbortError, which the SDK does not retry), so a hung service ends the call
 * instead of holding the rotation and its lease. The caller's own abort signal still works.
 */
export function deadlinePolicy(ms: number): PipelinePolicy {
  return {
    name: "akvRotatorDeadline",
    sendRequest: async (request, next) => {
      const callers = request.abortSignal;
      const attempt = new AbortController();
      const timer = setTimeout(() => attempt.abort(), ms);
      // The SDK's AbortSignalLike need not be a DOM AbortSignal: it is followed by hand.
      const follow = (): void => attempt.abort();
      if (callers?.aborted) attempt.abort();
      callers?.addEventListener("abort", follow);
      request.abortSignal = attempt.signal;
      try {
        return await next(request);
      } catch (error) {
        if (attempt.signal.aborted && !callers?.aborted) {
          const timedOut = new Error(`no answer from ${new URL(request.url).host} within ${ms / 1000} s`);
          timedOut.name = "AbortError";
          throw timedOut;
        }
        throw error;
      } finally {
        clearTimeout(timer);
        callers?.removeEventListener("abort", follow);
        // The request object is reused for the next attempt: it gets a fresh deadline.
        request.abortSignal = callers;
      }
    },
  };
}
