import type { RedisManagementClient } from "@azure/arm-rediscache";
import { armClientOptions } from "./armClient.js";
import { keyPairRotator } from "./keyPair.js";
import type { ResourceId } from "./resourceId.js";
import type { RotatorContext } from "./rotator.js";

async function client(cache: ResourceId, ctx: RotatorContext): Promise<RedisManagementClient> {
  const { RedisManagementClient } = await import("@azure/arm-rediscache");
  return new RedisManagementClient(ctx.credential, cache.subscriptionId, armClientOptions(ctx));
}

const pick = (keys: { primaryKey?: string; secondaryKey?: string }, keyType: string): string | undefined =>
  keyType === "Primary" ? keys.primaryKey : keys.secondaryKey;

/** `redis-key`: an Azure Cache for Redis access keys `Primary`/`Secondary` taking turns, through `@azure/arm-rediscache`. */
export const redisKeyRotator = keyPairRotator({
  type: "redis-key",
  resourceType: "Microsoft.Cache/redis",
  what: "Redis cache",
  spelling: { Primary: ["Primary", "Secondary"], Secondary: ["Secondary", "Primary"] },
  listKey: async (cache, keyType, ctx) =>
    pick(
      await (await client(cache, ctx)).redis.listKeys(cache.resourceGroup, cache.names[0] as string),
      keyType,
    ),
  regenerate: async (cache, keyType, ctx) =>
    pick(
      await (
        await client(cache, ctx)
      ).redis.regenerateKey(cache.resourceGroup, cache.names[0] as string, {
        keyType: keyType as "Primary" | "Secondary",
      }),
      keyType,
    ),
});
