import {
  createDefaultHttpClient,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type Pipeline,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import { RotationError } from "../errors.js";
import type { SdkClientOptions } from "../vault/clientOptions.js";

/** Made on the first call, not when the app starts. */
let http: HttpClient | undefined;

/**
 * One request through a pipeline made from the app's client options (retries, TLS, user agent); a failure
 * to reach the service is a retryable TargetUnreachable naming what was being done.
 */
export async function send(
  pipeline: Pipeline,
  init: { url: string; method: "GET" | "POST" | "PUT" | "PATCH"; body?: string; contentType?: string },
  what: string,
): Promise<PipelineResponse> {
  const request = createPipelineRequest({
    url: init.url,
    method: init.method,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  if (init.contentType) request.headers.set("content-type", init.contentType);
  try {
    http ??= createDefaultHttpClient();
    return await pipeline.sendRequest(http, request);
  } catch (error) {
    throw new RotationError("TargetUnreachable", `${what}: ${(error as Error).message}`, true, {
      cause: error,
    });
  }
}

/** A pipeline from the app's client options, with their per-attempt policies (the deadline). */
export function pipelineOf(options: SdkClientOptions): Pipeline {
  const pipeline = createPipelineFromOptions(options);
  for (const { policy, position } of options.additionalPolicies ?? [])
    pipeline.addPolicy(policy, position === "perRetry" ? { afterPhase: "Retry" } : {});
  return pipeline;
}

/** The response body as JSON, or undefined when it is empty or not JSON. */
export function json<T>(response: PipelineResponse): T | undefined {
  try {
    return JSON.parse(response.bodyAsText ?? "") as T;
  } catch {
    return undefined;
  }
}

/**
 * A JSON call to a Microsoft REST API (Graph, ARM): the parsed answer of a 2xx, otherwise a RotationError
 * carrying the service's `error.code` and message (both name the action, never a credential).
 */
export async function callJson<T>(
  pipeline: Pipeline,
  init: { url: string; method: "GET" | "POST" | "PUT" | "PATCH"; body?: unknown },
  what: string,
): Promise<T | undefined> {
  const { url, method, body } = init;
  const response = await send(
    pipeline,
    body !== undefined
      ? { url, method, body: JSON.stringify(body), contentType: "application/json" }
      : { url, method },
    what,
  );
  if (response.status >= 200 && response.status < 300) return json<T>(response);
  const error = json<{ error?: { code?: string; message?: string } }>(response)?.error;
  const detail = error
    ? `${error.code ?? `HTTP ${response.status}`}: ${error.message ?? ""}`
    : `HTTP ${response.status}`;
  const code = errorCodeOf(response.status);
  throw new RotationError(code, `${what}: ${detail.slice(0, 500)}`, code === "TargetUnreachable");
}

/** The RotationError code of a refusal with this HTTP status (retryable only for TargetUnreachable). */
export function errorCodeOf(status: number): string {
  if (status === 401) return "TargetAuthenticationFailed";
  if (status === 403) return "TargetPermissionDenied";
  if (status === 404) return "TargetNotFound";
  if (status === 429 || status === 408 || status >= 500) return "TargetUnreachable";
  return "TargetRejected";
}
