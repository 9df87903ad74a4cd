import type { CosmosDBManagementClient, DatabaseAccountListKeysResult } from "@azure/arm-cosmosdb";
import { armClientOptions } from "./armClient.js";
import { keyPairRotator } from "./keyPair.js";
import type { ResourceId } from "./resourceId.js";
import type { RotatorContext } from "./rotator.js";

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

/**
 * `cosmos-key`: a Cosmos DB account's keys taking turns (the read-write or the read-only pair), through
 * `@azure/arm-cosmosdb`; `keyKind`s, with the samples' `Primary`/`Secondary` and `key1`/`key2` spellings
 * accepted too. Regeneration is a long-running operation whose answer has no key: the new one is listed.
 */
export const cosmosKeyRotator = keyPairRotator({
  type: "cosmos-key",
  resourceType: "Microsoft.DocumentDB/databaseAccounts",
  what: "Cosmos DB account",
  spelling: {
    primary: ["primary", "secondary"],
    secondary: ["secondary", "primary"],
    Primary: ["primary", "Secondary"],
    Secondary: ["secondary", "Primary"],
    key1: ["primary", "key2"],
    key2: ["secondary", "key1"],
    primaryReadonly: ["primaryReadonly", "secondaryReadonly"],
    secondaryReadonly: ["secondaryReadonly", "primaryReadonly"],
  },
  listKey: async (account, kind, ctx) => {
    const keys = await (
      await client(account, ctx)
    ).databaseAccounts.listKeys(account.resourceGroup, account.names[0] as string);
    const field = FIELD[kind];
    return field ? (keys[field] as string | undefined) : undefined;
  },
  regenerate: async (account, kind, ctx) => {
    await (
      await client(account, ctx)
    ).databaseAccounts.beginRegenerateKeyAndWait(account.resourceGroup, account.names[0] as string, {
      keyKind: kind,
    });
    return undefined;
  },
});
