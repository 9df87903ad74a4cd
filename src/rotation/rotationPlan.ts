import { SecretTagError } from "../errors.js";
import {
  isRotatorType,
  ROTATORS,
  rotatorFor,
  rotatorForResourceType,
  type RotatorType,
} from "../rotators/registry.js";
import { parseResourceId } from "../rotators/resourceId.js";
import { CONTROL } from "../rotators/targetTags.js";
import type { Rotator, SecretTags } from "../rotators/rotator.js";
import { parseRotationPolicy, type RotationPolicy } from "./rotationSchedule.js";

/** Tags every committed version gets (DESIGN.md, tag contract). */
export const ROTATION_TAGS = ["RotatedAt", "RotationTrigger", "RotationId", "PreviousVersion"] as const;
const MAX_TAGS = 15;

export interface RotationPlan {
  rotatorType: RotatorType;
  rotator: Rotator;
  target: unknown;
  strategy: "single" | "dual";
  /** The credential the latest version holds: what consumers use now. */
  activeCredentialId: string;
  /** The credential this rotation changes: the active one (single) or the alternate (dual). */
  credentialId: string;
  validityDays: number;
  /** `RotationSchedule` and `RotationWindow` (rotationSchedule.ts): when a due rotation may run. */
  policy: RotationPolicy;
}

export type PlanResult = { managed: true; plan: RotationPlan } | { managed: false };

/**
 * Tags -> rotator, target, strategy and validity. A secret with neither `ProviderAddress` nor `RotatorType`
 * is unmanaged. Every tag problem is a SecretTagError naming the secret and the tag, never a crash.
 */
export function planRotation(secretName: string, tags: SecretTags, defaultValidityDays: number): PlanResult {
  const address = tags.ProviderAddress;
  const declared = tags.RotatorType;
  if (address === undefined && declared === undefined) return { managed: false };
  // A NUL or line break in a tag can split a wire protocol's fields (PostgreSQL's startup packet, a log line).
  for (const [tag, value] of Object.entries(tags)) {
    if (CONTROL.test(tag) || CONTROL.test(value))
      throw new SecretTagError(secretName, JSON.stringify(tag).slice(1, -1), "contains a control character");
  }

  let rotatorType: RotatorType;
  if (declared !== undefined) {
    if (!isRotatorType(declared)) {
      throw new SecretTagError(
        secretName,
        "RotatorType",
        `'${declared.slice(0, 64)}' names no rotator; known: ${Object.keys(ROTATORS).join(", ")}`,
      );
    }
    rotatorType = declared;
  } else {
    const id = parseResourceId(address as string);
    if (!id) {
      throw new SecretTagError(
        secretName,
        "ProviderAddress",
        "is not a full resource ID (/subscriptions/{id}/resourceGroups/{group}/providers/{type}/{name}); for a host:port address set RotatorType too",
      );
    }
    const inferred = rotatorForResourceType(id.resourceType);
    if (!inferred) {
      throw new SecretTagError(
        secretName,
        "ProviderAddress",
        `is a ${id.resourceType}, which no rotator handles; set RotatorType or use a supported resource`,
      );
    }
    rotatorType = inferred;
  }
  const rotator = rotatorFor(rotatorType);
  const target = rotator.parseTarget(tags, secretName);

  const alternate = tags.AlternateCredentialId ?? rotator.alternateOf?.(tags.CredentialId ?? "");
  if (alternate !== undefined && !rotator.supportsDual) {
    throw new SecretTagError(
      secretName,
      "AlternateCredentialId",
      `is set, but the ${rotatorType} rotator has a single credential`,
    );
  }
  const activeCredentialId = tags.CredentialId ?? "";
  if (rotator.needsCredentialId && activeCredentialId === "") {
    throw new SecretTagError(secretName, "CredentialId", `is required by the ${rotatorType} rotator`);
  }

  let validityDays = defaultValidityDays;
  const rawValidity = tags.ValidityPeriodDays;
  if (rawValidity !== undefined) {
    const n = Number(rawValidity.trim());
    if (rawValidity.trim() === "" || !Number.isInteger(n) || n < 1 || n > 3650) {
      throw new SecretTagError(
        secretName,
        "ValidityPeriodDays",
        `must be a whole number of days from 1 to 3650, got '${rawValidity.slice(0, 32)}'`,
      );
    }
    validityDays = n;
  }

  const policy = parseRotationPolicy(secretName, tags);

  const ownTags = Object.keys(tags).filter((k) => !(ROTATION_TAGS as readonly string[]).includes(k));
  if (ownTags.length + ROTATION_TAGS.length > MAX_TAGS) {
    throw new SecretTagError(
      secretName,
      "(all tags)",
      `leave no room for the ${ROTATION_TAGS.length} rotation tags: ${ownTags.length} of Key Vault's ${MAX_TAGS} are in use`,
    );
  }

  return {
    managed: true,
    plan: {
      rotatorType,
      rotator,
      target,
      strategy: alternate !== undefined ? "dual" : "single",
      activeCredentialId,
      credentialId: alternate ?? activeCredentialId,
      validityDays,
      policy,
    },
  };
}

/** Tags of the committed version: every existing tag, the rotation tags, and in dual mode the flip. */
export function committedTags(
  current: SecretTags,
  plan: RotationPlan,
  rotation: { rotationId: string; trigger: string; previousVersion: string; at: Date },
): Record<string, string> {
  const tags: Record<string, string> = { ...current };
  if (plan.strategy === "dual") {
    tags.CredentialId = plan.credentialId;
    // Pairs a rotator knows (key1/key2) need no AlternateCredentialId tag; one that was set follows the flip.
    if (current.AlternateCredentialId !== undefined) tags.AlternateCredentialId = plan.activeCredentialId;
  }
  tags.RotatedAt = rotation.at.toISOString();
  tags.RotationTrigger = rotation.trigger;
  tags.RotationId = rotation.rotationId;
  tags.PreviousVersion = rotation.previousVersion;
  return tags;
}
