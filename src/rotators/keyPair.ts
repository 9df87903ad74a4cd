import { RotationError, SecretTagError } from "../errors.js";
import { withoutRetries } from "../vault/clientOptions.js";
import { WRITE_RETRY, writeOnce } from "../vault/writeOnce.js";
import { armError, armTarget } from "./armClient.js";
import { formatResourceId, type ResourceId } from "./resourceId.js";
import { heldForConsumers } from "./consumerHold.js";
import type { Rotator, RotatorContext } from "./rotator.js";

/**
 * Two keys that take turns (storage `key1`/`key2`, Cosmos `primary`/`secondary`, Redis `Primary`/`Secondary`).
 * Each accepted CredentialId spelling (case-insensitive) maps to [the provider's key name, the partner's
 * spelling]: the partner keeps the secret's style, so a vault set up for Microsoft's samples (`key1`,
 * `Primary`) keeps it after the flip.
 */
export type KeyPairSpelling = Readonly<Record<string, readonly [string, string]>>;

/** What one key service does; the rotator around it is the same for all of them. */
export interface KeyService {
  type: string;
  resourceType: string;
  /** How the service is named in messages: "storage account", "Redis cache". */
  what: string;
  spelling: KeyPairSpelling;
  /** The current value of one key (provider name), as `listKeys` answers. */
  listKey(resource: ResourceId, key: string, ctx: RotatorContext): Promise<string | undefined>;
  /** Regenerates one key; returns the new value when the answer carries it (otherwise it is listed). */
  regenerate(resource: ResourceId, key: string, ctx: RotatorContext): Promise<string | undefined>;
}

function lookup(spelling: KeyPairSpelling, credentialId: string): readonly [string, string] | undefined {
  const exact = spelling[credentialId];
  if (exact) return exact;
  const lower = credentialId.toLowerCase();
  const key = Object.keys(spelling).find((k) => k.toLowerCase() === lower);
  return key !== undefined ? spelling[key] : undefined;
}

function keyFor(spelling: KeyPairSpelling, credentialId: string): string {
  const found = lookup(spelling, credentialId);
  if (!found)
    throw new RotationError("TargetCredentialNotFound", `'${credentialId}' is not a key name`, false);
  return found[0];
}

/**
 * A rotator for a key service: regenerates the key the latest version does not hold, stages the value the
 * provider returns, verifies by the management plane's own view (the listed key is the staged value), and
 * the engine commits with `CredentialId` flipped.
 */
export function keyPairRotator(service: KeyService): Rotator<ResourceId> {
  const name = (resource: ResourceId): string => `${service.what} '${resource.names[0] as string}'`;
  const list = (resource: ResourceId, key: string, ctx: RotatorContext): Promise<string | undefined> =>
    service.listKey(resource, key, ctx).catch((error: unknown) => {
      throw armError(error, `listing the keys of ${name(resource)}`);
    });
  return {
    type: service.type,
    resourceTypes: [service.resourceType],
    needsCredentialId: true,
    supportsDual: true,
    alternateOf: (id) => lookup(service.spelling, id)?.[1],
    parseTarget: (tags, secret) => {
      const id = tags.CredentialId;
      if (id === undefined || !lookup(service.spelling, id))
        throw new SecretTagError(
          secret,
          "CredentialId",
          `${id === undefined ? "is required" : `'${id.slice(0, 32)}' is not a key name`}: one of ${Object.keys(service.spelling).join(", ")}`,
        );
      return armTarget(tags.ProviderAddress, secret, service.resourceType);
    },
    binding: (resource) => ({ target: { kind: "arm", resourceId: formatResourceId(resource) } }),
    preflight: async (resource, change, ctx) => {
      await list(resource, keyFor(service.spelling, change.activeCredentialId), ctx);
    },
    // Regenerating is not idempotent: never repeated by the SDK, and tried again only when the key still
    // has the value it had before (the first attempt did not land).
    issue: async (resource, change, ctx) => {
      const key = keyFor(service.spelling, change.credentialId);
      // The key regenerated is the one the version before the latest held: consumers not yet on the latest
      // may still use it. Wait for them, up to the latest version's expiry.
      if (heldForConsumers(ctx, ctx.consumers?.latestExpiresOn, `the ${key} key of ${name(resource)}`))
        throw new RotationError(
          "ConsumersNotConfirmed",
          `not regenerating the ${key} key of ${name(resource)}: ${ctx.consumers?.unconfirmed.join(", ") ?? ""} have not confirmed the latest version and may still use this key; retried by the next run`,
          true,
        );
      const before = await list(resource, key, ctx);
      const once = {
        ...ctx,
        azure: { ...ctx.azure, clientOptions: withoutRetries(ctx.azure.clientOptions) },
      };
      return writeOnce(
        WRITE_RETRY,
        async () => (await service.regenerate(resource, key, once)) ?? (await list(resource, key, ctx)) ?? "",
        async () => {
          const now = await list(resource, key, ctx);
          return now !== undefined && now !== before ? now : undefined;
        },
        (error) => armError(error, `regenerating the ${key} key of ${name(resource)}`),
      );
    },
    apply: async () => undefined,
    verify: async (resource, change, ctx) => {
      const key = keyFor(service.spelling, change.credentialId);
      const listed = await list(resource, key, ctx);
      if (listed === undefined)
        throw new RotationError("TargetCredentialNotFound", `${name(resource)} lists no key '${key}'`, false);
      if (listed !== change.newValue)
        throw new RotationError(
          "VerifyFailed",
          `${name(resource)} holds a different value for key '${key}' than the one staged`,
          false,
        );
    },
  };
}
