import type { CosmosDBManagementClient, DatabaseAccountListKeysResult } from "@azure/arm-cosmosdb";
import { armClientOptions, armError, armTarget } from "./armClient.js";
import { assertKeyHeld, keyFor, partnerOf, providerKeyName, type KeyPairSpelling } from "./keyPair.js";
import type { ResourceId } from "./resourceId.js";
import type { Rotator, RotatorContext } from "./rotator.js";

const COSMOS_ACCOUNT = "Microsoft.DocumentDB/databaseAccounts";
/** `keyKind`s, with the samples' `Primary`/`Secondary` and `key1`/`key2` spellings accepted too. */
const KEYS: KeyPairSpelling = {
  names: {
    primary: ["primary", "secondary"],
    secondary: ["secondary", "primary"],
    Primary: ["primary", "Secondary"],
    Secondary: ["secondary", "Primary"],
    key1: ["primary", "key2"],
    key2: ["secondary", "key1"],
    primaryReadonly: ["primaryReadonly", "secondaryReadonly"],
    secondaryReadonly: ["secondaryReadonly", "primaryReadonly"],
  },
};
const FIELD: Record<string, keyof DatabaseAccountListKeysResult> = {
  primary: "primaryMasterKey",
  secondary: "secondaryMasterKey",
  primaryReadonly: "primaryReadonlyMasterKey",
  secondaryReadonly: "secondaryReadonlyMasterKey",
};

async function client(account: ResourceId, ctx: RotatorContext): Promise<CosmosDBManagementClient> {
  const { CosmosDBManagementClient } = await import("@azure/arm-cosmosdb");
  return new CosmosDBManagementClient(ctx.credential, account.subscriptionId, armClientOptions(ctx));
}

async function listKey(account: ResourceId, kind: string, ctx: RotatorContext): Promise<string | undefined> {
  const keys = await (
    await client(account, ctx)
  ).databaseAccounts
    .listKeys(account.resourceGroup, account.names[0] as string)
    .catch((error: unknown) => {
      throw armError(error, `listing the keys of Cosmos DB account '${account.names[0] as string}'`);
    });
  const field = FIELD[kind];
  return field ? (keys[field] as string | undefined) : undefined;
}

/**
 * `cosmos-key`: a Cosmos DB account's keys taking turns (read-write or read-only pair). Regenerates the key
 * the latest version does not hold (a long-running operation), reads it back, stages it, verifies ARM lists
 * it, and commits with `CredentialId` flipped.
 */
export const cosmosKeyRotator: Rotator<ResourceId> = {
  type: "cosmos-key",
  resourceTypes: [COSMOS_ACCOUNT],
  needsCredentialId: true,
  supportsDual: true,
  alternateOf: (id) => partnerOf(KEYS, id),
  parseTarget: (tags, secret) => {
    providerKeyName(KEYS, tags, secret);
    return armTarget(tags.ProviderAddress, secret, COSMOS_ACCOUNT);
  },
  preflight: async (account, change, ctx) => {
    await listKey(account, keyFor(KEYS, change.activeCredentialId), ctx);
  },
  issue: async (account, change, ctx) => {
    const kind = keyFor(KEYS, change.credentialId);
    await (
      await client(account, ctx)
    ).databaseAccounts
      .beginRegenerateKeyAndWait(account.resourceGroup, account.names[0] as string, { keyKind: kind })
      .catch((error: unknown) => {
        throw armError(
          error,
          `regenerating the ${kind} key of Cosmos DB account '${account.names[0] as string}'`,
        );
      });
    return (await listKey(account, kind, ctx)) ?? "";
  },
  apply: async () => undefined,
  verify: async (account, change, ctx) => {
    const kind = keyFor(KEYS, change.credentialId);
    assertKeyHeld(
      await listKey(account, kind, ctx),
      change.newValue,
      kind,
      `Cosmos DB account '${account.names[0] as string}'`,
    );
  },
};
