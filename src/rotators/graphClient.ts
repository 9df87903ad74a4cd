import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createPipelineFromOptions,
  createPipelineRequest,
  type Pipeline,
} from "@azure/core-rest-pipeline";
import { RotationError } from "../errors.js";
import type { RotatorContext } from "./rotator.js";

/**
 * A minimal Microsoft Graph client on the Azure SDK's own HTTP pipeline (retries, TLS options, user agent,
 * bearer tokens for Graph): the rotator needs three calls, not the Graph SDK.
 */
export class GraphClient {
  private readonly pipeline: Pipeline;
  private readonly http = createDefaultHttpClient();

  constructor(private readonly ctx: RotatorContext) {
    this.pipeline = createPipelineFromOptions(ctx.azure.clientOptions);
    this.pipeline.addPolicy(
      bearerTokenAuthenticationPolicy({
        credential: ctx.credential,
        scopes: "https://graph.microsoft.com/.default",
      }),
    );
  }

  /** Calls `path` under `/v1.0`; the parsed answer, or a RotationError built from Graph's error code. */
  async call<T>(method: "GET" | "POST", path: string, what: string, body?: unknown): Promise<T> {
    const request = createPipelineRequest({
      url: `${this.ctx.azure.graphEndpoint}/v1.0${path}`,
      method,
      ...(this.ctx.azure.clientOptions.tlsOptions
        ? { tlsSettings: this.ctx.azure.clientOptions.tlsOptions }
        : {}),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (body !== undefined) request.headers.set("content-type", "application/json");
    let response;
    try {
      response = await this.pipeline.sendRequest(this.http, request);
    } catch (error) {
      throw new RotationError("TargetUnreachable", `${what}: ${(error as Error).message}`, true, {
        cause: error,
      });
    }
    const text = response.bodyAsText ?? "";
    if (response.status >= 200 && response.status < 300) return (text ? JSON.parse(text) : undefined) as T;
    let detail = `HTTP ${response.status}`;
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      detail = `${parsed.error?.code ?? detail}: ${parsed.error?.message ?? ""}`;
    } catch {
      // not JSON: keep the status
    }
    const code =
      response.status === 401
        ? "TargetAuthenticationFailed"
        : response.status === 403
          ? "TargetPermissionDenied"
          : response.status === 404
            ? "TargetNotFound"
            : response.status === 429 || response.status >= 500
              ? "TargetUnreachable"
              : "TargetRejected";
    throw new RotationError(code, `${what}: ${detail}`, code === "TargetUnreachable");
  }
}

/** The tenant of the app's own identity: the `tid` claim of its Graph token. */
export async function tenantOf(ctx: RotatorContext): Promise<string> {
  const token = await ctx.credential.getToken("https://graph.microsoft.com/.default");
  try {
    const claims = JSON.parse(Buffer.from(token?.token.split(".")[1] ?? "", "base64url").toString()) as {
      tid?: unknown;
    };
    if (typeof claims.tid === "string") return claims.tid;
  } catch {
    // fall through
  }
  throw new RotationError("TargetAuthenticationFailed", "the app's Graph token names no tenant (tid)", false);
}

/**
 * Proves a client secret the way its consumers use it: a client-credentials token request to Entra ID.
 * Only the OAuth error code and AADSTS number are kept from a refusal.
 */
export async function proveClientSecret(
  ctx: RotatorContext,
  tenantId: string,
  clientId: string,
  secret: string,
): Promise<void> {
  const pipeline = createPipelineFromOptions(ctx.azure.clientOptions);
  const request = createPipelineRequest({
    url: `${ctx.azure.authorityHost}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`,
    method: "POST",
    ...(ctx.azure.clientOptions.tlsOptions ? { tlsSettings: ctx.azure.clientOptions.tlsOptions } : {}),
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: clientId,
      client_secret: secret,
      scope: "https://graph.microsoft.com/.default",
    }).toString(),
  });
  request.headers.set("content-type", "application/x-www-form-urlencoded");
  let response;
  try {
    response = await pipeline.sendRequest(createDefaultHttpClient(), request);
  } catch (error) {
    throw new RotationError(
      "TargetUnreachable",
      `requesting a token with the new secret: ${(error as Error).message}`,
      true,
    );
  }
  if (response.status === 200) return;
  let reason = `HTTP ${response.status}`;
  try {
    const body = JSON.parse(response.bodyAsText ?? "") as { error?: string; error_codes?: number[] };
    reason = `${body.error ?? reason}${body.error_codes?.length ? ` (AADSTS${body.error_codes[0]})` : ""}`;
  } catch {
    // keep the status
  }
  throw new RotationError(
    "TargetAuthenticationFailed",
    `Entra ID refused a token for the new secret: ${reason}`,
    response.status >= 500,
  );
}
