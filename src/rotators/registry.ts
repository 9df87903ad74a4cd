import type { Rotator } from "./rotator.js";
import { postgresRotator } from "./postgres.js";
import { cosmosKeyRotator } from "./cosmosKey.js";
import { entraAppSecretRotator } from "./entraAppSecret.js";
import { randomSecretRotator } from "./randomSecret.js";
import { redisKeyRotator } from "./redisKey.js";
import { storageKeyRotator } from "./storageKey.js";
import { sqlAdminRotator } from "./sqlAdmin.js";
import { sqlLoginRotator } from "./sqlLogin.js";

/** Every rotator, by its `RotatorType`. A new target type is one file and one line here. */
export const ROTATORS = {
  random: randomSecretRotator,
  postgres: postgresRotator,
  "sql-login": sqlLoginRotator,
  "sql-admin": sqlAdminRotator,
  "storage-key": storageKeyRotator,
  "cosmos-key": cosmosKeyRotator,
  "redis-key": redisKeyRotator,
  "entra-app-secret": entraAppSecretRotator,
} as const;

export type RotatorType = keyof typeof ROTATORS;

export function isRotatorType(value: string): value is RotatorType {
  return Object.hasOwn(ROTATORS, value);
}

/** The rotator of a type, its target type erased: the engine only passes targets back to their rotator. */
export function rotatorFor(type: RotatorType): Rotator {
  return ROTATORS[type] as Rotator<unknown> as Rotator;
}

/** The rotator an ARM resource type selects (case-insensitive, as ARM is), if any. */
export function rotatorForResourceType(resourceType: string): RotatorType | undefined {
  const wanted = resourceType.toLowerCase();
  return (Object.keys(ROTATORS) as RotatorType[]).find((t) =>
    ROTATORS[t].resourceTypes.some((r) => r.toLowerCase() === wanted),
  );
}
