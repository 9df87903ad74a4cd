import { bearerTokenAuthenticationPolicy, type Pipeline } from "@azure/core-rest-pipeline";
import { callJson, pipelineOf } from "../rotators/restPipeline.js";
import type { RotatorContext } from "../rotators/rotator.js";

/** What telling a consumer may use: the app's identity, the ARM endpoint and client options, the deadline. */
export type ConsumerContext = Pick<RotatorContext, "credential" | "azure" | "signal">;

/**
 * ARM calls by resource ID on the Azure SDK's own HTTP pipeline (retries, TLS, per-attempt deadline,
 * bearer tokens for ARM's audience whatever the endpoint). The operations consumers need are two or three a
 * kind; the generated clients are far larger (`@azure/arm-appservice` 19.0.0: 24.9 MB unpacked, 1006
 * files) than what they would add to the function bundle is worth.
 */
export class ArmRest {
  private readonly pipeline: Pipeline;

  constructor(private readonly ctx: ConsumerContext) {
    this.pipeline = pipelineOf(ctx.azure.clientOptions);
    this.pipeline.addPolicy(
      bearerTokenAuthenticationPolicy({
        credential: ctx.credential,
        scopes: "https://management.azure.com/.default",
      }),
    );
  }

  /** `method` on `{resourceId}{suffix}`; the parsed answer, or a RotationError carrying ARM's error code. */
  async call<T>(
    method: "GET" | "POST" | "PUT" | "PATCH",
    path: string,
    apiVersion: string,
    what: string,
    body?: unknown,
  ): Promise<T | undefined> {
    const url = `${this.ctx.azure.armEndpoint}${path}?api-version=${apiVersion}`;
    return callJson<T>(this.pipeline, { url, method, ...(body !== undefined ? { body } : {}) }, what);
  }
}
