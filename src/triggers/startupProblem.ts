import type { HttpResponseInit } from "@azure/functions";
import { ConfigurationError, DependencyError } from "../errors.js";
import { problem } from "./problemDetails.js";

/**
 * The HTTP answer when the app could not start for a request: invalid settings (500, every problem listed),
 * or a service it needs failing at first use (503 with `Retry-After` when that may pass, 500 otherwise),
 * as problem details naming what failed. Undefined for anything else (a bug: the host answers 500).
 */
export function startupProblem(error: unknown): HttpResponseInit | undefined {
  if (error instanceof ConfigurationError)
    return problem(
      500,
      "akv-rotator is not configured",
      "the app's settings are invalid; see the function log",
      {
        problems: error.problems,
      },
    );
  if (error instanceof DependencyError) {
    const answer = problem(
      error.retryable ? 503 : 500,
      error.retryable ? "A service the app needs is unavailable" : "A service the app needs refused it",
      error.message,
      { setting: error.setting },
    );
    if (error.retryable)
      answer.headers = { ...(answer.headers as Record<string, string>), "retry-after": "60" };
    return answer;
  }
  return undefined;
}
