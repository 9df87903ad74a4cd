import { newKey, type ArmResource, type CosmosAccountResource } from "./armResources.js";

/** What `listKeys` answers for a resource, in each service's own shape. */
export function keysView(resource: ArmResource): unknown {
  switch (resource.kind) {
    case "storage":
      return {
        keys: (["key1", "key2"] as const).map((keyName) => ({
          keyName,
          value: resource.keys[keyName],
          permissions: "FULL",
          creationTime: new Date().toISOString(),
        })),
      };
    case "cosmos":
    case "redis":
      return { ...resource.keys };
    default:
      return {};
  }
}

const COSMOS_FIELDS: Record<string, keyof CosmosAccountResource["keys"]> = {
  primary: "primaryMasterKey",
  secondary: "secondaryMasterKey",
  primaryReadonly: "primaryReadonlyMasterKey",
  secondaryReadonly: "secondaryReadonlyMasterKey",
};

/**
 * A `regenerateKey` request read the way each service reads it: the change to make, whether the service
 * answers at once (storage, Redis: with the keys) or through a long-running operation (Cosmos DB), or the
 * message of a 400 when the key name is not one of its own.
 */
export function regeneration(
  resource: ArmResource,
  body: unknown,
): { run: () => void; longRunning: boolean } | { error: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  switch (resource.kind) {
    case "storage": {
      const keyName = b.keyName;
      if (keyName !== "key1" && keyName !== "key2") return { error: "keyName must be key1 or key2" };
      return { run: () => (resource.keys[keyName] = newKey()), longRunning: false };
    }
    case "redis": {
      const keyType = b.keyType;
      if (keyType !== "Primary" && keyType !== "Secondary")
        return { error: "keyType must be Primary or Secondary" };
      const field = keyType === "Primary" ? "primaryKey" : "secondaryKey";
      return { run: () => (resource.keys[field] = newKey(32)), longRunning: false };
    }
    case "cosmos": {
      const field = COSMOS_FIELDS[String(b.keyKind)];
      if (!field)
        return { error: "keyKind must be primary, secondary, primaryReadonly or secondaryReadonly" };
      return { run: () => (resource.keys[field] = newKey()), longRunning: true };
    }
    case "sql":
      return { error: "SQL servers have no keys to regenerate" };
    default:
      return { error: `${resource.kind} has no keys to regenerate` };
  }
}
