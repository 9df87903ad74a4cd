import type { RedisManagementClient } from "@azure/arm-rediscache";
import { armClientOptions, armError, armTarget } from "./armClient.js";
import { assertKeyHeld, keyFor, partnerOf, providerKeyName, type KeyPairSpelling } from "./keyPair.js";
import type { ResourceId } from "./resourceId.js";
import type { Rotator, RotatorContext } from "./rotator.js";

const REDIS_CACHE = "Microsoft.Cache/redis";
const KEYS: KeyPairSpelling = {
  names: { Primary: ["Primary", "Secondary"], Secondary: ["Secondary", "Primary"] },
};

async function client(cache: ResourceId, ctx: RotatorContext): Promise<RedisManagementClient> {
  const { RedisManagementClient } = await import("@azure/arm-rediscache");
  return new RedisManagementClient(ctx.credential, cache.subscriptionId, armClientOptions(ctx));
}

function pick(keys: { primaryKey?: string; secondaryKey?: string }, keyType: string): string | undefined {
  return keyType === "Primary" ? keys.primaryKey : keys.secondaryKey;
}

/**
 * `redis-key`: an Azure Cache for Redis access keys taking turns. Regenerates the key the latest version
 * does not hold, stages the value ARM returns, verifies ARM lists it, commits with `CredentialId` flipped.
 */
export const redisKeyRotator: Rotator<ResourceId> = {
  type: "redis-key",
  resourceTypes: [REDIS_CACHE],
  needsCredentialId: true,
  supportsDual: true,
  alternateOf: (id) => partnerOf(KEYS, id),
  parseTarget: (tags, secret) => {
    providerKeyName(KEYS, tags, secret);
    return armTarget(tags.ProviderAddress, secret, REDIS_CACHE);
  },
  preflight: async (cache, _change, ctx) => {
    await (
      await client(cache, ctx)
    ).redis
      .listKeys(cache.resourceGroup, cache.names[0] as string)
      .catch((error: unknown) => {
        throw armError(error, `listing the keys of Redis cache '${cache.names[0] as string}'`);
      });
  },
  issue: async (cache, change, ctx) => {
    const keyType = keyFor(KEYS, change.credentialId);
    const keys = await (
      await client(cache, ctx)
    ).redis
      .regenerateKey(cache.resourceGroup, cache.names[0] as string, {
        keyType: keyType as "Primary" | "Secondary",
      })
      .catch((error: unknown) => {
        throw armError(error, `regenerating the ${keyType} key of Redis cache '${cache.names[0] as string}'`);
      });
    return pick(keys, keyType) ?? "";
  },
  apply: async () => undefined,
  verify: async (cache, change, ctx) => {
    const keyType = keyFor(KEYS, change.credentialId);
    const keys = await (
      await client(cache, ctx)
    ).redis
      .listKeys(cache.resourceGroup, cache.names[0] as string)
      .catch((error: unknown) => {
        throw armError(error, `listing the keys of Redis cache '${cache.names[0] as string}'`);
      });
    assertKeyHeld(pick(keys, keyType), change.newValue, keyType, `Redis cache '${cache.names[0] as string}'`);
  },
};
