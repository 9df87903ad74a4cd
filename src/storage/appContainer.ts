import type { TokenCredential } from "@azure/core-auth";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import type { AppConfig } from "../config.js";
import { sdkClientOptions } from "../vault/clientOptions.js";

/**
 * The app's own blob container (in `AzureWebJobsStorage`): leases, the audit outbox and reports. Created
 * on first use.
 */
export async function openAppContainer(
  config: Pick<AppConfig, "container" | "tlsCa"> & { storage: NonNullable<AppConfig["storage"]> },
  credential: TokenCredential,
): Promise<ContainerClient> {
  // Storage has its own per-attempt deadline (retryOptions.tryTimeoutInMs), not the policy the others get.
  const { additionalPolicies: _deadline, ...options } = sdkClientOptions(config);
  const service =
    config.storage.kind === "connectionString"
      ? BlobServiceClient.fromConnectionString(config.storage.connectionString, options)
      : new BlobServiceClient(config.storage.blobServiceUri, credential, options);
  const container = service.getContainerClient(config.container);
  await container.createIfNotExists();
  return container;
}
