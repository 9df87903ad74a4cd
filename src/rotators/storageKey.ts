import type { StorageManagementClient } from "@azure/arm-storage";
import { armClientOptions } from "./armClient.js";
import { keyPairRotator } from "./keyPair.js";
import type { ResourceId } from "./resourceId.js";
import type { RotatorContext } from "./rotator.js";

async function client(account: ResourceId, ctx: RotatorContext): Promise<StorageManagementClient> {
  const { StorageManagementClient } = await import("@azure/arm-storage");
  return new StorageManagementClient(ctx.credential, account.subscriptionId, armClientOptions(ctx));
}

type Keys = { keys?: { keyName?: string; value?: string }[] };
const pick = (listed: Keys, key: string): string | undefined =>
  listed.keys?.find((k) => k.keyName?.toLowerCase() === key)?.value;

/**
 * `storage-key`: a storage account's access keys `key1`/`key2` taking turns, through `@azure/arm-storage`.
 * With content type `application/x-connection-string` the secret is a whole connection string whose
 * `AccountKey` changes.
 */
export const storageKeyRotator = keyPairRotator({
  type: "storage-key",
  resourceType: "Microsoft.Storage/storageAccounts",
  what: "storage account",
  spelling: { key1: ["key1", "key2"], key2: ["key2", "key1"] },
  listKey: async (account, key, ctx) =>
    pick(
      await (
        await client(account, ctx)
      ).storageAccounts.listKeys(account.resourceGroup, account.names[0] as string),
      key,
    ),
  regenerate: async (account, key, ctx) =>
    pick(
      await (
        await client(account, ctx)
      ).storageAccounts.regenerateKey(account.resourceGroup, account.names[0] as string, { keyName: key }),
      key,
    ),
});
