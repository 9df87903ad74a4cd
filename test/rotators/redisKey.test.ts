import { describe, expect, it } from "vitest";
import { SecretTagError } from "../../src/errors.js";
import { redisKeyRotator } from "../../src/rotators/redisKey.js";
import { rotatorContract } from "./contract.js";
import { keyRotatorSubject } from "./keyRotatorSubject.js";

rotatorContract(
  "redis-key",
  keyRotatorSubject(redisKeyRotator, (arm, name) => arm.addRedisCache(name), "Primary", "primaryKey"),
);

describe("redis-key", () => {
  it("names ProviderAddress when it is not a Redis cache's resource ID", () => {
    const error = (() => {
      try {
        redisKeyRotator.parseTarget(
          {
            ProviderAddress: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Cache",
            CredentialId: "Primary",
          },
          "cache-key",
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SecretTagError);
    expect((error as Error).message).toMatch(/cache-key.*ProviderAddress.*Microsoft\.Cache\/redis/);
  });
});
