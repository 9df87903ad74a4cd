import { bearerTokenAuthenticationPolicy, type Pipeline } from "@azure/core-rest-pipeline";
import { RotationError } from "../errors.js";
import { withoutRetries } from "../vault/clientOptions.js";
import { callJson, json, pipelineOf, send } from "./restPipeline.js";
import type { RotatorContext } from "./rotator.js";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

/**
 * A minimal Microsoft Graph client on the Azure SDK's own HTTP pipeline (retries, TLS options, user agent,
 * bearer tokens for Graph): the rotator needs three calls, not the Graph SDK.
 */
export class GraphClient {
  private readonly pipeline: Pipeline;

  /** `once`: for calls that are not idempotent (addPassword), which the pipeline must never repeat. */
  constructor(
    private readonly ctx: RotatorContext,
    options: { once?: boolean } = {},
  ) {
    this.pipeline = pipelineOf(
      options.once ? withoutRetries(ctx.azure.clientOptions) : ctx.azure.clientOptions,
    );
    this.pipeline.addPolicy(
      bearerTokenAuthenticationPolicy({ credential: ctx.credential, scopes: GRAPH_SCOPE }),
    );
  }

  /** Calls `path` under `/v1.0`; the parsed answer, or a RotationError built from Graph's error code. */
  async call<T>(method: "GET" | "POST", path: string, what: string, body?: unknown): Promise<T> {
    const url = `${this.ctx.azure.graphEndpoint}/v1.0${path}`;
    return (await callJson<T>(this.pipeline, { url, method, body }, what)) as T;
  }
}

/** The tenant of the app's own identity: the `tid` claim of its Graph token. */
export async function tenantOf(ctx: RotatorContext): Promise<string> {
  const token = await ctx.credential.getToken(GRAPH_SCOPE);
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
 * While Entra has not replicated a new secret yet (AADSTS7000215, for up to `ctx.propagationMs`), asks
 * again with backoff. Only the OAuth error code and AADSTS number are kept from a refusal.
 */
export async function proveClientSecret(
  ctx: RotatorContext,
  tenantId: string,
  clientId: string,
  secret: string,
): Promise<void> {
  const until = Date.now() + (ctx.propagationMs ?? 0);
  for (let wait = 500; ; wait = Math.min(wait * 2, 5000)) {
    try {
      return await requestToken(ctx, tenantId, clientId, secret);
    } catch (error) {
      const notYet = error instanceof RotationError && error.message.includes("AADSTS7000215");
      if (!notYet || Date.now() + wait > until || ctx.signal?.aborted) throw error;
      await new Promise<void>((resolve) => setTimeout(resolve, wait));
    }
  }
}

async function requestToken(
  ctx: RotatorContext,
  tenantId: string,
  clientId: string,
  secret: string,
): Promise<void> {
  const response = await send(
    pipelineOf(ctx.azure.clientOptions),
    {
      url: `${ctx.azure.authorityHost}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`,
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: secret,
        scope: GRAPH_SCOPE,
      }).toString(),
      contentType: "application/x-www-form-urlencoded",
    },
    "requesting a token with the new secret",
  );
  if (response.status === 200) return;
  const refusal = json<{ error?: string; error_codes?: number[] }>(response);
  const reason = `${refusal?.error ?? `HTTP ${response.status}`}${refusal?.error_codes?.length ? ` (AADSTS${refusal.error_codes[0]})` : ""}`;
  throw new RotationError(
    "TargetAuthenticationFailed",
    `Entra ID refused a token for the new secret: ${reason}`,
    response.status >= 500,
  );
}
