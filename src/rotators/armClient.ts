import { errorCodeOf } from "./restPipeline.js";
import { RotationError, SecretTagError } from "../errors.js";
import { parseResourceId, type ResourceId } from "./resourceId.js";
import type { RotatorContext } from "./rotator.js";

/** Options for a management client (`@azure/arm-*`): the configured ARM endpoint, with ARM's own token audience. */
export function armClientOptions(ctx: RotatorContext): Record<string, unknown> {
  return {
    ...ctx.azure.clientOptions,
    endpoint: ctx.azure.armEndpoint,
    $host: ctx.azure.armEndpoint,
    // The token is for ARM whatever the endpoint (a private link or the local emulator).
    credentialScopes: ["https://management.azure.com/.default"],
  };
}

/** A `ProviderAddress` that must be the full resource ID of one ARM type; the error names the tag. */
export function armTarget(address: string | undefined, secret: string, resourceType: string): ResourceId {
  const id = address !== undefined ? parseResourceId(address) : undefined;
  if (!id || id.resourceType.toLowerCase() !== resourceType.toLowerCase() || id.names.length !== 1)
    throw new SecretTagError(
      secret,
      "ProviderAddress",
      `${address === undefined ? "is required" : "is not right"}: it must be the full resource ID of a ${resourceType} (/subscriptions/{id}/resourceGroups/{group}/providers/${resourceType}/{name})`,
    );
  return id;
}

/** Maps an ARM (RestError) failure to a RotationError: ARM's messages name the action, never a key. */
export function armError(error: unknown, what: string): RotationError {
  if (error instanceof RotationError) return error;
  const e = error as { statusCode?: number; code?: string; message?: string };
  const detail = `${what}: ${e.code ? `${e.code}: ` : ""}${e.message ?? String(error)}`;
  // No status: the call never got an answer (a cut connection, a timeout).
  const code = e.statusCode === undefined ? "TargetUnreachable" : errorCodeOf(e.statusCode);
  return new RotationError(code, detail, code === "TargetUnreachable", { cause: error });
}
