import type { StorageManagementClient } from "@azure/arm-storage";
import { armClientOptions, armError, armTarget } from "./armClient.js";
import { assertKeyHeld, keyFor, partnerOf, providerKeyName, type KeyPairSpelling } from "./keyPair.js";
import type { ResourceId } from "./resourceId.js";
import type { Rotator, RotatorContext } from "./rotator.js";

const STORAGE_ACCOUNT = "Microsoft.Storage/storageAccounts";
const KEYS: KeyPairSpelling = { names: { key1: ["key1", "key2"], key2: ["key2", "key1"] } };

async function client(account: ResourceId, ctx: RotatorContext): Promise<StorageManagementClient> {
  const { StorageManagementClient } = await import("@azure/arm-storage");
  return new StorageManagementClient(ctx.credential, account.subscriptionId, armClientOptions(ctx));
}

async function listKey(account: ResourceId, key: string, ctx: RotatorContext): Promise<string | undefined> {
  const listed = await (
    await client(account, ctx)
  ).storageAccounts
    .listKeys(account.resourceGroup, account.names[0] as string)
    .catch((error: unknown) => {
      throw armError(error, `listing the keys of storage account '${account.names[0] as string}'`);
    });
  return listed.keys?.find((k) => k.keyName?.toLowerCase() === key)?.value;
}

/**
 * `storage-key`: a storage account's access keys taking turns. Regenerates the key the latest version does
 * not hold, stages the value ARM returns, verifies ARM lists it, and commits with `CredentialId` flipped.
 * With content type `application/x-connection-string` the secret is a whole connection string whose
 * `AccountKey` changes.
 */
export const storageKeyRotator: Rotator<ResourceId> = {
  type: "storage-key",
  resourceTypes: [STORAGE_ACCOUNT],
  needsCredentialId: true,
  supportsDual: true,
  alternateOf: (id) => partnerOf(KEYS, id),
  parseTarget: (tags, secret) => {
    providerKeyName(KEYS, tags, secret);
    return armTarget(tags.ProviderAddress, secret, STORAGE_ACCOUNT);
  },
  preflight: async (account, change, ctx) => {
    await listKey(account, keyFor(KEYS, change.activeCredentialId), ctx);
  },
  issue: async (account, change, ctx) => {
    const key = keyFor(KEYS, change.credentialId);
    const result = await (
      await client(account, ctx)
    ).storageAccounts
      .regenerateKey(account.resourceGroup, account.names[0] as string, { keyName: key })
      .catch((error: unknown) => {
        throw armError(error, `regenerating ${key} of storage account '${account.names[0] as string}'`);
      });
    return result.keys?.find((k) => k.keyName?.toLowerCase() === key)?.value ?? "";
  },
  apply: async () => undefined,
  verify: async (account, change, ctx) => {
    const key = keyFor(KEYS, change.credentialId);
    assertKeyHeld(
      await listKey(account, key, ctx),
      change.newValue,
      key,
      `storage account '${account.names[0] as string}'`,
    );
  },
};
