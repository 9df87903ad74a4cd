import type { TokenCredential } from "@azure/core-auth";
import {
  BlobServiceClient,
  ContainerClient,
  newPipeline,
  type RequestPolicyFactory,
} from "@azure/storage-blob";
import type { AppConfig } from "../config.js";
import { DependencyError } from "../errors.js";
import { sdkClientOptions } from "../vault/clientOptions.js";

/**
 * The app's own blob container (in `AzureWebJobsStorage`): leases, the audit outbox and reports. Created
 * on first use.
 */
export async function openAppContainer(
  config: Pick<AppConfig, "container" | "tlsCa"> &
    Partial<Pick<AppConfig, "callTimeoutSeconds">> & { storage: NonNullable<AppConfig["storage"]> },
  credential: TokenCredential,
): Promise<ContainerClient> {
  // The storage SDK adds `additionalPolicies` twice (its pipeline and core-client's): they go in as a factory.
  const { additionalPolicies: _deadline, ...options } = sdkClientOptions(config);
  const service =
    config.storage.kind === "connectionString"
      ? BlobServiceClient.fromConnectionString(config.storage.connectionString, options)
      : new BlobServiceClient(config.storage.blobServiceUri, credential, options);
  const pipeline = newPipeline(service.credential, options);
  // The per-attempt deadline sdkClientOptions worked out (CALL_TIMEOUT_SECONDS or its default).
  pipeline.factories.push(attemptDeadline(options.retryOptions.tryTimeoutInMs));
  const container = new ContainerClient(service.getContainerClient(config.container).url, pipeline);
  try {
    await container.createIfNotExists();
  } catch (error) {
    throw storageError(error, config.container);
  }
  return container;
}

/**
 * A deadline on every attempt (CALL_TIMEOUT_SECONDS): the storage SDK's `tryTimeoutInMs` is only the server-side
 * `timeout` parameter, so without this a hung storage call never ends. The HTTP client aborts an attempt that
 * takes longer than `request.timeout`.
 */
function attemptDeadline(ms: number): RequestPolicyFactory {
  return {
    create: (next) => ({
      sendRequest: (request) => {
        request.timeout = ms;
        return next.sendRequest(request);
      },
    }),
  };
}

/** What the storage SDK's failure says, as a DependencyError: status and code only (its message may carry URLs). */
function storageError(error: unknown, container: string): DependencyError {
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  const status = typeof statusCode === "number" ? statusCode : undefined;
  const what = typeof code === "string" && /^[\w.-]{1,64}$/.test(code) ? ` ${code}` : "";
  const retryable = status === undefined || status >= 500 || status === 408 || status === 429;
  return new DependencyError(
    "AzureWebJobsStorage",
    status === undefined
      ? `the app's storage (AzureWebJobsStorage) could not be reached${what ? ` (${what.trim()})` : ""} to open container '${container}'`
      : `the app's storage (AzureWebJobsStorage) answered ${status}${what} to opening container '${container}'`,
    retryable,
    { cause: error },
  );
}
